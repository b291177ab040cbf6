"""The exchange hook: what it sees (raw parts, headers, timings, errors) and what is masked."""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from dmpclient.cda import BuiltCda
from dmpclient.client import MASK, Exchange
from dmpclient.client._exchange import mask_headers, mask_secrets
from dmpclient.context import ActingContext
from dmpclient.soap import parse_envelope

from .fake_dmp import FakeDMP
from .support import PATIENT, Harness


def test_the_homologation_number_is_masked(dmp: Harness, acting: ActingContext) -> None:
    number = acting.software.homologation_number.encode()
    dmp.test_existence(PATIENT)
    sent = dmp.requests[0].content
    assert number in sent  # the DMP gets it …
    exchange = dmp.exchanges[0]
    assert number not in exchange.request_root  # … the hook does not (EX_GEN-1490)
    assert exchange.vihf is not None
    assert number not in exchange.vihf
    assert b'Name="LPS_ID_HOMOLOGATION_DMP"' in exchange.vihf
    assert f">{MASK}<".encode() in exchange.vihf
    assert exchange.masked_homologation


def test_mask_homologation_false_keeps_the_exact_bytes(
    make_client: Callable[..., Harness], mode: str, acting: ActingContext
) -> None:
    dmp = make_client(mode, mask_homologation=False)
    dmp.test_existence(PATIENT)
    exchange = dmp.exchanges[0]
    assert exchange.request_root == dmp.requests[0].content
    assert acting.software.homologation_number.encode() in (exchange.vihf or b"")
    assert not exchange.masked_homologation


def test_auth_and_cookie_headers_are_masked(make_client: Callable[..., Harness], mode: str, fake: FakeDMP) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        from dmpclient.soap import read_message

        answer = fake.handle(read_message(request.headers["content-type"], body))
        headers = {**answer.headers, "Set-Cookie": "JSESSIONID=abc123; Secure"}
        return httpx.Response(200, headers=headers, content=answer.body_bytes())

    dmp = make_client(mode, handler)
    dmp.test_existence(PATIENT)
    exchange = dmp.exchanges[0]
    assert exchange.header("set-cookie") == MASK
    assert b"abc123" not in repr(exchange.response_headers).encode()
    masked = mask_headers([("Authorization", "Basic dXNlcjpwYXNz"), ("Cookie", "a=b"), ("Accept", "*/*")])
    assert masked == (("Authorization", MASK), ("Cookie", MASK), ("Accept", "*/*"))


def test_mask_secrets_rewrites_only_the_homologation_value() -> None:
    xml = (
        b'<saml2:Attribute Name="LPS_ID_HOMOLOGATION_DMP"><saml2:AttributeValue xsi:type="xs:string">'
        b"ABC-123456-tmp1</saml2:AttributeValue></saml2:Attribute><x>ABC-123456-tmp1</x><y>keep</y>"
    )
    masked = mask_secrets(xml, homologation_number=None)
    assert masked.count(b"ABC-123456-tmp1") == 1
    assert b">***<" in masked
    assert b"ABC-123456" not in mask_secrets(xml, homologation_number="ABC-123456-tmp1")
    assert b"<y>keep</y>" in masked


def test_documents_are_described_by_path_not_reread(dmp: Harness, cda_file: BuiltCda) -> None:
    seen: list[tuple[str, Path | None, bytes | None]] = []

    def look(exchange: Exchange) -> None:
        seen.extend((p.content_type, p.path, p.data) for p in exchange.request_parts)

    dmp.client._ops.engine.exchange_hook = look
    dmp.submit(PATIENT, [cda_file])
    document, signature = seen
    assert document[1] == cda_file.path
    assert document[2] is None
    assert signature[1] is None
    assert signature[2] is not None
    assert b"Signature" in signature[2]


