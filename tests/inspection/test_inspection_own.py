"""Acceptance: a TD2.1 captured from our own stack passes every check; damaged copies name what broke."""

from __future__ import annotations

import base64
import datetime as dt
import re
from pathlib import Path
from urllib.parse import unquote

from dmpclient.inspection import CheckStatus, InspectionReport, inspect_capture
from dmpclient.security.pki import TestPki
from dmpclient.soap import read_message

from .inspection_support import OwnCapture, evidence_folder, flip_cda_byte, resign_signature, sha256


def inspect(capture: OwnCapture, body: bytes | None = None, **kwargs: object) -> InspectionReport:
    options: dict[str, object] = {"content_type": capture.content_type, "trust_anchors": capture.trust}
    options.update(kwargs)
    return inspect_capture(capture.body if body is None else body, **options)  # type: ignore[arg-type]


def failed(report: InspectionReport) -> set[tuple[str, str]]:
    return {(c.section, c.name) for c in report.failures}


def test_own_capture_passes_every_check(own_capture: OwnCapture) -> None:
    report = inspect(own_capture)
    assert report.ok
    assert {c.status for c in report.checks} == {CheckStatus.PASSED}, [
        (c.section, c.name, c.message) for c in report.checks if c.status is not CheckStatus.PASSED
    ]
    assert report.transaction.td == "TD2.1"
    assert [s.name for s in report.sections] == [
        "capture",
        "transaction",
        "parts",
        "vihf",
        "metadata",
        "documents",
        "signature",
    ]
    assert [p.role for p in report.parts] == ["root", "document", "signature"]
    assert report.xades is not None
    assert [r.status for r in report.xades.references] == ["ok", "ok", "placeholder", "ok"]
    assert report.documents[0].unique_id == own_capture.cda_unique_id
    assert report.documents[0].is_cda


def test_one_changed_byte_of_the_cda_names_the_hash_and_the_manifest_reference(own_capture: OwnCapture) -> None:
    body = flip_cda_byte(own_capture)
    assert len(body) == len(own_capture.body)
    report = inspect(own_capture, body)
    assert not report.ok
    reference = f"reference urn:oid:{own_capture.cda_unique_id}"
    assert failed(report) == {("documents", "hash Document01"), ("signature", reference)}
    hash_check = next(c for c in report.failures if c.name == "hash Document01")
    assert hash_check.code == "XDSNonIdenticalHash"
    row = next(r for r in report.xades.references if r.uri == f"urn:oid:{own_capture.cda_unique_id}")  # type: ignore[union-attr]
    assert row.status == "mismatch"
    assert row.matched is None
    assert row.tried  # the processings tried are listed


def test_without_trust_anchors_the_chains_are_skipped_not_failed(own_capture: OwnCapture) -> None:
    report = inspect(own_capture, trust_anchors=None)
    assert report.ok
    skipped = {(c.section, c.name) for c in report.checks if c.status is CheckStatus.SKIPPED}
    assert skipped == {("vihf", "signature certificate-chain"), ("signature", "certificate-chain")}


def test_foreign_trust_anchors_fail_the_chains(own_capture: OwnCapture, inspection_pki: TestPki) -> None:
    report = inspect(own_capture, trust_anchors=[inspection_pki.certificate("ej-sign")])
    assert {("vihf", "signature certificate-chain"), ("signature", "certificate-chain")} <= failed(report)


def test_checked_in_the_future_the_validity_checks_fail(own_capture: OwnCapture) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=5000)
    report = inspect(own_capture, at=later, trust_anchors=None)
    names = failed(report)
    assert ("vihf", "certificate") in names
    assert ("signature", "certificate-validity") in names


def test_http_request_file_is_accepted(capture_file: Path) -> None:
    report = inspect_capture(capture_file, trust_anchors=None)
    assert report.ok
    assert report.source == str(capture_file)
    assert report.envelope.http_start_line == "POST /si-dmp-server/v2/services/repository HTTP/1.1"
    assert report.envelope.content_type_source == "capture"
    assert report.transaction.direction == "request"
    assert report.transaction.td == "TD2.1"
    statuses = {c.name: c.status for c in report.checks if c.section == "capture"}
    assert statuses["http"] is CheckStatus.PASSED
    assert statuses["content-length"] is CheckStatus.PASSED


