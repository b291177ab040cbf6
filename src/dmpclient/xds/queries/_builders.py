"""Typed builders of the ITI-18 stored queries used with the DMP (``transactions.md`` §5).

Each builder is a frozen dataclass whose fields are the query parameters, checked when the object is
built (a :class:`QueryParameterError` names the ITI-18 parameter). :meth:`StoredQuery.slots` gives the
``(name, [Value, …])`` pairs; :meth:`StoredQuery.to_adhoc_query` gives the request model that the ebRIM
codec writes. The same parameter table decodes a received query (:func:`parse_stored_query`), which is
what the sandbox uses, so both sides agree on the encoding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, ClassVar, Final, Self

from dmpclient.ids import INS
from dmpclient.terminology._model import Code
from dmpclient.xds.model import AdhocQueryRequest, QueryResponse, ReturnType
from dmpclient.xds.queries._params import (
    MissingQueryParameter,
    QueryParameterError,
    as_tuple,
    check_patient_id,
    check_unique_id,
    check_uuid,
    decode_code,
    decode_list,
    decode_string,
    decode_time,
    encode_code,
    encode_list,
    encode_string,
    encode_time,
    normalize_association_type,
    normalize_code,
    normalize_status,
)
from dmpclient.xds.queries._responses import parse_query_response

__all__ = [
    "DMP_LIMITS",
    "MAX_ENTRY_UUIDS",
    "MAX_UNIQUE_IDS",
    "MAX_UUIDS",
    "FindDocuments",
    "FindDocumentsByReferenceId",
    "FindSubmissionSets",
    "GetAssociations",
    "GetDocuments",
    "GetDocumentsAndAssociations",
    "GetRelatedDocuments",
    "GetSubmissionSetAndContents",
    "GetSubmissionSets",
    "QueryLimitExceeded",
    "ReturnType",
    "StoredQuery",
    "StoredQueryId",
    "parse_stored_query",
    "td3_1b",
]

#: DMP limit: values of ``$XDSDocumentEntryUniqueId`` per query (DBX quoting the guide; CDT 3.1-010).
MAX_UNIQUE_IDS: Final = 20
#: DMP limit: values of ``$XDSDocumentEntryEntryUUID`` per query.
MAX_ENTRY_UUIDS: Final = 88
#: DMP limit: values of ``$uuid`` per GetAssociations / GetSubmissionSets.
MAX_UUIDS: Final = 1000
#: Slot name → maximum number of values the DMP accepts; beyond, it answers ``XDSRegistryError``.
DMP_LIMITS: Final[Mapping[str, int]] = {
    "$XDSDocumentEntryUniqueId": MAX_UNIQUE_IDS,
    "$XDSDocumentEntryEntryUUID": MAX_ENTRY_UUIDS,
    "$uuid": MAX_UUIDS,
}

_APPROVED: Final = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
_RPLC: Final = "urn:ihe:iti:2007:AssociationType:RPLC"


class QueryLimitExceeded(QueryParameterError):
    """More values than the DMP accepts in one query; split it with :func:`~dmpclient.xds.queries.batched`."""


class StoredQueryId(StrEnum):
    """IHE ITI TF-2 stored query ids (``AdhocQuery/@id``)."""

    FIND_DOCUMENTS = "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"
    FIND_DOCUMENTS_BY_REFERENCE_ID = "urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492"
    FIND_SUBMISSION_SETS = "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9"
    GET_DOCUMENTS = "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
    GET_SUBMISSION_SET_AND_CONTENTS = "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83"
    GET_SUBMISSION_SETS = "urn:uuid:51224314-5390-4169-9b91-b1980040715a"
    GET_ASSOCIATIONS = "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155"
    GET_DOCUMENTS_AND_ASSOCIATIONS = "urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a"
    GET_RELATED_DOCUMENTS = "urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6"


class _Kind(Enum):
    PATIENT = "patient id (quoted CX)"
    STRING = "quoted string"
    STRING_LIST = "list of quoted strings"
    UUID = "quoted entryUUID"
    UUID_LIST = "list of entryUUIDs"
    UNIQUE_ID = "quoted uniqueId"
    UNIQUE_ID_LIST = "list of uniqueIds"
    CODE_LIST = "list of 'code^^scheme' (OR)"
    CODE_AND = "lists of 'code^^scheme' (OR inside a Value, AND between Values)"
    TIME = "UTC time, unquoted"
    STATUS_LIST = "list of status URNs"
    ASSOCIATION_TYPE_LIST = "list of association type URNs"


@dataclass(frozen=True, slots=True)
class _Param:
    slot: str
    attr: str
    kind: _Kind


_CodeGroups = tuple[tuple[Code, ...], ...]


def _code_groups(value: Any, param: str) -> _CodeGroups:
    """``[c1, c2]`` → ``((c1, c2),)`` (OR); ``[[c1, c2], [c3]]`` → AND of OR-groups."""
    if value is None:
        return ()
    items = list(value) if not isinstance(value, str) else [value]
    if not items:
        return ()
    nested = [isinstance(v, list | tuple) and not _is_code_tuple(v) for v in items]
    if all(nested):
        groups = tuple(tuple(normalize_code(c, param=param) for c in group) for group in items)
        if any(not g for g in groups):
            raise MissingQueryParameter("an AND-group of codes is empty", field=param, value=value)
        return groups
    if any(nested):
        raise QueryParameterError(
            "mix of codes and code groups: give either codes (OR) or groups of codes (AND of OR)",
            field=param,
            value=value,
            rule="ITI-18 AND/OR parameters",
        )
    return (tuple(normalize_code(c, param=param) for c in items),)


def _is_code_tuple(v: object) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, str) for x in v)


def _codes(value: Any, param: str) -> tuple[Code, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | Code) or _is_code_tuple(value) else list(value)
    return tuple(normalize_code(c, param=param) for c in items)


@dataclass(frozen=True, kw_only=True)
class StoredQuery:
    """Base of the stored-query builders.

    Attributes:
        return_type: ``LeafClass`` (full metadata) or ``ObjectRef`` (ids only; TD3.1b).
    """

    QUERY_ID: ClassVar[StoredQueryId]
    NAME: ClassVar[str]
    PARAMS: ClassVar[tuple[_Param, ...]] = ()

    return_type: ReturnType = ReturnType.LEAF_CLASS

    def __post_init__(self) -> None:
        object.__setattr__(self, "return_type", ReturnType(self.return_type))
        for p in self.PARAMS:
            object.__setattr__(self, p.attr, self._normalize(p, getattr(self, p.attr)))
        self._check()

    # -- hooks

    def _check(self) -> None:
        """Required / exclusive parameter checks of the query (subclasses)."""

    @staticmethod
    def _normalize(p: _Param, value: Any) -> Any:
        kind = p.kind
        if kind is _Kind.PATIENT:
            return None if value is None else check_patient_id(value, param=p.slot)
        if kind in (_Kind.STRING, _Kind.UUID, _Kind.UNIQUE_ID):
            if value is None:
                return None
            if kind is _Kind.UUID:
                return check_uuid(value, param=p.slot)
            if kind is _Kind.UNIQUE_ID:
                return check_unique_id(value, param=p.slot)
            encode_string(value, param=p.slot)
            return value
        if kind is _Kind.TIME:
            return None if value is None else encode_time(value, param=p.slot)
        if kind is _Kind.CODE_LIST:
            return _codes(value, p.slot)
        if kind is _Kind.CODE_AND:
            return _code_groups(value, p.slot)
        items = as_tuple(value)
        if kind is _Kind.STATUS_LIST:
            return tuple(dict.fromkeys(normalize_status(v, param=p.slot) for v in items))
        if kind is _Kind.ASSOCIATION_TYPE_LIST:
            return tuple(dict.fromkeys(normalize_association_type(v, param=p.slot) for v in items))
        if kind is _Kind.UUID_LIST:
            return tuple(dict.fromkeys(check_uuid(v, param=p.slot) for v in items))
        if kind is _Kind.UNIQUE_ID_LIST:
            return tuple(dict.fromkeys(check_unique_id(v, param=p.slot) for v in items))
        for v in items:
            encode_string(v, param=p.slot)
        return items

    def _require(self, *attrs: str) -> None:
        for attr in attrs:
            value = getattr(self, attr)
            if value is None or (isinstance(value, tuple) and not value):
                raise MissingQueryParameter(
                    f"{self.NAME} requires this parameter",
                    field=self._slot_of(attr),
                    value=value,
                    rule="ITI-18 required parameter",
                )

    def _exactly_one(self, *attrs: str) -> None:
        given = [a for a in attrs if getattr(self, a) not in (None, ())]
        if len(given) != 1:
            names = " or ".join(self._slot_of(a) for a in attrs)
            raise MissingQueryParameter(
                f"{self.NAME} takes exactly one of {names}",
                field=names,
                value=[self._slot_of(a) for a in given],
                rule="ITI-18 required parameter",
            )

    @classmethod
    def _slot_of(cls, attr: str) -> str:
        for p in cls.PARAMS:
            if p.attr == attr:
                return p.slot
        return attr

    # -- output

    def slots(self) -> list[tuple[str, list[str]]]:
        """The AdhocQuery slots: ``(name, [Value text, …])``, in the parameter-table order."""
        out: list[tuple[str, list[str]]] = []
        for p in self.PARAMS:
            value = getattr(self, p.attr)
            if value is None or value == ():
                continue
            out.append((p.slot, self._encode(p, value)))
        return out

    @staticmethod
    def _encode(p: _Param, value: Any) -> list[str]:
        kind = p.kind
        if kind in (_Kind.PATIENT, _Kind.STRING, _Kind.UUID, _Kind.UNIQUE_ID):
            return [encode_string(value, param=p.slot)]
        if kind is _Kind.TIME:
            return [encode_time(value, param=p.slot)]
        if kind is _Kind.CODE_LIST:
            return [encode_list((encode_code(c, param=p.slot) for c in value), param=p.slot)]
        if kind is _Kind.CODE_AND:
            return [encode_list((encode_code(c, param=p.slot) for c in group), param=p.slot) for group in value]
        return [encode_list(value, param=p.slot)]

    def value_counts(self) -> dict[str, int]:
        """Number of values per slot (what the DMP limits count)."""
        counts: dict[str, int] = {}
        for p in self.PARAMS:
            value = getattr(self, p.attr)
            if value is None or value == ():
                continue
            if p.kind is _Kind.CODE_AND:
                counts[p.slot] = sum(len(g) for g in value)
            elif isinstance(value, tuple):
                counts[p.slot] = len(value)
            else:
                counts[p.slot] = 1
        return counts

    def check_limits(self, limits: Mapping[str, int] | None = DMP_LIMITS) -> None:
        """Raise :class:`QueryLimitExceeded` when a slot has more values than ``limits`` allow."""
        if not limits:
            return
        for slot, count in self.value_counts().items():
            limit = limits.get(slot)
            if limit is not None and count > limit:
                raise QueryLimitExceeded(
                    f"{count} values, the DMP accepts at most {limit} per query",
                    field=slot,
                    value=count,
                    rule="DMP stored query limits",
                    hint="split the query with dmpclient.xds.queries.batched()",
                )

    def exceeds_limits(self, limits: Mapping[str, int] | None = DMP_LIMITS) -> bool:
        """True when :meth:`check_limits` would raise."""
        try:
            self.check_limits(limits)
        except QueryLimitExceeded:
            return True
        return False

    def to_adhoc_query(self, *, limits: Mapping[str, int] | None = DMP_LIMITS) -> AdhocQueryRequest:
        """The :class:`~dmpclient.xds.model.AdhocQueryRequest` that :mod:`dmpclient.xds.ebrim` writes.

        The DMP value-count limits are checked first (:class:`QueryLimitExceeded`; ``limits=None`` skips).
        """
        self.check_limits(limits)
        return AdhocQueryRequest(
            query_id=self.QUERY_ID.value,
            slots=dict(self.slots()),
            return_type=self.return_type,
            home_community_id=getattr(self, "home_community_id", None),
        )

    def parse_response(self, data: bytes | Any) -> QueryResponse:
        """Read the registry's answer to this query (see :func:`~dmpclient.xds.queries.parse_query_response`)."""
        return parse_query_response(data)

    def with_return_type(self, return_type: ReturnType | str) -> Self:
        """A copy asking for another return type."""
        return replace(self, return_type=ReturnType(return_type))

    # -- input

    @classmethod
    def from_slots(
        cls,
        slots: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]],
        return_type: ReturnType | str = ReturnType.LEAF_CLASS,
        *,
        strict: bool = True,
    ) -> Self:
        """Decode received slots (the sandbox side). Unknown parameters raise when ``strict``."""
        items = list(slots.items()) if isinstance(slots, Mapping) else list(slots)
        by_slot = {p.slot: p for p in cls.PARAMS}
        kwargs: dict[str, Any] = {}
        for name, values in items:
            p = by_slot.get(name)
            if p is None:
                if strict:
                    raise QueryParameterError(
                        f"unknown parameter for {cls.NAME}",
                        field=name,
                        value=list(values),
                        rule="ITI-18 parameters",
                    )
                continue
            kwargs[p.attr] = cls._decode(p, list(values))
        try:
            chosen = ReturnType(return_type)
        except ValueError:
            raise QueryParameterError(
                "returnType is LeafClass or ObjectRef", field="returnType", value=return_type, rule="ITI-18"
            ) from None
        return cls(return_type=chosen, **kwargs)

    @classmethod
    def from_adhoc_query(cls, request: AdhocQueryRequest, *, strict: bool = True) -> StoredQuery:
        """Decode an :class:`~dmpclient.xds.model.AdhocQueryRequest` into its typed builder."""
        return parse_stored_query(request.query_id, request.slots, request.return_type, strict=strict)

    @staticmethod
    def _decode(p: _Param, values: list[str]) -> Any:
        kind = p.kind
        if not values:
            raise MissingQueryParameter("parameter without value", field=p.slot, value=values)
        if kind in (_Kind.PATIENT, _Kind.STRING, _Kind.UUID, _Kind.UNIQUE_ID):
            if len(values) != 1:
                raise QueryParameterError("single-valued parameter", field=p.slot, value=values, rule="ITI-18")
            return decode_string(values[0], param=p.slot)
        if kind is _Kind.TIME:
            if len(values) != 1:
                raise QueryParameterError("single-valued parameter", field=p.slot, value=values, rule="ITI-18")
            return decode_time(values[0], param=p.slot)
        if kind is _Kind.CODE_AND:
            return tuple(tuple(decode_code(c, param=p.slot) for c in decode_list(v, param=p.slot)) for v in values)
        decoded = [item for v in values for item in decode_list(v, param=p.slot)]
        if kind is _Kind.CODE_LIST:
            return tuple(decode_code(c, param=p.slot) for c in decoded)
        return tuple(decoded)

    def describe(self) -> dict[str, Any]:
        """Plain dict (query name, id, return type, slots) for logs and ``--json`` output."""
        return {
            "query": self.NAME,
            "id": self.QUERY_ID.value,
            "returnType": self.return_type.value,
            "slots": dict(self.slots()),
        }