def test_the_hook_sees_response_parts_and_timings(dmp: Harness, cda: BuiltCda) -> None:
    bodies: list[bytes] = []

    def look(exchange: Exchange) -> None:
        dmp.exchanges.append(exchange)
        bodies.extend(p.read_bytes() for p in exchange.response_parts)

    dmp.client._ops.engine.exchange_hook = look
    dmp.submit(PATIENT, [cda])
    dmp.retrieve(PATIENT, cda.unique_id)
    assert bodies == [cda.read_bytes()]
    retrieve = dmp.exchanges[-1]
    assert retrieve.transaction == "TD3.2"
    assert retrieve.response_status == 200
    assert retrieve.started_at <= retrieve.ended_at
    assert retrieve.duration >= 0
    assert retrieve.message_id == parse_envelope(retrieve.request_root).message_id
    assert retrieve.header("content-type", response=False) is not None
    assert retrieve.response_root is not None
    assert b"RetrieveDocumentSetResponse" in retrieve.response_root


def test_failed_exchanges_carry_the_error(make_client: Callable[..., Harness], mode: str) -> None:
    def handler(request: httpx.Request, body: bytes) -> httpx.Response:
        raise httpx.ConnectError("refused")

    dmp = make_client(mode, handler)
    with pytest.raises(Exception, match="cannot connect"):
        dmp.authorize(PATIENT)
    exchange = dmp.exchanges[0]
    assert exchange.outcome == "transport-error"
    assert exchange.response_status is None
    assert exchange.error is not None
    assert exchange.request_size == len(dmp.requests[0].content)


def test_a_failing_hook_does_not_change_the_outcome(
    make_client: Callable[..., Harness], mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(exchange: Exchange) -> None:
        raise OSError("disk full")

    dmp = make_client(mode, exchange_hook=broken)
    with caplog.at_level(logging.ERROR, logger="dmpclient.client"):
        assert dmp.test_existence(PATIENT).exists
    assert "exchange hook failed" in caplog.text


def test_no_hook_no_capture_cost(make_client: Callable[..., Harness], mode: str) -> None:
    dmp = make_client(mode, exchange_hook=None)
    dmp.test_existence(PATIENT)
    assert dmp.client._ops.engine._sequence == 0


def test_secrets_never_reach_an_exchange(
    make_client: Callable[..., Harness], mode: str, pki: object, tmp_path: Path, cda: BuiltCda
) -> None:
    """The PKCS#12 password and the private key are never part of a message (nor of the evidence)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    from dmpclient.evidence import EvidenceWriter
    from dmpclient.security.signers import SoftwareSigner

    source = pki.signer("prof-sign")  # type: ignore[attr-defined]
    password = b"Tr3s-S3cret-P12!"
    p12 = pkcs12.serialize_key_and_certificates(
        b"sig", source.private_key, source.certificate, None, serialization.BestAvailableEncryption(password)
    )
    signer = SoftwareSigner.from_pkcs12(p12, password)
    numbers = signer.private_key.private_numbers()
    key_fragments: list[bytes] = []
    for secret in (numbers.d, numbers.p, numbers.q):  # the private parts (the modulus is public)
        raw = secret.to_bytes((secret.bit_length() + 7) // 8, "big")
        key_fragments += [raw[16:48], base64.b64encode(raw)[20:60], raw[16:48].hex().encode()]
    captured: list[Exchange] = []
    writer = EvidenceWriter(tmp_path / "evidence")

    def hook(exchange: Exchange) -> None:
        captured.append(exchange)
        writer(exchange)

    dmp = make_client(mode, signer=signer, exchange_hook=hook)
    dmp.submit(PATIENT, [cda])
    dmp.test_existence(PATIENT)
    blobs = [r.content for r in dmp.requests]
    for ex in captured:
        blobs += [ex.request_root, ex.vihf or b"", ex.response_root or b"", repr(ex.request_headers).encode()]
        blobs += [p.data or b"" for p in ex.request_parts]
    blobs += [f.read_bytes() for f in (tmp_path / "evidence").rglob("*") if f.is_file()]
    for blob in blobs:
        assert password not in blob
        for fragment in key_fragments:
            assert fragment not in blob
