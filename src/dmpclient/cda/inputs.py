"""Typed inputs of the CDA builder: patient (INS identity traits), people, organisations, header.

Everything is a frozen pydantic model, so that a document description can be loaded from JSON or TOML
(``DocumentHeaderInput.model_validate(data)``) and checked field by field. The acting party is described
once (:class:`~dmpclient.context.ActingContext`) and :meth:`DocumentHeaderInput.from_context` derives the
authors, custodian, legal authenticator, performer and facility from it.

Reference: ``cda.md`` §1–2 and §5.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)

from dmpclient._models import InputModel
from dmpclient.context import ActingContext, Professional, Structure
from dmpclient.errors import InputError, InvalidValue
from dmpclient.ids import IDNPS_OID, IDNST_OID, INS, validate_oid, validate_unique_id
from dmpclient.terminology._model import Code

from ._common import CONFIDENTIALITY_SYSTEM, LOINC

__all__ = [
    "Address",
    "Author",
    "CodeLike",
    "DocumentHeaderInput",
    "Encounter",
    "InstanceId",
    "LegalAuthenticator",
    "Organization",
    "Patient",
    "Performer",
    "Person",
    "ServiceEvent",
    "Telecom",
    "code_from",
    "document_type_code",
    "input_error_from",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _to_ins(value: Any) -> INS:
    if isinstance(value, INS):
        return value
    if isinstance(value, str):
        return INS.from_cx(value) if "^" in value else INS.parse(value)
    if isinstance(value, dict):
        return INS.parse(str(value.get("matricule", "")), value.get("oid", "1.2.250.1.213.1.4.10"))
    raise InvalidValue("expected an INS, a matricule, a CX or {matricule, oid}", field="patient.ins", value=value)


INSField = Annotated[INS, PlainValidator(_to_ins), PlainSerializer(lambda i: i.to_cx(), return_type=str)]


def code_from(value: Any, *, default_system: str | None = None, field: str = "code") -> Code:
    """A :class:`Code` from a Code, a dict ``{code, code_system|system, display}``, a ``(code, system[, display])``
    tuple, or ``"code@system"`` / a bare code with ``default_system``."""
    if isinstance(value, Code):
        return value
    if isinstance(value, dict):
        data = dict(value)
        if "system" in data and "code_system" not in data:
            data["code_system"] = data.pop("system")
        if "code_system" not in data and default_system:
            data["code_system"] = default_system
        return Code.model_validate(data)
    if isinstance(value, list | tuple) and 2 <= len(value) <= 3:
        return Code(*[str(v) for v in value])
    if isinstance(value, str):
        if "@" in value:
            code, system = value.split("@", 1)
            return Code(code, system)
        if default_system:
            return Code(value, default_system)
    raise InvalidValue(
        "expected a code: {code, code_system, display}, [code, system, display] or 'code@system'",
        field=field,
        value=value,
    )


def document_type_code(value: Any) -> Code:
    """A document type code (JDV_J07) from a Code, a dict, a tuple or a bare code (``"11490-0"``, ``"SYNTH"``).

    A bare code is looked up in J07 (system and display name); a code without display gets the J07 display.
    Unknown bare codes are taken as LOINC.
    """
    from dmpclient.terminology import value_set

    j07 = value_set("J07")
    if isinstance(value, str) and "@" not in value:
        found = j07.lookup(value.strip())
        return found if found is not None else Code(value.strip(), LOINC)
    code = code_from(value, default_system=LOINC, field="type_code")
    if code.display is None:
        display = j07.display(code.code, code.code_system)
        if display:
            return code.with_display(display)
    return code


def _code_validator(value: Any) -> Code:
    return code_from(value)


#: A :class:`Code` field that also accepts dicts, tuples and ``"code@system"`` strings.
CodeLike = Annotated[Code, PlainValidator(_code_validator), PlainSerializer(lambda c: c.model_dump(), return_type=dict)]

When = datetime | date


def input_error_from(exc: ValidationError, *, prefix: str = "") -> InputError:
    """The first error of a pydantic ``ValidationError`` as an :class:`InputError` naming field, value and rule.

    An :class:`InputError` raised by one of our validators is returned as it was raised. The models of this
    module raise :class:`~dmpclient._models.InvalidInput` themselves (every problem kept); this helper is for
    ``ValidationError`` of other pydantic models.
    """
    first = exc.errors()[0]
    original = (first.get("ctx") or {}).get("error")
    if isinstance(original, InputError):
        return original
    field = ".".join(str(p) for p in (prefix, *first.get("loc", ())) if p != "")
    return InputError(
        first.get("msg", "invalid value"), field=field or None, value=first.get("input"), rule=first.get("type")
    )


class InstanceId(InputModel):
    """An HL7 ``II``: ``root`` OID and optional ``extension``."""

    model_config = _FROZEN

    root: str
    extension: str | None = None

    @field_validator("root")
    @classmethod
    def _oid(cls, value: str) -> str:
        return validate_oid(value, field="id.root")


class Address(InputModel):
    """A postal address (``addr``): structured parts as the kit examples write them."""

    model_config = _FROZEN

    house_number: str | None = None
    street_name: str | None = None
    street_address_line: str | None = None
    unit_id: str | None = None
    postal_code: str | None = None
    city: str | None = None
    county: str | None = None
    country: str | None = None
    use: str | None = None


class Telecom(InputModel):
    """A telecom address (``tel:…``, ``mailto:…``, ``fax:…``) with its ``use`` (``WP``, ``H``, ``MC``…)."""

    model_config = _FROZEN

    value: str
    use: str | None = None

    @field_validator("value")
    @classmethod
    def _scheme(cls, value: str) -> str:
        if ":" not in value:
            raise InvalidValue("a telecom value is a URL (tel:, mailto:, fax:)", field="telecom.value", value=value)
        return value


class Person(InputModel):
    """A health professional (or other person) identified by a national id (IDNPS by default).

    Attributes:
        idnat: national id (``8``+RPPS, ``0``+ADELI, ``<structure>/<local id>``) — ``id/@extension``.
        id_root: ``id/@root`` (IDNPS ``1.2.250.1.71.4.2.1``).
        specialty: ``code`` of the role: profession/savoir-faire (JDV_J01, e.g. ``G15_10/SM26``).
    """

    model_config = _FROZEN

    idnat: str = Field(min_length=1)
    id_root: str = IDNPS_OID
    family_name: str = Field(min_length=1)
    given_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None
    specialty: CodeLike | None = None
    address: Address | None = None
    telecoms: tuple[Telecom, ...] = ()

    @classmethod
    def from_professional(cls, professional: Professional) -> Person:
        """From the acting professional (national id, names, TRE_A02 author specialty)."""
        return cls(
            idnat=professional.id.value,
            family_name=professional.family_name,
            given_name=professional.given_name,
            prefix=professional.prefix,
            specialty=professional.derived_author_specialty,
            telecoms=tuple(Telecom(value=t) for t in professional.telecoms if ":" in t),
        )


class Organization(InputModel):
    """An organisation identified by a structure national id (IDNST by default)."""

    model_config = _FROZEN

    idnat: str | None = None
    id_root: str = IDNST_OID
    name: str | None = None
    address: Address | None = None
    telecoms: tuple[Telecom, ...] = ()

    @classmethod
    def from_structure(cls, structure: Structure) -> Organization:
        """From the acting structure (EG in EJ/EG mode)."""
        return cls(idnat=structure.id.idnat, name=structure.name)


class Author(InputModel):
    """A CDA ``author``: the person (``assignedAuthor``), when, and the organisation represented.

    ``function_code`` (JDV_J47) becomes the XDS authorRole display.
    """

    model_config = _FROZEN

    person: Person
    time: When | None = None
    organization: Organization | None = None
    function_code: CodeLike | None = None

    @classmethod
    def from_context(cls, context: ActingContext, *, time: When | None = None) -> Author:
        """The author of a document written by the acting professional for the acting structure."""
        return cls(
            person=Person.from_professional(context.professional),
            time=time,
            organization=Organization.from_structure(context.structure),
        )


class LegalAuthenticator(InputModel):
    """The person legally responsible for the document (``signatureCode S``)."""

    model_config = _FROZEN

    person: Person
    time: When | None = None


class Performer(InputModel):
    """The performer of the documented act; ``cadre_exercice`` (TRE_A01, JDV_J04) → XDS practiceSettingCode."""

    model_config = _FROZEN

    person: Person
    organization: Organization
    cadre_exercice: CodeLike
    function_code: CodeLike | None = None


class ServiceEvent(InputModel):
    """``documentationOf/serviceEvent``: the act documented (code → XDS eventCode; times → service times)."""

    model_config = _FROZEN

    performer: Performer
    start: When | None = None
    stop: When | None = None
    code: CodeLike | None = None
    id: InstanceId | None = None


class Encounter(InputModel):
    """``componentOf/encompassingEncounter``: the care context.

    Attributes:
        facility_code: secteur d'activité (TRE_R02, JDV_J02) → XDS healthcareFacilityTypeCode.
        facility_id: ``healthCareFacility/id`` (the structure), optional.
        responsible: ``responsibleParty`` (IDNPS-identified); optional.
    """

    model_config = _FROZEN

    facility_code: CodeLike
    start: When | None = None
    stop: When | None = None
    code: CodeLike | None = None
    facility_id: InstanceId | None = None
    responsible: Person | None = None


class Patient(InputModel):
    """The patient and the INS identity traits (``cda.md`` §1).

    Attributes:
        ins: the qualified INS (first ``patientRole/id``): a matricule (test OID by default), a CX or
            ``{matricule, oid}``.
        birth_family_name: nom de naissance (``family qualifier="BR"``).
        birth_given_names: the list of birth given names (the first is ``given qualifier="BR"``, the whole list
            is written in one ``given`` without qualifier, space separated, as the kit does).
        used_family_name / used_given_name: nom / prénom utilisés (qualifier ``CL``), optional.
        sex: ``M``, ``F`` or ``U`` (JDV_J143 / HL7 AdministrativeGender).
        birth_date: date de naissance.
        birthplace_code: code officiel géographique (COG INSEE) of the birthplace (``99xxx`` abroad).
        ipp: local patient id (second ``patientRole/id``): ``{root: <IPP domain OID>, extension: <IPP>}``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    ins: INSField
    birth_family_name: str = Field(min_length=1)
    birth_given_names: tuple[str, ...] = Field(min_length=1)
    sex: Literal["M", "F", "U"]
    birth_date: date
    birthplace_code: str | None = None
    birthplace_city: str | None = None
    used_family_name: str | None = None
    used_given_name: str | None = None
    ipp: InstanceId | None = None
    address: Address | None = None
    telecoms: tuple[Telecom, ...] = ()

    @field_validator("birth_given_names", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part for part in value.split() if part)
        return value

    @field_validator("birthplace_code")
    @classmethod
    def _cog(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) != 5 or not (value.isdigit() or (value[:2].upper() in ("2A", "2B") and value[2:].isdigit())):
            raise InvalidValue(
                "the birthplace is the 5-character INSEE COG code (99xxx abroad, 2A/2B for Corsica)",
                field="patient.birthplace_code",
                value=value,
                rule="INS traits: lieu de naissance",
            )
        return value.upper()

    @property
    def first_birth_given_name(self) -> str:
        """Premier prénom de naissance (``given qualifier="BR"``)."""
        return self.birth_given_names[0]