# --------------------------------------------------------------------------------- document filters

_TIME_PARAMS: Final = (
    _Param("$XDSDocumentEntryCreationTimeFrom", "creation_time_from", _Kind.TIME),
    _Param("$XDSDocumentEntryCreationTimeTo", "creation_time_to", _Kind.TIME),
    _Param("$XDSDocumentEntryServiceStartTimeFrom", "service_start_time_from", _Kind.TIME),
    _Param("$XDSDocumentEntryServiceStartTimeTo", "service_start_time_to", _Kind.TIME),
    _Param("$XDSDocumentEntryServiceStopTimeFrom", "service_stop_time_from", _Kind.TIME),
    _Param("$XDSDocumentEntryServiceStopTimeTo", "service_stop_time_to", _Kind.TIME),
)
_FILTER_PARAMS: Final = (
    _Param("$XDSDocumentEntryClassCode", "class_codes", _Kind.CODE_LIST),
    _Param("$XDSDocumentEntryTypeCode", "type_codes", _Kind.CODE_LIST),
    _Param("$XDSDocumentEntryPracticeSettingCode", "practice_setting_codes", _Kind.CODE_LIST),
    *_TIME_PARAMS,
    _Param("$XDSDocumentEntryHealthcareFacilityTypeCode", "healthcare_facility_type_codes", _Kind.CODE_LIST),
    _Param("$XDSDocumentEntryEventCodeList", "event_codes", _Kind.CODE_AND),
    _Param("$XDSDocumentEntryConfidentialityCode", "confidentiality_codes", _Kind.CODE_AND),
    _Param("$XDSDocumentEntryAuthorPerson", "author_persons", _Kind.STRING_LIST),
    _Param("$XDSDocumentEntryFormatCode", "format_codes", _Kind.CODE_LIST),
    _Param("$XDSDocumentEntryStatus", "status", _Kind.STATUS_LIST),
    _Param("$XDSDocumentEntryType", "entry_types", _Kind.STRING_LIST),
)

