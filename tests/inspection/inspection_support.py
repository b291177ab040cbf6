"""Helpers of the inspection tests (not collected): build captures from our own stack and damage them."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS, C14NMethod
from dmpclient.cda import BuiltCda, DocumentHeaderInput, build_n1
from dmpclient.cda.demo import demo_patient
from dmpclient.environments import SANDBOX
from dmpclient.ids import INS
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore
from dmpclient.security.pki import TestPki
from dmpclient.security.signers import Signer
from dmpclient.terminology import Code
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.submission import (
    DocumentToSubmit,
    PreparedSubmission,
    SubmissionSetInfo,
    prepare_submission,
)

DS: Final = NS["ds"]
PATIENT: Final = INS.parse("279035121518989")
CONTENT_TYPE_CODE: Final = Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour")


@dataclass
class OwnCapture:
    """A TD2.1 request as our client sends it."""

    body: bytes
    content_type: str
    headers: Mapping[str, str]
    path: str
    prepared: PreparedSubmission
    cda: BuiltCda
    trust: TrustStore
    signer: Signer
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def cda_unique_id(self) -> str:
        return self.prepared.document_unique_ids[0]

    def http_bytes(self, *, headers: Mapping[str, str] | None = None) -> bytes:
        """``POST <path> HTTP/1.1`` + headers + blank line + body, CRLF line ends."""
        lines = [f"POST {self.path} HTTP/1.1", "Host: lps.sandbox.invalid"]
        lines += [f"{k}: {v}" for k, v in (headers or self.headers).items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body

    def with_body(self, body: bytes) -> OwnCapture:
        """The same capture with another body."""
        return OwnCapture(
            body, self.content_type, self.headers, self.path, self.prepared, self.cda, self.trust, self.signer
        )


def build_own_capture(pki: TestPki) -> OwnCapture:
    """prepare_submission + a CDA built by dmpclient, for the PKI's professional (direct mode), now."""
    acting = pki.acting_context("DIRECTE")
    signer = pki.signer("prof-sign")
    ctx = RequestContext(acting=acting, environment=SANDBOX, signer=signer)
    now = dt.datetime.now(dt.UTC)
    header = DocumentHeaderInput.from_context(
        acting,
        patient=demo_patient(),
        type_code="11488-4",
        title="Compte rendu de consultation",
        service_start=now - dt.timedelta(hours=1),
        service_stop=now - dt.timedelta(minutes=30),
        author_time=now - dt.timedelta(minutes=10),
    )
    built = build_n1(header, b"Compte rendu de consultation\nRAS\n", media_type="text/plain")
    prepared = prepare_submission(
        ctx, PATIENT, [DocumentToSubmit.from_cda(built)], submission_set=SubmissionSetInfo(CONTENT_TYPE_CODE)
    )
    request = prepared.request
    return OwnCapture(
        body=request.body_bytes(),
        content_type=request.content_type,
        headers=dict(request.headers),
        path="/si-dmp-server/v2/services/repository",
        prepared=prepared,
        cda=built,
        trust=pki.trust_store(),
        signer=signer,
    )


def flip_cda_byte(capture: OwnCapture) -> bytes:
    """The body with one character of the CDA's base64 body text changed (same size, still well-formed)."""
    body = capture.body
    cda = capture.cda.data
    assert cda is not None
    start = body.index(cda)
    marker = cda.index(b'representation="B64"')
    pos = start + cda.index(b">", marker) + 1
    while body[pos : pos + 1] in (b"\r", b"\n", b" ", b"\t"):
        pos += 1
    new = b"B" if body[pos : pos + 1] == b"A" else b"A"
    return body[:pos] + new + body[pos + 1 :]


def resign_signature(
    signature: bytes,
    signer: Signer,
    *,
    signed_properties_c14n: C14NMethod | None = C14NMethod.C14N10,
    document_digest: bytes | None = None,
) -> bytes:
    """Re-sign a XAdES signature after changing how its digests were computed (a faulty signer).

    ``signed_properties_c14n``: the c14n used for the SignedProperties digest while no Transforms is written
    (signxml's defect with exclusive c14n); None digests lxml's in-place inclusive c14n of the element (the
    ``xmlns=""`` trap, ``xades-signature.md`` §2); ``document_digest``: the value written in the manifest's document
    reference (e.g. the SHA-256 of the raw bytes instead of the canonical form).
    """
    root = _xml.parse_bytes(signature)
    if document_digest is not None:
        refs = [r for r in root.iter(f"{{{DS}}}Reference") if (r.get("URI") or "").startswith("urn:oid:")]
        doc_ref = next(r for r in refs if r.findtext(f"{{{DS}}}DigestValue") != "AA==")
        value = doc_ref.find(f"{{{DS}}}DigestValue")
        assert value is not None
        value.text = xmldsig.b64encode(document_digest)
    si = root.find(f"{{{DS}}}SignedInfo")
    assert si is not None
    for ref in si.findall(f"{{{DS}}}Reference"):
        target = xmldsig.find_by_id(root, (ref.get("URI") or "")[1:], ("Id",))[0]
        dm = ref.find(f"{{{DS}}}DigestMethod")
        dv = ref.find(f"{{{DS}}}DigestValue")
        assert dm is not None
        assert dv is not None
        octets = _xml.canonicalize(target, C14NMethod.C14N10)
        if etree_local(target.tag) == "SignedProperties":
            if signed_properties_c14n is None:
                octets = etree.tostring(target, method="c14n")
            else:
                octets = _xml.canonicalize(target, signed_properties_c14n)
        dv.text = xmldsig.b64encode(xmldsig.digest(octets, dm.get("Algorithm") or ""))
    sv = root.find(f"{{{DS}}}SignatureValue")
    assert sv is not None
    sv.text = xmldsig.b64encode(xmldsig.sign_signed_info(si, signer))
    return _xml.to_bytes(root)


def etree_local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def evidence_folder(own_capture: OwnCapture, directory: Path) -> Path:
    """The own capture and the sandbox's answer, written by the client's EvidenceWriter."""
    from dmpclient.client._exchange import Exchange, SentPart, mask_secrets
    from dmpclient.evidence import EvidenceWriter
    from dmpclient.soap import read_message
    from dmpclient.transactions.repository import build_provide_and_register_response

    message = read_message(own_capture.content_type, own_capture.body)
    response = build_provide_and_register_response(request=message)
    request = own_capture.prepared.request
    exchange = Exchange(
        sequence=1,
        transaction="TD2.1",
        attempt=1,
        method="POST",
        url="https://lps.sandbox.invalid" + own_capture.path,
        message_id=message.envelope.message_id,
        request_headers=tuple(own_capture.headers.items()),
        request_content_type=own_capture.content_type,
        request_size=len(own_capture.body),
        request_root=mask_secrets(message.root_bytes, homologation_number=None),
        request_parts=tuple(
            SentPart(
                a.content_id,
                a.content_type,
                a.size,
                data=a.source if isinstance(a.source, bytes) else None,
                path=a.source if not isinstance(a.source, bytes) else None,
            )
            for a in request.attachments
        ),
        response_status=200,
        response_reason="OK",
        http_version="HTTP/1.1",
        response_headers=tuple(response.headers.items()),
        response_root=response.body_bytes(),
    )
    writer = EvidenceWriter(directory)
    writer(exchange)
    return writer.written[0]
