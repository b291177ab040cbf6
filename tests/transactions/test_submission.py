"""The TD2.1 submission pipeline: MTOM layout, hashes, the XAdES signature (ours and xmlsec1), replacement,
streaming of large file-backed documents, and the validation gate."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import pathlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from dmpclient.cda import BuiltCda, DocumentHeaderInput, build_n1, build_n1_to_file
from dmpclient.cda.demo import DEMO_TIME, demo_context, demo_header, demo_patient
from dmpclient.cda.mapping import to_document_entry
from dmpclient.errors import InputError, ValidationFailed
from dmpclient.ids import INS, nir_key
from dmpclient.security.pki import TestPki
from dmpclient.security.xades import ManifestDocument, document_digest, verify_submission_signature
from dmpclient.soap import read_message
from dmpclient.terminology import MASQUE_PS, Code
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.repository import parse_provide_and_register_request
from dmpclient.transactions.submission import (
    HASH_CHUNK_SIZE,
    DocumentToSubmit,
    SubmissionSetInfo,
    digest_source,
    prepare_submission,
)
from dmpclient.xds.model import AssociationType

from .xds_support import make_context, received

PATIENT = demo_patient().ins
LOT = SubmissionSetInfo(Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour"), title="Lot", comments="Test")


@pytest.fixture
def ctx(pki: TestPki) -> RequestContext:
    """Dr LIBRE in his cabinet (the demo identities the CDA builder uses), signing now."""
    return make_context(pki, acting=demo_context(), clock=lambda: dt.datetime.now(dt.UTC))


def _text_cda(n: int, **header: Any) -> BuiltCda:
    return build_n1(
        demo_header(title=f"Compte rendu {n}", **header), f"Document {n}\n".encode() * 50, media_type="text/plain"
    )


def _split_parts(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a CRLF MIME package, byte-exact (no library in between)."""
    delimiter = b"\r\n--" + boundary.encode()
    assert body.startswith(b"--" + boundary.encode() + b"\r\n")
    chunks = (b"\r\n" + body).split(delimiter)
    assert chunks[0] == b""
    assert chunks[-1] == b"--\r\n"
    parts = []
    for chunk in chunks[1:-1]:
        head, _, content = chunk[2:].partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        parts.append((headers, content))
    return parts


def test_two_documents_give_root_documents_and_signature_last(ctx: RequestContext, tmp_path: Path) -> None:
    on_disk = build_n1_to_file(
        demo_header(title="Sur disque"),
        _write(tmp_path / "body.txt", b"x" * 5000),
        tmp_path / "doc.xml",
        media_type="text/plain",
    )
    in_memory = _text_cda(2)
    prepared = prepare_submission(
        ctx, PATIENT, [DocumentToSubmit.from_cda(on_disk), DocumentToSubmit.from_cda(in_memory)], submission_set=LOT
    )
    request = prepared.request
    body = request.body_bytes()
    assert len(body) == request.content_length  # exact Content-Length, known before sending
    parts = _split_parts(body, request.boundary or "")
    assert [h["Content-ID"] for h, _ in parts] == [
        "<root.message@dmpclient>",
        *(f"<{a.content_id}>" for a in prepared.attachments),
    ]
    assert parts[0][1] == request.root_bytes
    assert parts[1][1] == on_disk.path.read_bytes() if on_disk.path else False
    assert parts[2][1] == in_memory.data
    assert parts[3][1] == prepared.signature  # the signature is the last part
    assert isinstance(prepared.attachments[0].source, Path)  # file-backed: streamed while sending

    entries = {d.unique_id: d for d in prepared.submission.documents}
    for uid, (_, content) in zip((*prepared.document_unique_ids, prepared.signature_unique_id), parts[1:], strict=True):
        assert entries[uid].hash == hashlib.sha1(content).hexdigest()
        assert entries[uid].size == len(content)

    report = verify_submission_signature(
        prepared.signature,
        {uid: content for uid, (_, content) in zip(prepared.document_unique_ids, parts[1:3], strict=True)},
        submission_set_unique_id=prepared.submission_set_unique_id,
    )
    assert report.ok, report.failures
    assert [r.status for r in report.manifest_references] == ["placeholder", "ok", "ok"]
    types = [a.type for a in prepared.submission.associations]
    assert types.count(AssociationType.HAS_MEMBER) == 3
    assert types.count(AssociationType.SIGNS) == 1


