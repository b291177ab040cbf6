"""ebRIM 3.0 codec for the XDS model: strict writing, tolerant reading.

Reading (``from_*`` and :func:`parse_message`) goes through :mod:`dmpclient._xml`, accepts a SOAP envelope
or a bare body, matches elements by **local name** (the GIE kit template has no namespace at all), keeps
unknown slots, and records what it cannot understand as :class:`~dmpclient.xds.model.ReadIssue` /
:class:`~dmpclient.xds.model.CodeFlag` — it never raises for content, only for input that is not XML or not
an XDS message (:class:`~dmpclient.errors.ProtocolError`).

Writing (``to_*``) builds lxml elements with the prefixes ``rim``, ``lcm``, ``query``, ``rs``, ``xdsb``;
it writes the exact IHE UUIDs, symbolic ids, ``classifiedObject``/``registryObject`` attributes,
``LocalizedString charset="UTF8" xml:lang="FR"``, ``nodeRepresentation=""`` on authors, and times in UTC
``YYYYMMDDhhmmss``; it refuses incomplete objects (:class:`~dmpclient.errors.InputError`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote

from lxml import etree
from pydantic import BaseModel

from dmpclient import _xml
from dmpclient._xml import NS
from dmpclient.errors import InputError, InvalidValue, ProtocolError, RegistryErrorItem
from dmpclient.hl7v2 import CX, DTM, Precision, format_xds_time, parse_xds_time
from dmpclient.ids import INS
from dmpclient.terminology import ValueSet
from dmpclient.xds import constants as xc
from dmpclient.xds._terms import find_value_set
from dmpclient.xds.constants import Slot
from dmpclient.xds.model import (
    AdhocQueryRequest,
    Association,
    Author,
    Code,
    CodeFlag,
    DocumentEntry,
    DocumentPart,
    DocumentRequest,
    MessageKind,
    ObjectRef,
    Organization,
    ParsedMessage,
    PatientInfo,
    Person,
    ProvideAndRegisterRequest,
    QueryResponse,
    ReadIssue,
    RegistryResponse,
    RetrievedDocument,
    RetrieveDocumentSetRequest,
    RetrieveDocumentSetResponse,
    SubmissionRequest,
    SubmissionSet,
    format_cwe,
    parse_cwe,
)

__all__ = [
    "association_from_element",
    "association_to_element",
    "document_entry_from_element",
    "document_entry_to_element",
    "from_adhoc_query_request",
    "from_adhoc_query_response",
    "from_provide_and_register",
    "from_registry_response",
    "from_retrieve_request",
    "from_retrieve_response",
    "from_submit_objects_request",
    "parse_message",
    "serialize",
    "submission_set_from_element",
    "submission_set_to_element",
    "to_adhoc_query_request",
    "to_adhoc_query_response",
    "to_provide_and_register",
    "to_registry_response",
    "to_retrieve_request",
    "to_retrieve_response",
    "to_submit_objects_request",
]

_RIM: Final = NS["rim"]
_XML_LANG: Final = f"{{{NS['xml']}}}lang"
_NSMAP: Final = {"rim": NS["rim"], "lcm": NS["lcm"], "query": NS["query"], "rs": NS["rs"], "xdsb": NS["xdsb"]}

# classification scheme → DocumentEntry field (single-valued codes)
_DE_SINGLE_CODES: Final = {
    xc.DE_CLASS_CODE: "class_code",
    xc.DE_TYPE_CODE: "type_code",
    xc.DE_FORMAT_CODE: "format_code",
    xc.DE_PRACTICE_SETTING_CODE: "practice_setting_code",
    xc.DE_HEALTHCARE_FACILITY_TYPE_CODE: "healthcare_facility_type_code",
}
_DE_MULTI_CODES: Final = {xc.DE_CONFIDENTIALITY_CODE: "confidentiality_codes", xc.DE_EVENT_CODE: "event_codes"}
_XDS_FIELD_NAMES: Final = {
    "class_code": "classCode",
    "type_code": "typeCode",
    "format_code": "formatCode",
    "practice_setting_code": "practiceSettingCode",
    "healthcare_facility_type_code": "healthcareFacilityTypeCode",
    "confidentiality_codes": "confidentialityCode",
    "event_codes": "eventCodeList",
    "content_type_code": "contentTypeCode",
}
#: XDS field → candidate names of its DMP value set in :mod:`dmpclient.terminology`.
_VALUE_SETS: Final[dict[str, tuple[str, ...]]] = {
    "classCode": ("J57", "JDV_J57-ClassCode-DMP"),
    "typeCode": ("J66", "JDV_J66-TypeCode-DMP"),
    "formatCode": ("J60", "JDV_J60-FormatCode-DMP"),
    "healthcareFacilityTypeCode": ("J61", "JDV_J61-HealthcareFacilityTypeCode-DMP"),
    "practiceSettingCode": ("J62", "JDV_J62-PracticeSettingCode-DMP"),
    "confidentialityCode": ("J58", "JDV_J58-ConfidentialityCode-DMP"),
    "contentTypeCode": ("J59", "JDV_J59-ContentTypeCode-DMP"),
}
_DE_TIME_SLOTS: Final = {
    Slot.CREATION_TIME: "creation_time",
    Slot.SERVICE_START_TIME: "service_start_time",
    Slot.SERVICE_STOP_TIME: "service_stop_time",
}
_DE_KNOWN_SLOTS: Final = frozenset(
    {
        *_DE_TIME_SLOTS,
        Slot.HASH,
        Slot.LANGUAGE_CODE,
        Slot.LEGAL_AUTHENTICATOR,
        Slot.REPOSITORY_UNIQUE_ID,
        Slot.SIZE,
        Slot.SOURCE_PATIENT_ID,
        Slot.SOURCE_PATIENT_INFO,
        Slot.REFERENCE_ID_LIST,
    }
)


# ============================================================================================ reading


def _local(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _kids(el: etree._Element, name: str | None = None) -> Iterator[etree._Element]:
    """Child elements, by local name in any namespace or none (lxml's ``{*}`` wildcard, done in C)."""
    if name is None:
        return el.iterchildren(etree.Element)
    return el.iterchildren(f"{{*}}{name}")


def _kid(el: etree._Element, name: str) -> etree._Element | None:
    return next(el.iterchildren(f"{{*}}{name}"), None)


def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    return el.text.strip()


def _read_slots(el: etree._Element) -> dict[str, list[str]]:
    slots: dict[str, list[str]] = {}
    for slot in _kids(el, "Slot"):
        name = slot.get("name") or ""
        values = slots.setdefault(name, [])
        for vl in _kids(slot, "ValueList"):
            for v in _kids(vl, "Value"):
                values.append((v.text or "").strip())
    return slots


def _localized(el: etree._Element, name: str) -> str | None:
    holder = _kid(el, name)
    if holder is None:
        return None
    ls = _kid(holder, "LocalizedString")
    return None if ls is None else ls.get("value")


class _Reader:
    """Collects issues for one registry object."""

    def __init__(self) -> None:
        self.issues: list[ReadIssue] = []
        self.flags: list[CodeFlag] = []

    def issue(self, field: str, value: str | None, message: str) -> None:
        self.issues.append(ReadIssue(field=field, value=value, message=message))

    def code(self, cl: etree._Element, field: str) -> Code | None:
        node = cl.get("nodeRepresentation") or ""
        slots = _read_slots(cl)
        scheme = (slots.get(Slot.CODING_SCHEME) or [""])[0]
        display = _localized(cl, "Name")
        if not node or not scheme:
            self.issue(field, f"{node}^^{scheme}", "coded value without code or codingScheme")
            return None
        code = Code(node, scheme, display)
        self._check_value_set(field, code)
        return code

    def _check_value_set(self, field: str, code: Code) -> None:
        vs = _value_set_for(field)
        if vs is not None and code not in vs:
            self.flags.append(CodeFlag(field=field, code=code, value_set=vs.name))

    def time(
        self, slot: str, values: list[str], precisions: dict[str, Precision], extra: dict[str, list[str]]
    ) -> datetime | None:
        raw = values[0] if values else ""
        try:
            dtm = DTM.parse(raw)
            value = parse_xds_time(raw)
        except InputError as exc:
            self.issue(slot, raw, f"not an XDS time: {exc.reason}")
            extra[slot] = values
            return None
        if dtm.precision < Precision.SECOND:
            precisions[slot] = dtm.precision
        if len(values) > 1:
            self.issue(slot, values[1], "single-valued slot has several values; extra values ignored")
        return value

    def cx(self, field: str, value: str | None, *, ins: bool) -> str | None:
        if value is None:
            return None
        try:
            CX.parse(value)
        except InputError as exc:
            self.issue(field, value, f"malformed CX: {exc.reason}")
            return value
        if ins:
            try:
                INS.from_cx(value)
            except InputError as exc:
                self.issue(field, value, f"not a valid INS: {exc.reason}")
        return value

    def author(self, cl: etree._Element, field: str) -> Author:
        slots = _read_slots(cl)
        extra: dict[str, list[str]] = {}
        person: Person | None = None
        persons = slots.pop(Slot.AUTHOR_PERSON, [])
        for i, raw in enumerate(persons):
            if i == 0:
                try:
                    person = Person.from_xcn(raw)
                    continue
                except InputError as exc:
                    self.issue(f"{field}.authorPerson", raw, f"malformed XCN: {exc.reason}")
            else:
                self.issue(f"{field}.authorPerson", raw, "authorPerson has several values")
            extra.setdefault(Slot.AUTHOR_PERSON, []).append(raw)
        institutions: list[Organization] = []
        for raw in slots.pop(Slot.AUTHOR_INSTITUTION, []):
            try:
                institutions.append(Organization.from_xon(raw))
            except (InputError, ValueError) as exc:
                self.issue(f"{field}.authorInstitution", raw, f"malformed XON: {exc}")
                extra.setdefault(Slot.AUTHOR_INSTITUTION, []).append(raw)
        specialties: list[Code] = []
        for raw in slots.pop(Slot.AUTHOR_SPECIALTY, []):
            try:
                specialties.append(parse_cwe(raw))
            except (InputError, ValueError) as exc:
                self.issue(f"{field}.authorSpecialty", raw, f"not code^display^system: {exc}")
                extra.setdefault(Slot.AUTHOR_SPECIALTY, []).append(raw)
        roles = slots.pop(Slot.AUTHOR_ROLE, [])
        telecoms = slots.pop(Slot.AUTHOR_TELECOMMUNICATION, [])
        for name, values in slots.items():
            extra.setdefault(name, []).extend(values)
        return Author(
            person=person,
            institutions=tuple(institutions),
            roles=tuple(roles),
            specialties=tuple(specialties),
            telecoms=tuple(telecoms),
            extra_slots=extra,
        )


def _value_set_for(field: str) -> ValueSet | None:
    """The active DMP value set of an XDS field (looked up each time: the active terminology may change)."""
    for name in _VALUE_SETS.get(field, ()):
        vs = find_value_set(name)
        if vs is not None:
            return vs
    return None


def document_entry_from_element(el: etree._Element) -> DocumentEntry:
    """Read an ``ExtrinsicObject`` into a :class:`DocumentEntry` (tolerant: never raises for content)."""
    r = _Reader()
    data: dict[str, Any] = {
        "entry_uuid": el.get("id"),
        "logical_id": el.get("lid"),
        "availability_status": el.get("status"),
        "home_community_id": el.get("home"),
    }
    if el.get("mimeType") is not None:
        data["mime_type"] = el.get("mimeType")
    if el.get("objectType") is not None:
        data["object_type"] = el.get("objectType")
    slots = _read_slots(el)
    extra: dict[str, list[str]] = {}
    precisions: dict[str, Precision] = {}
    for name, values in slots.items():
        if name in _DE_TIME_SLOTS:
            data[_DE_TIME_SLOTS[name]] = r.time(name, values, precisions, extra)
        elif name == Slot.SIZE:
            try:
                data["size"] = int(values[0])
            except (ValueError, IndexError):
                r.issue(name, values[0] if values else None, "size is not an integer")
                extra[name] = values
        elif name == Slot.LEGAL_AUTHENTICATOR:
            try:
                data["legal_authenticator"] = Person.from_xcn(values[0])
            except (InputError, IndexError) as exc:
                r.issue(name, values[0] if values else None, f"malformed XCN: {exc}")
                extra[name] = values
        elif name == Slot.SOURCE_PATIENT_INFO:
            info, issues = PatientInfo.from_slot_values(values)
            data["source_patient_info"] = info
            r.issues.extend(issues)
        elif name == Slot.SOURCE_PATIENT_ID:
            data["source_patient_id"] = r.cx(name, values[0] if values else "", ins=False)
        elif name == Slot.REFERENCE_ID_LIST:
            data["reference_ids"] = tuple(values)
        elif name in (Slot.HASH, Slot.LANGUAGE_CODE, Slot.REPOSITORY_UNIQUE_ID) and len(values) == 1:
            key = {Slot.HASH: "hash", Slot.LANGUAGE_CODE: "language_code"}.get(name, "repository_unique_id")
            data[key] = values[0]
        else:
            extra[name] = values
    data["title"] = _localized(el, "Name")
    data["comments"] = _localized(el, "Description")
    vi = _kid(el, "VersionInfo")
    if vi is not None:
        data["version"] = vi.get("versionName")
    authors: list[Author] = []
    multi: dict[str, list[Code]] = {"confidentiality_codes": [], "event_codes": []}
    for cl in _kids(el, "Classification"):
        scheme = cl.get("classificationScheme") or ""
        if scheme == xc.DE_AUTHOR:
            authors.append(r.author(cl, f"author[{len(authors)}]"))
        elif scheme in _DE_SINGLE_CODES:
            field = _DE_SINGLE_CODES[scheme]
            code = r.code(cl, _XDS_FIELD_NAMES[field])
            if code is not None:
                if data.get(field) is not None:
                    r.issue(_XDS_FIELD_NAMES[field], code.code, "single-valued code given twice; first kept")
                else:
                    data[field] = code
        elif scheme in _DE_MULTI_CODES:
            field = _DE_MULTI_CODES[scheme]
            code = r.code(cl, _XDS_FIELD_NAMES[field])
            if code is not None:
                multi[field].append(code)
        else:
            r.issue("Classification", scheme or cl.get("classificationNode"), "unknown classification ignored")
    _read_external_ids(el, r, {xc.DE_PATIENT_ID: "patient_id", xc.DE_UNIQUE_ID: "unique_id"}, data)
    data["confidentiality_codes"] = tuple(multi["confidentiality_codes"])
    data["event_codes"] = tuple(multi["event_codes"])
    return DocumentEntry.model_validate(_with_read_state(data, r, authors, extra, precisions))


def submission_set_from_element(el: etree._Element) -> SubmissionSet:
    """Read a ``RegistryPackage`` into a :class:`SubmissionSet` (tolerant)."""
    r = _Reader()
    data: dict[str, Any] = {
        "entry_uuid": el.get("id"),
        "availability_status": el.get("status"),
        "home_community_id": el.get("home"),
    }
    extra: dict[str, list[str]] = {}
    precisions: dict[str, Precision] = {}
    for name, values in _read_slots(el).items():
        if name == Slot.SUBMISSION_TIME:
            data["submission_time"] = r.time(name, values, precisions, extra)
        elif name == Slot.INTENDED_RECIPIENT:
            data["intended_recipients"] = tuple(values)
        else:
            extra[name] = values
    data["title"] = _localized(el, "Name")
    data["comments"] = _localized(el, "Description")
    authors: list[Author] = []
    for cl in _kids(el, "Classification"):
        scheme = cl.get("classificationScheme") or ""
        if scheme == xc.SS_AUTHOR:
            authors.append(r.author(cl, f"author[{len(authors)}]"))
        elif scheme == xc.SS_CONTENT_TYPE_CODE:
            code = r.code(cl, "contentTypeCode")
            if code is not None:
                data["content_type_code"] = code
        elif cl.get("classificationNode") in (xc.SS_CLASSIFICATION_NODE, xc.FOLDER_NODE):
            continue
        else:
            r.issue("Classification", scheme or cl.get("classificationNode"), "unknown classification ignored")
    _read_external_ids(
        el,
        r,
        {xc.SS_PATIENT_ID: "patient_id", xc.SS_SOURCE_ID: "source_id", xc.SS_UNIQUE_ID: "unique_id"},
        data,
    )
    return SubmissionSet.model_validate(_with_read_state(data, r, authors, extra, precisions))


def _read_external_ids(el: etree._Element, r: _Reader, fields: Mapping[str, str], data: dict[str, Any]) -> None:
    """The ``ExternalIdentifier`` children into ``data`` (scheme → field; ``patient_id`` is read as an INS CX)."""
    for ei in _kids(el, "ExternalIdentifier"):
        scheme = ei.get("identificationScheme") or ""
        value = ei.get("value")
        field = fields.get(scheme)
        if field == "patient_id":
            data[field] = r.cx("patientId", value, ins=True)
        elif field is not None:
            data[field] = value
        else:
            r.issue("ExternalIdentifier", f"{scheme}={value}", "unknown external identifier ignored")


def _with_read_state(
    data: dict[str, Any],
    r: _Reader,
    authors: list[Author],
    extra: dict[str, list[str]],
    precisions: dict[str, Precision],
) -> dict[str, Any]:
    """``data`` completed with what every registry-object reader collects (authors, kept slots, flags)."""
    data["authors"] = tuple(authors)
    data["extra_slots"] = extra
    data["time_precisions"] = precisions
    data["issues"] = tuple(r.issues)
    data["unknown_codes"] = tuple(r.flags)
    return data


def association_from_element(el: etree._Element) -> Association:
    """Read an ``Association`` (tolerant: missing source/target read as empty strings)."""
    slots = _read_slots(el)

    def one(name: str) -> str | None:
        values = slots.pop(name, None)
        return values[0] if values else None

    return Association(
        id=el.get("id"),
        type=el.get("associationType") or "",
        source=el.get("sourceObject") or "",
        target=el.get("targetObject") or "",
        submission_set_status=one(Slot.SUBMISSION_SET_STATUS),
        previous_version=one(Slot.PREVIOUS_VERSION),
        original_status=one(Slot.ORIGINAL_STATUS),
        new_status=one(Slot.NEW_STATUS),
        status=el.get("status"),
        home_community_id=el.get("home"),
        extra_slots=slots,
    )


def _is_folder(el: etree._Element, folder_ids: set[str]) -> bool:
    if el.get("id") in folder_ids:
        return True
    return any(cl.get("classificationNode") == xc.FOLDER_NODE for cl in _kids(el, "Classification"))


class _ObjectList:
    def __init__(self) -> None:
        self.documents: list[DocumentEntry] = []
        self.submission_sets: list[SubmissionSet] = []
        self.associations: list[Association] = []
        self.object_refs: list[ObjectRef] = []


def _read_object_list(holder: etree._Element | None) -> _ObjectList:
    out = _ObjectList()
    if holder is None:
        return out
    children = list(_kids(holder))
    folder_ids = {
        cl.get("classifiedObject") or ""
        for cl in children
        if _local(cl) == "Classification" and cl.get("classificationNode") == xc.FOLDER_NODE
    }
    for child in children:
        name = _local(child)
        if name == "ExtrinsicObject":
            out.documents.append(document_entry_from_element(child))
        elif name == "RegistryPackage":
            if not _is_folder(child, folder_ids):
                out.submission_sets.append(submission_set_from_element(child))
        elif name == "Association":
            out.associations.append(association_from_element(child))
        elif name == "ObjectRef":
            out.object_refs.append(ObjectRef(id=child.get("id") or "", home_community_id=child.get("home")))
    return out


def _registry_errors(el: etree._Element) -> tuple[list[RegistryErrorItem], str | None]:
    errors: list[RegistryErrorItem] = []
    lst = _kid(el, "RegistryErrorList")
    if lst is None:
        return errors, None
    for e in _kids(lst, "RegistryError"):
        errors.append(
            RegistryErrorItem(
                error_code=e.get("errorCode") or "",
                code_context=e.get("codeContext"),
                location=e.get("location"),
                severity=e.get("severity") or xc.SEVERITY_ERROR,
                value=_text(e) or None,
            )
        )
    return errors, lst.get("highestSeverity")


def from_submit_objects_request(el: etree._Element) -> SubmissionRequest:
    """Read an ``lcm:SubmitObjectsRequest`` (ITI-41 metadata, ITI-57) into a :class:`SubmissionRequest`."""
    objects = _read_object_list(_kid(el, "RegistryObjectList"))
    if not objects.submission_sets:
        raise ProtocolError("SubmitObjectsRequest without a SubmissionSet (RegistryPackage)")
    ss = objects.submission_sets[0]
    if len(objects.submission_sets) > 1:
        extra = ReadIssue(field="SubmissionSet", value=None, message="several SubmissionSets; the first is kept")
        ss = ss.replace_fields(issues=(*ss.issues, extra))
    return SubmissionRequest(
        submission_set=ss,
        documents=objects.documents,
        associations=objects.associations,
        object_refs=objects.object_refs,
    )


def from_provide_and_register(el: etree._Element) -> ProvideAndRegisterRequest:
    """Read an ``xdsb:ProvideAndRegisterDocumentSetRequest``; each ``xdsb:Document`` becomes a :class:`DocumentPart`.

    An entry whose ``xdsb:Document`` id differs from its own id only by case (the official TD2.1 example:
    ``DocumentME2`` / ``documentME2``) gets :attr:`DocumentEntry.document_id` set to the Document's id.
    """
    sor = _kid(el, "SubmitObjectsRequest")
    if sor is None:
        raise ProtocolError("ProvideAndRegisterDocumentSetRequest without SubmitObjectsRequest")
    submission = from_submit_objects_request(sor)
    parts: list[DocumentPart] = []
    for doc in _kids(el, "Document"):
        include = _kid(doc, "Include")
        if include is not None:
            href = include.get("href") or ""
            cid = unquote(href[4:] if href.startswith("cid:") else href)
            parts.append(DocumentPart(id=doc.get("id") or "", content_id=cid))
        else:
            raw = "".join((doc.text or "").split())
            try:
                data = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                data = raw.encode()
            parts.append(DocumentPart(id=doc.get("id") or "", data=data))
    part_ids = {p.id for p in parts}
    lowered = {p.id.lower(): p.id for p in parts}
    docs: list[DocumentEntry] = []
    for entry in submission.documents:
        uid = entry.entry_uuid or ""
        if uid not in part_ids and uid.lower() in lowered:
            entry = entry.replace_fields(document_id=lowered[uid.lower()])
        docs.append(entry)
    submission.documents = docs
    return ProvideAndRegisterRequest(submission=submission, documents=parts)


def from_adhoc_query_request(el: etree._Element) -> AdhocQueryRequest:
    """Read a ``query:AdhocQueryRequest`` (generic: query id, slots, return type)."""
    option = _kid(el, "ResponseOption")
    query = _kid(el, "AdhocQuery")
    if query is None:
        raise ProtocolError("AdhocQueryRequest without AdhocQuery")
    composed = (option.get("returnComposedObjects") if option is not None else None) or "false"
    return AdhocQueryRequest(
        query_id=query.get("id") or "",
        slots=_read_slots(query),
        return_type=(option.get("returnType") if option is not None else None) or "LeafClass",
        return_composed_objects=composed.strip().lower() == "true",
        home_community_id=query.get("home"),
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def from_adhoc_query_response(el: etree._Element) -> QueryResponse:
    """Read a ``query:AdhocQueryResponse`` (LeafClass or ObjectRef) into a :class:`QueryResponse`."""
    objects = _read_object_list(_kid(el, "RegistryObjectList"))
    errors, _ = _registry_errors(el)
    return QueryResponse(
        status=el.get("status") or "",
        total_result_count=_int(el.get("totalResultCount")),
        start_index=_int(el.get("startIndex")),
        documents=tuple(objects.documents),
        submission_sets=tuple(objects.submission_sets),
        associations=tuple(objects.associations),
        object_refs=tuple(objects.object_refs),
        errors=tuple(errors),
        request_id=el.get("requestId"),
    )


def from_registry_response(el: etree._Element) -> RegistryResponse:
    """Read an ``rs:RegistryResponse`` (status + RegistryErrorList)."""
    errors, highest = _registry_errors(el)
    return RegistryResponse(
        status=el.get("status") or "",
        errors=tuple(errors),
        request_id=el.get("requestId"),
        highest_severity=highest,
    )


def from_retrieve_request(el: etree._Element) -> RetrieveDocumentSetRequest:
    """Read an ``xdsb:RetrieveDocumentSetRequest`` (ITI-43)."""
    docs = [
        DocumentRequest(
            repository_unique_id=_text(_kid(dr, "RepositoryUniqueId")) or "",
            document_unique_id=_text(_kid(dr, "DocumentUniqueId")) or "",
            home_community_id=_text(_kid(dr, "HomeCommunityId")),
        )
        for dr in _kids(el, "DocumentRequest")
    ]
    return RetrieveDocumentSetRequest(documents=tuple(docs))


def from_retrieve_response(el: etree._Element) -> RetrieveDocumentSetResponse:
    """Read an ``xdsb:RetrieveDocumentSetResponse`` (ITI-43); MTOM references are URL-decoded ``cid:`` values."""
    rr = _kid(el, "RegistryResponse")
    response = from_registry_response(rr) if rr is not None else RegistryResponse(status="")
    docs: list[RetrievedDocument] = []
    for dr in _kids(el, "DocumentResponse"):
        doc = _kid(dr, "Document")
        content_id: str | None = None
        data: bytes | None = None
        if doc is not None:
            include = _kid(doc, "Include")
            if include is not None:
                href = include.get("href") or ""
                content_id = unquote(href[4:] if href.startswith("cid:") else href)
            else:
                try:
                    data = base64.b64decode("".join((doc.text or "").split()), validate=True)
                except (binascii.Error, ValueError):
                    data = None
        docs.append(
            RetrievedDocument(
                repository_unique_id=_text(_kid(dr, "RepositoryUniqueId")),
                document_unique_id=_text(_kid(dr, "DocumentUniqueId")),
                mime_type=_text(_kid(dr, "mimeType")),
                home_community_id=_text(_kid(dr, "HomeCommunityId")),
                content_id=content_id,
                data=data,
            )
        )
    return RetrieveDocumentSetResponse(response=response, documents=tuple(docs))


def _body(root: etree._Element) -> tuple[etree._Element, str | None]:
    if _local(root) != "Envelope":
        return root, None
    action: str | None = None
    header = _kid(root, "Header")
    if header is not None:
        action = _text(_kid(header, "Action"))
    body = _kid(root, "Body")
    if body is None:
        raise ProtocolError("SOAP envelope without Body")
    payload = next(_kids(body), None)
    if payload is None:
        raise ProtocolError("empty SOAP Body")
    return payload, action


#: Body element → (kind, ParsedMessage field, reader) of the messages read into a single payload.
_PAYLOAD_READERS: Final[dict[str, tuple[MessageKind, str, Callable[[etree._Element], BaseModel]]]] = {
    "SubmitObjectsRequest": (MessageKind.SUBMIT_OBJECTS_REQUEST, "submission", from_submit_objects_request),
    "AdhocQueryRequest": (MessageKind.ADHOC_QUERY_REQUEST, "query_request", from_adhoc_query_request),
    "AdhocQueryResponse": (MessageKind.ADHOC_QUERY_RESPONSE, "query_response", from_adhoc_query_response),
    "RegistryResponse": (MessageKind.REGISTRY_RESPONSE, "registry_response", from_registry_response),
    "RetrieveDocumentSetRequest": (MessageKind.RETRIEVE_REQUEST, "retrieve_request", from_retrieve_request),
    "RetrieveDocumentSetResponse": (MessageKind.RETRIEVE_RESPONSE, "retrieve_response", from_retrieve_response),
}


def parse_message(data: bytes | etree._Element, *, origin: str = "XDS message") -> ParsedMessage:
    """Recognise and read an XDS message (SOAP envelope or bare body).

    Recognised: SubmitObjectsRequest, ProvideAndRegisterDocumentSetRequest, AdhocQueryRequest,
    AdhocQueryResponse, RegistryResponse, RetrieveDocumentSetRequest/Response.

    Raises:
        XMLError: the bytes are not (safe) XML.
        ProtocolError: the XML is not one of those messages (a SOAP Fault included).
    """
    root = _xml.parse_bytes(bytes(data), origin=origin) if isinstance(data, bytes | bytearray) else data
    payload, action = _body(root)
    name = _local(payload)
    if name == "ProvideAndRegisterDocumentSetRequest":
        pnr = from_provide_and_register(payload)
        return ParsedMessage(
            kind=MessageKind.PROVIDE_AND_REGISTER_REQUEST,
            submission=pnr.submission,
            documents=tuple(pnr.documents),
            soap_action=action,
        )
    if name in _PAYLOAD_READERS:
        kind, field, reader = _PAYLOAD_READERS[name]
        return ParsedMessage.model_validate({"kind": kind, field: reader(payload), "soap_action": action})
    if name == "Fault":
        raise ProtocolError(f"{origin}: a SOAP Fault, not an XDS message")
    raise ProtocolError(f"{origin}: not an XDS message (root element {name!r})")


# ============================================================================================ writing


def _el(prefix: str, local: str, parent: etree._Element | None = None, **attrs: str) -> etree._Element:
    tag = f"{{{NS[prefix]}}}{local}"
    if parent is None:
        return etree.Element(tag, attrs, nsmap=_NSMAP)
    return etree.SubElement(parent, tag, attrs)


def _required(value: Any, field: str, what: str) -> Any:
    if value is None or value == "" or value == ():
        raise InputError(f"{what} is required to write the message", field=field, value=value, rule="XDS required")
    return value


def _check_cx(value: str, field: str) -> str:
    try:
        CX.parse(value)
    except InputError as exc:
        raise InvalidValue(f"malformed CX: {exc.reason}", field=field, value=value, rule="HL7 v2 CX") from None
    return value


class _Writer:
    """Numbering of the classification / external-identifier ids of one message."""

    def __init__(self) -> None:
        self.cl = 0
        self.ei = 0

    def slots(self, parent: etree._Element, slots: Iterable[tuple[str, Sequence[str]]]) -> None:
        merged: dict[str, list[str]] = {}
        for name, values in slots:
            merged.setdefault(name, []).extend(values)
        for name, values in merged.items():
            if not values:
                continue
            slot = _el("rim", "Slot", parent, name=name)
            vl = _el("rim", "ValueList", slot)
            for v in values:
                _el("rim", "Value", vl).text = v

    @staticmethod
    def localized(parent: etree._Element, holder: str, value: str | None) -> None:
        if value is None:
            return
        h = _el("rim", holder, parent)
        ls = _el("rim", "LocalizedString", h, charset=xc.LOCALIZED_CHARSET, value=value)
        ls.set(_XML_LANG, xc.LOCALIZED_LANG)

    def _classification(self, parent: etree._Element, scheme: str, owner: str, node: str) -> etree._Element:
        """A numbered external ``Classification`` (``cl01``, ``cl02`` … in the message)."""
        self.cl += 1
        return _el(
            "rim",
            "Classification",
            parent,
            classificationScheme=scheme,
            classifiedObject=owner,
            id=f"cl{self.cl:02d}",
            nodeRepresentation=node,
        )

    def code(self, parent: etree._Element, scheme: str, owner: str, code: Code) -> None:
        cl = self._classification(parent, scheme, owner, code.code)
        self.slots(cl, [(Slot.CODING_SCHEME, [code.code_system])])
        self.localized(cl, "Name", code.display)

    def author(self, parent: etree._Element, scheme: str, owner: str, author: Author, field: str) -> None:
        if author.person is None and not author.institutions and not author.extra_slots:
            raise InputError("an author needs an authorPerson or an authorInstitution", field=field, value=None)
        cl = self._classification(parent, scheme, owner, "")
        self.slots(
            cl,
            [
                (Slot.AUTHOR_PERSON, [author.person.format()] if author.person else []),
                (Slot.AUTHOR_INSTITUTION, [o.format() for o in author.institutions]),
                (Slot.AUTHOR_ROLE, list(author.roles)),
                (Slot.AUTHOR_SPECIALTY, [format_cwe(s) for s in author.specialties]),
                (Slot.AUTHOR_TELECOMMUNICATION, list(author.telecoms)),
                *author.extra_slots.items(),
            ],
        )

    def external_id(self, parent: etree._Element, scheme: str, owner: str, value: str, name: str) -> None:
        self.ei += 1
        ei = _el(
            "rim",
            "ExternalIdentifier",
            parent,
            id=f"ei{self.ei:02d}",
            identificationScheme=scheme,
            registryObject=owner,
            value=value,
        )
        self.localized(ei, "Name", name)


def _time(value: datetime | None, slot: str, precisions: Mapping[str, Precision]) -> list[str]:
    if value is None:
        return []
    text = format_xds_time(value)
    precision = precisions.get(slot)
    return [text[: int(precision)]] if precision is not None and precision < Precision.SECOND else [text]


def document_entry_to_element(
    entry: DocumentEntry, parent: etree._Element | None = None, *, writer: _Writer | None = None
) -> etree._Element:
    """Write a :class:`DocumentEntry` as an ``rim:ExtrinsicObject`` (strict: required fields checked)."""
    w = writer or _Writer()
    owner = _required(entry.entry_uuid, "DocumentEntry.entry_uuid", "the entry id")
    where = f"DocumentEntry[{owner}]"
    unique_id = _required(entry.unique_id, f"{where}.uniqueId", "uniqueId")
    patient_id = _check_cx(_required(entry.patient_id, f"{where}.patientId", "patientId"), f"{where}.patientId")
    attrs = {"id": owner, "mimeType": _required(entry.mime_type, f"{where}.mimeType", "mimeType")}
    attrs["objectType"] = entry.object_type
    if entry.logical_id:
        attrs["lid"] = entry.logical_id
    if entry.availability_status:
        attrs["status"] = str(entry.availability_status)
    if entry.home_community_id:
        attrs["home"] = entry.home_community_id
    el = _el("rim", "ExtrinsicObject", parent, **attrs)
    p = entry.time_precisions
    source_patient_id = entry.source_patient_id
    if source_patient_id is not None:
        _check_cx(source_patient_id, f"{where}.sourcePatientId")
    info: list[str] = []
    if entry.source_patient_info is not None:
        try:
            info = entry.source_patient_info.to_slot_values()
        except InputError as exc:
            exc.field = f"{where}.{exc.field}"
            raise
    w.slots(
        el,
        [
            (Slot.CREATION_TIME, _time(entry.creation_time, Slot.CREATION_TIME, p)),
            (Slot.HASH, [entry.hash] if entry.hash else []),
            (Slot.LANGUAGE_CODE, [entry.language_code] if entry.language_code else []),
            (Slot.LEGAL_AUTHENTICATOR, [entry.legal_authenticator.format()] if entry.legal_authenticator else []),
            (Slot.REPOSITORY_UNIQUE_ID, [entry.repository_unique_id] if entry.repository_unique_id else []),
            (Slot.SERVICE_START_TIME, _time(entry.service_start_time, Slot.SERVICE_START_TIME, p)),
            (Slot.SERVICE_STOP_TIME, _time(entry.service_stop_time, Slot.SERVICE_STOP_TIME, p)),
            (Slot.SIZE, [str(entry.size)] if entry.size is not None else []),
            (Slot.SOURCE_PATIENT_ID, [source_patient_id] if source_patient_id else []),
            (Slot.SOURCE_PATIENT_INFO, info),
            (Slot.REFERENCE_ID_LIST, list(entry.reference_ids)),
            *entry.extra_slots.items(),
        ],
    )
    w.localized(el, "Name", entry.title)
    w.localized(el, "Description", entry.comments)
    if entry.version:
        _el("rim", "VersionInfo", el, versionName=entry.version)
    for i, author in enumerate(entry.authors):
        w.author(el, xc.DE_AUTHOR, owner, author, f"{where}.author[{i}]")
    singles = {field: scheme for scheme, field in _DE_SINGLE_CODES.items()}
    for field in ("class_code", "type_code"):
        code = getattr(entry, field)
        if code is not None:
            w.code(el, singles[field], owner, code)
    for code in entry.confidentiality_codes:
        w.code(el, xc.DE_CONFIDENTIALITY_CODE, owner, code)
    for code in entry.event_codes:
        w.code(el, xc.DE_EVENT_CODE, owner, code)
    for field in ("format_code", "healthcare_facility_type_code", "practice_setting_code"):
        code = getattr(entry, field)
        if code is not None:
            w.code(el, singles[field], owner, code)
    w.external_id(el, xc.DE_PATIENT_ID, owner, patient_id, xc.DE_PATIENT_ID_NAME)
    w.external_id(el, xc.DE_UNIQUE_ID, owner, unique_id, xc.DE_UNIQUE_ID_NAME)
    return el


def submission_set_to_element(
    ss: SubmissionSet, parent: etree._Element | None = None, *, writer: _Writer | None = None, strict: bool = True
) -> etree._Element:
    """Write a :class:`SubmissionSet` as an ``rim:RegistryPackage`` classified as a SubmissionSet.

    ``strict=False`` (query responses written by the sandbox) skips the required-field checks.
    """
    w = writer or _Writer()
    owner = ss.entry_uuid or "SubmissionSet01"
    where = f"SubmissionSet[{owner}]"
    if strict:
        _required(ss.submission_time, f"{where}.submissionTime", "submissionTime")
        _required(ss.unique_id, f"{where}.uniqueId", "uniqueId")
        _required(ss.source_id, f"{where}.sourceId", "sourceId")
        _required(ss.patient_id, f"{where}.patientId", "patientId")
        _required(ss.content_type_code, f"{where}.contentTypeCode", "contentTypeCode")
    if ss.patient_id:
        _check_cx(ss.patient_id, f"{where}.patientId")
    attrs = {"id": owner}
    if ss.availability_status:
        attrs["status"] = str(ss.availability_status)
    if ss.home_community_id:
        attrs["home"] = ss.home_community_id
    el = _el("rim", "RegistryPackage", parent, **attrs)
    w.slots(
        el,
        [
            (Slot.SUBMISSION_TIME, _time(ss.submission_time, Slot.SUBMISSION_TIME, ss.time_precisions)),
            (Slot.INTENDED_RECIPIENT, list(ss.intended_recipients)),
            *ss.extra_slots.items(),
        ],
    )
    w.localized(el, "Name", ss.title)
    w.localized(el, "Description", ss.comments)
    for i, author in enumerate(ss.authors):
        w.author(el, xc.SS_AUTHOR, owner, author, f"{where}.author[{i}]")
    if ss.content_type_code is not None:
        w.code(el, xc.SS_CONTENT_TYPE_CODE, owner, ss.content_type_code)
    w.cl += 1
    _el(
        "rim",
        "Classification",
        el,
        classificationNode=xc.SS_CLASSIFICATION_NODE,
        classifiedObject=owner,
        id=f"cl{w.cl:02d}",
    )
    if ss.patient_id:
        w.external_id(el, xc.SS_PATIENT_ID, owner, ss.patient_id, xc.SS_PATIENT_ID_NAME)
    if ss.source_id:
        w.external_id(el, xc.SS_SOURCE_ID, owner, ss.source_id, xc.SS_SOURCE_ID_NAME)
    if ss.unique_id:
        w.external_id(el, xc.SS_UNIQUE_ID, owner, ss.unique_id, xc.SS_UNIQUE_ID_NAME)
    return el


def association_to_element(
    assoc: Association, parent: etree._Element | None = None, *, index: int = 1
) -> etree._Element:
    """Write an ``rim:Association`` with its slots."""
    if not assoc.source or not assoc.target or not assoc.type:
        raise InputError(
            "an association needs a type, a source and a target", field="Association", value=assoc.id, rule="ebRIM"
        )
    attrs = {
        "associationType": str(assoc.type),
        "id": assoc.id or f"Association{index:02d}",
        "sourceObject": assoc.source,
        "targetObject": assoc.target,
    }
    if assoc.status:
        attrs["status"] = str(assoc.status)
    if assoc.home_community_id:
        attrs["home"] = assoc.home_community_id
    el = _el("rim", "Association", parent, **attrs)

    def opt(value: object) -> list[str]:
        return [str(value)] if value else []

    _Writer().slots(
        el,
        [
            (Slot.SUBMISSION_SET_STATUS, opt(assoc.submission_set_status)),
            (Slot.PREVIOUS_VERSION, opt(assoc.previous_version)),
            (Slot.ORIGINAL_STATUS, opt(assoc.original_status)),
            (Slot.NEW_STATUS, opt(assoc.new_status)),
            *assoc.extra_slots.items(),
        ],
    )
    return el


def _object_list(
    parent: etree._Element,
    *,
    submission_sets: Iterable[SubmissionSet],
    documents: Iterable[DocumentEntry],
    associations: Iterable[Association],
    object_refs: Iterable[ObjectRef] = (),
    strict: bool = True,
) -> etree._Element:
    rol = _el("rim", "RegistryObjectList", parent)
    w = _Writer()
    for ref in object_refs:
        attrs = {"id": ref.id}
        if ref.home_community_id:
            attrs["home"] = ref.home_community_id
        _el("rim", "ObjectRef", rol, **attrs)
    for ss in submission_sets:
        submission_set_to_element(ss, rol, writer=w, strict=strict)
    for entry in documents:
        document_entry_to_element(entry, rol, writer=w)
    for i, assoc in enumerate(associations, start=1):
        association_to_element(assoc, rol, index=i)
    return rol


def to_submit_objects_request(submission: SubmissionRequest) -> etree._Element:
    """Write an ``lcm:SubmitObjectsRequest`` (the ITI-57 body, and the metadata part of ITI-41)."""
    el = _el("lcm", "SubmitObjectsRequest")
    _object_list(
        el,
        submission_sets=[submission.submission_set],
        documents=submission.documents,
        associations=submission.associations,
        object_refs=submission.object_refs,
    )
    return el


def to_provide_and_register(
    submission: SubmissionRequest | ProvideAndRegisterRequest,
    contents: Mapping[str, str | bytes] | None = None,
) -> etree._Element:
    """Write an ``xdsb:ProvideAndRegisterDocumentSetRequest``.

    Args:
        submission: the metadata (or a :class:`ProvideAndRegisterRequest`, whose parts are used when
            ``contents`` is not given).
        contents: document id (:attr:`DocumentEntry.content_id`) → a MTOM Content-ID (``str``, written as
            ``<xop:Include href="cid:…"/>``) or the bytes themselves (``bytes``, written inline in base64).
            Every DocumentEntry needs one.
    """
    if isinstance(submission, ProvideAndRegisterRequest):
        if contents is None:
            contents = {
                p.id: (p.content_id if p.content_id is not None else p.data or b"") for p in submission.documents
            }
        submission = submission.submission
    contents = dict(contents or {})
    el = _el("xdsb", "ProvideAndRegisterDocumentSetRequest")
    el.append(to_submit_objects_request(submission))
    for entry in submission.documents:
        doc_id = entry.content_id or ""
        if doc_id not in contents:
            raise InputError(
                "every DocumentEntry needs its content (a Content-ID or bytes)",
                field=f"contents[{doc_id}]",
                value=None,
                rule="ITI-41 Document",
            )
        content = contents.pop(doc_id)
        doc = _el("xdsb", "Document", el, id=doc_id)
        if isinstance(content, str):
            inc = etree.SubElement(doc, f"{{{NS['xop']}}}Include", nsmap={"xop": NS["xop"]})
            inc.set("href", content if content.startswith("cid:") else f"cid:{content}")
        else:
            doc.text = base64.b64encode(content).decode("ascii")
    if contents:
        raise InputError(
            "content given for an id that no DocumentEntry carries",
            field="contents",
            value=sorted(contents),
            rule="ITI-41 Document",
        )
    return el


def to_adhoc_query_request(query: AdhocQueryRequest) -> etree._Element:
    """Write a ``query:AdhocQueryRequest`` (slot values written verbatim)."""
    if not query.query_id:
        raise InputError("the stored query id is required", field="query_id", value=query.query_id)
    el = _el("query", "AdhocQueryRequest")
    _el(
        "query",
        "ResponseOption",
        el,
        returnComposedObjects="true" if query.return_composed_objects else "false",
        returnType=str(query.return_type),
    )
    attrs = {"id": query.query_id}
    if query.home_community_id:
        attrs["home"] = query.home_community_id
    aq = _el("rim", "AdhocQuery", el, **attrs)
    _Writer().slots(aq, query.slots.items())
    return el


def _error_list(parent: etree._Element, errors: Sequence[RegistryErrorItem], highest: str | None) -> None:
    if not errors:
        return
    if highest is None:
        highest = xc.SEVERITY_ERROR if any(e.is_error for e in errors) else xc.SEVERITY_WARNING
    lst = _el("rs", "RegistryErrorList", parent, highestSeverity=highest)
    for e in errors:
        attrs = {"codeContext": e.code_context or "", "errorCode": e.error_code, "severity": e.severity}
        if e.location:
            attrs["location"] = e.location
        item = _el("rs", "RegistryError", lst, **attrs)
        if e.value:
            item.text = e.value


def to_adhoc_query_response(response: QueryResponse) -> etree._Element:
    """Write a ``query:AdhocQueryResponse`` (the sandbox side of ITI-18)."""
    attrs = {"status": str(response.status)}
    if response.request_id:
        attrs["requestId"] = response.request_id
    if response.start_index is not None:
        attrs["startIndex"] = str(response.start_index)
    if response.total_result_count is not None:
        attrs["totalResultCount"] = str(response.total_result_count)
    el = _el("query", "AdhocQueryResponse", None, **attrs)
    _error_list(el, response.errors, None)
    _object_list(
        el,
        submission_sets=response.submission_sets,
        documents=response.documents,
        associations=response.associations,
        object_refs=response.object_refs,
        strict=False,
    )
    return el


def to_registry_response(response: RegistryResponse, parent: etree._Element | None = None) -> etree._Element:
    """Write an ``rs:RegistryResponse`` with its ``RegistryErrorList``."""
    attrs = {"status": str(response.status)}
    if response.request_id:
        attrs["requestId"] = response.request_id
    el = _el("rs", "RegistryResponse", parent, **attrs)
    _error_list(el, response.errors, response.highest_severity)
    return el


def to_retrieve_request(request: RetrieveDocumentSetRequest) -> etree._Element:
    """Write an ``xdsb:RetrieveDocumentSetRequest`` (ITI-43)."""
    el = _el("xdsb", "RetrieveDocumentSetRequest")
    for d in request.documents:
        dr = _el("xdsb", "DocumentRequest", el)
        if d.home_community_id:
            _el("xdsb", "HomeCommunityId", dr).text = d.home_community_id
        _el("xdsb", "RepositoryUniqueId", dr).text = d.repository_unique_id
        _el("xdsb", "DocumentUniqueId", dr).text = d.document_unique_id
    return el


def to_retrieve_response(response: RetrieveDocumentSetResponse) -> etree._Element:
    """Write an ``xdsb:RetrieveDocumentSetResponse`` (content inline, or an ``xop:Include`` for a Content-ID)."""
    el = _el("xdsb", "RetrieveDocumentSetResponse")
    to_registry_response(response.response, el)
    for d in response.documents:
        dr = _el("xdsb", "DocumentResponse", el)
        if d.home_community_id:
            _el("xdsb", "HomeCommunityId", dr).text = d.home_community_id
        _el("xdsb", "RepositoryUniqueId", dr).text = d.repository_unique_id or ""
        _el("xdsb", "DocumentUniqueId", dr).text = d.document_unique_id or ""
        _el("xdsb", "mimeType", dr).text = d.mime_type or "application/octet-stream"
        doc = _el("xdsb", "Document", dr)
        if d.content_id is not None:
            inc = etree.SubElement(doc, f"{{{NS['xop']}}}Include", nsmap={"xop": NS["xop"]})
            inc.set("href", f"cid:{d.content_id}")
        else:
            doc.text = base64.b64encode(d.data or b"").decode("ascii")
    return el


_SERIALIZERS: Final[dict[type[Any], Callable[[Any], etree._Element]]] = {
    SubmissionRequest: to_submit_objects_request,
    ProvideAndRegisterRequest: to_provide_and_register,
    AdhocQueryRequest: to_adhoc_query_request,
    QueryResponse: to_adhoc_query_response,
    RegistryResponse: to_registry_response,
    RetrieveDocumentSetRequest: to_retrieve_request,
    RetrieveDocumentSetResponse: to_retrieve_response,
}


def serialize(message: ParsedMessage | SubmissionRequest | ProvideAndRegisterRequest | Any) -> etree._Element:
    """Write any message model (or a :class:`ParsedMessage`) back to its XML body element."""
    if isinstance(message, ParsedMessage):
        if message.kind is MessageKind.PROVIDE_AND_REGISTER_REQUEST:
            assert message.submission is not None
            return to_provide_and_register(
                ProvideAndRegisterRequest(submission=message.submission, documents=list(message.documents))
            )
        message = message.payload()
    writer = _SERIALIZERS.get(type(message))
    if writer is None:
        raise TypeError(f"cannot serialise {type(message).__name__}")
    return writer(message)
