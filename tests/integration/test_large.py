"""A 50 MiB PDF in an N1 CDA streamed from disk with TD2.1, and streamed back to disk with TD3.2, over real mutual
TLS against the sandbox — sync and async. Bytes and hashes are checked, never durations."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from dmpclient.cda import BuiltCda, DocumentHeaderInput, build_n1_to_file
from dmpclient.cda.demo import DEMO_TIME, demo_patient

from .support import PAT_TROIS, Kit, World

PDF_SIZE = 50 * 1024 * 1024


def _sha1_of(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def big_cda(kit: Kit, tmp_path_factory: pytest.TempPathFactory) -> BuiltCda:
    """A 50 MiB PDF (random blocks) wrapped, streamed, in an N1 CDA file about PAT-TROIS (≈ 67 MiB)."""
    folder = tmp_path_factory.mktemp("big-document")
    pdf = folder / "big.pdf"
    block = os.urandom(1 << 20)
    with pdf.open("wb") as out:
        out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        for i in range(PDF_SIZE // len(block)):
            out.write(block[i % 13 :] + block[: i % 13])
        out.write(b"\n%%EOF\n")
    header = DocumentHeaderInput.from_context(
        kit.context(),
        patient=demo_patient(),  # PAT-TROIS, as seeded
        type_code="11488-4",
        title="Gros compte rendu",
        service_start=DEMO_TIME - dt.timedelta(minutes=30),
        service_stop=DEMO_TIME - dt.timedelta(minutes=5),
        author_time=DEMO_TIME,
        effective_time=DEMO_TIME,
    )
    return build_n1_to_file(header, pdf, folder / "big.cda.xml")


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["mtls"])
def test_50_mib_td21_streamed_and_td32_to_disk(world: World, big_cda: BuiltCda, tmp_path: Path) -> None:
    assert big_cda.path is not None
    assert big_cda.data is None
    assert big_cda.size > PDF_SIZE
    dmp = world.client()
    dmp.authorize(PAT_TROIS)

    result = dmp.submit(PAT_TROIS, [big_cda])
    assert result.document_unique_ids == (big_cda.unique_id,)
    sent = dmp.exchanges[-1]
    assert sent.transaction == "TD2.1"
    assert sent.request_size > big_cda.size
    assert sent.request_parts[0].path == big_cda.path
    assert sent.request_parts[0].data is None

    stored = world.admin.list_documents(PAT_TROIS.matricule, unique_id=big_cda.unique_id)
    assert [(d["size"], d["hash"]) for d in stored] == [(big_cda.size, big_cda.sha1)]

    target = tmp_path / "retrieved.cda.xml"
    document = dmp.retrieve(PAT_TROIS, big_cda.unique_id, to=target)
    assert target.stat().st_size == big_cda.size
    assert _sha1_of(target) == big_cda.sha1 == document.sha1
