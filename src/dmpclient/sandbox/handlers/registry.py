"""Handlers of the ``registry`` service: TD3.1 / TD3.1b (ITI-18 stored queries) and TD3.3a/b/c/d (ITI-57).

Stored queries: every query of :mod:`dmpclient.xds.queries` with its parameters; an unknown id, a missing or
malformed parameter or too many values answer the DMP's ``RegistryError`` (:func:`~dmpclient.transactions.
registry.query_error`). ``$XDSDocumentEntryPatientId`` may be omitted (the VIHF INS is used, RG_3010). Results
hold only what the caller may see (masked documents: authors, MT, emergency modes when the patient allowed it;
signature entries hidden). Every TD3.1 is logged as a patient notification and counted for the
over-solicitation threshold.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from dmpclient.errors import NIARefused
from dmpclient.ids import INS
from dmpclient.sandbox._interfaces import SandboxRequest
from dmpclient.sandbox.handlers._base import Env, handle
from dmpclient.sandbox.rules import (
    APPROVED,
    ARCHIVED,
    DELETED,
    DEPRECATED,
    Refusal,
    caller_key,
    check_author,
    check_body_patient,
    check_consultation,
    check_patient_for,
    require_right,
    visible_in_search,
)
from dmpclient.sandbox.store import EntryRecord, LogRecord, PatientRecord, StatusChange, SubmissionSetRecord
from dmpclient.soap import SoapResponse
from dmpclient.transactions import registry as tx
from dmpclient.transactions import repository as tx_repo
from dmpclient.transactions.rights import RightsAction
from dmpclient.xds import ebrim
from dmpclient.xds.model import (
    Association,
    AssociationType,
    Code,
    DocumentEntry,
    ObjectRef,
    QueryResponse,
    ResponseStatus,
    ReturnType,
    SubmissionSet,
)
from dmpclient.xds.queries import (
    FindDocuments,
    FindDocumentsByReferenceId,
    FindSubmissionSets,
    GetAssociations,
    GetDocuments,
    GetDocumentsAndAssociations,
    GetRelatedDocuments,
    GetSubmissionSetAndContents,
    GetSubmissionSets,
    QueryParameterError,
    StoredQuery,
    StoredQueryId,
    parse_stored_query,
)
from dmpclient.xds.validation import check_metadata_update

__all__ = ["stored_query", "update_availability_status", "update_document_metadata"]

_PATIENT_SLOTS = {
    StoredQueryId.FIND_DOCUMENTS.value: "$XDSDocumentEntryPatientId",
    StoredQueryId.FIND_DOCUMENTS_BY_REFERENCE_ID.value: "$XDSDocumentEntryPatientId",
    StoredQueryId.FIND_SUBMISSION_SETS.value: "$XDSSubmissionSetPatientId",
}


def _xds_time(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S") if value is not None else None


def _in_range(value: dt.datetime | None, start: str | None, end: str | None) -> bool:
    """IHE time filters: ``From`` inclusive, ``To`` exclusive, compared at the precision of the parameter."""
    if start is None and end is None:
        return True
    text = _xds_time(value)
    if text is None:
        return False
    if start is not None and text[: len(start)] < start:
        return False
    return not (end is not None and text[: len(end)] >= end)


def _codes(value: object) -> tuple[Code, ...]:
    """The decoded codes of a query parameter (the builders normalise them to :class:`Code`)."""
    return tuple(c for c in (value or ()) if isinstance(c, Code)) if isinstance(value, tuple | list) else ()


def _groups(value: object) -> tuple[tuple[Code, ...], ...]:
    """The decoded AND-of-OR code groups of a query parameter."""
    if not isinstance(value, tuple | list):
        return ()
    return tuple(_codes(g) for g in value if isinstance(g, tuple | list))


def _time(value: object) -> str | None:
    """A decoded time parameter (wire text)."""
    return value if isinstance(value, str) else None


def _code_match(code: Code | None, wanted: Sequence[Code]) -> bool:
    if not wanted:
        return True
    if code is None:
        return False
    return any(w.code == code.code and (not w.code_system or w.code_system == code.code_system) for w in wanted)


def _groups_match(codes: Sequence[Code], groups: Sequence[Sequence[Code]]) -> bool:
    return all(any(_code_match(c, group) for c in codes) for group in groups)


def _author_match(entry: DocumentEntry, patterns: Sequence[str]) -> bool:
    if not patterns:
        return True
    people = [a.person.format() for a in entry.authors if a.person is not None]
    return any(fnmatch.fnmatchcase(p, pat.replace("%", "*").replace("_", "?")) for p in people for pat in patterns)


# ------------------------------------------------------------------------------------------ queries


class _Query:
    """Runs one stored query over the store for one patient and caller."""

    def __init__(self, env: Env, request: SandboxRequest, patient: PatientRecord, is_mt: bool) -> None:
        self.env = env
        self.caller = request.caller
        self.patient = patient
        self.is_mt = is_mt

    def visible(self, entry: EntryRecord) -> bool:
        return entry.patient_id == self.patient.id and visible_in_search(
            entry, self.caller, patient=self.patient, is_mt=self.is_mt, params=self.env.params
        )

    def entries_by_ids(self, uuids: Sequence[str], unique_ids: Sequence[str]) -> list[EntryRecord]:
        store = self.env.store
        found: list[EntryRecord] = []
        for u in uuids:
            e = store.get_entry(u)
            if e is not None:
                found.append(e)
        for uid in unique_ids:
            e = store.latest_by_unique_id(uid)
            if e is not None:
                found.append(e)
        return [e for e in found if self.visible(e)]

    def lots(self, uuids: Iterable[str]) -> list[SubmissionSetRecord]:
        out = []
        for u in uuids:
            lot = self.env.store.get_submission_set(u)
            if lot is not None and lot.patient_id == self.patient.id:
                out.append(lot)
        return out

    def filter_documents(self, q: FindDocuments | FindDocumentsByReferenceId) -> list[EntryRecord]:
        out = []
        for e in self.env.store.entries_of(self.patient.id, statuses=q.status):
            m = e.metadata
            if not self.visible(e):
                continue
            if not (
                _code_match(m.class_code, _codes(q.class_codes))
                and _code_match(m.type_code, _codes(q.type_codes))
                and _code_match(m.practice_setting_code, _codes(q.practice_setting_codes))
                and _code_match(m.healthcare_facility_type_code, _codes(q.healthcare_facility_type_codes))
                and _code_match(m.format_code, _codes(q.format_codes))
                and _groups_match(m.event_codes, _groups(q.event_codes))
                and _groups_match(m.confidentiality_codes, _groups(q.confidentiality_codes))
                and _in_range(m.creation_time, _time(q.creation_time_from), _time(q.creation_time_to))
                and _in_range(m.service_start_time, _time(q.service_start_time_from), _time(q.service_start_time_to))
                and _in_range(m.service_stop_time, _time(q.service_stop_time_from), _time(q.service_stop_time_to))
                and _author_match(m, q.author_persons)
            ):
                continue
            if q.entry_types and m.object_type not in q.entry_types:
                continue
            if isinstance(q, FindDocumentsByReferenceId) and not set(q.reference_ids) & set(m.reference_ids):
                continue
            out.append(e)
        return out

    def run(self, q: StoredQuery) -> tuple[list[EntryRecord], list[SubmissionSetRecord], list[Association]]:
        store = self.env.store
        if isinstance(q, FindDocuments | FindDocumentsByReferenceId):
            return self.filter_documents(q), [], []
        if isinstance(q, FindSubmissionSets):
            lots = []
            for lot in store.submission_sets_of(self.patient.id):
                meta = lot.metadata
                if q.source_ids and meta.source_id not in q.source_ids:
                    continue
                if not _in_range(lot.submission_time, _time(q.submission_time_from), _time(q.submission_time_to)):
                    continue
                if q.content_type_codes and not _code_match(meta.content_type_code, _codes(q.content_type_codes)):
                    continue
                if q.author_person and not any(
                    a.person is not None
                    and fnmatch.fnmatchcase(a.person.format(), q.author_person.replace("%", "*").replace("_", "?"))
                    for a in meta.authors
                ):
                    continue
                status = str(meta.availability_status or APPROVED)
                if status not in q.status:
                    continue
                lots.append(lot)
            return [], lots, []
        if isinstance(q, GetDocuments | GetDocumentsAndAssociations):
            docs = self.entries_by_ids(list(q.uuids), list(q.unique_ids))
            assocs = (
                store.associations_touching([d.entry_uuid for d in docs])
                if isinstance(q, GetDocumentsAndAssociations)
                else []
            )
            return docs, [], assocs
        if isinstance(q, GetSubmissionSetAndContents):
            found = store.get_submission_set(q.uuid) if q.uuid else store.submission_set_by_unique_id(q.unique_id or "")
            if found is None or found.patient_id != self.patient.id:
                return [], [], []
            lot_record = found
            members = store.associations_of_type(AssociationType.HAS_MEMBER, source=lot_record.entry_uuid)
            docs = [
                e
                for e in self.entries_by_ids([a.target for a in members], [])
                if _code_match(e.metadata.format_code, _codes(q.format_codes))
                and _groups_match(e.metadata.confidentiality_codes, _groups(q.confidentiality_codes))
            ]
            ids = {d.entry_uuid for d in docs}
            return docs, [lot_record], [a for a in members if a.target in ids]
        if isinstance(q, GetSubmissionSets):
            members = [
                a
                for a in store.associations_touching(list(q.uuids))
                if a.type == AssociationType.HAS_MEMBER and a.target in set(q.uuids)
            ]
            lots = self.lots(dict.fromkeys(a.source for a in members))
            return [], lots, [a for a in members if a.source in {lot.entry_uuid for lot in lots}]
        if isinstance(q, GetAssociations):
            mine = {e.entry_uuid for e in store.entries_of(self.patient.id)}
            mine |= {lot.entry_uuid for lot in store.submission_sets_of(self.patient.id)}
            return (
                [],
                [],
                [a for a in store.associations_touching(list(q.uuids)) if a.source in mine or a.target in mine],
            )
        if isinstance(q, GetRelatedDocuments):
            start = self.entries_by_ids([q.uuid] if q.uuid else [], [q.unique_id] if q.unique_id else [])
            if not start:
                return [], [], []
            origin = start[0]
            related: list[Association] = [
                a for a in store.associations_touching([origin.entry_uuid]) if str(a.type) in set(q.association_types)
            ]
            others = [a.target if a.source == origin.entry_uuid else a.source for a in related]
            docs = [origin, *self.entries_by_ids(others, [])] if related else []
            return docs, [], related
        return [], [], []  # pragma: no cover - every query class is handled above


def _parse_query(request: SandboxRequest) -> tuple[StoredQuery, ReturnType]:
    """The query (the VIHF patient added when ``$…PatientId`` is omitted, RG_3010)."""
    adhoc = ebrim.from_adhoc_query_request(request.payload)
    slots = dict(adhoc.slots)
    slot = _PATIENT_SLOTS.get(adhoc.query_id)
    patient = request.caller.patient
    if slot is not None and slot not in slots and patient is not None:
        slots[slot] = [f"'{patient.to_cx()}'"]
    query = parse_stored_query(adhoc.query_id, slots, str(adhoc.return_type))
    query.check_limits()
    return query, ReturnType(query.return_type)


def stored_query(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD3.1 / TD3.1b (see the module docstring)."""

    def work(details: dict[str, Any]) -> SoapResponse:
        caller = request.caller
        params = env.params
        reference = request.td == "TD3.1b"
        try:
            query, return_type = _parse_query(request)
        except NIARefused as exc:
            raise Refusal("patient.nia", exc.reason, value=str(exc.value), location=exc.field) from None
        except QueryParameterError as exc:
            item = tx.query_error(exc)
            raise Refusal(
                "query.parameter",
                exc.reason,
                code=item.error_code,
                message_fr=item.code_context,
                location=item.location,
            ) from None
        details["query"] = query.NAME
        value = getattr(query, "patient_id", None)
        if value:
            check_body_patient(INS.from_cx(value), caller, what="$XDSDocumentEntryPatientId")
        ins = caller.patient
        patient = check_patient_for(env.patient(ins), ins=ins, writing=False, params=params) if ins else None
        if patient is None:
            raise Refusal("patient.unknown", "the stored query needs the patient in the VIHF resource-id", value="")
        mt = env.is_mt(patient, caller.professional_id)
        action = RightsAction.TD3_1B_SEARCH_REFERENCE if reference else RightsAction.TD3_1_SEARCH_METADATA
        require_right(action, caller, is_mt=mt, params=params)
        now = env.now()
        if not reference:
            check_consultation(patient, caller, env.authorization(patient, caller.professional_id))
            if params.search_threshold > 0:
                key = caller_key(caller)
                count = env.store.count_searches(key, patient.id, now - params.search_window)
                if count >= params.search_threshold:
                    raise Refusal("threshold", f"{count} searches by {key} on this DMP in {params.search_window}")
                env.store.record_search(key, patient.id, now)
        if not reference or params.notify_reference_searches:
            env.store.log_notification(
                LogRecord(
                    at=now,
                    transaction=request.td,
                    caller_id=caller.professional_id,
                    patient=patient.ins.matricule,
                    outcome="notified",
                    message="Le patient sera notifié de la consultation de son DMP",
                    details={
                        "structure_id": caller.structure_id,
                        "query": query.NAME,
                        "access_mode": caller.access_mode.value,
                    },
                )
            )
        docs, lots, assocs = _Query(env, request, patient, mt).run(query)
        details["results"] = len(docs) + len(lots) + len(assocs)
        if return_type is ReturnType.OBJECT_REF:
            refs = [ObjectRef(id=d.entry_uuid) for d in docs] + [ObjectRef(id=lot.entry_uuid) for lot in lots]
            refs += [ObjectRef(id=a.id) for a in assocs if a.id]
            result = QueryResponse(status=ResponseStatus.SUCCESS, object_refs=tuple(refs))
        else:
            result = QueryResponse(
                status=ResponseStatus.SUCCESS,
                documents=tuple(d.metadata for d in docs),
                submission_sets=tuple(_lot_metadata(lot) for lot in lots),
                associations=tuple(assocs),
            )
        return tx.build_registry_stored_query_response(result, request=request.message)

    def refuse(r: Refusal) -> SoapResponse:
        return tx_repo.build_registry_error_response(
            tx_repo.registry_error(r.code, r.message_fr, location=r.location), request=request.message
        )

    return handle(env, request, work, refuse)


