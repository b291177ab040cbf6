"""Handlers of the ``repository`` service: TD2.1 / TD2.2 (alimentation, ITI-41) and TD3.2 (consultation, ITI-43).

TD2.1 checks, in order (each refusal answers a ``RegistryResponse`` Failure listing every finding of the
failed step): rights (AIR cannot feed, a CPE feeds with TD2.2…), patient (VIHF ⇄ patientId, DMP open, not
deceased when read-only), contents (a part per entry, XDS hash and size), XAdES signature and manifest
re-hash, XDS metadata (DMP profile, author ⇄ VIHF), CDA header ⇄ metadata, then — in the store's transaction —
duplicate uniqueIds, replacement rules (current version, same patient, author only, no visibility regression),
vaccination record uniqueness; finally everything is stored atomically.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lxml import etree

from dmpclient.cda import read_header
from dmpclient.cda.mapping import check_consistency
from dmpclient.cda.reader import load_cda
from dmpclient.errors import Finding, InputError, ProtocolError, XMLError
from dmpclient.ids import INS
from dmpclient.sandbox._interfaces import SandboxRequest
from dmpclient.sandbox.handlers._base import Env, handle
from dmpclient.sandbox.rules import (
    APPROVED,
    CHECKS,
    DEPRECATED,
    Refusal,
    acting_context_of,
    check_body_patient,
    check_consultation,
    check_patient_for,
    check_reading,
    is_author,
    require_right,
)
from dmpclient.sandbox.store import EntryRecord, PatientRecord, StatusChange, SubmissionSetRecord
from dmpclient.security import xmldsig
from dmpclient.soap import SoapResponse
from dmpclient.terminology import INVISIBLE_REPRESENTANTS_LEGAUX
from dmpclient.transactions import repository as tx
from dmpclient.transactions.rights import RightsAction
from dmpclient.xds.constants import DMP_REPOSITORY_UNIQUE_ID
from dmpclient.xds.model import AssociationType, DocumentEntry
from dmpclient.xds.validation import check_confidentiality_transition, is_signature_entry
from dmpclient.xds.validation import validate as validate_metadata

__all__ = ["provide_and_register", "retrieve_document_set", "vaccinations_of"]

_HL7 = "urn:hl7-org:v3"
_CIS = "1.2.250.1.213.2.3.1"
_VACCINATION_NOTE = "87273-9"


def _items(check: str, findings: Iterable[Finding], explanation: str) -> Refusal:
    found = [f for f in findings if f.is_error]
    first = found[0] if found else None
    return Refusal(
        check,
        explanation + (f": {first.message}" if first else ""),
        value=(first.value or first.location or "") if first else "",
        findings=found,
        code=first.code if first and first.code else None,
        message_fr=first.message_fr if first and first.message_fr else None,
    )


def vaccinations_of(root: etree._Element) -> list[tuple[str, str]]:
    """(vaccine code, date ``YYYYMMDD``) of each ``substanceAdministration`` of a vaccination note (CIS code
    preferred, ``consumable/manufacturedProduct/manufacturedMaterial/code``)."""
    out: list[tuple[str, str]] = []
    for sa in root.iter(f"{{{_HL7}}}substanceAdministration"):
        time = sa.find(f"{{{_HL7}}}effectiveTime")
        value = time.get("value") if time is not None else None
        if value is None and time is not None:
            low = time.find(f"{{{_HL7}}}low")
            value = low.get("value") if low is not None else None
        codes = list(sa.iterfind(f".//{{{_HL7}}}manufacturedMaterial/{{{_HL7}}}code"))
        code = next((c for c in codes if c.get("codeSystem") == _CIS), codes[0] if codes else None)
        if value and code is not None and code.get("code"):
            out.append((code.get("code") or "", value[:8]))
    return out


def _source(doc: tx.ReceivedDocument) -> bytes | Path:
    return doc.source()


def provide_and_register(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD2.1 / TD2.2 (see the module docstring)."""

    def work(details: dict[str, Any]) -> SoapResponse:
        received = tx.parse_provide_and_register_request(request.message)
        caller = request.caller
        params = env.params
        submission = received.submission
        ss = submission.submission_set
        try:
            ins = ss.ins
        except InputError as exc:
            raise Refusal("patient.resource-id", f"SubmissionSet patientId: {exc}", value=ss.patient_id or "") from None
        details["patient"] = ins.matricule
        check_body_patient(ins, caller, what="SubmissionSet.patientId")
        action = RightsAction.TD2_2_FEED_CPE if request.td == "TD2.2" else RightsAction.TD2_1_FEED
        require_right(action, caller, is_mt=False, params=params)
        patient = check_patient_for(env.patient(ins), ins=ins, writing=True, params=params)
        # contents: a part per entry, hash and size
        content = received.content_findings()
        if any(f.is_error for f in content):
            check = {"XDSNonIdenticalSize": "td2.1.size"}.get(
                next(f.code for f in content if f.is_error) or "", "td2.1.hash"
            )
            raise _items(check, content, "document content does not match its metadata")
        limit = params.max_document_size
        for doc in received.documents:
            if limit is not None and (doc.size or 0) > limit:
                raise Refusal("td2.1.size-limit", f"{doc.size} bytes > {limit}", value=doc.entry.unique_id or "")
        # XAdES signature (the manifest re-hashes the received parts)
        if params.verify_signature and received.signature is not None:
            _verify_signature(env, received)
        # XDS metadata, DMP profile, author ⇄ VIHF
        found = validate_metadata(
            request.payload,
            "dmp",
            context=acting_context_of(caller),
            environment=env.config.environment_kind,
            params=params.dmp,
        )
        errors = [f for f in found if f.is_error and f.rule != "dmp.confidentiality.secretConnection"]
        if errors:
            raise _items("td2.1.metadata", errors, "the XDS metadata break the DMP profile")
        # CDA header ⇄ metadata; vaccination notes
        vaccinations: dict[str, list[tuple[str, str]]] = {}
        for doc in received.documents:
            uid = doc.entry.unique_id or ""
            try:
                root = load_cda(_source(doc))
                header = read_header(root)
            except (XMLError, ProtocolError, InputError) as exc:
                raise Refusal("td2.1.cda-unreadable", str(exc), value=uid) from None
            issues = [f for f in check_consistency(header, doc.entry) if f.is_error]
            if issues:
                detail = "; ".join(f.message for f in issues[:3])
                template = CHECKS["td2.1.cda"]
                raise Refusal(
                    "td2.1.cda",
                    f"{uid}: {detail}",
                    value=detail,
                    findings=[
                        Finding(
                            rule=f.rule,
                            message=f.message,
                            location=f.location or uid,
                            code=template.code,
                            message_fr=template.message_fr.format(value=f.message),
                        )
                        for f in issues
                    ],
                )
            if doc.entry.type_code is not None and doc.entry.type_code.code == _VACCINATION_NOTE:
                vaccinations[uid] = vaccinations_of(root)
        with env.store.transaction():
            stored = _store_submission(env, request, received, patient, vaccinations)
        details["documents"] = stored
        return tx.build_provide_and_register_response(request=request.message)

    def refuse(r: Refusal) -> SoapResponse:
        items = [
            tx.registry_error(f.code or r.code, f.message_fr or f.message, location=f.location) for f in r.findings
        ]
        if not items:
            items = [tx.registry_error(r.code, r.message_fr, location=r.location)]
        return tx.build_registry_error_response(items, request=request.message)

    return handle(env, request, work, refuse)