CodesParam = Sequence[Code | tuple[str, str] | str]
CodeGroupsParam = Sequence[Code | tuple[str, str] | str] | Sequence[Sequence[Code | tuple[str, str] | str]]
TimeParam = datetime | str | None


@dataclass(frozen=True, kw_only=True)
class _DocumentFilters(StoredQuery):
    """Filters shared by FindDocuments and FindDocumentsByReferenceId."""

    patient_id: str | INS | None = None
    status: Sequence[str] | str = (_APPROVED,)
    class_codes: CodesParam = ()
    type_codes: CodesParam = ()
    practice_setting_codes: CodesParam = ()
    healthcare_facility_type_codes: CodesParam = ()
    format_codes: CodesParam = ()
    event_codes: CodeGroupsParam = ()
    confidentiality_codes: CodeGroupsParam = ()
    creation_time_from: TimeParam = None
    creation_time_to: TimeParam = None
    service_start_time_from: TimeParam = None
    service_start_time_to: TimeParam = None
    service_stop_time_from: TimeParam = None
    service_stop_time_to: TimeParam = None
    author_persons: Sequence[str] | str = ()
    entry_types: Sequence[str] | str = ()


@dataclass(frozen=True, kw_only=True)
class FindDocuments(_DocumentFilters):
    """FindDocuments — the main search (TD3.1).

    ``patient_id`` (an INS CX or :class:`~dmpclient.ids.INS`) and ``status`` (default Approved) are
    required. Codes are OR-ed; ``event_codes`` / ``confidentiality_codes`` also take groups
    (``[[a, b], [c]]`` = (a OR b) AND c). Times are aware datetimes or UTC ``YYYYMMDDhhmmss`` strings;
    they are stored in their wire form (UTC text).

    >>> q = FindDocuments(patient_id="207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH")
    >>> q.slots()[1]
    ('$XDSDocumentEntryStatus', ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"])
    """

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.FIND_DOCUMENTS
    NAME: ClassVar[str] = "FindDocuments"
    PARAMS: ClassVar[tuple[_Param, ...]] = (
        _Param("$XDSDocumentEntryPatientId", "patient_id", _Kind.PATIENT),
        *_FILTER_PARAMS,
    )

    def _check(self) -> None:
        self._require("patient_id", "status")


