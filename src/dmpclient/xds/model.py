"""The simplified XDS metadata model (pydantic v2), kept apart from its ebRIM 3.0 binding.

Public classes (names are stable; other modules code against them):

* values — :class:`Code` (re-export of :class:`dmpclient.terminology.Code`), :class:`Person` (XCN),
  :class:`Organization` (XON), :class:`Author`, :class:`PatientInfo` (``sourcePatientInfo``);
* objects — :class:`DocumentEntry`, :class:`SubmissionSet`, :class:`Association`, :class:`ObjectRef`;
* enums — :class:`AvailabilityStatus`, :class:`AssociationType`, :class:`ResponseStatus`,
  :class:`ReturnType`, :class:`MessageKind`;
* read flags — :class:`ReadIssue` (a value that could not be understood, kept raw) and :class:`CodeFlag`
  (a code absent from the built-in value set); reading never raises for those;
* messages — :class:`SubmissionRequest` (submission set + entries + associations; ITI-41 metadata, ITI-57),
  :class:`DocumentPart` and :class:`ProvideAndRegisterRequest` (ITI-41), :class:`AdhocQueryRequest` and
  :class:`QueryResponse` (ITI-18), :class:`RegistryResponse`, :class:`DocumentRequest`,
  :class:`RetrieveDocumentSetRequest`, :class:`RetrievedDocument`, :class:`RetrieveDocumentSetResponse`
  (ITI-43), and :class:`ParsedMessage` (what :func:`dmpclient.xds.parse_message` returns).

Times are timezone-aware :class:`~datetime.datetime` values (naive ones are refused); they are written in
UTC ``YYYYMMDDhhmmss``. When the registry sent less than seconds, the precision is kept in
``time_precisions`` (slot name → :class:`~dmpclient.hl7v2.Precision`) so that re-writing gives the same text.

Identifiers (see ``docs/xds/metadata.md``): ``entry_uuid`` is the ``@id`` of the object (symbolic in a
request, ``urn:uuid:`` from the registry, changes at every metadata version); ``logical_id`` (``@lid``) is
stable across versions; ``unique_id`` is the sender's OID, equal to the CDA ``id/@root``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from dmpclient._models import InputModel
from dmpclient.errors import InputError, InvalidValue, RegistryError, RegistryErrorItem
from dmpclient.hl7v2 import CX, HD, XCN, XON, Precision, escape, split_components, unescape
from dmpclient.ids import IDNPS_OID, IDNST_OID, INS
from dmpclient.terminology import CONFIDENTIALITY_NORMAL, AvailabilityStatus, Code
from dmpclient.xds.constants import (
    DE_OBJECT_TYPE_STABLE,
    RESPONSE_STATUS_FAILURE,
    RESPONSE_STATUS_PARTIAL_SUCCESS,
    RESPONSE_STATUS_SUCCESS,
)

__all__ = [
    "IDNPS_OID",
    "IDNST_OID",
    "AdhocQueryRequest",
    "Association",
    "AssociationType",
    "Author",
    "AvailabilityStatus",
    "Code",
    "CodeFlag",
    "DocumentEntry",
    "DocumentPart",
    "DocumentRequest",
    "MessageKind",
    "ObjectRef",
    "Organization",
    "ParsedMessage",
    "PatientInfo",
    "Person",
    "ProvideAndRegisterRequest",
    "QueryResponse",
    "ReadIssue",
    "RegistryResponse",
    "ResponseStatus",
    "RetrieveDocumentSetRequest",
    "RetrieveDocumentSetResponse",
    "RetrievedDocument",
    "ReturnType",
    "SubmissionRequest",
    "SubmissionSet",
    "format_cwe",
    "parse_cwe",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


# ------------------------------------------------------------------------------------------- enums


class AssociationType(StrEnum):
    """``Association/@associationType`` URNs."""

    HAS_MEMBER = "urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember"
    RPLC = "urn:ihe:iti:2007:AssociationType:RPLC"
    XFRM = "urn:ihe:iti:2007:AssociationType:XFRM"
    APND = "urn:ihe:iti:2007:AssociationType:APND"
    XFRM_RPLC = "urn:ihe:iti:2007:AssociationType:XFRM_RPLC"
    SIGNS = "urn:ihe:iti:2007:AssociationType:signs"
    IS_SNAPSHOT_OF = "urn:ihe:iti:2010:AssociationType:IsSnapshotOf"
    UPDATE_AVAILABILITY_STATUS = "urn:ihe:iti:2010:AssociationType:UpdateAvailabilityStatus"
    SUBMIT_ASSOCIATION = "urn:ihe:iti:2010:AssociationType:SubmitAssociation"


class ResponseStatus(StrEnum):
    """``RegistryResponse/@status`` and ``AdhocQueryResponse/@status``."""

    SUCCESS = RESPONSE_STATUS_SUCCESS
    FAILURE = RESPONSE_STATUS_FAILURE
    PARTIAL_SUCCESS = RESPONSE_STATUS_PARTIAL_SUCCESS


class ReturnType(StrEnum):
    """``ResponseOption/@returnType`` of an AdhocQueryRequest."""

    LEAF_CLASS = "LeafClass"
    OBJECT_REF = "ObjectRef"


class MessageKind(StrEnum):
    """The XDS messages :func:`dmpclient.xds.parse_message` recognises."""

    SUBMIT_OBJECTS_REQUEST = "SubmitObjectsRequest"
    PROVIDE_AND_REGISTER_REQUEST = "ProvideAndRegisterDocumentSetRequest"
    ADHOC_QUERY_REQUEST = "AdhocQueryRequest"
    ADHOC_QUERY_RESPONSE = "AdhocQueryResponse"
    REGISTRY_RESPONSE = "RegistryResponse"
    RETRIEVE_REQUEST = "RetrieveDocumentSetRequest"
    RETRIEVE_RESPONSE = "RetrieveDocumentSetResponse"


def _coerce_enum(enum: type[StrEnum], value: Any) -> Any:
    """Turn a known string into the enum member; keep unknown strings as they are (tolerant reading)."""
    if isinstance(value, str) and not isinstance(value, enum):
        try:
            return enum(value)
        except ValueError:
            return value
    return value


# ---------------------------------------------------------------------------------------- read flags


class ReadIssue(BaseModel):
    """A value read from a message that could not be understood; reading goes on.

    Attributes:
        field: XDS field or slot name (``patientId``, ``authorPerson`` …).
        value: the raw value seen.
        message: what is wrong with it.
    """

    model_config = _FROZEN

    field: str
    value: str | None = None
    message: str


class CodeFlag(BaseModel):
    """A code that is not in the built-in value set of its field (tolerated and surfaced, REC_GEN-1370)."""

    model_config = _FROZEN

    field: str
    code: Code
    value_set: str


# -------------------------------------------------------------------------------------- small values


def parse_cwe(text: str) -> Code:
    """``code^display^system`` (XDS ``authorSpecialty``, ``authorRole`` in coded form) → :class:`Code`."""
    parts = split_components(text)
    code = unescape(parts[0]) if parts and parts[0] else ""
    display = unescape(parts[1]) if len(parts) > 1 and parts[1] else None
    system = unescape(parts[2]) if len(parts) > 2 and parts[2] else ""
    if not code or not system:
        raise InvalidValue("expected code^display^codeSystem", field="CWE", value=text, rule="HL7 v2 CWE")
    return Code(code, system, display)


def format_cwe(code: Code) -> str:
    """Inverse of :func:`parse_cwe`."""
    return f"{escape(code.code)}^{escape(code.display or '')}^{escape(code.code_system)}"


class Person(InputModel):
    """A person as an HL7 XCN (``authorPerson``, ``legalAuthenticator``).

    The DMP form is ``<IdNat>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`` (see :meth:`dmp`).
    """

    model_config = _FROZEN

    id: str | None = None
    family_name: str | None = None
    given_name: str | None = None
    further_given_names: str | None = None
    suffix: str | None = None
    prefix: str | None = None
    assigning_authority: str | None = None
    """OID of the id's assigning authority (``1.2.250.1.71.4.2.1`` for IdNat)."""
    name_type_code: str | None = None
    id_type: str | None = None
    """Identifier type code (``IDNPS``)."""

    @classmethod
    def dmp(cls, idnat: str, family_name: str, given_name: str, *, prefix: str | None = None) -> Person:
        """A professional in the DMP form (IdNat, authority IDNPS, name type ``D``)."""
        return cls(
            id=idnat,
            family_name=family_name,
            given_name=given_name,
            prefix=prefix,
            assigning_authority=IDNPS_OID,
            name_type_code="D",
            id_type="IDNPS",
        )

    @classmethod
    def from_xcn(cls, value: XCN | str) -> Person:
        """From an :class:`~dmpclient.hl7v2.XCN` or its text (raises :class:`InvalidValue` when malformed)."""
        xcn = XCN.parse(value) if isinstance(value, str) else value
        authority = xcn.assigning_authority
        return cls(
            id=xcn.id,
            family_name=xcn.family_name,
            given_name=xcn.given_name,
            further_given_names=xcn.further_given_names,
            suffix=xcn.suffix,
            prefix=xcn.prefix,
            assigning_authority=authority.universal_id if authority else None,
            name_type_code=xcn.name_type_code,
            id_type=xcn.identifier_type_code,
        )

    def to_xcn(self) -> XCN:
        """The XCN value (:meth:`~dmpclient.hl7v2.XCN.format` gives the text)."""
        return XCN(
            id=self.id,
            family_name=self.family_name,
            given_name=self.given_name,
            further_given_names=self.further_given_names,
            suffix=self.suffix,
            prefix=self.prefix,
            assigning_authority=HD.iso(self.assigning_authority) if self.assigning_authority else None,
            name_type_code=self.name_type_code,
            identifier_type_code=self.id_type,
        )

    def format(self) -> str:
        """The XCN text."""
        return self.to_xcn().format()