def _lot_metadata(lot: SubmissionSetRecord) -> SubmissionSet:
    return lot.metadata.replace_fields(entry_uuid=lot.entry_uuid)


# ----------------------------------------------------------------------------------------- TD3.3c/d

_TRANSITIONS = {
    (APPROVED, ARCHIVED): RightsAction.TD3_3D_ARCHIVE,
    (ARCHIVED, APPROVED): RightsAction.TD3_3D_UNARCHIVE,
    (APPROVED, DELETED): RightsAction.TD3_3C_DELETE,
    (ARCHIVED, DELETED): RightsAction.TD3_3C_DELETE,
}


def _update_lot(env: Env, request: SandboxRequest, submission_set: SubmissionSet, patient: PatientRecord) -> str:
    """Store the lot of an ITI-57 update (its uniqueId must be new) and return its registry id."""
    store = env.store
    now = env.now()
    if submission_set.unique_id and store.submission_set_by_unique_id(submission_set.unique_id) is not None:
        raise Refusal("td2.1.duplicate-lot", "submission set uniqueId reused", value=submission_set.unique_id)
    ss_uuid = f"urn:uuid:{uuid.uuid4()}"
    store.insert_submission_set(
        SubmissionSetRecord(
            ss_uuid,
            submission_set.unique_id or ss_uuid,
            patient.id,
            submission_set.submission_time or now,
            submission_set.replace_fields(entry_uuid=ss_uuid, availability_status=APPROVED),
            caller_id=request.caller.professional_id,
            transaction=request.td,
            created_at=now,
        )
    )
    return ss_uuid