@dataclass(frozen=True, kw_only=True)
class FindDocumentsByReferenceId(_DocumentFilters):
    """FindDocumentsByReferenceId — imaging (accession number, StudyInstanceUID; EX_3.1-2000).

    ``reference_ids`` are CX values ``<id>^^^&<OID>&ISO^<type>`` with a J231 type
    (``urn:ihe:iti:xds:2013:accession``, ``urn:ihe:iti:xds:2016:studyInstanceUID`` …).
    """

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.FIND_DOCUMENTS_BY_REFERENCE_ID
    NAME: ClassVar[str] = "FindDocumentsByReferenceId"
    PARAMS: ClassVar[tuple[_Param, ...]] = (
        _Param("$XDSDocumentEntryPatientId", "patient_id", _Kind.PATIENT),
        _Param("$XDSDocumentEntryReferenceIdList", "reference_ids", _Kind.STRING_LIST),
        *_FILTER_PARAMS,
    )

    reference_ids: Sequence[str] | str = ()

    def _check(self) -> None:
        self._require("patient_id", "reference_ids", "status")


@dataclass(frozen=True, kw_only=True)
class FindSubmissionSets(StoredQuery):
    """FindSubmissionSets — lots of a patient, e.g. by submission time (the only way to search by date
    of submission: see :func:`~dmpclient.xds.queries.documents_submitted_between`)."""

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.FIND_SUBMISSION_SETS
    NAME: ClassVar[str] = "FindSubmissionSets"
    PARAMS: ClassVar[tuple[_Param, ...]] = (
        _Param("$XDSSubmissionSetPatientId", "patient_id", _Kind.PATIENT),
        _Param("$XDSSubmissionSetSourceId", "source_ids", _Kind.STRING_LIST),
        _Param("$XDSSubmissionSetSubmissionTimeFrom", "submission_time_from", _Kind.TIME),
        _Param("$XDSSubmissionSetSubmissionTimeTo", "submission_time_to", _Kind.TIME),
        _Param("$XDSSubmissionSetAuthorPerson", "author_person", _Kind.STRING),
        _Param("$XDSSubmissionSetContentType", "content_type_codes", _Kind.CODE_LIST),
        _Param("$XDSSubmissionSetStatus", "status", _Kind.STATUS_LIST),
    )

    patient_id: str | INS | None = None
    status: Sequence[str] | str = (_APPROVED,)
    source_ids: Sequence[str] | str = ()
    submission_time_from: TimeParam = None
    submission_time_to: TimeParam = None
    author_person: str | None = None
    content_type_codes: CodesParam = ()

    def _check(self) -> None:
        self._require("patient_id", "status")