class Organization(InputModel):
    """An organisation as an HL7 XON (``authorInstitution``).

    The DMP form is ``<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^<structure IdNat>`` (see :meth:`dmp`).
    """

    model_config = _FROZEN

    name: str = Field(min_length=1)
    id: str | None = None
    assigning_authority: str | None = None
    id_type: str | None = None

    @classmethod
    def dmp(cls, name: str, idnat: str) -> Organization:
        """A structure in the DMP form (IdNat under IDNST)."""
        return cls(name=name, id=idnat, assigning_authority=IDNST_OID, id_type="IDNST")

    @classmethod
    def from_xon(cls, value: XON | str) -> Organization:
        """From an :class:`~dmpclient.hl7v2.XON` or its text (id from component 10, else 3)."""
        xon = XON.parse(value) if isinstance(value, str) else value
        authority = xon.assigning_authority
        return cls(
            name=xon.organization_name or "",
            id=xon.identifier,
            assigning_authority=authority.universal_id if authority else None,
            id_type=xon.identifier_type_code,
        )

    def to_xon(self) -> XON:
        """The XON value, the id in component 10 as the DMP writes it."""
        return XON(
            organization_name=self.name,
            assigning_authority=HD.iso(self.assigning_authority) if self.assigning_authority else None,
            identifier_type_code=self.id_type,
            organization_identifier=self.id,
        )

    def format(self) -> str:
        """The XON text."""
        return self.to_xon().format()