def test_http_file_with_a_wrong_content_length_is_a_warning(tmp_path: Path, own_capture: OwnCapture) -> None:
    headers = dict(own_capture.headers)
    headers["Content-Length"] = str(len(own_capture.body) + 7)
    path = tmp_path / "request.http"
    path.write_bytes(own_capture.http_bytes(headers=headers))
    report = inspect_capture(path, trust_anchors=own_capture.trust)
    length = next(c for c in report.checks if c.name == "content-length")
    assert length.status is CheckStatus.WARNING
    assert str(len(own_capture.body)) in length.message


def test_headers_given_apart_from_the_body(own_capture: OwnCapture) -> None:
    report = inspect_capture(own_capture.body, headers=own_capture.headers, trust_anchors=own_capture.trust)
    assert report.ok
    assert report.envelope.content_type_source == "headers"


def test_soap11_in_a_soap12_part_is_a_warning(own_capture: OwnCapture) -> None:
    soap12 = b"http://www.w3.org/2003/05/soap-envelope"
    body = own_capture.body.replace(soap12, b"http://schemas.xmlsoap.org/soap/envelope/", 1)
    report = inspect(own_capture, body)
    assert report.ok, failed(report)
    assert report.envelope.soap_version == "1.1"
    version = next(c for c in report.checks if c.section == "capture" and c.name == "soap-version")
    assert version.status is CheckStatus.WARNING


def test_a_mime_action_that_differs_from_wsa_action_is_a_warning(own_capture: OwnCapture) -> None:
    action = "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
    other = "DocumentRepository_ProvideAndRegisterDocumentSet-b"
    body = own_capture.body.replace(f'action=\\"{action}\\"'.encode(), f'action=\\"{other}\\"'.encode(), 1)
    assert body != own_capture.body
    report = inspect(own_capture, body)
    assert report.ok, failed(report)
    assert report.envelope.mime_action == other
    consistency = next(c for c in report.checks if c.name == "action-consistency")
    assert consistency.status is CheckStatus.WARNING
    assert other in consistency.message


def test_an_unknown_wsa_action_is_a_warning_and_the_body_decides(own_capture: OwnCapture) -> None:
    action = b">urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b<"
    body = own_capture.body.replace(action, b">urn:example:wrong-action<", 1)
    report = inspect(own_capture, body)
    assert report.transaction.td == "TD2.1"
    warning = next(c for c in report.checks if c.section == "transaction" and c.name == "action")
    assert warning.status is CheckStatus.WARNING
    assert "urn:example:wrong-action" in warning.message


def test_masked_homologation_number_explains_the_vihf_digest(own_capture: OwnCapture, inspection_pki: TestPki) -> None:
    number = inspection_pki.identities.homologation_number.encode()
    body = own_capture.body.replace(b">" + number + b"<", b">***<")
    assert body != own_capture.body
    report = inspect(own_capture, body)
    digest = next(c for c in report.checks if c.section == "vihf" and c.name == "signature digest")
    assert digest.status is CheckStatus.WARNING
    assert "masked" in digest.message
    assert report.ok


def test_a_signed_properties_digest_made_in_place_is_explained(own_capture: OwnCapture) -> None:
    old = own_capture.prepared.signature
    new = resign_signature(old, own_capture.signer, signed_properties_c14n=None)
    report = inspect(own_capture, own_capture.body.replace(old, new))
    check = next(c for c in report.failures if c.name == "reference #S0-SignedProperties")
    assert 'xmlns=""' in check.message
    row = next(r for r in report.xades.references if r.target == "SignedProperties")  # type: ignore[union-attr]
    assert row.status == "mismatch"
    assert row.matched is not None
    assert row.matched.endswith("SHA-256")
    statuses = {c.name: c.status for c in report.checks if c.section == "signature"}
    assert statuses["signature-value"] is CheckStatus.PASSED  # re-signed: only the reference is wrong
    assert statuses["reference #IHEManifest"] is CheckStatus.PASSED


