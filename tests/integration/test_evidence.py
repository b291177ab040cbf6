"""Evidence end to end: an ``EvidenceWriter`` over a whole feed-and-consult story, and ``inspect_capture`` on the
captured TD2.1 (every check passed with the test PKI's trust anchors). In-process and over mTLS, sync and async.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dmpclient.cda import BuiltCda
from dmpclient.evidence import EvidenceWriter, read_exchange
from dmpclient.inspection import CheckStatus, inspect_capture
from dmpclient.xds.model import AvailabilityStatus

from .support import PAT_TROIS, World

FILES = {"exchange.json", "request.http", "request.root.xml", "vihf.xml", "response.http", "response.root.xml"}


def _sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def _story(world: World, evidence: Path, *, mask_homologation: bool = True) -> tuple[list[str], BuiltCda, str]:
    writer = EvidenceWriter(evidence, label="it")
    dmp = world.client(exchange_hook=writer, mask_homologation=mask_homologation)
    dmp.test_existence(PAT_TROIS)
    dmp.authorize(PAT_TROIS)
    built = world.cda()
    result = dmp.submit(PAT_TROIS, [built])
    entry = dmp.get_document_entry(PAT_TROIS, built.unique_id, user_initiated=True)
    assert entry is not None
    assert dmp.retrieve(PAT_TROIS, entry).sha1 == built.sha1
    dmp.hide_from_professionals(PAT_TROIS, built.unique_id)
    dmp.unhide_for_professionals(PAT_TROIS, built.unique_id)
    dmp.archive(PAT_TROIS, built.unique_id)
    dmp.delete(PAT_TROIS, built.unique_id, current_status=AvailabilityStatus.ARCHIVED)
    assert len(writer.written) == len(dmp.exchanges)
    return dmp.transactions(), built, result.signature_unique_id


def test_evidence_folder_per_exchange_with_every_mime_part(world: World, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    transactions, built, _ = _story(world, evidence)
    folders = sorted(p for p in evidence.iterdir() if p.is_dir())
    assert [f.name for f in folders] == [f"{n:03d}-it-{td}-ok" for n, td in enumerate(transactions, 1)]
    assert transactions == [
        "TD0.2", "TD0.3", "TD2.1", "TD3.1", "TD3.2", "TD3.1", "TD3.3a", "TD3.1", "TD3.3a", "TD3.1b", "TD3.3d",
        "TD3.1b", "TD3.3c",
    ]  # fmt: skip
    homologation = world.kit.pki.identities.homologation_number.encode()
    for folder in folders:
        assert {p.name for p in folder.iterdir()} >= FILES, folder.name
        meta = read_exchange(folder)
        assert meta["outcome"] == "ok"
        assert meta["response"]["status"] == 200
        assert meta["masked_homologation"] is True
        for file in folder.iterdir():
            assert homologation not in file.read_bytes(), file  # EX_GEN-1490: masked everywhere

    feed = folders[2]
    cda_part, signature_part = sorted(feed.glob("request.part-*"))
    assert cda_part.read_bytes() == built.read_bytes()
    assert b"SignatureValue" in signature_part.read_bytes()  # the XAdES submission-set signature document
    described = json.loads((feed / "exchange.json").read_text(encoding="utf-8"))["request"]["parts"]
    assert [p["sha1"] for p in described] == [_sha1(cda_part), _sha1(signature_part)]
    assert described[0]["sha1"] == built.sha1  # the XDS hash of the DocumentEntry

    retrieved = list(folders[4].glob("response.part-*"))
    assert len(retrieved) == 1
    assert retrieved[0].read_bytes() == built.read_bytes()


def test_inspect_captured_td21_passes_every_check(world: World, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    _story(world, evidence, mask_homologation=False)  # exact bytes: the VIHF signature still verifies
    feed = next(p for p in evidence.iterdir() if "-TD2.1-" in p.name)

    report = inspect_capture(feed, trust_anchors=world.kit.trust)
    assert (report.transaction.td, report.transaction.direction) == ("TD2.1", "request")
    assert report.failures == []
    assert report.warnings == []
    assert report.ok
    assert report.summary()["passed"] >= 20
    assert {s.name for s in report.sections} >= {"vihf", "metadata", "documents", "signature"}
    assert all(c.status is CheckStatus.PASSED for c in report.checks if c.section in ("documents", "signature"))

    answer = inspect_capture(feed, trust_anchors=world.kit.trust, side="response")
    assert answer.ok
    assert answer.failures == []


def test_inspect_names_the_document_whose_bytes_changed(world: World, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    _story(world, evidence, mask_homologation=False)
    feed = next(p for p in evidence.iterdir() if "-TD2.1-" in p.name)
    cda_part = sorted(feed.glob("request.part-*"))[0]
    data = bytearray(cda_part.read_bytes())
    data[-40] ^= 0x01
    cda_part.write_bytes(bytes(data))

    report = inspect_capture(feed, trust_anchors=world.kit.trust)
    assert not report.ok
    failed = {(c.section, c.code) for c in report.failures}
    assert ("documents", "XDSNonIdenticalHash") in failed
    assert any(c.section == "signature" for c in report.failures)  # the manifest reference of that document