class DocumentHeaderInput(InputModel):
    """Everything the header of a CI-SIS document needs.

    ``unique_id`` (= ``ClinicalDocument/id/@root`` = XDS uniqueId), ``effective_time`` and ``set_id`` are
    generated at build time when left empty (ids and clock are injectable there). A replacement has
    ``replaces`` = the id of the replaced version, the same ``set_id`` and ``version`` ≥ 2 (``cda.md`` §5).
    """

    model_config = _FROZEN

    type_code: CodeLike
    title: str = Field(min_length=1)
    patient: Patient
    authors: tuple[Author, ...] = Field(min_length=1)
    custodian: Organization
    legal_authenticator: LegalAuthenticator
    service_event: ServiceEvent
    encounter: Encounter
    confidentiality: CodeLike = Code("N", CONFIDENTIALITY_SYSTEM, "Normal")
    language: str = "fr-FR"
    unique_id: str | None = None
    effective_time: When | None = None
    set_id: str | None = None
    version: int = Field(default=1, ge=1)
    replaces: str | None = None

    @field_validator("unique_id", "replaces")
    @classmethod
    def _plain_oid(cls, value: str | None) -> str | None:
        return None if value is None else validate_unique_id(value, field="unique_id")

    @field_validator("set_id")
    @classmethod
    def _set_oid(cls, value: str | None) -> str | None:
        return None if value is None else validate_oid(value, field="set_id")

    @model_validator(mode="after")
    def _replacement(self) -> DocumentHeaderInput:
        if self.replaces is not None:
            if self.version < 2:
                raise InputError(
                    "a replacement (relatedDocument RPLC) has versionNumber ≥ 2",
                    field="version",
                    value=self.version,
                    rule="CI-SIS §3.5.5.11",
                )
            if self.set_id is None:
                raise InputError(
                    "a replacement keeps the setId of the replaced document: give set_id",
                    field="set_id",
                    value=None,
                    rule="CI-SIS §3.5.5.11",
                )
            if self.replaces == self.unique_id:
                raise InputError(
                    "a replacement has a new id, different from the replaced one",
                    field="unique_id",
                    value=self.unique_id,
                    rule="CI-SIS §3.5.5.10",
                )
        elif self.version > 1 and self.set_id is None:
            raise InputError(
                "a version > 1 keeps the setId of version 1: give set_id",
                field="set_id",
                value=None,
                rule="CI-SIS §3.5.5.11",
            )
        return self

    @classmethod
    def from_data(cls, data: Any) -> DocumentHeaderInput:
        """Validate a plain mapping (from JSON/TOML); errors are raised as :class:`InputError`.

        Same as :meth:`model_validate`: every problem is kept (:class:`~dmpclient._models.InvalidInput`).
        """
        return cls.model_validate(data)

    @classmethod
    def from_context(
        cls,
        context: ActingContext,
        *,
        patient: Patient,
        type_code: Code | str | tuple[str, ...] | dict[str, Any],
        title: str,
        service_start: When | None = None,
        service_stop: When | None = None,
        service_code: Code | None = None,
        encounter_start: When | None = None,
        encounter_stop: When | None = None,
        author_time: When | None = None,
        legal_authenticator: Person | None = None,
        extra_authors: Sequence[Author] = (),
        **kwargs: Any,
    ) -> DocumentHeaderInput:
        """A header for a document written by the acting professional for the acting structure.

        The author, custodian, legal authenticator, performer (with the structure's cadre d'exercice) and
        the healthcare facility (secteur d'activité) all come from ``context`` — nobody types the structure
        id twice. ``type_code`` may be a bare LOINC code (``"11490-0"``). Other header fields go in ``kwargs``.
        """
        person = Person.from_professional(context.professional)
        org = Organization.from_structure(context.structure)
        cadre = context.structure.cadre_exercice
        if cadre is None:
            raise InputError(
                "the structure needs a cadre d'exercice (TRE_A01) for the performer's standardIndustryClassCode",
                field="structure.cadre_exercice",
                value=None,
                rule="CI-SIS documentationOf/performer",
            )
        return cls(
            type_code=document_type_code(type_code),
            title=title,
            patient=patient,
            authors=(Author(person=person, time=author_time, organization=org), *extra_authors),
            custodian=org,
            legal_authenticator=LegalAuthenticator(person=legal_authenticator or person, time=author_time),
            service_event=ServiceEvent(
                performer=Performer(person=person, organization=org, cadre_exercice=cadre),
                start=service_start,
                stop=service_stop,
                code=service_code,
            ),
            encounter=Encounter(
                facility_code=context.structure.secteur_activite,
                start=encounter_start if encounter_start is not None else service_start,
                stop=encounter_stop,
                facility_id=InstanceId(root=IDNST_OID, extension=context.structure.id.idnat),
                responsible=person,
            ),
            **kwargs,
        )
