"""TD0.2 (test d'existence du DMP et vérification de l'autorisation) and TD1.3a (consultation des données
administratives): HL7 v3 ``PRPA_IN201307UV02`` → ``PRPA_IN201308UV02`` on the ``patients`` service.

Both requests are the same query, told apart by ``controlActProcess/reasonCode``: ``TEST_EXST`` (TD0.2) or
``CNSLT_DATA`` (TD1.3a). The patient is named twice: by the INS in the body (``patientIdentifier``) **and**
by the VIHF ``resource-id`` (``transactions.md`` §2.2). A NIA is refused before anything is built
(:meth:`~dmpclient.ids.INS.check_dmp_access`, CNDA test 0.2-080).

Four-function convention (see :mod:`dmpclient.transactions._base`):

=========================================  ==========================================================
client                                     ``build_test_existence_request(ctx, ins)``,
                                           ``parse_test_existence_response(message) -> ExistenceResult``
sandbox                                    ``parse_test_existence_request(message) -> PatientQuery``,
                                           ``build_test_existence_response(result, request=…)``,
                                           ``build_test_existence_error(request, code=…, text=…)``
=========================================  ==========================================================

and the same with ``administrative_data`` for TD1.3a (result :class:`AdministrativeData`).

Reading rules: ``NF`` is not an error (CNDA 0.2-010) — ``exists`` is False; unknown ``AUTORISATION`` values
and unknown observations are kept (REC_GEN-1370); the identity traits returned by the DMP are **not
authoritative** (EX_0.2-1020 / EX_1.3-1020: the local qualified INS identity is the reference), which
:class:`PatientTraits` states with ``authoritative=False``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, Final, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, model_validator

from dmpclient._xml import q
from dmpclient.environments import Service
from dmpclient.errors import ProtocolError
from dmpclient.ids import INS, InsOid
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse, build_response
from dmpclient.transactions._base import RequestContext, TransactionSpec, register_spec, utc_now
from dmpclient.transactions._hl7v3 import (
    DMP_DEVICE,
    II,
    REASON_CODE_SYSTEM,
    AttentionLine,
    Device,
    HL7Header,
    add_acknowledgement,
    add_attention_line,
    echo_query_ack,
    echo_reason_code,
    el,
    error_response,
    find,
    findall,
    hl7_payload,
    new_query_request,
    new_response_message,
    parse_header,
    parse_ii,
    query_response_code,
    raise_for_acknowledgement,
    text_of,
)

__all__ = [
    "AUTORISATION_KEYWORD_SYSTEM",
    "AUTORISATION_VALUE_SYSTEM",
    "INTERNET_ACCOUNT_SYSTEM",
    "OBSERVATION_SYSTEM",
    "RELATIONSHIP_SYSTEM",
    "STATUT_MT_KEYWORD_SYSTEM",
    "TD0_2",
    "TD1_3A",
    "Address",
    "AdministrativeData",
    "AdministrativeObservation",
    "AuthorizationStatus",
    "ClosingInfo",
    "ExistenceResult",
    "FamilyName",
    "LegalRepresentative",
    "PatientIdentifier",
    "PatientQuery",
    "PatientTraits",
    "PersonName",
    "Telecom",
    "build_administrative_data_error",
    "build_administrative_data_request",
    "build_administrative_data_response",
    "build_test_existence_error",
    "build_test_existence_request",
    "build_test_existence_response",
    "parse_administrative_data_request",
    "parse_administrative_data_response",
    "parse_test_existence_request",
    "parse_test_existence_response",
    "patients_transaction",
]

_BODY: Final = "PRPA_IN201307UV02"
_RESPONSE: Final = "PRPA_IN201308UV02"

TD0_2: Final = register_spec(
    "TD0.2",
    "test_existence",
    "Test d'existence du DMP et vérification de l'autorisation",
    Service.PATIENTS,
    q("hl7", _BODY),
    "controlActProcess/reasonCode/@code = TEST_EXST",
)
TD1_3A: Final = register_spec(
    "TD1.3a",
    "administrative_data",
    "Consultation des données administratives",
    Service.PATIENTS,
    q("hl7", _BODY),
    "controlActProcess/reasonCode/@code = CNSLT_DATA",
)

#: ``keyWordText/@codeSystem`` of the ``AUTORISATION`` attention line.
AUTORISATION_KEYWORD_SYSTEM: Final = "1.2.250.1.213.4.1.2.6.1"
#: Code system of the ``AUTORISATION`` values.
AUTORISATION_VALUE_SYSTEM: Final = "1.2.250.1.213.4.1.2.6.2"
#: ``keyWordText/@codeSystem`` of the ``STATUT_MT`` attention line.
STATUT_MT_KEYWORD_SYSTEM: Final = "1.2.250.1.213.4.1.2.6.3"
#: Code system of the administrative observations ``RATTACHEMENT_ENS``, ``OPPOSITION_*``.
OBSERVATION_SYSTEM: Final = "1.2.250.1.213.4.1.2.3"
#: Code system of ``COMPTE_INTERNET_OUVERT``.
INTERNET_ACCOUNT_SYSTEM: Final = "1.2.250.1.213.4.1.2.9"
#: Code system of the legal representative relationship (``FTH``, ``MTH`` …).
RELATIONSHIP_SYSTEM: Final = "2.16.840.1.113883.1.11.19579"

_REASONS: Final = {
    "TEST_EXST": "Test d'existence de dossier",
    "CNSLT_DATA": "Consultation des données de gestion de dossier",
}
_MODEL = ConfigDict(frozen=True, extra="forbid")
_INS_OIDS: Final = frozenset(o.value for o in InsOid if o is not InsOid.INS_C)


class AuthorizationStatus(StrEnum):
    """TD0.2 ``AUTORISATION`` values (code system ``1.2.250.1.213.4.1.2.6.2``)."""

    VALIDE = "VALIDE"
    """The user is authorised on this DMP."""
    EXPIRE = "EXPIRE"
    """The authorisation expired: propose TD0.3 after the patient's consent."""
    INTERDIT = "INTERDIT"
    """The user is blocked by the patient: no access, even with consent."""
    NON_EXISTE = "NON_EXISTE"
    """No authorisation: propose TD0.3 after the patient's consent."""


