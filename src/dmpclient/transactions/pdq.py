"""TD0.5 — recherche d'un patient sans INS (IHE PDQv3 ``PRPA_IN201305UV02`` → ``PRPA_IN201306UV02`` on the
``patientsPDQ`` service). **Régulation only**: allowed only in centre 15 access mode (PDT-INF-526/606; "uniquement
destinée aux logiciels de régulation médicale"); :func:`build_patient_search_request` refuses any other mode
before building.

Search parameters (``transactions.md`` §2.4): the official example sends only ``livingSubjectName/value/family``
[V]; given name, birth date, sex, postal code and city are encoded as IHE PDQv3 does (``livingSubject*``,
``patientAddress``) and the approximate search as the IHE fuzzy-name convention ``value/@use="SRCH"`` [I — the
DMP's exact encoding is not public].

Results: one :class:`PatientCandidate` per ``subject`` with its match percentage (``queryMatchObservation``
``POURCENTAGE``) and its ``OPPOSITION_ACCES_URGENCE`` flag. Too many results: the DMP answers ``AE`` [V2];
the parser raises :class:`TooManyResults` when the acknowledgement detail says so (code containing
``TooMany`` or a French text "trop de …" [I]), any other ``AE``/``AR`` is an
:class:`~dmpclient.errors.HL7AcknowledgementError`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Final, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, model_validator

from dmpclient._models import InputModel
from dmpclient._xml import q
from dmpclient.environments import Service
from dmpclient.errors import HL7AcknowledgementError, ProtocolError
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse, build_response
from dmpclient.transactions import rights
from dmpclient.transactions._base import RequestContext, register_spec, utc_now
from dmpclient.transactions._hl7v3 import (
    INTERACTION_ID_ROOT,
    add_acknowledgement,
    echo_query_ack,
    el,
    error_response,
    find,
    findall,
    hl7_payload,
    new_query_request,
    new_response_message,
    parse_header,
    query_response_code,
    raise_for_acknowledgement,
    text_of,
)
from dmpclient.transactions.patients import (
    Address,
    AdministrativeObservation,
    PatientIdentifier,
    PatientTraits,
    build_address,
    build_custodian,
    build_observation,
    build_registration,
    build_traits,
    parse_address,
    parse_observation,
    parse_patient_ids,
    parse_traits,
)

__all__ = [
    "TD0_5",
    "TOO_MANY_RESULTS_CODE",
    "PatientCandidate",
    "PatientSearch",
    "PatientSearchResult",
    "TooManyResults",
    "build_patient_search_error",
    "build_patient_search_request",
    "build_patient_search_response",
    "build_too_many_results_response",
    "parse_patient_search_request",
    "parse_patient_search_response",
]

_BODY: Final = "PRPA_IN201305UV02"
_RESPONSE: Final = "PRPA_IN201306UV02"
_QUERY_CODE: Final = "PRPA_TE201305UV02"
_RESPONSE_CODE: Final = "PRPA_TE201306UV02"

TD0_5: Final = register_spec(
    "TD0.5", "patient_search", "Recherche d'un patient sans INS (régulation)", Service.PATIENTS_PDQ, q("hl7", _BODY)
)

#: The acknowledgementDetail code the sandbox sends for "too many results" ([I]: the DMP's code is not public).
TOO_MANY_RESULTS_CODE: Final = "DMPTooManyResults"
_TOO_MANY_TEXT: Final = re.compile(r"trop\s+(de|grand)", re.IGNORECASE)
_MODEL = ConfigDict(frozen=True, extra="forbid")
_DATE_RE: Final = re.compile(r"^[0-9]{4}([0-9]{2}([0-9]{2})?)?$")


class TooManyResults(HL7AcknowledgementError):
    """TD0.5: the search matched too many patients; narrow it (more criteria, exact name)."""


class PatientSearch(InputModel):
    """TD0.5 search criteria (at least one).

    Attributes:
        family: family name (``livingSubjectName/value/family``).
        given: given name.
        birth_date: ``yyyy[MM[dd]]``.
        gender: ``M``, ``F`` or ``U`` (administrative gender).
        postal_code / city: ``patientAddress``.
        approximate: approximate name search (``value/@use="SRCH"`` [I]).
    """

    model_config = _MODEL

    family: str | None = None
    given: str | None = None
    birth_date: str | None = None
    gender: Literal["M", "F", "U"] | None = None
    postal_code: str | None = None
    city: str | None = None
    approximate: bool = False

    @model_validator(mode="after")
    def _check(self) -> PatientSearch:
        if not any((self.family, self.given, self.birth_date, self.gender, self.postal_code, self.city)):
            raise ValueError("give at least one search criterion")
        if self.birth_date is not None and not _DATE_RE.match(self.birth_date):
            raise ValueError("birth_date must be yyyy[MM[dd]]")
        return self


class PatientCandidate(BaseModel):
    """One patient found by TD0.5.

    Attributes:
        patient_ids: INS and INS-C of the candidate.
        traits: identity traits (not authoritative; check the INS before using the DMP).
        address: the patient's address (city, postal code).
        match_percentage: ``queryMatchObservation`` ``POURCENTAGE``.
        observations: administrative observations (``OPPOSITION_ACCES_URGENCE`` …), unknown ones kept.
    """

    model_config = _MODEL

    patient_ids: tuple[PatientIdentifier, ...] = ()
    patient_status: str | None = None
    traits: PatientTraits | None = None
    address: Address | None = None
    match_percentage: int | None = None
    observations: tuple[AdministrativeObservation, ...] = ()

    @property
    def opposition_acces_urgence(self) -> bool | None:
        """The patient opposed emergency (centre 15) access: the DMP will refuse it (``DMPAccessForbidden``)."""
        obs = next((o for o in self.observations if o.code == "OPPOSITION_ACCES_URGENCE"), None)
        return obs.flag if obs is not None else None

    @property
    def ins(self) -> PatientIdentifier | None:
        """The INS identifier (not the INS-C)."""
        return next((p for p in self.patient_ids if p.ins is not None), None)


class PatientSearchResult(BaseModel):
    """TD0.5 result: the candidates (iterable, sized, indexable) and the query counters."""

    model_config = _MODEL

    candidates: tuple[PatientCandidate, ...] = ()
    query_response_code: str = "OK"
    total: int | None = None
    current: int | None = None
    remaining: int | None = None

    def __iter__(self) -> Iterator[PatientCandidate]:  # type: ignore[override]
        return iter(self.candidates)

    def __len__(self) -> int:
        return len(self.candidates)

    def __getitem__(self, index: int) -> PatientCandidate:
        return self.candidates[index]


# ------------------------------------------------------------------------------------------ request


def build_patient_search_request(ctx: RequestContext, search: PatientSearch) -> SoapRequest:
    """TD0.5 ``PRPA_IN201305UV02`` (no patient in the VIHF).

    Raises:
        RuleViolation: not in régulation (centre 15) access mode, or refused by the rights matrix.
    """
    ctx.require_right(rights.RightsAction.TD0_5_SEARCH_WITHOUT_INS)
    message, params = new_query_request(
        _BODY,
        software=ctx.acting.software,
        created=ctx.clock(),
        control_code="code",
        control_attrs={"code": _QUERY_CODE, "codeSystem": INTERACTION_ID_ROOT},
    )
    if search.gender is not None:
        p = el(params, "livingSubjectAdministrativeGender")
        el(p, "value", code=search.gender)
        el(p, "semanticsText", "LivingSubject.administrativeGender")
    if search.birth_date is not None:
        p = el(params, "livingSubjectBirthTime")
        el(p, "value", value=search.birth_date)
        el(p, "semanticsText", "LivingSubject.birthTime")
    if search.family is not None or search.given is not None:
        p = el(params, "livingSubjectName")
        value = el(p, "value", use="SRCH" if search.approximate else None)
        if search.given is not None:
            el(value, "given", search.given)
        if search.family is not None:
            el(value, "family", search.family)
        el(p, "semanticsText", "LivingSubject.name")
    if search.postal_code is not None or search.city is not None:
        p = el(params, "patientAddress")
        build_address(p, Address(postal_code=search.postal_code, city=search.city), tag="value")
        el(p, "semanticsText", "Patient.addr")
    return ctx.request(TD0_5, message, patient=None)


def parse_patient_search_request(message: SoapMessage) -> PatientSearch:
    """Sandbox: the search criteria of a TD0.5 request.

    Raises:
        ProtocolError: not a ``PRPA_IN201305UV02`` or no usable criterion.
    """
    payload = hl7_payload(message, _BODY, transaction=TD0_5.td)
    params = find(payload, "hl7:controlActProcess/hl7:queryByParameter/hl7:parameterList")
    name = find(params, "hl7:livingSubjectName/hl7:value")
    gender = find(params, "hl7:livingSubjectAdministrativeGender/hl7:value")
    birth = find(params, "hl7:livingSubjectBirthTime/hl7:value")
    addr = parse_address(find(params, "hl7:patientAddress/hl7:value"))
    try:
        return PatientSearch(
            family=text_of(find(name, "hl7:family")),
            given=text_of(find(name, "hl7:given")),
            birth_date=birth.get("value") if birth is not None else None,
            gender=gender.get("code") if gender is not None else None,
            postal_code=addr.postal_code if addr is not None else None,
            city=addr.city if addr is not None else None,
            approximate=name is not None and name.get("use") == "SRCH",
        )
    except ValueError as exc:
        raise ProtocolError(f"TD0.5: invalid search: {str(exc).splitlines()[0]}") from None


# ----------------------------------------------------------------------------------------- response


def _int(node: etree._Element | None) -> int | None:
    value = node.get("value") if node is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_patient_search_response(message: SoapMessage) -> PatientSearchResult:
    """Client: the candidates of a TD0.5 response (``NF`` = no candidate, not an error).

    Raises:
        SoapFaultError: SOAP fault.
        TooManyResults: ``AE`` saying the search matched too many patients.
        HL7AcknowledgementError: any other ``AE``/``AR``.
    """
    payload = hl7_payload(message, _RESPONSE, transaction=TD0_5.td)
    header = parse_header(payload)
    control = find(payload, "hl7:controlActProcess")
    query_code = query_response_code(control)
    ack = header.acknowledgement
    too_many = (
        ack is not None
        and not ack.accepted
        and any("toomany" in (d.code or "").lower() or _TOO_MANY_TEXT.search(d.text or "") for d in ack.details)
    )
    raise_for_acknowledgement(
        header,
        transaction=TD0_5.td,
        message_id=message.envelope.relates_to,
        query_response_code=query_code,
        error=TooManyResults if too_many else HL7AcknowledgementError,
    )
    candidates = []
    for patient in findall(control, "hl7:subject/hl7:registrationEvent/hl7:subject1/hl7:patient"):
        status = find(patient, "hl7:statusCode")
        person = find(patient, "hl7:patientPerson")
        percentage = None
        for match in findall(patient, "hl7:subjectOf1/hl7:queryMatchObservation"):
            code = find(match, "hl7:code")
            if code is not None and code.get("code") == "POURCENTAGE":
                percentage = _int(find(match, "hl7:value"))
        observations = [parse_observation(o) for o in findall(patient, "hl7:subjectOf2/hl7:administrativeObservation")]
        candidates.append(
            PatientCandidate(
                patient_ids=parse_patient_ids(patient),
                patient_status=status.get("code") if status is not None else None,
                traits=parse_traits(person),
                address=parse_address(find(person, "hl7:addr")),
                match_percentage=percentage,
                observations=tuple(o for o in observations if o is not None),
            )
        )
    ack_node = find(control, "hl7:queryAck")
    return PatientSearchResult(
        candidates=tuple(candidates),
        query_response_code=query_code or ("OK" if candidates else "NF"),
        total=_int(find(ack_node, "hl7:resultTotalQuantity")),
        current=_int(find(ack_node, "hl7:resultCurrentQuantity")),
        remaining=_int(find(ack_node, "hl7:resultRemainingQuantity")),
    )


def build_patient_search_response(
    result: PatientSearchResult, *, request: SoapMessage, clock: Callable[[], dt.datetime] = utc_now
) -> SoapResponse:
    """Sandbox: the ``PRPA_IN201306UV02`` answering a TD0.5 request (query echoed, like the DMP)."""
    payload = hl7_payload(request, _BODY, transaction=TD0_5.td)
    header = parse_header(payload)
    message = new_response_message(_RESPONSE, request=header, created=clock())
    add_acknowledgement(message, "AA", target=header.message_id)
    control = el(message, "controlActProcess", classCode="CACT", moodCode="EVN")
    el(control, "code", code=_RESPONSE_CODE, codeSystem=INTERACTION_ID_ROOT)
    for candidate in result.candidates:
        event, patient = build_registration(
            control,
            event_status="active",
            effective_time=None,
            patient_ids=candidate.patient_ids,
            patient_status=candidate.patient_status,
        )
        if candidate.traits is not None or candidate.address is not None:
            person = el(patient, "patientPerson", classCode="PSN", determinerCode="INSTANCE")
            if candidate.traits is not None:
                build_traits(person, candidate.traits)
            if candidate.address is not None:
                build_address(person, candidate.address, city_first=True)
        if candidate.match_percentage is not None:
            holder = el(patient, "subjectOf1", typeCode="SBJ")
            match = el(holder, "queryMatchObservation", classCode="COND", moodCode="EVN")
            el(match, "code", code="POURCENTAGE")
            el(match, "value", value=str(candidate.match_percentage), xsi_type="INT")
        for obs in candidate.observations:
            build_observation(patient, obs, holder="subjectOf2")
        build_custodian(event)
    request_control = find(payload, "hl7:controlActProcess")
    ack = echo_query_ack(control, request_control, result.query_response_code)
    for local, value in (
        ("resultTotalQuantity", result.total),
        ("resultCurrentQuantity", result.current),
        ("resultRemainingQuantity", result.remaining),
    ):
        if value is not None:
            el(ack, local, value=str(value))
    request_query = find(request_control, "hl7:queryByParameter")
    if request_query is not None:
        control.append(copy.deepcopy(request_query))
    return build_response(message, action=TD0_5.response_action, relates_to=request.envelope.message_id)


def build_patient_search_error(
    request: SoapMessage, *, code: str | None, text: str | None, type_code: Literal["AE", "AR"] = "AE"
) -> SoapResponse:
    """Sandbox: a TD0.5 refusal (acknowledgement ``AE``/``AR`` + acknowledgementDetail)."""
    return error_response(
        request,
        response_interaction=_RESPONSE,
        response_action=TD0_5.response_action,
        code=code,
        text=text,
        type_code=type_code,
        control_act=_RESPONSE_CODE,
    )


def build_too_many_results_response(
    request: SoapMessage, *, text: str = "Trop de résultats : veuillez affiner les critères de recherche."
) -> SoapResponse:
    """Sandbox: the "too many results" answer (``AE`` + :data:`TOO_MANY_RESULTS_CODE`; wording [I])."""
    return build_patient_search_error(request, code=TOO_MANY_RESULTS_CODE, text=text)