def test_signature_verifies_with_xmlsec1(ctx: RequestContext, tmp_path: Path, xmlsec1: str) -> None:
    docs = [_text_cda(1), _text_cda(2)]
    prepared = prepare_submission(ctx, PATIENT, [DocumentToSubmit.from_cda(d) for d in docs], submission_set=LOT)
    signature = tmp_path / "signature.xml"
    signature.write_bytes(prepared.signature)
    url_maps: list[str] = []
    for i, doc in enumerate(docs):
        path = tmp_path / f"doc{i}.xml"
        path.write_bytes(doc.data or b"")
        url_maps += [f"--url-map:urn:oid:{doc.unique_id}", str(path)]
    placeholder = tmp_path / "submission-set.txt"
    placeholder.write_bytes(b"")
    url_maps += [f"--url-map:urn:oid:{prepared.submission_set_unique_id}", str(placeholder)]
    cmd = [
        xmlsec1, "--verify", "--insecure", "--print-debug",
        "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Manifest",
        "--id-attr:Id", "http://uri.etsi.org/01903/v1.1.1#:SignedProperties",
        *url_maps, str(signature),
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "SignedInfo References (ok/all): 2/2" in out
    # xmlsec1 reports manifest references without enforcing them: both documents verify, the submission
    # set's AA== placeholder cannot (xades-signature.md §6).
    assert "Manifests References (ok/all): 2/3" in out


def test_replacement_warns_when_the_cda_has_no_rplc(ctx: RequestContext) -> None:
    target = "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    prepared = prepare_submission(
        ctx, PATIENT, [DocumentToSubmit.from_cda(_text_cda(1))], submission_set=LOT, replaces={0: target}
    )
    rplc = prepared.submission.associations_of_type(AssociationType.RPLC)
    assert [(a.source, a.target) for a in rplc] == [("Document01", target)]
    assert [f.rule for f in prepared.findings] == ["submission.rplc.relatedDocument"]
    with pytest.raises(InputError) as info:
        prepare_submission(
            ctx, PATIENT, [DocumentToSubmit.from_cda(_text_cda(1))], submission_set=LOT, replaces={0: "1.2.3"}
        )
    assert info.value.rule == "RG_3130"
    with pytest.raises(InputError):
        prepare_submission(
            ctx, PATIENT, [DocumentToSubmit.from_cda(_text_cda(1))], submission_set=LOT, replaces={3: target}
        )


def test_metadata_derived_from_the_cda_header(ctx: RequestContext) -> None:
    built = _text_cda(1)
    prepared = prepare_submission(
        ctx,
        PATIENT,
        [DocumentToSubmit.from_cda(built, confidentiality=[MASQUE_PS], comments="note")],
        submission_set=LOT,
    )
    entry = prepared.documents[0]
    assert entry.unique_id == built.unique_id
    assert entry.title == "Compte rendu 1"
    assert [c.code for c in entry.confidentiality_codes] == ["N", "MASQUE_PS"]
    assert entry.comments == "note"
    assert (entry.hash, entry.size) == (built.sha1, built.size)
    ss = prepared.submission.submission_set
    assert ss.source_id == ctx.acting.software.oid_root
    assert ss.unique_id == prepared.submission_set_unique_id
    assert ss.authors[0].person is not None
    assert ss.authors[0].person.id == "899900063480"
    assert (ss.title, ss.comments, ss.content_type_code) == ("Lot", "Test", LOT.content_type_code)


class _CountingFile(io.RawIOBase):
    """Wraps a file: records each read size so that a full read can be detected."""

    def __init__(self, handle: IO[bytes], log: list[int]) -> None:
        self.handle = handle
        self.log = log

    def read(self, size: int | None = -1) -> bytes:
        wanted = -1 if size is None else size
        self.log.append(wanted)
        return self.handle.read(wanted)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self.handle.close()
        super().close()


