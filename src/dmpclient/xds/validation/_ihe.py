"""IHE layer (ITI TF-3): required attributes, cardinalities and formats, associations, message consistency."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

from dmpclient.errors import InputError, Severity
from dmpclient.hl7v2 import CX
from dmpclient.xds.model import (
    AssociationType,
    AvailabilityStatus,
    DocumentEntry,
    DocumentPart,
    ReadIssue,
    SubmissionRequest,
)
from dmpclient.xds.validation._base import (
    Collector,
    RequestKind,
    association_name,
    document_name,
    submission_set_name,
)

__all__ = ["SubmissionView", "check_ihe"]

_HASH_RE: Final = re.compile(r"^[0-9a-f]{40}$")
_MIME_RE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;.*)?$")
_TIME_FIELDS: Final = frozenset({"creationTime", "serviceStartTime", "serviceStopTime", "submissionTime"})
_STATUSES: Final = frozenset(s.value for s in AvailabilityStatus)
_DOC_TO_DOC: Final = frozenset(
    {AssociationType.RPLC, AssociationType.XFRM, AssociationType.APND, AssociationType.XFRM_RPLC}
)


@dataclass(frozen=True)
class SubmissionView:
    """A submission with what the rules need to know about it."""

    submission: SubmissionRequest
    kind: RequestKind
    parts: tuple[DocumentPart, ...] | None
    """The ``xdsb:Document`` parts of an ITI-41 request; ``None`` when unknown (model input, ITI-57)."""

    @property
    def ss_id(self) -> str:
        """Id of the SubmissionSet (the name associations use)."""
        return self.submission.submission_set.entry_uuid or "SubmissionSet01"

    @property
    def doc_ids(self) -> set[str]:
        """Ids of the DocumentEntries of the message."""
        return {d.entry_uuid for d in self.submission.documents if d.entry_uuid}

    @property
    def object_ids(self) -> set[str]:
        """Every object id of the message."""
        ids = {self.ss_id} | self.doc_ids
        ids.update(a.id for a in self.submission.associations if a.id)
        return ids


# -------------------------------------------------------------------------------------- read issues


def _issue_rule(issue: ReadIssue) -> str | None:
    """Map a reader issue to a rule (``None``: reported elsewhere, by the DMP layer)."""
    text = issue.message
    if issue.field == "SubmissionSet":
        return "ihe.submissionSet.count"
    if issue.field in ("Classification", "ExternalIdentifier"):
        return "ihe.metadata.unknown"
    if text.startswith("not a valid INS"):
        return None  # DMP layer: dmp.patientId.*
    if "several values" in text or "given twice" in text or "has several" in text:
        return "ihe.cardinality"
    if issue.field in _TIME_FIELDS:
        return "ihe.time.format"
    if issue.field == "size":
        return "ihe.size.format"
    if text.startswith("coded value without"):
        return "ihe.code.incomplete"
    return "ihe.metadata.unreadable"


def _report_issues(name: str, issues: tuple[ReadIssue, ...], c: Collector) -> set[str]:
    """Report reader issues; return the fields concerned (so that 'required' does not report them twice)."""
    fields: set[str] = set()
    for issue in issues:
        rule = _issue_rule(issue)
        fields.add(issue.field)
        if rule is None:
            continue
        c.add(rule, f"{issue.field}: {issue.message}", location=f"{name}.{issue.field}", value=issue.value)
    return fields


# ------------------------------------------------------------------------------------------ checks


def check_ihe(view: SubmissionView, c: Collector) -> None:
    """Every IHE-layer rule on a submission."""
    sub = view.submission
    ss = sub.submission_set
    ss_name = submission_set_name(ss)
    ss_issue_fields = _report_issues(ss_name, ss.issues, c)
    _required(
        ss_name,
        {
            "uniqueId": ss.unique_id,
            "sourceId": ss.source_id,
            "patientId": ss.patient_id,
            "submissionTime": ss.submission_time,
            "contentTypeCode": ss.content_type_code,
        },
        ss_issue_fields,
        "ihe.submissionSet.required",
        c,
    )
    for i, author in enumerate(ss.authors):
        if author.person is None and not author.institutions:
            c.add(
                "ihe.author.identity",
                "author without authorPerson nor authorInstitution",
                location=f"{ss_name}.author[{i}]",
            )
    for i, entry in enumerate(sub.documents):
        _check_entry(entry, document_name(entry, i), c)
    _check_identity(view, c)
    _check_associations(view, c)
    if view.kind is RequestKind.METADATA_UPDATE:
        _check_update(view, c)
    if view.parts is not None:
        _check_parts(view, c)


def _required(name: str, values: dict[str, object], skip: set[str], rule: str, c: Collector) -> None:
    for field, value in values.items():
        if field in skip:
            continue
        if value is None or (isinstance(value, str | tuple) and not value):
            c.add(rule, f"required attribute {field} is missing", location=f"{name}.{field}")


def _check_entry(entry: DocumentEntry, name: str, c: Collector) -> None:
    skip = _report_issues(name, entry.issues, c)
    _required(
        name,
        {
            "patientId": entry.patient_id,
            "uniqueId": entry.unique_id,
            "classCode": entry.class_code,
            "typeCode": entry.type_code,
            "formatCode": entry.format_code,
            "confidentialityCode": entry.confidentiality_codes,
            "healthcareFacilityTypeCode": entry.healthcare_facility_type_code,
            "practiceSettingCode": entry.practice_setting_code,
            "creationTime": entry.creation_time,
            "languageCode": entry.language_code,
            "mimeType": entry.mime_type,
            "sourcePatientId": entry.source_patient_id,
        },
        skip,
        "ihe.documentEntry.required",
        c,
    )
    if entry.hash is not None and not _HASH_RE.match(entry.hash):
        c.add(
            "ihe.hash.format",
            f"hash {entry.hash!r} is not a SHA-1 in 40 lower-case hexadecimal characters",
            location=f"{name}.hash",
            value=entry.hash,
        )
    if entry.size is not None and entry.size < 0:
        c.add("ihe.size.format", f"size {entry.size} is negative", location=f"{name}.size", value=entry.size)
    if entry.mime_type and not _MIME_RE.match(entry.mime_type):
        c.add(
            "ihe.mimeType.format",
            f"mimeType {entry.mime_type!r} is not type/subtype",
            location=f"{name}.mimeType",
            value=entry.mime_type,
        )
    for i, author in enumerate(entry.authors):
        if author.person is None and not author.institutions:
            c.add(
                "ihe.author.identity",
                "author without authorPerson nor authorInstitution",
                location=f"{name}.author[{i}]",
            )


def _patient_key(value: str) -> tuple[str, str | None] | str:
    try:
        cx = CX.parse(value)
    except InputError:
        return value
    authority = cx.assigning_authority.universal_id if cx.assigning_authority else None
    return (cx.id, authority)


def _check_identity(view: SubmissionView, c: Collector) -> None:
    sub = view.submission
    ss = sub.submission_set
    # object ids
    ids = [ss.entry_uuid or view.ss_id] + [d.entry_uuid for d in sub.documents if d.entry_uuid]
    ids += [a.id for a in sub.associations if a.id]
    for oid, count in Counter(ids).items():
        if count > 1:
            c.add("ihe.id.duplicate", f"id {oid!r} is used by {count} objects", location=oid, value=oid)
    # uniqueIds
    uids: list[tuple[str, str]] = []
    if ss.unique_id:
        uids.append((ss.unique_id, f"{submission_set_name(ss)}.uniqueId"))
    uids += [(d.unique_id, f"{document_name(d, i)}.uniqueId") for i, d in enumerate(sub.documents) if d.unique_id]
    counts = Counter(u for u, _ in uids)
    reported: set[str] = set()
    for uid, where in uids:
        if counts[uid] > 1 and uid not in reported:
            reported.add(uid)
            c.add(
                "ihe.uniqueId.duplicate",
                f"uniqueId {uid!r} is used by {counts[uid]} objects of the message",
                location=where,
                value=uid,
            )
    # patientId
    if ss.patient_id:
        reference = _patient_key(ss.patient_id)
        for i, d in enumerate(sub.documents):
            if d.patient_id and _patient_key(d.patient_id) != reference:
                c.add(
                    "ihe.patientId.mismatch",
                    f"patientId {d.patient_id!r} differs from the SubmissionSet's {ss.patient_id!r}",
                    location=f"{document_name(d, i)}.patientId",
                    value=d.patient_id,
                )


def _check_associations(view: SubmissionView, c: Collector) -> None:
    sub = view.submission
    ss_id = view.ss_id
    doc_ids = view.doc_ids
    object_ids = view.object_ids
    members: set[str] = set()
    for i, a in enumerate(sub.associations):
        name = association_name(a, i)
        if not isinstance(a.type, AssociationType):
            c.add(
                "ihe.association.type",
                f"unknown association type {a.type!r}",
                location=f"{name}.associationType",
                value=a.type,
            )
            continue
        for end, value in (("sourceObject", a.source), ("targetObject", a.target)):
            if not value:
                c.add("ihe.association.reference", f"{end} is empty", location=f"{name}.{end}")
            elif value not in object_ids and not value.startswith("urn:uuid:"):
                c.add(
                    "ihe.association.reference",
                    f"{end} {value!r} is neither an object of the message nor a registry entryUUID",
                    location=f"{name}.{end}",
                    value=value,
                )
        _check_shape(a.type, a.source, a.target, name, ss_id, doc_ids, c)
        if a.type is AssociationType.HAS_MEMBER and a.source == ss_id:
            members.add(a.target)
            if a.target in doc_ids:
                if a.submission_set_status is None:
                    c.add(
                        "ihe.hasMember.submissionSetStatus",
                        "HasMember SubmissionSet → DocumentEntry without SubmissionSetStatus (Original)",
                        location=f"{name}.SubmissionSetStatus",
                    )
                elif a.submission_set_status not in ("Original", "Reference"):
                    c.add(
                        "ihe.hasMember.submissionSetStatus",
                        f"SubmissionSetStatus {a.submission_set_status!r} is neither Original nor Reference",
                        location=f"{name}.SubmissionSetStatus",
                        value=a.submission_set_status,
                        severity=Severity.ERROR,
                    )
        if a.type is AssociationType.UPDATE_AVAILABILITY_STATUS:
            for slot, status in (("OriginalStatus", a.original_status), ("NewStatus", a.new_status)):
                if status is None:
                    c.add("ihe.statusUpdate.slots", f"{slot} is missing", location=f"{name}.{slot}")
                elif str(status) not in _STATUSES:
                    c.add(
                        "ihe.statusUpdate.slots",
                        f"{slot} {status!r} is not an availabilityStatus URN",
                        location=f"{name}.{slot}",
                        value=status,
                    )
    for i, d in enumerate(sub.documents):
        if d.entry_uuid not in members:
            c.add(
                "ihe.hasMember.missing",
                "no HasMember association links this DocumentEntry to the SubmissionSet",
                location=document_name(d, i),
                value=d.entry_uuid,
            )


def _check_shape(
    kind: AssociationType,
    source: str,
    target: str,
    name: str,
    ss_id: str,
    doc_ids: set[str],
    c: Collector,
) -> None:
    problem: str | None = None
    if kind is AssociationType.HAS_MEMBER and source != ss_id:
        problem = f"HasMember must start from the SubmissionSet {ss_id!r}, not {source!r}"
    elif kind in _DOC_TO_DOC:
        if source not in doc_ids:
            problem = f"{kind.name} must start from a DocumentEntry of the message, not {source!r}"
        elif target in doc_ids:
            problem = f"{kind.name} must target a document already in the registry, not {target!r} of the message"
    elif kind is AssociationType.SIGNS:
        if source not in doc_ids:
            problem = f"signs must start from the signature DocumentEntry, not {source!r}"
        elif target != ss_id:
            problem = f"signs must target the SubmissionSet {ss_id!r}, not {target!r}"
    elif kind is AssociationType.UPDATE_AVAILABILITY_STATUS:
        if source != ss_id:
            problem = f"UpdateAvailabilityStatus must start from the SubmissionSet {ss_id!r}, not {source!r}"
        elif target in doc_ids or target == ss_id:
            problem = f"UpdateAvailabilityStatus must target a registry entry, not {target!r} of the message"
    if problem:
        c.add("ihe.association.shape", problem, location=name, value=f"{source} → {target}")


def _check_update(view: SubmissionView, c: Collector) -> None:
    sub = view.submission
    for i, d in enumerate(sub.documents):
        name = document_name(d, i)
        if not d.logical_id or not d.logical_id.startswith("urn:uuid:"):
            c.add(
                "ihe.update.logicalId",
                f"the new version must carry the document's logicalId (lid = urn:uuid:…), got {d.logical_id!r}",
                location=f"{name}.lid",
                value=d.logical_id,
            )
        links = [
            a
            for a in sub.associations
            if a.type is AssociationType.HAS_MEMBER and a.source == view.ss_id and a.target == d.entry_uuid
        ]
        versions = [a.previous_version for a in links if a.previous_version is not None]
        if not versions:
            c.add(
                "ihe.update.previousVersion",
                "the HasMember of a metadata update carries PreviousVersion (the current versionName)",
                location=f"{name}.PreviousVersion",
            )
        elif not all(v.isdigit() for v in versions):
            c.add(
                "ihe.update.previousVersion",
                f"PreviousVersion {versions[0]!r} is not an integer",
                location=f"{name}.PreviousVersion",
                value=versions[0],
            )


def _check_parts(view: SubmissionView, c: Collector) -> None:
    assert view.parts is not None
    part_ids = [p.id for p in view.parts]
    docs = view.submission.documents
    content_ids = {d.content_id for d in docs}
    for i, d in enumerate(docs):
        name = document_name(d, i)
        if d.content_id not in part_ids:
            c.add(
                "ihe.document.missing",
                "no xdsb:Document carries the content of this DocumentEntry",
                location=name,
                value=d.content_id,
            )
        elif d.document_id and d.entry_uuid and d.document_id != d.entry_uuid:
            c.add(
                "ihe.document.idCase",
                f"xdsb:Document id {d.document_id!r} matches the ExtrinsicObject id {d.entry_uuid!r} only when "
                "case is ignored",
                location=name,
                value=d.document_id,
            )
    for pid in part_ids:
        if pid not in content_ids:
            c.add(
                "ihe.document.metadataMissing",
                f"xdsb:Document {pid!r} has no DocumentEntry",
                location=f"Document[{pid}]",
                value=pid,
            )