def test_a_document_digest_of_the_raw_bytes_is_explained(own_capture: OwnCapture) -> None:
    old = own_capture.prepared.signature
    assert own_capture.cda.data is not None
    new = resign_signature(old, own_capture.signer, document_digest=sha256(own_capture.cda.data))
    report = inspect(own_capture, own_capture.body.replace(old, new))
    check = next(c for c in report.failures if c.name == f"reference urn:oid:{own_capture.cda_unique_id}")
    assert "it matches the raw bytes, SHA-256" in check.message
    assert "inclusive C14N 1.0 with comments" in check.message  # what was declared


def test_inline_documents_are_checked_like_mtom_parts(own_capture: OwnCapture) -> None:
    message = read_message(own_capture.content_type, own_capture.body)
    parts = {p.content_id: p.read_bytes() for p in message.parts}

    def inline(match: re.Match[bytes]) -> bytes:
        return base64.b64encode(parts[unquote(match.group(1).decode())])

    root = re.sub(rb'<xop:Include[^>]*href="cid:([^"]+)"[^>]*/>', inline, message.root_bytes)
    assert b"xop:Include" not in root
    report = inspect_capture(root, content_type="application/soap+xml", trust_anchors=own_capture.trust)
    assert report.ok, failed(report)
    assert [c.name for c in report.checks if c.status is not CheckStatus.PASSED] == ["mtom"]
    assert all(d.inline for d in report.documents)
    assert report.xades is not None
    assert [r.status for r in report.xades.references] == ["ok", "ok", "placeholder", "ok"]


def test_evidence_folder_is_reassembled_byte_for_byte(own_capture: OwnCapture, tmp_path: Path) -> None:
    folder = evidence_folder(own_capture, tmp_path / "evidence")
    report = inspect_capture(folder, trust_anchors=own_capture.trust)
    assert report.ok, failed(report)
    assert report.transaction.td == "TD2.1"
    from dmpclient.client._exchange import mask_secrets

    # the bytes sent, with the homologation number masked as the client writes evidence
    assert report.envelope.size == len(mask_secrets(own_capture.body, homologation_number=None))
    assert report.envelope.size < len(own_capture.body)
    assert report.envelope.http_start_line == f"POST {own_capture.path} HTTP/1.1"
    evidence = {c.name: c.status for c in report.checks if c.name.startswith("evidence")}
    assert evidence == dict.fromkeys(
        ["evidence", "evidence root", "evidence part 1", "evidence part 2"], CheckStatus.PASSED
    )
    # the homologation number was masked by the client: explained, not failed
    digest = next(c for c in report.checks if c.section == "vihf" and c.name == "signature digest")
    assert digest.status is CheckStatus.WARNING
    same = inspect_capture(folder / "request.http", trust_anchors=own_capture.trust)
    assert [(c.section, c.name, c.status) for c in same.checks] == [
        (c.section, c.name, c.status) for c in report.checks
    ]


def test_evidence_folder_response_side(own_capture: OwnCapture, tmp_path: Path) -> None:
    folder = evidence_folder(own_capture, tmp_path / "evidence")
    report = inspect_capture(folder, side="response")
    assert report.transaction.direction == "response"
    assert report.transaction.td == "TD2.1"
    assert report.envelope.http_start_line == "HTTP/1.1 200 OK"
    assert [(c.name, c.status) for c in report.checks if c.section == "answer"] == [
        ("registry-status", CheckStatus.PASSED)
    ]


def test_evidence_folder_with_a_tampered_part_fails_its_integrity(own_capture: OwnCapture, tmp_path: Path) -> None:
    folder = evidence_folder(own_capture, tmp_path / "evidence")
    part = next(folder.glob("request.part-1.*"))
    part.write_bytes(part.read_bytes().replace(b"<title>", b"<title>X", 1))
    report = inspect_capture(folder, trust_anchors=own_capture.trust)
    names = failed(report)
    assert ("capture", "evidence part 1") in names
    assert ("documents", "hash Document01") in names