@dataclass(frozen=True, kw_only=True)
class _ByDocumentIds(StoredQuery):
    uuids: Sequence[str] | str = ()
    unique_ids: Sequence[str] | str = ()
    home_community_id: str | None = None

    def _check(self) -> None:
        self._exactly_one("uuids", "unique_ids")

    @classmethod
    def by_unique_ids(cls, *unique_ids: str, return_type: ReturnType | str = ReturnType.LEAF_CLASS) -> Self:
        """The query for these document uniqueIds."""
        return cls(unique_ids=unique_ids, return_type=ReturnType(return_type))

    @classmethod
    def by_uuids(cls, *uuids: str, return_type: ReturnType | str = ReturnType.LEAF_CLASS) -> Self:
        """The query for these entryUUIDs."""
        return cls(uuids=uuids, return_type=ReturnType(return_type))


_DOC_ID_PARAMS: Final = (
    _Param("$XDSDocumentEntryEntryUUID", "uuids", _Kind.UUID_LIST),
    _Param("$XDSDocumentEntryUniqueId", "unique_ids", _Kind.UNIQUE_ID_LIST),
    _Param("$homeCommunityId", "home_community_id", _Kind.STRING),
)


@dataclass(frozen=True, kw_only=True)
class GetDocuments(_ByDocumentIds):
    """GetDocuments — by entryUUIDs or by uniqueIds (exactly one of the two).

    In ``ObjectRef`` mode by uniqueId it is the DMP's **TD3.1b** (RG_3130): fetch the current entryUUID
    of a document just before replacing, archiving or deleting it — see :func:`td3_1b`.
    DMP limits: 20 uniqueIds, 88 entryUUIDs per query.
    """

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.GET_DOCUMENTS
    NAME: ClassVar[str] = "GetDocuments"
    PARAMS: ClassVar[tuple[_Param, ...]] = _DOC_ID_PARAMS


