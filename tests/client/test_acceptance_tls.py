"""Acceptance: over real mutual TLS on 127.0.0.1 (test PKI), the sync and async clients send a TD2.1 with a
50 MiB PDF streamed from disk and stream the TD3.2 answer to disk. Bytes and hashes are checked, not times."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dmpclient.cda import BuiltCda, build_n1_to_file
from dmpclient.cda.demo import demo_header
from dmpclient.client import AsyncDMPClient, DMPClient, TlsHandshakeFailed
from dmpclient.context import ActingContext
from dmpclient.environments import Environment
from dmpclient.ids import EnvironmentKind
from dmpclient.security import create_server_ssl_context
from dmpclient.security.pki import TestPki

from .fake_dmp import FakeDMP
from .support import PATIENT
from .tls_server import DmpTlsServer

SIZE = 50 * 1024 * 1024


def _sha1(path: Path) -> str:
    h = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


@pytest.fixture(scope="module")
def big_cda(tmp_path_factory: pytest.TempPathFactory) -> BuiltCda:
    """A 50 MiB PDF wrapped, streamed, in an N1 CDA file (≈ 67 MiB)."""
    folder = tmp_path_factory.mktemp("big")
    pdf = folder / "big.pdf"
    with pdf.open("wb") as out:
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        block = os.urandom(1 << 20)
        for i in range(SIZE // len(block)):
            out.write(block[i % 7 :] + block[: i % 7])
        out.write(b"\n%%EOF\n")
    return build_n1_to_file(demo_header(title="Gros document"), pdf, folder / "big.cda.xml")


@pytest.fixture
def server(pki: TestPki) -> Iterator[DmpTlsServer]:
    fake = FakeDMP()
    context = create_server_ssl_context(identity=pki.tls_identity("dmp-server"), client_trust=pki.trust_store())
    with DmpTlsServer(fake, context) as running:
        yield running
    fake.close()


def _environment(server: DmpTlsServer) -> Environment:
    return Environment("local-tls", EnvironmentKind.TEST, server.base_url)


@pytest.mark.slow
def test_sync_td2_1_and_td3_2_over_mutual_tls(
    server: DmpTlsServer, pki: TestPki, acting: ActingContext, big_cda: BuiltCda, tmp_path: Path
) -> None:
    assert big_cda.path is not None
    assert big_cda.size > SIZE
    target = tmp_path / "back.cda.xml"
    with DMPClient(
        _environment(server),
        context=acting,
        signer=pki.signer("prof-sign"),
        tls=pki.tls_identity("prof-auth"),
        trust=pki.trust_store(),
    ) as dmp:
        assert dmp.test_existence(PATIENT).exists
        result = dmp.submit(PATIENT, [big_cda])
        doc = dmp.retrieve(PATIENT, big_cda.unique_id, to=target)
    assert result.document_unique_ids == (big_cda.unique_id,)
    stored = server.fake.documents[0]
    assert stored.entry.hash == big_cda.sha1
    assert stored.entry.size == big_cda.size
    assert isinstance(stored.content, Path)
    assert _sha1(stored.content) == big_cda.sha1
    assert target.stat().st_size == big_cda.size
    assert _sha1(target) == big_cda.sha1 == doc.sha1
    assert max(server.bodies) > big_cda.size  # the whole document went over the wire, in one MTOM body


@pytest.mark.slow
def test_async_td2_1_and_td3_2_over_mutual_tls(
    server: DmpTlsServer, pki: TestPki, acting: ActingContext, big_cda: BuiltCda, tmp_path: Path
) -> None:
    target = tmp_path / "back-async.cda.xml"

    async def main() -> str:
        async with AsyncDMPClient(
            _environment(server),
            context=acting,
            signer=pki.signer("prof-sign"),
            tls=pki.tls_identity("prof-auth"),
            trust=pki.trust_store(),
        ) as dmp:
            await dmp.submit(PATIENT, [big_cda])
            doc = await dmp.retrieve(PATIENT, big_cda.unique_id, to=target)
            return doc.sha1

    assert asyncio.run(main()) == big_cda.sha1
    assert _sha1(target) == big_cda.sha1
    assert server.fake.seen == ["TD2.1", "TD3.2"]


def test_mutual_tls_is_required_and_the_server_pinned(
    server: DmpTlsServer, pki: TestPki, acting: ActingContext
) -> None:
    """Without a client certificate the handshake fails; a wrong pinned fingerprint too (not retried)."""
    with (
        DMPClient(_environment(server), context=acting, signer=pki.signer("prof-sign"), trust=pki.trust_store()) as dmp,
        pytest.raises(TlsHandshakeFailed) as no_cert,
    ):
        dmp.test_existence(PATIENT)
    assert no_cert.value.failure is not None
    assert no_cert.value.failure.kind.value == "client-certificate-missing"
    assert no_cert.value.transaction == "TD0.2"
    assert no_cert.value.sent is False
    with (
        DMPClient(
            _environment(server),
            context=acting,
            signer=pki.signer("prof-sign"),
            tls=pki.tls_identity("prof-auth"),
            trust=pki.trust_store(),
            pinned_fingerprints=["00" * 32],
        ) as pinned,
        pytest.raises(TlsHandshakeFailed) as caught,
    ):
        pinned.test_existence(PATIENT)
    assert caught.value.failure is not None
    assert caught.value.failure.kind.value == "pin-mismatch"
    fingerprint = pki.entry("dmp-server").sha256
    with DMPClient(
        _environment(server),
        context=acting,
        signer=pki.signer("prof-sign"),
        tls=pki.tls_identity("prof-auth"),
        trust=pki.trust_store(),
        pinned_fingerprints=[fingerprint],
    ) as good:
        assert good.test_existence(PATIENT).exists