class Author(InputModel):
    """One XDS ``author`` (a classification with slots authorPerson, authorInstitution, …).

    Attributes:
        person: ``authorPerson`` (XCN); absent for a device or an organisation-only author.
        institutions: ``authorInstitution`` values (XON).
        roles: ``authorRole`` values (free text, or ``code^display^system``).
        specialties: ``authorSpecialty`` values (``G15_10/SM26^Médecin - …^1.2.250.1.213.1.1.4.5``).
        telecoms: ``authorTelecommunication`` values (XTN text).
        extra_slots: other slots found on the classification, kept on read.
    """

    model_config = _FROZEN

    person: Person | None = None
    institutions: tuple[Organization, ...] = ()
    roles: tuple[str, ...] = ()
    specialties: tuple[Code, ...] = ()
    telecoms: tuple[str, ...] = ()
    extra_slots: dict[str, list[str]] = Field(default_factory=dict)


_PID_RE: Final = re.compile(r"^PID-(\d+)\|(.*)$", re.DOTALL)


class PatientInfo(InputModel):
    """``sourcePatientInfo``: PID-5 (birth name ``L``, used name ``D``), PID-7 birth date, PID-8 sex.

    Written as ``PID-5|<family>^<given>^<other given>^^^^L``, ``PID-5|<used family>^<used given>^^^^^D``,
    ``PID-7|YYYYMMDD``, ``PID-8|F``. :meth:`to_slot_values` refuses to produce an empty or PID-5-less list
    (rejected by the DMP since March 2026: « Le champ 'sourcePatientInfo PID5' est obligatoire »).
    """

    model_config = _FROZEN

    birth_family_name: str | None = None
    birth_given_name: str | None = None
    other_given_names: str | None = None
    used_family_name: str | None = None
    used_given_name: str | None = None
    birth_date: str | None = None
    """PID-7 as sent (``YYYY[MM[DD]]``); :attr:`birth_date_value` gives a :class:`~datetime.date`."""
    sex: str | None = None
    other: tuple[str, ...] = ()
    """Other ``PID-n|…`` lines (or unparseable ones), kept as read."""

    @field_validator("birth_date")
    @classmethod
    def _check_birth_date(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{4}(?:[0-9]{2}){0,2}", value):
            raise ValueError(f"PID-7 must be YYYY[MM[DD]], got {value!r}")
        return value

    @property
    def birth_date_value(self) -> date | None:
        """PID-7 as a date (missing month/day taken as 1), or ``None``."""
        if not self.birth_date:
            return None
        d = self.birth_date
        return date(int(d[:4]), int(d[4:6] or 1), int(d[6:8] or 1))

    @classmethod
    def from_slot_values(cls, values: Iterable[str]) -> tuple[PatientInfo, list[ReadIssue]]:
        """Parse the slot values tolerantly: what cannot be understood goes to :attr:`other` and an issue."""
        data: dict[str, Any] = {}
        other: list[str] = []
        issues: list[ReadIssue] = []
        for raw in values:
            m = _PID_RE.match(raw.strip())
            if not m:
                other.append(raw)
                issues.append(ReadIssue(field="sourcePatientInfo", value=raw, message="not a PID-n|value line"))
                continue
            num, body = int(m.group(1)), m.group(2)
            if num == 5:
                parts = [unescape(p) if p else None for p in split_components(body)]
                parts += [None] * (7 - len(parts))
                kind = parts[6] or "L"
                if kind == "D" and "used_family_name" not in data:
                    data["used_family_name"], data["used_given_name"] = parts[0], parts[1]
                elif kind != "D" and "birth_family_name" not in data:
                    data["birth_family_name"], data["birth_given_name"] = parts[0], parts[1]
                    data["other_given_names"] = parts[2]
                else:
                    other.append(raw)
            elif num == 7 and "birth_date" not in data and re.fullmatch(r"[0-9]{4}(?:[0-9]{2}){0,2}", body[:8]):
                data["birth_date"] = body[:8]
                if len(body) > 8:
                    issues.append(ReadIssue(field="sourcePatientInfo", value=raw, message="PID-7 truncated to a date"))
            elif num == 8 and "sex" not in data and body:
                data["sex"] = body
            else:
                other.append(raw)
                if num == 7:
                    issues.append(ReadIssue(field="sourcePatientInfo", value=raw, message="PID-7 is not a date"))
        return cls(**data, other=tuple(other)), issues

    def to_slot_values(self) -> list[str]:
        """The slot values; raises :class:`InputError` when PID-5 (birth name) would be missing."""
        if not self.birth_family_name:
            raise InputError(
                "sourcePatientInfo needs PID-5 with the birth family name",
                field="sourcePatientInfo.PID-5",
                value=self.birth_family_name,
                rule="sourcePatientInfo PID5 obligatoire",
                hint="DMP message: « Le champ 'sourcePatientInfo PID5' est obligatoire »",
            )
        values = [
            "PID-5|" + _xpn(self.birth_family_name, self.birth_given_name, self.other_given_names, "L"),
        ]
        if self.used_family_name or self.used_given_name:
            values.append("PID-5|" + _xpn(self.used_family_name, self.used_given_name, None, "D"))
        if self.birth_date:
            values.append(f"PID-7|{self.birth_date}")
        if self.sex:
            values.append(f"PID-8|{self.sex}")
        values.extend(self.other)
        return values


def _xpn(family: str | None, given: str | None, further: str | None, kind: str) -> str:
    parts = [escape(family or ""), escape(given or ""), escape(further or ""), "", "", "", kind]
    return "^".join(parts)


# ------------------------------------------------------------------------------------ registry objects


def _check_aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidValue(
            "XDS times are UTC: give a timezone-aware datetime", field=name, value=value, rule="XDS DTM UTC"
        )
    return value


class _RegistryObject(InputModel):
    """Fields and behaviour shared by the registry objects (DocumentEntry, SubmissionSet)."""

    model_config = _FROZEN

    if TYPE_CHECKING:  # declared by each subclass, at its own place in the field order
        patient_id: str | None
        availability_status: AvailabilityStatus | str | None

    entry_uuid: str | None = None
    """``@id``: symbolic (``Document01``) in a request, ``urn:uuid:…`` in a registry answer."""
    home_community_id: str | None = None
    """``@home`` (XCA), rarely used by the DMP."""
    extra_slots: dict[str, list[str]] = Field(default_factory=dict)
    """Slots not part of the model, kept on read and written back."""
    issues: tuple[ReadIssue, ...] = ()
    """Values that could not be understood on read (never an exception)."""
    unknown_codes: tuple[CodeFlag, ...] = ()
    """Codes not in the built-in value sets, flagged on read."""

    @field_validator("availability_status", mode="before", check_fields=False)
    @classmethod
    def _status(cls, value: Any) -> Any:
        return _coerce_enum(AvailabilityStatus, value)

    @field_validator("creation_time", "service_start_time", "service_stop_time", "submission_time", check_fields=False)
    @classmethod
    def _aware(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        return _check_aware(value, info.field_name or "")

    @property
    def ins(self) -> INS:
        """The patient's INS parsed from :attr:`patient_id` (raises when absent or malformed)."""
        if not self.patient_id:
            raise InputError(f"the {type(self).__name__} has no patientId", field="patientId", value=None)
        return INS.from_cx(self.patient_id)

    def replace_fields(self, **changes: Any) -> Self:
        """A validated copy with some fields changed."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).model_validate({**data, **changes})


class DocumentEntry(_RegistryObject):
    """An XDS DocumentEntry (``ExtrinsicObject``) — every field of ``xds-metadata.md`` §4."""

    logical_id: str | None = None
    """``@lid``: stable across metadata versions (equals the entryUUID of version 1)."""
    version: str | None = None
    """``VersionInfo/@versionName`` (registry-assigned, ``1`` then +1 per metadata update)."""
    unique_id: str | None = None
    availability_status: AvailabilityStatus | str | None = None
    object_type: str = DE_OBJECT_TYPE_STABLE
    mime_type: str = "text/xml"
    hash: str | None = None
    size: int | None = None
    repository_unique_id: str | None = None
    creation_time: datetime | None = None
    service_start_time: datetime | None = None
    service_stop_time: datetime | None = None
    time_precisions: dict[str, Precision] = Field(default_factory=dict)
    """Slot name → precision, only for times received with less than seconds."""
    class_code: Code | None = None
    type_code: Code | None = None
    format_code: Code | None = None
    practice_setting_code: Code | None = None
    healthcare_facility_type_code: Code | None = None
    confidentiality_codes: tuple[Code, ...] = ()
    event_codes: tuple[Code, ...] = ()
    title: str | None = None
    comments: str | None = None
    language_code: str | None = None
    legal_authenticator: Person | None = None
    patient_id: str | None = None
    """CX text of the INS (``<matricule>^^^&<OID>&ISO^NH``); see :attr:`ins`."""
    source_patient_id: str | None = None
    source_patient_info: PatientInfo | None = None
    reference_ids: tuple[str, ...] = ()
    authors: tuple[Author, ...] = ()
    document_id: str | None = None
    """``xdsb:Document/@id`` carrying the content in ITI-41 (defaults to :attr:`entry_uuid`)."""

    @property
    def patient_cx(self) -> CX | None:
        """:attr:`patient_id` as a :class:`~dmpclient.hl7v2.CX`, or ``None`` when absent or malformed."""
        try:
            return CX.parse(self.patient_id) if self.patient_id else None
        except InputError:
            return None

    @property
    def content_id(self) -> str | None:
        """The id used for the ``xdsb:Document`` element."""
        return self.document_id or self.entry_uuid

    def has_confidentiality(self, code: Code | str) -> bool:
        """True when a confidentiality code with this code (and system, for a :class:`Code`) is present."""
        if isinstance(code, Code):
            return any(c.key == code.key for c in self.confidentiality_codes)
        return any(c.code == code for c in self.confidentiality_codes)

    def with_confidentiality(self, *codes: Code, keep_normal: bool = True) -> DocumentEntry:
        """A copy whose confidentiality codes are ``N`` (first, when ``keep_normal``) then ``codes``."""
        result: list[Code] = [CONFIDENTIALITY_NORMAL] if keep_normal else []
        for c in codes:
            if all(c.key != r.key for r in result):
                result.append(c)
        return self.replace_fields(confidentiality_codes=tuple(result))


class SubmissionSet(_RegistryObject):
    """An XDS SubmissionSet (``RegistryPackage`` classified by the SubmissionSet node)."""

    unique_id: str | None = None
    source_id: str | None = None
    submission_time: datetime | None = None
    time_precisions: dict[str, Precision] = Field(default_factory=dict)
    content_type_code: Code | None = None
    authors: tuple[Author, ...] = ()
    title: str | None = None
    comments: str | None = None
    patient_id: str | None = None
    intended_recipients: tuple[str, ...] = ()
    availability_status: AvailabilityStatus | str | None = None


class Association(InputModel):
    """An ebRIM ``Association`` (HasMember, RPLC, signs, UpdateAvailabilityStatus …)."""

    model_config = _FROZEN

    id: str | None = None
    type: AssociationType | str
    source: str
    target: str
    submission_set_status: str | None = None
    """``SubmissionSetStatus`` slot of HasMember (``Original`` / ``Reference``)."""
    previous_version: str | None = None
    """``PreviousVersion`` slot (ITI-57 metadata update, TD3.3a/b)."""
    original_status: AvailabilityStatus | str | None = None
    new_status: AvailabilityStatus | str | None = None
    status: AvailabilityStatus | str | None = None
    """``@status`` of the association itself (registry answers)."""
    home_community_id: str | None = None
    extra_slots: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        return _coerce_enum(AssociationType, value)

    @field_validator("original_status", "new_status", "status", mode="before")
    @classmethod
    def _statuses(cls, value: Any) -> Any:
        return _coerce_enum(AvailabilityStatus, value)


class ObjectRef(InputModel):
    """An ``ObjectRef`` (ObjectRef query results, references to objects outside the message)."""

    model_config = _FROZEN

    id: str
    home_community_id: str | None = None


# ------------------------------------------------------------------------------------------ messages


class SubmissionRequest(InputModel):
    """A submission: one SubmissionSet, its DocumentEntries and the associations (ITI-41 metadata, ITI-57).

    Document *content* is not held here (the transport streams it); each entry's :attr:`DocumentEntry.document_id`
    names its ``xdsb:Document``. Use :meth:`add_document` and :meth:`replace` to get the associations right.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    submission_set: SubmissionSet
    documents: list[DocumentEntry] = Field(default_factory=list)
    associations: list[Association] = Field(default_factory=list)
    object_refs: list[ObjectRef] = Field(default_factory=list)

    def _ids(self) -> set[str]:
        ids = {self.submission_set.entry_uuid or ""}
        ids.update(d.entry_uuid or "" for d in self.documents)
        ids.update(a.id or "" for a in self.associations)
        return ids

    def _new_id(self, prefix: str) -> str:
        ids = self._ids()
        n = 1
        while f"{prefix}{n:02d}" in ids:
            n += 1
        return f"{prefix}{n:02d}"

    @property
    def submission_set_id(self) -> str:
        """The SubmissionSet's id (``SubmissionSet01`` when none was set)."""
        return self.submission_set.entry_uuid or "SubmissionSet01"

    def add_document(self, entry: DocumentEntry, *, submission_set_status: str | None = "Original") -> DocumentEntry:
        """Append ``entry`` (giving it a symbolic id ``DocumentNN`` when it has none) and its HasMember association.

        Returns the entry as stored (with its id).
        """
        if self.submission_set.entry_uuid is None:
            self.submission_set = self.submission_set.replace_fields(entry_uuid=self.submission_set_id)
        if not entry.entry_uuid:
            entry = entry.replace_fields(entry_uuid=self._new_id("Document"))
        elif entry.entry_uuid in self._ids():
            raise InputError("duplicate id in the submission", field="entry_uuid", value=entry.entry_uuid)
        self.documents.append(entry)
        assert entry.entry_uuid is not None
        self.associations.append(
            Association(
                id=self._new_id("Association"),
                type=AssociationType.HAS_MEMBER,
                source=self.submission_set_id,
                target=entry.entry_uuid,
                submission_set_status=submission_set_status,
            )
        )
        return entry

    def replace(self, entry: DocumentEntry, replaced_entry_uuid: str) -> DocumentEntry:
        """Add ``entry`` as the replacement (RPLC) of the document whose **current** entryUUID is given.

        The target must be a registry entryUUID (``urn:uuid:…``) fetched just before (TD3.1b, RG_3130).
        """
        if not replaced_entry_uuid.startswith("urn:uuid:"):
            raise InputError(
                "the RPLC target is the entryUUID (urn:uuid:…) of the current version of the replaced document",
                field="replaced_entry_uuid",
                value=replaced_entry_uuid,
                rule="RG_3130",
                hint="fetch it with TD3.1b (GetDocuments, ObjectRef) just before replacing",
            )
        stored = self.add_document(entry)
        assert stored.entry_uuid is not None
        self.associations.append(
            Association(
                id=self._new_id("Association"),
                type=AssociationType.RPLC,
                source=stored.entry_uuid,
                target=replaced_entry_uuid,
            )
        )
        return stored

    def document(self, entry_uuid: str) -> DocumentEntry:
        """The entry with this id (:class:`KeyError` when absent)."""
        for d in self.documents:
            if d.entry_uuid == entry_uuid:
                return d
        raise KeyError(entry_uuid)

    def associations_of_type(self, kind: AssociationType | str) -> list[Association]:
        """The associations of one type."""
        return [a for a in self.associations if a.type == kind]


class DocumentPart(InputModel):
    """One ``xdsb:Document`` of an ITI-41 request: a MTOM reference or inline bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    id: str
    content_id: str | None = None
    """``cid:`` target of the ``xop:Include`` (without the ``cid:`` prefix)."""
    data: bytes | None = None
    """Inline content (base64 in the XML) when not MTOM."""


class ProvideAndRegisterRequest(InputModel):
    """ITI-41 ``ProvideAndRegisterDocumentSetRequest``: the submission plus its ``xdsb:Document`` parts."""

    model_config = ConfigDict(extra="forbid")

    submission: SubmissionRequest
    documents: list[DocumentPart] = Field(default_factory=list)


class AdhocQueryRequest(InputModel):
    """A generic ITI-18 ``AdhocQueryRequest``: stored query id, slots (values already in IHE syntax), return type.

    Slot values are written verbatim (``'…'`` quoting and ``('a','b')`` lists are the caller's job — see
    :mod:`dmpclient.xds.queries`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    query_id: str
    slots: dict[str, list[str]] = Field(default_factory=dict)
    return_type: ReturnType | str = ReturnType.LEAF_CLASS
    return_composed_objects: bool = True
    home_community_id: str | None = None

    @field_validator("return_type", mode="before")
    @classmethod
    def _return_type(cls, value: Any) -> Any:
        return _coerce_enum(ReturnType, value)


class _StatusResponse(BaseModel):
    """The ``status`` (first field) and registry ``errors`` of a registry answer, and what they tell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: ResponseStatus | str

    if TYPE_CHECKING:  # declared by each subclass, at its own place in the field order
        errors: tuple[RegistryErrorItem, ...]

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> Any:
        return _coerce_enum(ResponseStatus, value)

    @property
    def ok(self) -> bool:
        """True for Success."""
        return self.status == ResponseStatus.SUCCESS

    def raise_for_status(self, *, transaction: str | None = None) -> Self:
        """Raise :class:`~dmpclient.errors.RegistryError` unless the status is Success; return ``self``."""
        if not self.ok:
            raise RegistryError(list(self.errors), status=str(self.status), transaction=transaction)
        return self


class RegistryResponse(_StatusResponse):
    """An ``rs:RegistryResponse`` (ITI-41, ITI-57, and inside ITI-43 responses)."""

    errors: tuple[RegistryErrorItem, ...] = ()
    request_id: str | None = None
    highest_severity: str | None = None


class QueryResponse(_StatusResponse):
    """An ITI-18 ``AdhocQueryResponse`` read into the model."""

    total_result_count: int | None = None
    start_index: int | None = None
    documents: tuple[DocumentEntry, ...] = ()
    submission_sets: tuple[SubmissionSet, ...] = ()
    associations: tuple[Association, ...] = ()
    object_refs: tuple[ObjectRef, ...] = ()
    errors: tuple[RegistryErrorItem, ...] = ()
    request_id: str | None = None


class DocumentRequest(InputModel):
    """One ``DocumentRequest`` of an ITI-43 retrieve (uniqueId, never the entryUUID)."""

    model_config = _FROZEN

    repository_unique_id: str
    document_unique_id: str
    home_community_id: str | None = None


class RetrieveDocumentSetRequest(InputModel):
    """ITI-43 ``RetrieveDocumentSetRequest``."""

    model_config = _FROZEN

    documents: tuple[DocumentRequest, ...]


class RetrievedDocument(BaseModel):
    """One ``DocumentResponse`` of an ITI-43 answer: a MTOM reference or inline bytes."""

    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    repository_unique_id: str | None = None
    document_unique_id: str | None = None
    mime_type: str | None = None
    home_community_id: str | None = None
    content_id: str | None = None
    """``cid:`` target, URL-decoded, without the ``cid:`` prefix."""
    data: bytes | None = None


class RetrieveDocumentSetResponse(BaseModel):
    """ITI-43 ``RetrieveDocumentSetResponse``."""

    model_config = _FROZEN

    response: RegistryResponse
    documents: tuple[RetrievedDocument, ...] = ()


class ParsedMessage(BaseModel):
    """What :func:`dmpclient.xds.parse_message` recognised; exactly one payload field is set for ``kind``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: MessageKind
    submission: SubmissionRequest | None = None
    documents: tuple[DocumentPart, ...] = ()
    query_request: AdhocQueryRequest | None = None
    query_response: QueryResponse | None = None
    registry_response: RegistryResponse | None = None
    retrieve_request: RetrieveDocumentSetRequest | None = None
    retrieve_response: RetrieveDocumentSetResponse | None = None
    soap_action: str | None = None
    """WS-Addressing ``Action`` when the input was a SOAP envelope."""

    def _payload_of_kind(self) -> BaseModel | None:
        return {
            MessageKind.SUBMIT_OBJECTS_REQUEST: self.submission,
            MessageKind.PROVIDE_AND_REGISTER_REQUEST: self.submission,
            MessageKind.ADHOC_QUERY_REQUEST: self.query_request,
            MessageKind.ADHOC_QUERY_RESPONSE: self.query_response,
            MessageKind.REGISTRY_RESPONSE: self.registry_response,
            MessageKind.RETRIEVE_REQUEST: self.retrieve_request,
            MessageKind.RETRIEVE_RESPONSE: self.retrieve_response,
        }[self.kind]

    @model_validator(mode="after")
    def _one_payload(self) -> ParsedMessage:
        if self._payload_of_kind() is None:
            raise ValueError(f"{self.kind.value} needs its payload")
        return self

    def payload(self) -> BaseModel:
        """The payload model for :attr:`kind`."""
        value = self._payload_of_kind()
        assert value is not None
        return value