def test_a_20_mib_file_is_hashed_and_sent_in_chunks(
    ctx: RequestContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build_n1_to_file(
        demo_header(title="Gros document"),
        _write(tmp_path / "big.txt", b"0123456789abcdef" * (15 * 65536)),
        tmp_path / "big.xml",
        media_type="text/plain",
    )
    assert built.path is not None
    assert built.size > 20 * 1024 * 1024
    # A plain file (not a BuiltCda): hash, size and canonical digest must be computed by streaming.
    document = DocumentToSubmit.from_file(built.path, to_document_entry(built.header), canonical=True)
    reads: dict[str, list[int]] = {}
    real_open = pathlib.Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, mode, *args, **kwargs)
        if self == built.path:
            log = reads.setdefault(f"open{len(reads)}", [])
            return _CountingFile(handle, log)
        return handle

    monkeypatch.setattr(pathlib.Path, "open", counting_open)
    prepared = prepare_submission(ctx, PATIENT, [document], submission_set=LOT)
    entry = prepared.documents[0]
    assert (entry.hash, entry.size) == (built.sha1, built.size)
    assert len(reads) == 1  # one hashing pass: SHA-1, size and the canonical SHA-256 together
    sent = hashlib.sha1()
    for chunk in _part_bytes(prepared.request.iter_bytes(), prepared.request.boundary or "", index=1):
        sent.update(chunk)
    assert sent.hexdigest() == built.sha1
    assert len(reads) == 2  # one more pass while sending
    for log in reads.values():
        assert all(0 < size <= HASH_CHUNK_SIZE for size in log), "a read without a bound (whole file)"
    report = verify_submission_signature(
        prepared.signature, None, submission_set_unique_id=prepared.submission_set_unique_id
    )
    assert report.signature_ok
    digest = next(r for r in report.manifest_references if r.uri == f"urn:oid:{built.unique_id}").digest_found
    assert digest is not None
    assert base64.b64decode(digest) == bytes.fromhex(built.sha256)


def test_streamed_canonical_digest_equals_a_reparse(tmp_path: Path) -> None:
    built = _text_cda(1)
    data = built.data or b""
    parsed = document_digest(ManifestDocument(built.unique_id, data, canonical=False))
    assert digest_source(data, canonical=True).canonical_sha256 == parsed
    path = tmp_path / "doc.xml"
    path.write_bytes(data)
    streamed = digest_source(path, canonical=True, chunk_size=300)
    assert (streamed.canonical_sha256, streamed.sha1, streamed.size) == (parsed, built.sha1, built.size)
    # the same document, not in canonical form: the streamed hash differs, the re-parse does not
    loose = data.replace(b"</ClinicalDocument>", b"</ClinicalDocument >")
    assert loose != data
    assert digest_source(loose, canonical=True).canonical_sha256 != parsed
    assert document_digest(ManifestDocument(built.unique_id, loose, canonical=False)) == parsed


def test_forbidden_type_code_blocks_the_request(ctx: RequestContext) -> None:
    built = _text_cda(1)
    entry = to_document_entry(built.header).replace_fields(
        type_code=Code("DOCPAT03", "1.2.250.1.213.1.1.4.12", "Document du patient"),
        class_code=Code("90", "1.2.250.1.213.1.1.4.1", "Expression personnelle du patient"),
    )
    document = DocumentToSubmit(built, entry=entry)
    with pytest.raises(ValidationFailed) as info:
        prepare_submission(ctx, PATIENT, [document], submission_set=LOT)
    forbidden = [f for f in info.value.findings if f.rule == "dmp.typeCode.forbidden"]
    assert forbidden
    assert "EX_2.1-1010" in forbidden[0].message
    assert forbidden[0].message_fr == "Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité"
    # The escape hatch builds it anyway (to test the sandbox's own checks).
    prepared = prepare_submission(ctx, PATIENT, [document], submission_set=LOT, validate=False)
    got = parse_provide_and_register_request(received(prepared.request))
    assert got.documents[0].entry.type_code == entry.type_code