@dataclass(frozen=True, kw_only=True)
class GetDocumentsAndAssociations(_ByDocumentIds):
    """GetDocumentsAndAssociations — documents plus every association that touches them (current
    version resolution). DMP limits: 20 uniqueIds, 88 entryUUIDs per query."""

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.GET_DOCUMENTS_AND_ASSOCIATIONS
    NAME: ClassVar[str] = "GetDocumentsAndAssociations"
    PARAMS: ClassVar[tuple[_Param, ...]] = _DOC_ID_PARAMS


@dataclass(frozen=True, kw_only=True)
class GetSubmissionSetAndContents(StoredQuery):
    """GetSubmissionSetAndContents — one lot (by entryUUID or uniqueId), its documents and associations."""

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.GET_SUBMISSION_SET_AND_CONTENTS
    NAME: ClassVar[str] = "GetSubmissionSetAndContents"
    PARAMS: ClassVar[tuple[_Param, ...]] = (
        _Param("$XDSSubmissionSetEntryUUID", "uuid", _Kind.UUID),
        _Param("$XDSSubmissionSetUniqueId", "unique_id", _Kind.UNIQUE_ID),
        _Param("$XDSDocumentEntryFormatCode", "format_codes", _Kind.CODE_LIST),
        _Param("$XDSDocumentEntryConfidentialityCode", "confidentiality_codes", _Kind.CODE_AND),
        _Param("$XDSDocumentEntryType", "entry_types", _Kind.STRING_LIST),
        _Param("$homeCommunityId", "home_community_id", _Kind.STRING),
    )

    uuid: str | None = None
    unique_id: str | None = None
    format_codes: CodesParam = ()
    confidentiality_codes: CodeGroupsParam = ()
    entry_types: Sequence[str] | str = ()
    home_community_id: str | None = None

    def _check(self) -> None:
        self._exactly_one("uuid", "unique_id")


@dataclass(frozen=True, kw_only=True)
class _ByUuids(StoredQuery):
    uuids: Sequence[str] | str = ()
    home_community_id: str | None = None

    def _check(self) -> None:
        self._require("uuids")


