"""TD2.1 / TD2.2 requests: metadata validation, each document against its part, CDA ⇄ metadata, and the XAdES
signature reference by reference (reference ``xades-signature.md`` §5, §6)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import C14NMethod
from dmpclient.errors import DMPClientError, InputError, XMLError
from dmpclient.ids import EnvironmentKind
from dmpclient.inspection._contents import Content, Contents
from dmpclient.inspection._model import CheckStatus, DocumentInfo, ReferenceRow, XadesInfo
from dmpclient.inspection._record import Recorder
from dmpclient.inspection._variants import (
    SIGNED_INFO_TRIED,
    algorithm_name,
    document_variants,
    find_match,
    signed_info_variant,
    tried_text,
)
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore
from dmpclient.security.xades import ReferenceReport, XadesReport, verify_submission_signature
from dmpclient.soap import SoapMessage
from dmpclient.xds import ebrim
from dmpclient.xds.model import DocumentEntry, DocumentPart, SubmissionRequest
from dmpclient.xds.signature import is_signature_entry
from dmpclient.xds.validation import validate

__all__ = ["check_metadata", "check_submission"]

_PLACEHOLDER: Final = "AA=="
_SHA1_URIS: Final = frozenset({xmldsig.RSA_SHA1, xmldsig.SHA1})


# ------------------------------------------------------------------------------------------ metadata


def check_metadata(rec: Recorder, message: SoapMessage, environment: EnvironmentKind) -> None:
    """DMP-profile validation of the XDS metadata of a request (findings → checks)."""
    try:
        findings = validate(message.envelope.envelope, "dmp", environment=environment)
    except InputError:
        return  # nothing to validate in this kind of message
    except (XMLError, DMPClientError) as exc:
        rec.add("metadata", "parse", CheckStatus.FAILED, f"the XDS metadata cannot be read: {exc}")
        return
    for f in findings:
        name = f.rule + (f" [{f.location}]" if f.location else "")
        rec.add_finding("metadata", f, name=name)
    if not findings:
        rec.add(
            "metadata",
            "validation",
            CheckStatus.PASSED,
            f"no finding: the IHE and DMP-profile rules hold ({environment.value} environment INS OIDs)",
        )


# ----------------------------------------------------------------------------------------- documents


@dataclass(eq=False)
class _Doc:
    entry: DocumentEntry
    info: DocumentInfo
    content: Content | None = None
    inline: bytes | None = None

    def source(self) -> bytes | Path | None:
        if self.content is not None:
            return self.content.source()
        return self.inline

    def read_bytes(self) -> bytes | None:
        src = self.source()
        return src if isinstance(src, bytes) or src is None else src.read_bytes()


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _match_documents(
    rec: Recorder,
    payload: etree._Element,
    pnr_documents: Sequence[DocumentPart],
    submission: SubmissionRequest,
    contents: Contents,
) -> list[_Doc]:
    parts = {p.id: p for p in pnr_documents}
    elements = {el.get("id") or "": el for el in payload if _local(el) == "Document"}
    lowered = {k.lower(): k for k in parts}
    used: set[str] = set()
    docs: list[_Doc] = []
    for entry in submission.documents:
        wanted = entry.content_id or ""
        key = wanted if wanted in parts else lowered.get(wanted.lower())
        signature = is_signature_entry(entry)
        info = DocumentInfo(
            entry_id=entry.entry_uuid,
            unique_id=entry.unique_id,
            role="signature" if signature else "document",
            mime_type=entry.mime_type,
            document_id=key,
            hash=entry.hash,
            size=entry.size,
        )
        doc = _Doc(entry=entry, info=info)
        docs.append(doc)
        name = entry.entry_uuid or entry.unique_id or "DocumentEntry"
        if key is None:
            rec.add(
                "documents",
                f"content {name}",
                CheckStatus.FAILED,
                f"no xdsb:Document for the ExtrinsicObject {name} (uniqueId {entry.unique_id})",
                code="XDSMissingDocument",
            )
            continue
        used.add(key)
        part = parts[key]
        if part.content_id is not None:
            info.content_id = part.content_id
            content = contents.by_element.get(elements[key]) if key in elements else None
            doc.content = content or contents.by_cid(part.content_id)
        else:
            info.inline = True
            doc.inline = part.data or b""
        if doc.content is None and doc.inline is None:
            rec.add(
                "documents",
                f"content {name}",
                CheckStatus.FAILED,
                f"xdsb:Document {key} points to cid:{part.content_id}, which is not in the capture",
                code="XDSMissingDocument",
            )
            continue
        if doc.content is not None:
            doc.content.info.role = info.role
            doc.content.info.unique_id = entry.unique_id
            info.part_index = doc.content.info.index
            info.actual_sha1, info.actual_size = doc.content.info.sha1, doc.content.info.size
            where = (
                f"cid:{part.content_id} ⇄ part #{info.part_index}"
                if info.part_index
                else f"cid:{part.content_id} (external file)"
            )
        else:
            data = doc.inline or b""
            info.actual_sha1, info.actual_size = hashlib.sha1(data, usedforsecurity=False).hexdigest(), len(data)
            where = "inline base64 content"
        case_note = "" if key == wanted else f" (matched ignoring case: the entry says {wanted!r})"
        rec.add(
            "documents",
            f"content {name}",
            CheckStatus.PASSED,
            f"uniqueId {entry.unique_id} ⇄ ExtrinsicObject {name} ⇄ xdsb:Document {key}{case_note} ⇄ {where} "
            f"({info.actual_size} bytes)",
            details=info.model_dump(mode="json"),
        )
        _hash_size(rec, doc, name)
    for key in parts:
        if key not in used:
            rec.add(
                "documents",
                f"content {key}",
                CheckStatus.FAILED,
                f"xdsb:Document {key!r} has no DocumentEntry",
                code="XDSMissingDocumentMetadata",
            )
    return docs


def _hash_size(rec: Recorder, doc: _Doc, name: str) -> None:
    info = doc.info
    if doc.entry.hash is None:
        rec.add(
            "documents",
            f"hash {name}",
            CheckStatus.SKIPPED,
            "no hash in the metadata (optional in ITI-41: the repository computes it)",
        )
    elif doc.entry.hash.lower() == info.actual_sha1:
        rec.add(
            "documents",
            f"hash {name}",
            CheckStatus.PASSED,
            f"hash {doc.entry.hash} is the SHA-1 of the exact bytes of the part",
        )
    else:
        hint = ""
        data = doc.read_bytes()
        try:
            wanted = bytes.fromhex(doc.entry.hash)
        except ValueError:
            wanted = b""
        if data is not None and wanted:
            matched, _ = find_match(document_variants(data)[1:], wanted)
            if matched:
                hint = f"; it is the digest of {matched} of this part: the document was changed after it was hashed"
        rec.add(
            "documents",
            f"hash {name}",
            CheckStatus.FAILED,
            f"hash {doc.entry.hash} is not the SHA-1 of the part's exact bytes ({info.actual_sha1}){hint}",
            details={"declared": doc.entry.hash, "actual": info.actual_sha1},
            code="XDSNonIdenticalHash",
        )
    if doc.entry.size is None:
        rec.add("documents", f"size {name}", CheckStatus.SKIPPED, "no size in the metadata (optional in ITI-41)")
    elif doc.entry.size == info.actual_size:
        rec.add("documents", f"size {name}", CheckStatus.PASSED, f"size {doc.entry.size} is the part's byte count")
    else:
        rec.add(
            "documents",
            f"size {name}",
            CheckStatus.FAILED,
            f"size {doc.entry.size} is not the part's byte count ({info.actual_size})",
            details={"declared": doc.entry.size, "actual": info.actual_size},
            code="XDSNonIdenticalSize",
        )


def _cda_checks(rec: Recorder, doc: _Doc) -> None:
    from dmpclient.cda import check_consistency, read_header

    source = doc.source()
    if source is None:
        return
    head = source[:4096] if isinstance(source, bytes) else _head(source)
    if b"ClinicalDocument" not in head:
        return
    name = doc.entry.entry_uuid or doc.entry.unique_id or "DocumentEntry"
    doc.info.is_cda = True
    try:
        header = read_header(source)
    except (DMPClientError, ValueError, TypeError) as exc:
        rec.add("documents", f"cda {name}", CheckStatus.FAILED, f"the CDA header cannot be read: {exc}")
        return
    findings = check_consistency(header, doc.entry)
    for f in findings:
        rec.add_finding("documents", f, name=f"cda {name} {f.location or f.rule}")
    if not findings:
        rec.add(
            "documents",
            f"cda {name}",
            CheckStatus.PASSED,
            "CDA header ⇄ XDS metadata consistent (uniqueId, type/class/format codes, title, times, "
            "confidentiality, patient, authors, legal authenticator)",
        )


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4096)


# ------------------------------------------------------------------------------------------- XAdES


def _b64(text: str | None) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _declared_octets(data: bytes, transforms: Sequence[str]) -> bytes:
    c14n = next((t for t in transforms if t in xmldsig.C14N_METHODS), None)
    if c14n is None:
        return data
    tree = _xml.parse_bytes(data, huge=True, max_bytes=max(len(data) + 1, _xml.DEFAULT_MAX_BYTES), origin="document")
    return _xml.canonicalize(tree.getroottree(), C14NMethod(c14n))


def _processing(transforms: Sequence[str], *, same_document: bool) -> str:
    c14n = next((t for t in transforms if t in xmldsig.C14N_METHODS), None)
    if c14n is not None:
        return algorithm_name(c14n) or c14n
    if same_document:
        return f"{algorithm_name(C14NMethod.C14N10.value)} (no Transforms: the XML-DSig default)"
    return "the raw bytes (no Transforms)"


def _target(r: ReferenceReport) -> str:
    if r.type:
        return r.type.rsplit("#", 1)[-1]
    return r.uri.lstrip("#")


def _signed_info_rows(rec: Recorder, report: XadesReport) -> list[ReferenceRow]:
    rows = []
    for r in report.signed_info_references:
        target = _target(r)
        processing = _processing(r.transforms, same_document=True)
        hash_name = algorithm_name(r.digest_algorithm) or "?"
        matched = signed_info_variant(r.alternative_match)
        row = ReferenceRow(
            role="signed-info",
            target=target,
            uri=r.uri,
            transforms=r.transforms,
            canonicalization=processing,
            digest_method=hash_name,
            digest_found=r.digest_found,
            digest_computed=r.digest_computed,
            status=r.status,
            matched=matched,
            tried=list(SIGNED_INFO_TRIED) if r.status == "mismatch" else [],
            message=r.message,
        )
        rows.append(row)
        name = f"reference {r.uri}"
        if r.status == "ok":
            rec.add(
                "signature",
                name,
                CheckStatus.PASSED,
                f"{target}: digest matches ({processing}, {hash_name})",
                details=row.model_dump(mode="json"),
            )
        elif r.status == "mismatch":
            why = (
                f"it matches {matched}: the signer digested with another processing than the one it declares"
                if matched
                else f"no other canonicalisation reproduces it ({tried_text(SIGNED_INFO_TRIED)}): the element was "
                "changed after signing"
            )
            rec.add(
                "signature",
                name,
                CheckStatus.FAILED,
                f"{target}: digest {r.digest_found} ≠ {r.digest_computed} recomputed with {processing}, "
                f"{hash_name}; {why}",
                details=row.model_dump(mode="json"),
            )
        else:
            rec.add(
                "signature",
                name,
                CheckStatus.FAILED,
                f"{target}: {r.status}: {r.message}",
                details=row.model_dump(mode="json"),
            )
    return rows


def _compare(data: bytes, r: ReferenceReport) -> tuple[str | None, str | None, list[str]]:
    """(computed digest b64 under the declared processing, matching processing, processings tried)."""
    found = _b64(r.digest_found)
    computed: str | None = None
    try:
        computed = base64.b64encode(
            xmldsig.digest(_declared_octets(data, r.transforms), r.digest_algorithm or "")
        ).decode()
    except (XMLError, DMPClientError):
        computed = None
    matched, tried = find_match(document_variants(data), found)
    return computed, matched, tried


def _manifest_row(r: ReferenceReport, target: str, status: str, message: str, **extra: Any) -> ReferenceRow:
    return ReferenceRow(
        role="manifest",
        target=target,
        uri=r.uri,
        transforms=r.transforms,
        canonicalization=_processing(r.transforms, same_document=False),
        digest_method=algorithm_name(r.digest_algorithm) or "?",
        digest_found=r.digest_found,
        status=status,
        message=message,
        **extra,
    )


def _manifest_rows(rec: Recorder, report: XadesReport, docs: Sequence[_Doc], ss_uid: str | None) -> list[ReferenceRow]:
    rows: list[ReferenceRow] = []
    referenced = {r.unique_id for r in report.manifest_references}
    by_uid = {d.entry.unique_id: d for d in docs if d.info.role == "document" and d.entry.unique_id}
    orphans = [d for d in docs if d.info.role == "document" and d.entry.unique_id not in referenced]
    for r in report.manifest_references:
        uid = r.unique_id or r.uri
        doc = by_uid.get(uid)
        if r.digest_found == _PLACEHOLDER and (r.status == "placeholder" or doc is None):
            row, status = _placeholder_row(r, uid, ss_uid)
        elif r.status in ("ok", "mismatch") and doc is not None:
            row, status = _document_row(r, uid, doc)
        elif r.status == "missing-document" and orphans:
            row, status = _orphan_row(r, uid, orphans), CheckStatus.FAILED
        else:
            status = CheckStatus.SKIPPED if r.status == "not-checked" else CheckStatus.FAILED
            row = _manifest_row(r, f"document {uid}", r.status, f"{uid}: {r.status}: {r.message}")
        rec.add("signature", f"reference {r.uri}", status, row.message, details=row.model_dump(mode="json"))
        rows.append(row)
    return rows


def _placeholder_row(r: ReferenceReport, uid: str, ss_uid: str | None) -> tuple[ReferenceRow, CheckStatus]:
    if ss_uid is None or uid == ss_uid:
        message = "submission set: AA== placeholder recognised (not a digest, never checked)"
        return _manifest_row(r, "submission set", "placeholder", message), CheckStatus.PASSED
    message = (
        f"AA== submission-set placeholder recognised, but it names {uid} while the submission set's uniqueId "
        f"is {ss_uid}"
    )
    return _manifest_row(r, "submission set", "placeholder", message), CheckStatus.WARNING


def _document_row(r: ReferenceReport, uid: str, doc: _Doc) -> tuple[ReferenceRow, CheckStatus]:
    processing = _processing(r.transforms, same_document=False)
    hash_name = algorithm_name(r.digest_algorithm) or "?"
    where = f"{uid} (cid:{doc.info.content_id})" if doc.info.content_id else uid
    if r.status == "ok":
        message = f"document {where}: digest matches ({processing}, {hash_name})"
        row = _manifest_row(r, f"document {uid}", "ok", message, digest_computed=r.digest_computed, compared_with=where)
        return row, CheckStatus.PASSED
    _, matched, tried = _compare(doc.read_bytes() or b"", r)
    why = (
        f"it matches {matched}: the signer did not apply the declared processing"
        if matched
        else f"no processing reproduces it ({tried_text(tried)}): the document is not the one that was signed"
    )
    message = (
        f"document {where}: digest {r.digest_found} ≠ {r.digest_computed} recomputed with {processing}, "
        f"{hash_name}; {why}"
    )
    row = _manifest_row(
        r,
        f"document {uid}",
        "mismatch",
        message,
        digest_computed=r.digest_computed,
        matched=matched,
        tried=tried,
        compared_with=where,
    )
    return row, CheckStatus.FAILED


def _orphan_row(r: ReferenceReport, uid: str, orphans: Sequence[_Doc]) -> ReferenceRow:
    """A manifest reference whose uniqueId names no document: compare it with the documents nobody references."""
    processing = _processing(r.transforms, same_document=False)
    hash_name = algorithm_name(r.digest_algorithm) or "?"
    results = []
    for doc in orphans:
        data = doc.read_bytes()
        if data is None:
            continue
        computed, matched, tried = _compare(data, r)
        where = f"{doc.entry.unique_id}" + (f" (cid:{doc.info.content_id})" if doc.info.content_id else "")
        results.append((computed, matched, tried, where))
    hit = next((x for x in results if x[1] is not None), None)
    if hit is not None:
        computed, matched, tried, where = hit
        message = (
            f"{uid} names no document of this submission; its digest matches {matched} of document {where}: the "
            "manifest names that document with another uniqueId"
        )
        return _manifest_row(
            r,
            f"document {uid}",
            "missing-document",
            message,
            digest_computed=computed,
            matched=matched,
            tried=tried,
            compared_with=where,
        )
    if not results:
        return _manifest_row(r, f"document {uid}", r.status, f"{uid}: {r.message}")
    computed, _, tried, where = results[0]
    others = f" (and {len(results) - 1} other unreferenced documents)" if len(results) > 1 else ""
    message = (
        f"{uid} names no document of this submission; compared with the document the manifest does not "
        f"reference, {where}{others}: digest {r.digest_found} ≠ {computed} recomputed with {processing}, "
        f"{hash_name}, and no processing reproduces it ({tried_text(tried)}): the manifest was made for another "
        "document"
    )
    return _manifest_row(
        r, f"document {uid}", "mismatch", message, digest_computed=computed, tried=tried, compared_with=where
    )


def _check_xades(
    rec: Recorder,
    signature: _Doc,
    docs: Sequence[_Doc],
    contents: Contents,
    ss_uid: str | None,
    *,
    at: dt.datetime | None,
    trust_anchors: TrustStore | Sequence[x509.Certificate] | None,
    allowed: Iterable[str],
) -> XadesInfo | None:
    data = signature.read_bytes()
    if data is None:
        return None
    documents: dict[str, bytes | str | os.PathLike[str]] = {}
    for d in docs:
        src = d.source()
        if d.info.role == "document" and d.entry.unique_id and src is not None:
            documents[d.entry.unique_id] = src
    for key, path in contents.external.items():
        uid = key.removeprefix("urn:oid:")
        if uid and uid[0].isdigit() and uid not in documents:
            documents[uid] = path
    allowed_set = frozenset(allowed)
    try:
        report = verify_submission_signature(
            data,
            documents,
            trust_anchors=trust_anchors,
            at=at,
            allowed_algorithms=allowed_set,
            submission_set_unique_id=ss_uid,
        )
    except XMLError as exc:
        rec.add("signature", "parse", CheckStatus.FAILED, f"the signature document is not readable XML: {exc}")
        return None
    for check in report.checks:
        rec.add_security_check("signature", check)
    cert = report.certificate
    if cert is not None:
        rec.add(
            "signature",
            "signer",
            CheckStatus.PASSED,
            f"signer {cert.subject}, issued by {cert.issuer}, valid {_date(cert.not_before)} to "
            f"{_date(cert.not_after)}, KeyUsage {cert.key_usage or 'none'}",
            details=cert.to_dict(),
        )
    used = {
        report.signature_method,
        *(r.digest_algorithm for r in report.signed_info_references),
        *(r.digest_algorithm for r in report.manifest_references),
    }
    if used & _SHA1_URIS and (used & _SHA1_URIS) <= allowed_set:
        rec.add(
            "signature",
            "algorithms sha1",
            CheckStatus.WARNING,
            "RSA-SHA1 / SHA-1 accepted for an old capture (allow_sha1); the accepted 2023 trace and current "
            "practice use RSA-SHA256 / SHA-256",
        )
    rows = _signed_info_rows(rec, report) + _manifest_rows(rec, report, docs, ss_uid)
    return XadesInfo(
        signature_id=report.signature_id,
        signing_time=report.signing_time,
        checked_at=report.checked_at,
        signature_method=algorithm_name(report.signature_method),
        signed_info_c14n=algorithm_name(report.signed_info_c14n),
        certificate=report.certificate,
        references=rows,
    )


def _date(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value is not None else "?"


def check_submission(
    rec: Recorder,
    message: SoapMessage,
    contents: Contents,
    *,
    at: dt.datetime | None,
    trust_anchors: TrustStore | Sequence[x509.Certificate] | None,
    allowed: Iterable[str],
) -> tuple[SubmissionRequest | None, list[DocumentInfo], XadesInfo | None]:
    """Documents ⇄ parts, hash/size, CDA ⇄ metadata and the XAdES signature of a ProvideAndRegister request.

    ``at`` None checks the signer's certificate as of the SigningTime.
    """
    payload = message.envelope.payload
    assert payload is not None
    try:
        pnr = ebrim.from_provide_and_register(payload)
    except (DMPClientError, ValueError) as exc:
        rec.add("documents", "metadata", CheckStatus.FAILED, f"the submission cannot be read: {exc}")
        return None, [], None
    docs = _match_documents(rec, payload, pnr.documents, pnr.submission, contents)
    for doc in docs:
        if doc.info.role == "document":
            _cda_checks(rec, doc)
    signature = next((d for d in docs if d.info.role == "signature"), None)
    xades: XadesInfo | None = None
    if signature is None:
        rec.add(
            "signature",
            "present",
            CheckStatus.FAILED,
            "the submission has no signature document: the XAdES signature of the lot is mandatory",
        )
    else:
        xades = _check_xades(
            rec,
            signature,
            docs,
            contents,
            pnr.submission.submission_set.unique_id,
            at=at,
            trust_anchors=trust_anchors,
            allowed=allowed,
        )
    return pnr.submission, [d.info for d in docs], xades