def test_input_errors_are_named(ctx: RequestContext) -> None:
    built = _text_cda(1)
    with pytest.raises(InputError):
        prepare_submission(ctx, PATIENT, [], submission_set=LOT)
    with pytest.raises(InputError) as info:
        prepare_submission(ctx, INS.parse("277076322082910"), [DocumentToSubmit.from_cda(built)], submission_set=LOT)
    assert info.value.rule == "XDSPatientIdDoesNotMatch"
    bad_hash = to_document_entry(built.header, hash="0" * 40)
    with pytest.raises(InputError) as info:
        prepare_submission(ctx, PATIENT, [DocumentToSubmit(built, entry=bad_hash)], submission_set=LOT)
    assert info.value.rule == "XDSNonIdenticalHash"
    with pytest.raises(InputError) as info:
        prepare_submission(
            ctx, PATIENT, [DocumentToSubmit.from_cda(built), DocumentToSubmit.from_cda(built)], submission_set=LOT
        )
    assert info.value.rule == "XDSRegistryDuplicateUniqueIdInMessage"
    no_uid = to_document_entry(built.header).replace_fields(unique_id=None)
    with pytest.raises(InputError, match="uniqueId"):
        prepare_submission(ctx, PATIENT, [DocumentToSubmit.from_bytes(built.data or b"", no_uid)], submission_set=LOT)
    with pytest.raises(InputError, match="contentTypeCode"):
        SubmissionSetInfo("04")  # type: ignore[arg-type]


def test_prepared_request_reads_back_through_the_streaming_reader(ctx: RequestContext) -> None:
    prepared = prepare_submission(ctx, PATIENT, [DocumentToSubmit.from_cda(_text_cda(1))], submission_set=LOT)
    message = read_message(prepared.request.content_type, prepared.request.iter_bytes(chunk_size=1000))
    assert [p.content_id for p in message.parts] == [a.content_id for a in prepared.attachments]
    assert prepared.unique_ids == prepared.document_unique_ids == (prepared.documents[0].unique_id,)
    assert prepared.transaction == "TD2.1"


# ----------------------------------------------------------------------------------------- helpers


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _part_bytes(stream: Iterator[bytes], boundary: str, *, index: int) -> Iterator[bytes]:
    """Yield the content of part ``index`` (0 = root) of a streamed CRLF package, never holding it whole."""
    delimiter = b"\r\n--" + boundary.encode()
    buffer = b"\r\n"
    current = -1
    in_body = False
    keep = len(delimiter) + 4
    for chunk in stream:
        buffer += chunk
        while True:
            if not in_body:
                at = buffer.find(delimiter)
                if at < 0:
                    buffer = buffer[-keep:]
                    break
                head_end = buffer.find(b"\r\n\r\n", at)
                if head_end < 0:
                    break
                current += 1
                buffer = buffer[head_end + 4 :]
                in_body = True
            at = buffer.find(delimiter)
            if at < 0:
                if current == index and len(buffer) > keep:
                    yield buffer[:-keep]
                buffer = buffer[-keep:] if len(buffer) > keep else buffer
                break
            if current == index:
                yield buffer[:at]
            buffer = buffer[at:]
            in_body = False
            if current == index:
                return


def test_secret_connection_makes_documents_invisible_to_legal_representatives(pki: TestPki) -> None:
    first13 = "2150375056123"
    minor = demo_patient().model_copy(
        update={"ins": INS.parse(f"{first13}{nir_key(first13):02d}"), "birth_date": dt.date(2015, 3, 10)}
    )
    header = DocumentHeaderInput.from_context(
        demo_context(), patient=minor, type_code="11488-4", title="Consultation", effective_time=DEMO_TIME
    )
    built = build_n1(header, b"Consultation\n", media_type="text/plain")
    acting = demo_context().with_secret_connection()
    ctx = make_context(pki, acting=acting, clock=lambda: dt.datetime.now(dt.UTC))
    prepared = prepare_submission(ctx, minor.ins, [DocumentToSubmit.from_cda(built)], submission_set=LOT)
    assert [c.code for c in prepared.documents[0].confidentiality_codes] == ["N", "INVISIBLE_REPRESENTANTS_LEGAUX"]
    assert "submission.secretConnection" in {f.rule for f in prepared.findings}