_UUID_PARAMS: Final = (
    _Param("$uuid", "uuids", _Kind.UUID_LIST),
    _Param("$homeCommunityId", "home_community_id", _Kind.STRING),
)


@dataclass(frozen=True, kw_only=True)
class GetSubmissionSets(_ByUuids):
    """GetSubmissionSets — the lots that contain the given objects (``$uuid``, ≤ 1000 for the DMP)."""

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.GET_SUBMISSION_SETS
    NAME: ClassVar[str] = "GetSubmissionSets"
    PARAMS: ClassVar[tuple[_Param, ...]] = _UUID_PARAMS


@dataclass(frozen=True, kw_only=True)
class GetAssociations(_ByUuids):
    """GetAssociations — associations whose source or target is one of ``uuids`` (≤ 1000 for the DMP).

    An empty ``$uuid`` list is refused by the DMP with ``XDSStoredQueryMissingParam`` (DMP-146): refused
    here too.
    """

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.GET_ASSOCIATIONS
    NAME: ClassVar[str] = "GetAssociations"
    PARAMS: ClassVar[tuple[_Param, ...]] = _UUID_PARAMS


@dataclass(frozen=True, kw_only=True)
class GetRelatedDocuments(StoredQuery):
    """GetRelatedDocuments — documents linked to one document by the given association types
    (default RPLC: the replacement chain)."""

    QUERY_ID: ClassVar[StoredQueryId] = StoredQueryId.GET_RELATED_DOCUMENTS
    NAME: ClassVar[str] = "GetRelatedDocuments"
    PARAMS: ClassVar[tuple[_Param, ...]] = (
        _Param("$XDSDocumentEntryEntryUUID", "uuid", _Kind.UUID),
        _Param("$XDSDocumentEntryUniqueId", "unique_id", _Kind.UNIQUE_ID),
        _Param("$AssociationTypes", "association_types", _Kind.ASSOCIATION_TYPE_LIST),
        _Param("$XDSDocumentEntryType", "entry_types", _Kind.STRING_LIST),
        _Param("$homeCommunityId", "home_community_id", _Kind.STRING),
    )

    uuid: str | None = None
    unique_id: str | None = None
    association_types: Sequence[str] | str = field(default=(_RPLC,))
    entry_types: Sequence[str] | str = ()
    home_community_id: str | None = None

    def _check(self) -> None:
        self._exactly_one("uuid", "unique_id")
        self._require("association_types")


def td3_1b(*unique_ids: str) -> GetDocuments:
    """TD3.1b: GetDocuments by uniqueId in ObjectRef mode (RG_3130), to get current entryUUIDs."""
    return GetDocuments(unique_ids=unique_ids, return_type=ReturnType.OBJECT_REF)


#: Builder class by stored query id.
QUERY_CLASSES: Final[dict[str, type[StoredQuery]]] = {
    cls.QUERY_ID.value: cls
    for cls in (
        FindDocuments,
        FindDocumentsByReferenceId,
        FindSubmissionSets,
        GetDocuments,
        GetDocumentsAndAssociations,
        GetSubmissionSetAndContents,
        GetSubmissionSets,
        GetAssociations,
        GetRelatedDocuments,
    )
}


def parse_stored_query(
    query_id: str,
    slots: Mapping[str, Sequence[str]] | Sequence[tuple[str, Sequence[str]]],
    return_type: ReturnType | str = ReturnType.LEAF_CLASS,
    *,
    strict: bool = True,
) -> StoredQuery:
    """Decode a received AdhocQuery into its typed builder; unknown query ids raise (``XDSUnknownStoredQuery``)."""
    cls = QUERY_CLASSES.get(query_id)
    if cls is None:
        raise QueryParameterError(
            "unknown stored query id", field="AdhocQuery/@id", value=query_id, rule="XDSUnknownStoredQuery"
        )
    return cls.from_slots(slots, return_type, strict=strict)


def parameter_table() -> list[dict[str, str]]:
    """Every query with its parameters and encodings (used by the docs and ``--help``)."""
    rows: list[dict[str, str]] = []
    for cls in QUERY_CLASSES.values():
        names = {f.name for f in fields(cls)}
        for p in cls.PARAMS:
            if p.attr in names:
                rows.append({"query": cls.NAME, "parameter": p.slot, "attribute": p.attr, "encoding": p.kind.value})
    return rows