# ------------------------------------------------------------------------------------------ models


class PatientIdentifier(BaseModel):
    """A patient id returned by the DMP: INS-C (``1.2.250.1.213.1.4.2``, historical) or an INS."""

    model_config = _MODEL

    root: str
    extension: str

    @property
    def is_ins_c(self) -> bool:
        """True for the historical INS-C."""
        return self.root == InsOid.INS_C.value

    @property
    def ins(self) -> INS | None:
        """As an :class:`~dmpclient.ids.INS` when it is one (None for an INS-C or an invalid value)."""
        if self.root not in _INS_OIDS:
            return None
        try:
            return INS.parse(self.extension, self.root)
        except ValueError:
            return None

    @classmethod
    def of(cls, ins: INS) -> PatientIdentifier:
        """The identifier of an INS."""
        return cls(root=ins.oid.value, extension=ins.matricule)


class FamilyName(BaseModel):
    """One ``family`` part: ``qualifier`` ``SP`` (nom d'usage), ``BR`` (nom de naissance) or none."""

    model_config = _MODEL

    value: str
    qualifier: str | None = None


class PersonName(BaseModel):
    """An HL7 v3 person name (``prefix``, ``given``\\*, ``family``\\*)."""

    model_config = _MODEL

    prefix: str | None = None
    given: tuple[str, ...] = ()
    families: tuple[FamilyName, ...] = ()
    use: str | None = None

    @classmethod
    def create(
        cls,
        family: str | None = None,
        given: str | Iterable[str] = (),
        *,
        prefix: str | None = None,
        birth_family: str | None = None,
        family_qualifier: str | None = "SP",
    ) -> PersonName:
        """Convenience constructor (usual family name qualified ``SP``, birth name ``BR``)."""
        families = []
        if family is not None:
            families.append(FamilyName(value=family, qualifier=family_qualifier))
        if birth_family is not None:
            families.append(FamilyName(value=birth_family, qualifier="BR"))
        givens = (given,) if isinstance(given, str) else tuple(given)
        return cls(prefix=prefix, given=givens, families=tuple(families))

    @property
    def family(self) -> str | None:
        """The usual family name (``SP``, else the first unqualified one)."""
        for qualifier in ("SP", None):
            found = next((f.value for f in self.families if f.qualifier == qualifier), None)
            if found is not None:
                return found
        return None

    @property
    def birth_family(self) -> str | None:
        """The birth name (``BR``)."""
        return next((f.value for f in self.families if f.qualifier == "BR"), None)


class Telecom(BaseModel):
    """``telecom``: ``tel:…`` / ``mailto:…`` with an optional use (``HP``, ``MC`` …)."""

    model_config = _MODEL

    value: str
    use: str | None = None


class Address(BaseModel):
    """An HL7 v3 address (only the parts the DMP uses)."""

    model_config = _MODEL

    street_address_lines: tuple[str, ...] = ()
    additional_locators: tuple[str, ...] = ()
    postal_code: str | None = None
    city: str | None = None
    country: str | None = None
    use: str | None = None

    @property
    def is_empty(self) -> bool:
        """True for an empty ``<addr/>`` (the DMP returns one for an unknown birthplace)."""
        return not (
            self.street_address_lines or self.additional_locators or self.postal_code or self.city or self.country
        )


class PatientTraits(BaseModel):
    """Identity traits as the DMP returns them.

    **Not authoritative** (EX_0.2-1020 / EX_1.3-1020): display the traits of the local qualified INS
    identity by default; these are informative only. ``authoritative`` is always False to say so.
    """

    model_config = _MODEL

    name: PersonName | None = None
    telecoms: tuple[Telecom, ...] = ()
    gender: str | None = None
    birth_time: str | None = None
    authoritative: Literal[False] = False