def _patient_of_update(env: Env, request: SandboxRequest, submission_set: SubmissionSet) -> PatientRecord:
    caller = request.caller
    if submission_set.patient_id:
        check_body_patient(INS.from_cx(submission_set.patient_id), caller, what="SubmissionSet.patientId")
    ins = caller.patient
    patient = check_patient_for(env.patient(ins), ins=ins, writing=True, params=env.params) if ins else None
    if patient is None:
        raise Refusal("patient.unknown", "ITI-57 needs the patient in the VIHF resource-id", value="")
    return patient


def _lineage(env: Env, entry: EntryRecord) -> list[EntryRecord]:
    """Every metadata version of ``entry``'s document and of the documents it replaced (RPLC chain)."""
    store = env.store
    out: list[EntryRecord] = []
    todo = [entry.logical_id]
    seen: set[str] = set()
    while todo:
        lid = todo.pop()
        if lid in seen:
            continue
        seen.add(lid)
        versions = store.versions_of(lid)
        out.extend(versions)
        for v in versions:
            for a in store.associations_of_type(AssociationType.RPLC, source=v.entry_uuid):
                target = store.get_entry(a.target)
                if target is not None:
                    todo.append(target.logical_id)
    return out


def update_availability_status(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD3.3c (delete) / TD3.3d (archive, unarchive): the target is the **current** version (else
    ``XDSMetadataVersionError``; a deprecated document → ``XDSRegistryDeprecatedDocumentError``), OriginalStatus is its
    status, the transition is allowed, the caller has the right (own documents per notes 8/9, MT for patient
    documents). Deleting a document deletes its earlier versions and the documents it replaced."""

    def work(details: dict[str, Any]) -> SoapResponse:
        parsed = tx.parse_update_availability_status_request(request.message)
        caller = request.caller
        store = env.store
        now = env.now()
        with store.transaction():
            patient = _patient_of_update(env, request, parsed.submission.submission_set)
            mt = env.is_mt(patient, caller.professional_id)
            changes: list[tuple[EntryRecord, str]] = []
            for change in parsed.changes:
                entry = store.get_entry(change.entry_uuid)
                if entry is None or entry.patient_id != patient.id:
                    raise Refusal("td3.3.unknown", f"no entry {change.entry_uuid} in this DMP", value=change.entry_uuid)
                if entry.status == DEPRECATED and entry.is_latest:
                    raise Refusal(
                        "td3.3.deprecated",
                        f"{entry.unique_id} was replaced: act on its current version",
                        value=change.entry_uuid,
                    )
                if not entry.is_latest:
                    raise Refusal(
                        "td3.3.version",
                        f"{change.entry_uuid} is version {entry.version}, not the current "
                        "one (fetch it with TD3.1b, RG_3130)",
                        value=change.entry_uuid,
                    )
                original, new = str(change.original_status or ""), str(change.new_status or "")
                if original != entry.status:
                    raise Refusal(
                        "td3.3.original-status",
                        f"OriginalStatus {original} but the document is {entry.status}",
                        value=original,
                    )
                action = _TRANSITIONS.get((original, new))
                if action is None:
                    raise Refusal(
                        "td3.3.transition",
                        f"{original} → {new} is not allowed",
                        value=f"{original.rsplit(':', 1)[-1]} → {new.rsplit(':', 1)[-1]}",
                    )
                decision = require_right(action, caller, is_mt=mt, params=env.params)
                check_author(entry, caller, decision, is_mt=mt, what=action.label_fr)
                changes.append((entry, new))
            ss_uuid = _update_lot(env, request, parsed.submission.submission_set, patient)
            for assoc in parsed.submission.associations:
                store.insert_association(
                    assoc.model_copy(update={"id": f"urn:uuid:{uuid.uuid4()}", "source": ss_uuid, "status": APPROVED}),
                    submission_set_uuid=ss_uuid,
                    at=now,
                )
            for entry, new in changes:
                targets = _lineage(env, entry) if new == DELETED else [entry]
                for target in targets:
                    if target.status == new:
                        continue
                    store.set_entry_status(target.entry_uuid, new)
                    reason = None if target.entry_uuid == entry.entry_uuid else f"with {entry.entry_uuid}"
                    store.add_status_change(
                        StatusChange(
                            now,
                            target.logical_id,
                            target.entry_uuid,
                            target.status,
                            new,
                            request.td,
                            caller.professional_id,
                            reason,
                        )
                    )
                if new == DELETED:
                    store.deactivate_vaccinations([t.unique_id for t in targets])
            details["changes"] = [f"{e.unique_id}:{n.rsplit(':', 1)[-1]}" for e, n in changes]
        return tx.build_update_availability_status_response(request=request.message)

    def refuse(r: Refusal) -> SoapResponse:
        return tx_repo.build_registry_error_response(
            tx_repo.registry_error(r.code, r.message_fr, location=r.location), request=request.message
        )

    return handle(env, request, work, refuse)


# ----------------------------------------------------------------------------------------- TD3.3a/b

_UPDATE_CHECKS = {
    "dmp.update.authorChanged": "td3.3.author-data",
    "dmp.update.fieldChanged": "td3.3.field",
    "dmp.confidentiality.invisibleAdded": "td3.3.invisible",
}


def _confidentiality_actions(old: Iterable[str], new: Iterable[str]) -> list[RightsAction]:
    before, after = set(old), set(new)
    actions = []
    if "MASQUE_PS" in after - before:
        actions.append(RightsAction.TD3_3A_MASK)
    if "MASQUE_PS" in before - after:
        actions.append(RightsAction.TD3_3A_UNMASK)
    if {"INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"} & (before - after):
        actions.append(RightsAction.TD3_3B_MAKE_VISIBLE)
    return actions


def update_document_metadata(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD3.3a / TD3.3b: a new metadata version changing only the confidentiality codes (« Les données d'un auteur
    ne peuvent pas être modifiées » otherwise); ``PreviousVersion`` must be the current version
    (``XDSMetadataVersionError``); MASQUE_PS may come and go, INVISIBLE_* may only be removed; the new version
    gets a new entryUUID, the logicalId stays, the previous version becomes Deprecated."""

    def work(details: dict[str, Any]) -> SoapResponse:
        parsed = tx.parse_update_document_metadata_request(request.message)
        caller = request.caller
        store = env.store
        now = env.now()
        params = env.params
        with store.transaction():
            patient = _patient_of_update(env, request, parsed.submission.submission_set)
            mt = env.is_mt(patient, caller.professional_id)
            planned: list[tuple[EntryRecord, DocumentEntry, Association]] = []
            for update in parsed.updates:
                versions = store.versions_of(update.logical_id)
                current = next((v for v in versions if v.is_latest), None)
                if current is None or current.patient_id != patient.id:
                    raise Refusal(
                        "td3.3.unknown",
                        f"no document with logicalId {update.logical_id} in this DMP",
                        value=update.logical_id,
                    )
                if current.status in (DEPRECATED, DELETED):
                    raise Refusal(
                        "td3.3.deprecated", f"{current.unique_id} is {current.status}", value=update.logical_id
                    )
                if update.previous_version != str(current.version):
                    raise Refusal(
                        "td3.3.version",
                        f"PreviousVersion {update.previous_version!r} but the current version is {current.version}",
                        value=update.previous_version or "",
                    )
                findings = check_metadata_update(
                    current.metadata, update.entry, params=params.dmp, location=update.logical_id
                )
                errors = [f for f in findings if f.is_error]
                if errors:
                    first = errors[0]
                    check = _UPDATE_CHECKS.get(first.rule)
                    if check is not None:
                        raise Refusal(
                            check,
                            first.message,
                            value=first.value or first.location or "",
                            location=first.location,
                            findings=[],
                        )
                    raise Refusal(
                        "td3.3.field",
                        first.message,
                        value=first.value or "",
                        code=first.code,
                        message_fr=first.message_fr,
                        location=first.location,
                    )
                old_codes = [c.code for c in current.metadata.confidentiality_codes]
                new_codes = [c.code for c in update.entry.confidentiality_codes]
                for action in _confidentiality_actions(old_codes, new_codes):
                    decision = require_right(action, caller, is_mt=mt, params=params)
                    check_author(current, caller, decision, is_mt=mt, what=action.label_fr)
                planned.append((current, update.entry, update.association))
            ss_uuid = _update_lot(env, request, parsed.submission.submission_set, patient)
            for current, new, assoc in planned:
                new_id = f"urn:uuid:{uuid.uuid4()}"
                meta = current.metadata.replace_fields(confidentiality_codes=new.confidentiality_codes)
                store.set_latest(current.entry_uuid, False)
                store.set_entry_status(current.entry_uuid, DEPRECATED)
                store.insert_entry(
                    EntryRecord(
                        new_id,
                        current.logical_id,
                        current.version + 1,
                        current.unique_id,
                        patient.id,
                        current.status,
                        True,
                        meta,
                        ss_uuid,
                        is_signature=current.is_signature,
                        created_at=now,
                    )
                )
                store.insert_association(
                    assoc.model_copy(
                        update={
                            "id": f"urn:uuid:{uuid.uuid4()}",
                            "source": ss_uuid,
                            "target": new_id,
                            "status": APPROVED,
                        }
                    ),
                    submission_set_uuid=ss_uuid,
                    at=now,
                )
                store.add_status_change(
                    StatusChange(
                        now,
                        current.logical_id,
                        current.entry_uuid,
                        current.status,
                        DEPRECATED,
                        request.td,
                        caller.professional_id,
                        f"new metadata version {current.version + 1}",
                    )
                )
                store.add_status_change(
                    StatusChange(
                        now,
                        current.logical_id,
                        new_id,
                        None,
                        current.status,
                        request.td,
                        caller.professional_id,
                        "confidentiality " + " ".join(c.code for c in new.confidentiality_codes),
                    )
                )
            details["updates"] = [f"{c.unique_id}:v{c.version + 1}" for c, _, _ in planned]
        return tx.build_update_document_metadata_response(request=request.message)

    def refuse(r: Refusal) -> SoapResponse:
        return tx_repo.build_registry_error_response(
            tx_repo.registry_error(r.code, r.message_fr, location=r.location), request=request.message
        )

    return handle(env, request, work, refuse)