def _verify_signature(env: Env, received: tx.ReceivedSubmission) -> None:
    params = env.params
    allowed = xmldsig.LEGACY_ALLOWED if env.config.allow_sha1 else xmldsig.DEFAULT_ALLOWED
    at = None if params.signature_time == "signing-time" else env.now()
    report = received.verify_signature(trust_anchors=env.config.trust, at=at, allowed_algorithms=allowed)
    if not report.ok:
        findings = report.findings()
        first = next((f for f in findings if f.is_error), None)
        detail = (
            (first.message if first else "invalid")
            if first is None or first.location is None
            else (f"{first.location}: {first.message}")
        )
        raise Refusal(
            "td2.1.signature",
            f"XAdES signature: {detail}",
            value=detail,
            findings=[
                Finding(
                    rule=f.rule,
                    message=f.message,
                    location=f.location,
                    code="XDSRegistryMetadataError",
                    message_fr=f"La signature du lot de soumission est invalide : {f.message}",
                )
                for f in findings
                if f.is_error
            ],
        )


def _new_id() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _store_submission(
    env: Env,
    request: SandboxRequest,
    received: tx.ReceivedSubmission,
    patient: PatientRecord,
    vaccinations: dict[str, list[tuple[str, str]]],
) -> int:
    store = env.store
    caller = request.caller
    params = env.params
    now = env.now()
    submission = received.submission
    ss = submission.submission_set
    # duplicates
    if ss.unique_id and store.submission_set_by_unique_id(ss.unique_id) is not None:
        raise Refusal("td2.1.duplicate-lot", f"submission set {ss.unique_id} already stored", value=ss.unique_id)
    everything = [*received.documents, *([received.signature] if received.signature is not None else [])]
    for doc in everything:
        uid = doc.entry.unique_id or ""
        existing = store.latest_by_unique_id(uid)
        if existing is not None:
            same = (existing.metadata.hash or "") == (doc.sha1 or "")
            check = "td2.1.duplicate-same" if same else "td2.1.duplicate-document"
            raise Refusal(check, f"document uniqueId {uid} already stored", value=uid, location=uid)
    ids: dict[str, str] = {submission.submission_set_id: _new_id()}
    for doc in everything:
        ids[doc.entry.entry_uuid or ""] = _new_id()
    # replacements
    replaced: dict[str, EntryRecord] = {}
    for assoc in submission.associations_of_type(AssociationType.RPLC):
        target = store.get_entry(assoc.target)
        if target is None:
            raise Refusal("td2.1.rplc-target", f"RPLC target {assoc.target} unknown", value=assoc.target)
        if target.patient_id != patient.id:
            raise Refusal("td2.1.rplc-patient", f"RPLC target {assoc.target} is another patient's", value=assoc.target)
        if not target.is_latest or target.status != APPROVED:
            raise Refusal(
                "td2.1.rplc-deprecated",
                f"RPLC target {assoc.target} is {target.status}, version {target.version} (current: latest Approved)",
                value=assoc.target,
            )
        if not is_author(target, caller):
            raise Refusal(
                "rights.author",
                f"only an author of {target.unique_id} may replace it (EX_2.1-1140)",
                value="remplacement",
            )
        new = submission.document(assoc.source)
        regress = [
            f
            for f in check_confidentiality_transition(
                target.metadata.confidentiality_codes, new.confidentiality_codes, params=params.dmp
            )
            if f.rule == "dmp.confidentiality.invisibleAdded"
        ]
        if regress:
            raise Refusal("td2.1.rplc-visibility", regress[0].message, findings=[])
        replaced[assoc.source] = target
    # vaccination record
    replaced_uids = [t.unique_id for t in replaced.values()]
    for uid, items in vaccinations.items():
        for cis, day in items:
            if store.vaccination_exists(patient.id, cis, day, except_unique_ids=replaced_uids):
                raise Refusal(
                    "td2.1.vaccination", f"vaccination {cis} on {day} already in the vaccination record", location=uid
                )
    # secret connection of a minor: documents invisible to the legal representatives
    force_invisible_rl = (
        caller.secret_connection
        and params.dmp.fonctions_gestion_mineurs
        and patient.is_minor(now.date(), params.dmp.age_majorite)
    )
    # store
    ss_uuid = ids[submission.submission_set_id]
    stored_ss = ss.replace_fields(entry_uuid=ss_uuid, availability_status=APPROVED)
    store.insert_submission_set(
        SubmissionSetRecord(
            ss_uuid,
            ss.unique_id or "",
            patient.id,
            ss.submission_time or now,
            stored_ss,
            caller_id=caller.professional_id,
            transaction=request.td,
            created_at=now,
        )
    )
    for doc in everything:
        entry: DocumentEntry = doc.entry
        new_id = ids[entry.entry_uuid or ""]
        signature = doc is received.signature or is_signature_entry(entry)
        if force_invisible_rl and not signature and not entry.has_confidentiality(INVISIBLE_REPRESENTANTS_LEGAUX):
            entry = entry.replace_fields(
                confidentiality_codes=(*entry.confidentiality_codes, INVISIBLE_REPRESENTANTS_LEGAUX)
            )
        entry = entry.replace_fields(
            hash=doc.sha1,
            size=doc.size,
            repository_unique_id=DMP_REPOSITORY_UNIQUE_ID,
            document_id=None,
        )
        uid = entry.unique_id or ""
        source = doc.part if doc.part is not None else (doc.data or b"")
        store.put_content(uid, source, mime_type=entry.mime_type, sha1=doc.sha1 or "", size=doc.size or 0)
        store.insert_entry(
            EntryRecord(
                new_id,
                new_id,
                1,
                uid,
                patient.id,
                APPROVED,
                True,
                entry,
                ss_uuid,
                is_signature=signature,
                created_at=now,
            )
        )
        store.add_status_change(StatusChange(now, new_id, new_id, None, APPROVED, request.td, caller.professional_id))
    for assoc in submission.associations:
        mapped = assoc.model_copy(
            update={
                "id": _new_id(),
                "source": ids.get(assoc.source, assoc.source),
                "target": ids.get(assoc.target, assoc.target),
                "status": APPROVED,
            }
        )
        store.insert_association(mapped, submission_set_uuid=ss_uuid, at=now)
    for source_id, target in replaced.items():
        store.set_entry_status(target.entry_uuid, DEPRECATED)
        store.add_status_change(
            StatusChange(
                now,
                target.logical_id,
                target.entry_uuid,
                target.status,
                DEPRECATED,
                request.td,
                caller.professional_id,
                f"replaced by {ids.get(source_id, source_id)}",
            )
        )
        store.deactivate_vaccinations([target.unique_id])
    for uid, items in vaccinations.items():
        for cis, day in items:
            store.add_vaccination(patient.id, cis, day, uid)
    return len(received.documents)