class AdministrativeObservation(BaseModel):
    """A ``subjectOf/administrativeObservation`` (``RATTACHEMENT_ENS``, ``OPPOSITION_ACCES_URGENCE`` …).

    Unknown codes are kept as they are (REC_GEN-1370).
    """

    model_config = _MODEL

    code: str
    code_system: str | None = None
    display_name: str | None = None
    value_type: str | None = None
    value: str | None = None

    @property
    def flag(self) -> bool | None:
        """The boolean value of a ``BL`` observation (None when not a boolean)."""
        if self.value is None:
            return None
        text = self.value.strip().lower()
        return True if text == "true" else False if text == "false" else None

    @classmethod
    def boolean(
        cls, code: str, value: bool, *, code_system: str = OBSERVATION_SYSTEM, display_name: str | None = None
    ) -> AdministrativeObservation:
        """A ``BL`` observation."""
        return cls(
            code=code,
            code_system=code_system,
            display_name=display_name,
            value_type="BL",
            value="true" if value else "false",
        )


class ClosingInfo(BaseModel):
    """Closing information of a closed DMP (patient ``statusCode`` ``terminated``).

    Shape [V2 public implementation, exact DMP shape not public]: the date in
    ``registrationEvent/effectiveTime/@value``, the motif in ``controlActProcess/reasonOf/detectedIssueEvent``
    (``code`` e.g. ``FERMETURE_DEMANDE_PATIENT`` of ``1.2.250.1.213.4.1.2.4``, and ``text``).
    """

    model_config = _MODEL

    closed_on: str | None = None
    reason_code: str | None = None
    reason_code_system: str | None = None
    reason_text: str | None = None


class LegalRepresentative(BaseModel):
    """A ``personalRelationship`` of TD1.3a: the patient's legal representative."""

    model_config = _MODEL

    relationship: str | None = None
    relationship_system: str | None = RELATIONSHIP_SYSTEM
    name: PersonName | None = None
    address: Address | None = None
    telecoms: tuple[Telecom, ...] = ()


class _DossierBase(BaseModel):
    """What TD0.2 and TD1.3a return about a DMP and its patient.

    Give ``exists`` or ``query_response_code``: the other is derived (``OK`` ⇔ exists; default ``NF``).
    ``closed`` and ``patient_status`` are likewise kept consistent (``terminated`` ⇔ closed).
    """

    model_config = _MODEL

    exists: bool = False
    query_response_code: str = "NF"
    patient_ids: tuple[PatientIdentifier, ...] = ()
    patient_status: str | None = None
    closed: bool = False
    closing: ClosingInfo | None = None
    traits: PatientTraits | None = None
    observations: tuple[AdministrativeObservation, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "query_response_code" not in data and "exists" in data:
            data["query_response_code"] = "OK" if data["exists"] else "NF"
        if "exists" not in data and "query_response_code" in data:
            data["exists"] = data["query_response_code"] == "OK"
        if data.get("patient_status") is None and data.get("exists"):
            data["patient_status"] = "terminated" if data.get("closed") else "active"
        if data.get("patient_status") is not None:
            data["closed"] = data["patient_status"] == "terminated"
        return data

    @property
    def ins(self) -> INS | None:
        """The patient's INS among :attr:`patient_ids` (None when absent)."""
        return next((i.ins for i in self.patient_ids if i.ins is not None), None)

    @property
    def ins_c(self) -> str | None:
        """The historical INS-C, when returned."""
        return next((i.extension for i in self.patient_ids if i.is_ins_c), None)

    def observation(self, code: str) -> AdministrativeObservation | None:
        """The administrative observation with this code, or None."""
        return next((o for o in self.observations if o.code == code), None)

    def flag(self, code: str) -> bool | None:
        """The boolean value of an observation (None when absent)."""
        obs = self.observation(code)
        return obs.flag if obs is not None else None


class ExistenceResult(_DossierBase):
    """TD0.2 result.

    Attributes:
        exists: a DMP exists (``queryResponseCode`` ``OK``); False for ``NF``, which is not an error.
        query_response_code: the raw code (``OK``, ``NF``).
        authorization: ``AUTORISATION`` — an :class:`AuthorizationStatus`, or the raw string for a value
            this version does not know (kept, REC_GEN-1370); None when the DMP sent none.
        treating_physician: ``STATUT_MT`` — the user is the patient's médecin traitant DMP.
        patient_ids: INS-C and INS returned.
        patient_status / closed: ``active`` or ``terminated`` (closed DMP: no feed, no search).
        closing: date and motif of the closing, when returned.
        traits: identity traits returned — **not authoritative** (EX_0.2-1020).
        observations: ``RATTACHEMENT_ENS``, ``COMPTE_INTERNET_OUVERT`` and any other observation, in order.
        other_attention_lines: attention lines other than ``AUTORISATION``/``STATUT_MT`` (kept).
    """

    authorization: AuthorizationStatus | str | None = Field(default=None, union_mode="left_to_right")
    treating_physician: bool | None = None
    other_attention_lines: tuple[AttentionLine, ...] = ()

    @property
    def authorization_known(self) -> bool:
        """True when :attr:`authorization` is one of the documented values."""
        return isinstance(self.authorization, AuthorizationStatus)

    @property
    def attached_to_ens(self) -> bool | None:
        """``RATTACHEMENT_ENS``: the DMP is attached to Mon espace santé."""
        return self.flag("RATTACHEMENT_ENS")

    @property
    def internet_account_open(self) -> bool | None:
        """``COMPTE_INTERNET_OUVERT``."""
        return self.flag("COMPTE_INTERNET_OUVERT")

    @property
    def can_feed(self) -> bool:
        """A document may be sent: the DMP exists and is not closed (feeding needs no authorisation,
        Ségur SC.DMP/CONF.05)."""
        return self.exists and not self.closed

    @property
    def can_consult(self) -> bool:
        """Consultation in normal access mode: open DMP and ``AUTORISATION`` = ``VALIDE``.

        (In centre 15 mode the authorisation is not checked by the DMP; bris de glace has its own rules.)
        """
        return self.can_feed and self.authorization == AuthorizationStatus.VALIDE

    @property
    def needs_authorization(self) -> bool:
        """``EXPIRE`` or ``NON_EXISTE`` on an open DMP: propose TD0.3 after the patient's consent."""
        return self.can_feed and self.authorization in (AuthorizationStatus.EXPIRE, AuthorizationStatus.NON_EXISTE)

    @property
    def blocked(self) -> bool:
        """``INTERDIT``: the patient blocked this professional (no access, even with consent)."""
        return self.authorization == AuthorizationStatus.INTERDIT


class AdministrativeData(_DossierBase):
    """TD1.3a result: :class:`ExistenceResult`-like data plus the administrative part of the DMP.

    Attributes:
        deceased: ``deceasedInd``.
        address: the patient's address.
        legal_representatives: ``personalRelationship`` entries.
        birthplace: ``birthPlace/addr`` (may be an empty address).
    """

    deceased: bool | None = None
    address: Address | None = None
    legal_representatives: tuple[LegalRepresentative, ...] = ()
    birthplace: Address | None = None

    @property
    def opposition_bris_de_glace(self) -> bool | None:
        """``OPPOSITION_BRIS_DE_GLACE``: the patient opposed bris de glace access."""
        return self.flag("OPPOSITION_BRIS_DE_GLACE")

    @property
    def opposition_acces_urgence(self) -> bool | None:
        """``OPPOSITION_ACCES_URGENCE``: the patient opposed emergency (centre 15) access."""
        return self.flag("OPPOSITION_ACCES_URGENCE")


class PatientQuery(BaseModel):
    """A TD0.2 / TD1.3a request as the sandbox reads it (body only: read the VIHF for the rest).

    Attributes:
        reason_code: ``TEST_EXST`` or ``CNSLT_DATA``.
        patient_id: ``patientIdentifier/value`` as sent (check it with :attr:`ins`).
        message_id / query_id: echoed in the response.
        sender: the sending software device.
        creation_time: ``creationTime/@value`` as sent.
    """

    model_config = _MODEL

    reason_code: str
    patient_id: PatientIdentifier
    message_id: II | None = None
    query_id: II | None = None
    sender: Device | None = None
    creation_time: str | None = None

    @property
    def ins(self) -> INS:
        """The INS of the body.

        Raises:
            InvalidIdentifier: not a valid INS (wrong OID, key, INS-C…).
        """
        return INS.parse(self.patient_id.extension, self.patient_id.root)


# ------------------------------------------------------------------------------- person: parse/build


def parse_name(node: etree._Element | None) -> PersonName | None:
    """Read an HL7 v3 ``name``."""
    if node is None:
        return None
    families = tuple(
        FamilyName(value=text_of(f) or "", qualifier=f.get("qualifier")) for f in findall(node, "hl7:family")
    )
    return PersonName(
        prefix=text_of(find(node, "hl7:prefix")),
        given=tuple(text_of(g) or "" for g in findall(node, "hl7:given")),
        families=families,
        use=node.get("use") or None,
    )


def build_name(parent: etree._Element, name: PersonName, tag: str = "name") -> etree._Element:
    """Write an HL7 v3 ``name`` (prefix, given\\*, family\\*)."""
    node = el(parent, tag, use=name.use)
    if name.prefix is not None:
        el(node, "prefix", name.prefix)
    for given in name.given:
        el(node, "given", given)
    for family in name.families:
        el(node, "family", family.value, qualifier=family.qualifier)
    return node


def parse_address(node: etree._Element | None) -> Address | None:
    """Read an HL7 v3 ``addr``."""
    if node is None:
        return None
    return Address(
        street_address_lines=tuple(text_of(s) or "" for s in findall(node, "hl7:streetAddressLine")),
        additional_locators=tuple(text_of(s) or "" for s in findall(node, "hl7:additionalLocator")),
        postal_code=text_of(find(node, "hl7:postalCode")),
        city=text_of(find(node, "hl7:city")),
        country=text_of(find(node, "hl7:country")),
        use=node.get("use") or None,
    )


def build_address(
    parent: etree._Element, address: Address, tag: str = "addr", *, city_first: bool = False
) -> etree._Element:
    """Write an HL7 v3 ``addr`` (street lines, locators, postal code, city, country).

    The parts of an HL7 ``AD`` may come in any order; the DMP writes the postal code first in TD1.3a and the
    city first in TD0.5 (``city_first``).
    """
    node = el(parent, tag, use=address.use)
    for line in address.street_address_lines:
        el(node, "streetAddressLine", line)
    for locator in address.additional_locators:
        el(node, "additionalLocator", locator)
    places = [("postalCode", address.postal_code), ("city", address.city)]
    for local, value in (*(reversed(places) if city_first else places), ("country", address.country)):
        if value is not None:
            el(node, local, value)
    return node


def parse_telecoms(node: etree._Element | None) -> tuple[Telecom, ...]:
    """The ``telecom`` children of a node."""
    return tuple(
        Telecom(value=t.get("value", ""), use=t.get("use") or None)
        for t in findall(node, "hl7:telecom")
        if t.get("value")
    )


def build_telecoms(parent: etree._Element, telecoms: Iterable[Telecom]) -> None:
    """Write ``telecom`` children."""
    for telecom in telecoms:
        el(parent, "telecom", use=telecom.use, value=telecom.value)


def parse_observation(node: etree._Element) -> AdministrativeObservation | None:
    """Read an ``administrativeObservation`` (None when it has no code)."""
    code = find(node, "hl7:code")
    if code is None or not code.get("code"):
        return None
    value = find(node, "hl7:value")
    raw_value = None
    if value is not None:
        raw_value = value.get("value") if value.get("value") is not None else value.get("code")
    return AdministrativeObservation(
        code=code.get("code", ""),
        code_system=code.get("codeSystem"),
        display_name=code.get("displayName"),
        value_type=value.get(f"{{{_XSI}}}type") if value is not None else None,
        value=raw_value,
    )


def build_observation(parent: etree._Element, obs: AdministrativeObservation, holder: str = "subjectOf") -> None:
    """Write ``<holder typeCode="SBJ"><administrativeObservation …>``."""
    subject = el(parent, holder, typeCode="SBJ")
    node = el(subject, "administrativeObservation", classCode="OBS", moodCode="EVN")
    el(node, "code", code=obs.code, codeSystem=obs.code_system, displayName=obs.display_name)
    if obs.value is not None or obs.value_type is not None:
        el(node, "value", value=obs.value, xsi_type=obs.value_type)


_XSI: Final = "http://www.w3.org/2001/XMLSchema-instance"


def parse_traits(person: etree._Element | None) -> PatientTraits | None:
    """The identity traits of a ``patientPerson`` (None when it carries none)."""
    if person is None:
        return None
    gender = find(person, "hl7:administrativeGenderCode")
    birth = find(person, "hl7:birthTime")
    name = find(person, "hl7:name")
    if name is None and gender is None and birth is None and find(person, "hl7:telecom") is None:
        return None
    return PatientTraits(
        name=parse_name(find(person, "hl7:name")),
        telecoms=parse_telecoms(person),
        gender=gender.get("code") if gender is not None else None,
        birth_time=birth.get("value") if birth is not None else None,
    )


def build_traits(person: etree._Element, traits: PatientTraits) -> None:
    """Write name, telecoms, gender and birth time into a ``patientPerson``."""
    if traits.name is not None:
        build_name(person, traits.name)
    build_telecoms(person, traits.telecoms)
    if traits.gender is not None:
        el(person, "administrativeGenderCode", code=traits.gender)
    if traits.birth_time is not None:
        el(person, "birthTime", value=traits.birth_time)


# --------------------------------------------------------------------------------- record parse/build


def parse_patient_ids(patient: etree._Element | None) -> tuple[PatientIdentifier, ...]:
    """The ``id`` children of a ``patient`` that carry both ``root`` and ``extension`` (TD0.2, TD1.3a, TD0.5)."""
    return tuple(
        PatientIdentifier(root=i.get("root", ""), extension=i.get("extension", ""))
        for i in findall(patient, "hl7:id")
        if i.get("root") and i.get("extension")
    )


def build_registration(
    control: etree._Element,
    *,
    event_status: str,
    effective_time: str | None,
    patient_ids: Iterable[PatientIdentifier],
    patient_status: str | None,
) -> tuple[etree._Element, etree._Element]:
    """``subject/registrationEvent`` (statusCode, optional effectiveTime) and its ``subject1/patient`` (ids,
    statusCode), in schema order; returns ``(registrationEvent, patient)``."""
    subject = el(control, "subject", contextConductionInd="false", typeCode="SUBJ")
    event = el(subject, "registrationEvent", classCode="REG", moodCode="EVN")
    el(event, "statusCode", code=event_status)
    if effective_time is not None:
        el(event, "effectiveTime", value=effective_time)
    patient = el(el(event, "subject1", typeCode="SBJ"), "patient", classCode="PAT")
    for pid in patient_ids:
        el(patient, "id", extension=pid.extension, root=pid.root)
    if patient_status is not None:
        el(patient, "statusCode", code=patient_status)
    return event, patient


def build_custodian(event: etree._Element) -> None:
    """``custodian/assignedEntity`` naming the DMP, last child of a ``registrationEvent``."""
    custodian = el(el(event, "custodian", typeCode="CST"), "assignedEntity", classCode="ASSIGNED")
    el(custodian, "id", root=DMP_DEVICE.id_root)


def _parse_record(control: etree._Element | None, header: HL7Header, *, admin: bool) -> dict[str, Any]:
    event = find(control, "hl7:subject/hl7:registrationEvent")
    patient = find(event, "hl7:subject1/hl7:patient")
    person = find(patient, "hl7:patientPerson")
    status = find(patient, "hl7:statusCode")
    query_code = query_response_code(control)
    if not query_code:
        query_code = "OK" if patient is not None else "NF"  # tolerated: some answers omit the queryAck
    observations = [parse_observation(o) for o in findall(patient, "hl7:subjectOf/hl7:administrativeObservation")]
    data: dict[str, Any] = {
        "query_response_code": query_code,
        "exists": query_code == "OK",
        "patient_ids": parse_patient_ids(patient),
        "patient_status": status.get("code") if status is not None else None,
        "traits": parse_traits(person),
        "observations": tuple(o for o in observations if o is not None),
    }
    effective = find(event, "hl7:effectiveTime")
    closed_on = None
    if effective is not None:
        closed_on = effective.get("value")
        if closed_on is None:  # an IVL_TS: take the end (or the start) of the interval
            bound = find(effective, "hl7:high")
            bound = bound if bound is not None else find(effective, "hl7:low")
            closed_on = bound.get("value") if bound is not None else None
    issue = find(control, "hl7:reasonOf/hl7:detectedIssueEvent")
    issue_code = find(issue, "hl7:code")
    if closed_on is not None or issue is not None:
        data["closing"] = ClosingInfo(
            closed_on=closed_on,
            reason_code=issue_code.get("code") if issue_code is not None else None,
            reason_code_system=issue_code.get("codeSystem") if issue_code is not None else None,
            reason_text=text_of(find(issue, "hl7:text")),
        )
    if admin:
        deceased = find(person, "hl7:deceasedInd")
        deceased_value = deceased.get("value") if deceased is not None else None
        data["deceased"] = None if deceased_value is None else deceased_value.strip().lower() == "true"
        data["address"] = parse_address(find(person, "hl7:addr"))
        data["birthplace"] = parse_address(find(person, "hl7:birthPlace/hl7:addr"))
        reps = []
        for rel in findall(person, "hl7:personalRelationship"):
            code = find(rel, "hl7:code")
            reps.append(
                LegalRepresentative(
                    relationship=code.get("code") if code is not None else None,
                    relationship_system=code.get("codeSystem") if code is not None else None,
                    name=parse_name(find(rel, "hl7:relationshipHolder1/hl7:name")),
                    address=parse_address(find(rel, "hl7:addr")),
                    telecoms=parse_telecoms(rel),
                )
            )
        data["legal_representatives"] = tuple(reps)
    return data


def _has_patient(result: _DossierBase) -> bool:
    return bool(result.patient_ids or result.traits is not None or result.observations or result.exists)


def _build_record(control: etree._Element, result: _DossierBase) -> None:
    """subject/registrationEvent/… and reasonOf (closing motif), in schema order."""
    if _has_patient(result):
        event, patient = build_registration(
            control,
            event_status="completed",
            effective_time=result.closing.closed_on if result.closing is not None else None,
            patient_ids=result.patient_ids,
            patient_status=result.patient_status,
        )
        admin = isinstance(result, AdministrativeData) and (
            result.deceased is not None
            or result.address is not None
            or bool(result.legal_representatives)
            or result.birthplace is not None
        )
        if result.traits is not None or admin:
            person = el(patient, "patientPerson", classCode="PSN", determinerCode="INSTANCE")
            if result.traits is not None:
                build_traits(person, result.traits)
            if isinstance(result, AdministrativeData):
                if result.deceased is not None:
                    el(person, "deceasedInd", value="true" if result.deceased else "false")
                if result.address is not None:
                    build_address(person, result.address)
                for rep in result.legal_representatives:
                    rel = el(person, "personalRelationship", classCode="PRS")
                    if rep.relationship is not None:
                        el(rel, "code", code=rep.relationship, codeSystem=rep.relationship_system)
                    if rep.address is not None:
                        build_address(rel, rep.address)
                    build_telecoms(rel, rep.telecoms)
                    if rep.name is not None:
                        holder = el(rel, "relationshipHolder1", classCode="PSN", determinerCode="INSTANCE")
                        build_name(holder, rep.name)
                if result.birthplace is not None:
                    build_address(el(person, "birthPlace", classCode="BIRTHPL"), result.birthplace)
        for obs in result.observations:
            build_observation(patient, obs)
        build_custodian(event)
    closing = result.closing
    if closing is not None and (closing.reason_code is not None or closing.reason_text is not None):
        issue = el(el(control, "reasonOf", typeCode="RSON"), "detectedIssueEvent", classCode="ALRT", moodCode="EVN")
        if closing.reason_code is not None:
            el(issue, "code", code=closing.reason_code, codeSystem=closing.reason_code_system)
        if closing.reason_text is not None:
            el(issue, "text", closing.reason_text)


# ----------------------------------------------------------------------------------------- requests


def _patient_query(ctx: RequestContext, ins: INS, reason: str, spec: TransactionSpec) -> SoapRequest:
    ctx.require_patient(ins)  # NIA refused before anything is built (CNDA 0.2-080)
    message, params = new_query_request(
        _BODY,
        software=ctx.acting.software,
        created=ctx.clock(),
        control_code="reasonCode",
        control_attrs={"code": reason, "codeSystem": REASON_CODE_SYSTEM, "displayName": _REASONS[reason]},
    )
    identifier = el(params, "patientIdentifier")
    el(identifier, "value", root=ins.oid.value, extension=ins.matricule)
    el(identifier, "semanticsText", "Patient.id")
    return ctx.request(spec, message, patient=ins)


def build_test_existence_request(ctx: RequestContext, ins: INS) -> SoapRequest:
    """TD0.2 request for a patient (INS in the body and in the VIHF ``resource-id``).

    Raises:
        NIARefused: the INS is a NIA (CNDA 0.2-080).
        RuleViolation: INS OID not accepted in the environment.
    """
    return _patient_query(ctx, ins, "TEST_EXST", TD0_2)


def build_administrative_data_request(ctx: RequestContext, ins: INS) -> SoapRequest:
    """TD1.3a request (same as TD0.2 with reasonCode ``CNSLT_DATA``).

    Raises:
        NIARefused: the INS is a NIA.
        RuleViolation: INS OID not accepted in the environment.
    """
    return _patient_query(ctx, ins, "CNSLT_DATA", TD1_3A)


def _parse_query(message: SoapMessage, spec: TransactionSpec, reason: str | None) -> PatientQuery:
    payload = hl7_payload(message, _BODY, transaction=spec.td)
    header = parse_header(payload)
    control = find(payload, "hl7:controlActProcess")
    reason_el = find(control, "hl7:reasonCode")
    reason_code = reason_el.get("code") if reason_el is not None else None
    if reason is not None and reason_code != reason:
        raise ProtocolError(f"{spec.td}: reasonCode {reason_code!r} (expected {reason})")
    value = find(control, "hl7:queryByParameter/hl7:parameterList/hl7:patientIdentifier/hl7:value")
    if value is None or not value.get("root") or not value.get("extension"):
        raise ProtocolError(f"{spec.td}: no patientIdentifier/value with root and extension in the request")
    return PatientQuery(
        reason_code=reason_code or "",
        patient_id=PatientIdentifier(root=value.get("root", ""), extension=value.get("extension", "")),
        message_id=header.message_id,
        query_id=parse_ii(find(control, "hl7:queryByParameter/hl7:queryId")),
        sender=header.sender,
        creation_time=header.creation_time,
    )


def parse_test_existence_request(message: SoapMessage) -> PatientQuery:
    """Sandbox: read a TD0.2 request body (the VIHF is read separately).

    Raises:
        ProtocolError: not a ``PRPA_IN201307UV02`` with reasonCode ``TEST_EXST`` and a patient identifier.
    """
    return _parse_query(message, TD0_2, "TEST_EXST")


def parse_administrative_data_request(message: SoapMessage) -> PatientQuery:
    """Sandbox: read a TD1.3a request body (reasonCode ``CNSLT_DATA``)."""
    return _parse_query(message, TD1_3A, "CNSLT_DATA")


def patients_transaction(message: SoapMessage) -> TransactionSpec:
    """Sandbox routing: TD0.2 or TD1.3a for a ``PRPA_IN201307UV02`` request, from its reasonCode.

    Raises:
        ProtocolError: another body, or an unknown reasonCode.
    """
    query = _parse_query(message, TD0_2, None)
    if query.reason_code == "TEST_EXST":
        return TD0_2
    if query.reason_code == "CNSLT_DATA":
        return TD1_3A
    raise ProtocolError(f"unknown PRPA_IN201307UV02 reasonCode {query.reason_code!r} (TEST_EXST or CNSLT_DATA)")


# ---------------------------------------------------------------------------------------- responses


def parse_test_existence_response(message: SoapMessage) -> ExistenceResult:
    """Client: read a TD0.2 response.

    Raises:
        SoapFaultError: SOAP fault.
        HL7AcknowledgementError: acknowledgement ``AE``/``AR`` (code and French text verbatim).
        ProtocolError: not a ``PRPA_IN201308UV02``.
    """
    payload = hl7_payload(message, _RESPONSE, transaction=TD0_2.td)
    header = parse_header(payload)
    control = find(payload, "hl7:controlActProcess")
    data = _parse_record(control, header, admin=False)
    raise_for_acknowledgement(
        header,
        transaction=TD0_2.td,
        message_id=message.envelope.relates_to,
        query_response_code=data["query_response_code"],
    )
    authorization = header.attention("AUTORISATION")
    statut_mt = header.attention("STATUT_MT")
    mt_value = statut_mt.value.strip().lower() if statut_mt is not None and statut_mt.value else None
    data["authorization"] = authorization.code if authorization is not None else None
    data["treating_physician"] = None if mt_value is None else mt_value == "true"
    data["other_attention_lines"] = tuple(
        a for a in header.attention_lines if a.keyword not in ("AUTORISATION", "STATUT_MT")
    )
    return ExistenceResult(**data)


def parse_administrative_data_response(message: SoapMessage) -> AdministrativeData:
    """Client: read a TD1.3a response (same error channels as TD0.2)."""
    payload = hl7_payload(message, _RESPONSE, transaction=TD1_3A.td)
    header = parse_header(payload)
    data = _parse_record(find(payload, "hl7:controlActProcess"), header, admin=True)
    raise_for_acknowledgement(
        header,
        transaction=TD1_3A.td,
        message_id=message.envelope.relates_to,
        query_response_code=data["query_response_code"],
    )
    return AdministrativeData(**data)


def _response(
    result: _DossierBase,
    request: SoapMessage,
    spec: TransactionSpec,
    clock: Callable[[], dt.datetime],
    attention: Callable[[etree._Element], None] | None = None,
) -> SoapResponse:
    payload = hl7_payload(request, _BODY, transaction=spec.td)
    header = parse_header(payload)
    message = new_response_message(_RESPONSE, request=header, created=clock())
    if attention is not None:
        attention(message)
    add_acknowledgement(message, "AA", target=header.message_id)
    control = el(message, "controlActProcess", classCode="CACT", moodCode="EVN")
    request_control = find(payload, "hl7:controlActProcess")
    echo_reason_code(control, request_control)
    _build_record(control, result)
    echo_query_ack(control, request_control, result.query_response_code)
    return build_response(message, action=spec.response_action, relates_to=request.envelope.message_id)


def build_test_existence_response(
    result: ExistenceResult, *, request: SoapMessage, clock: Callable[[], dt.datetime] = utc_now
) -> SoapResponse:
    """Sandbox: the ``PRPA_IN201308UV02`` answering a TD0.2 request (ids and reasonCode echoed)."""

    def attention(message: etree._Element) -> None:
        if result.authorization is not None:
            add_attention_line(
                message,
                "AUTORISATION",
                AUTORISATION_KEYWORD_SYSTEM,
                value_type="CV",
                code=str(result.authorization),
                code_system=AUTORISATION_VALUE_SYSTEM,
            )
        if result.treating_physician is not None:
            add_attention_line(
                message,
                "STATUT_MT",
                STATUT_MT_KEYWORD_SYSTEM,
                value_type="BL",
                value="true" if result.treating_physician else "false",
            )
        for line in result.other_attention_lines:
            add_attention_line(
                message,
                line.keyword,
                line.keyword_system or "",
                value_type=line.value_type or "ST",
                code=line.code,
                code_system=line.code_system,
                value=line.value,
            )

    return _response(result, request, TD0_2, clock, attention)


def build_administrative_data_response(
    result: AdministrativeData, *, request: SoapMessage, clock: Callable[[], dt.datetime] = utc_now
) -> SoapResponse:
    """Sandbox: the ``PRPA_IN201308UV02`` answering a TD1.3a request."""
    return _response(result, request, TD1_3A, clock)


def build_test_existence_error(
    request: SoapMessage, *, code: str | None, text: str | None, type_code: Literal["AE", "AR"] = "AE"
) -> SoapResponse:
    """Sandbox: a TD0.2 refusal (acknowledgement ``AE``/``AR`` + acknowledgementDetail code and text)."""
    return error_response(
        request,
        response_interaction=_RESPONSE,
        response_action=TD0_2.response_action,
        code=code,
        text=text,
        type_code=type_code,
    )


def build_administrative_data_error(
    request: SoapMessage, *, code: str | None, text: str | None, type_code: Literal["AE", "AR"] = "AE"
) -> SoapResponse:
    """Sandbox: a TD1.3a refusal (acknowledgement ``AE``/``AR``)."""
    return error_response(
        request,
        response_interaction=_RESPONSE,
        response_action=TD1_3A.response_action,
        code=code,
        text=text,
        type_code=type_code,
    )