# --------------------------------------------------------------------------------------------- TD3.2


def retrieve_document_set(env: Env, request: SandboxRequest) -> SoapResponse:
    """TD3.2: documents by **uniqueId** (an entryUUID gives the SOAP fault ``XDSDocumentUniqueIdError``), from the
    DMP repository, readable by the caller (rights matrix rows TD3.2, masked documents notes 6/7, consultation
    rules); the MTOM parts are streamed from the stored files."""

    def work(details: dict[str, Any]) -> SoapResponse:
        parsed = tx.parse_retrieve_document_set_request(request.message)
        caller = request.caller
        params = env.params
        ins: INS | None = caller.patient
        patient = check_patient_for(env.patient(ins), ins=ins, writing=False, params=params) if ins else None
        if patient is None:
            raise Refusal("patient.unknown", "TD3.2 needs the patient in the VIHF resource-id", value="")
        for wanted in parsed.documents:
            if wanted.document_unique_id.startswith("urn:uuid:"):
                raise Refusal(
                    "td3.2.entry-uuid",
                    "DocumentUniqueId is an entryUUID; send the uniqueId (OID)",
                    value=wanted.document_unique_id,
                    fault=True,
                )
        mt = env.is_mt(patient, caller.professional_id)
        require_right(RightsAction.TD3_2_NOT_MASKED, caller, is_mt=mt, params=params)
        check_consultation(patient, caller, env.authorization(patient, caller.professional_id))
        contents: list[tx.DocumentContent] = []
        errors = []
        for wanted in parsed.documents:
            uid = wanted.document_unique_id
            try:
                if wanted.repository_unique_id != DMP_REPOSITORY_UNIQUE_ID:
                    raise Refusal("td3.2.repository", "unknown repository", value=wanted.repository_unique_id)
                entry = env.store.latest_by_unique_id(uid)
                if entry is None or entry.patient_id != patient.id:
                    raise Refusal("td3.2.missing", f"no document {uid} in this DMP", value=uid)
                check_reading(entry, caller, patient=patient, is_mt=mt, params=params)
                content = env.store.get_content(uid)
                if content is None:
                    raise Refusal("td3.2.missing", f"no content for {uid}", value=uid)
            except Refusal as r:
                if len(parsed.documents) == 1:
                    raise
                errors.append(tx.registry_error(r.code, r.message_fr, location=uid))
                continue
            source: bytes | Path = content.path if content.path is not None else (content.data or b"")
            contents.append(tx.DocumentContent(uid, source, mime_type=entry.metadata.mime_type))
        details["documents"] = [c.unique_id for c in contents]
        return tx.build_retrieve_document_set_response(contents, request=request.message, errors=errors)

    def refuse(r: Refusal) -> SoapResponse:
        return tx.build_registry_error_response(
            tx.registry_error(r.code, r.message_fr, location=r.location), request=request.message
        )

    return handle(env, request, work, refuse)
