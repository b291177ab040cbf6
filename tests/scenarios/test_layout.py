"""The evidence layout documented in docs/homologation.md, file by file, on a feed and a guard refusal."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from dmpclient.scenarios import SandboxTarget, load_scenario, run_scenarios

from .support import load_json

FEED = """
name: layout
title: Layout check
cdt: [2.1-010]
profile: alimentation
actor: direct
patient: HALL
steps:
  - id: feed
    cdt: [2.1-010]
    action: submit
    params: {document: {title: Compte rendu, body: pdf}}
    save: doc
  - id: read-back
    action: retrieve
    params: {unique_id: "${doc.unique_id}"}
    expect:
      result: {sha1: "${doc.documents[0].sha1}"}
  - id: guard
    action: find
    params: {user_initiated: false}
    expect: {by: client, rule: EX_3.1-1090, transactions: []}
"""


def test_documented_layout(sandbox_target: SandboxTarget, write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    out = tmp_path / "evidence"
    campaign = run_scenarios([load_scenario(write_yaml(FEED))], sandbox_target, out)
    assert campaign.ok
    # <out>/<campaign-timestamp>/
    (campaign_dir,) = out.iterdir()
    assert re.fullmatch(r"\d{8}T\d{6}Z", campaign_dir.name)
    assert sorted(p.name for p in campaign_dir.iterdir()) == ["campaign.json", "campaign.md", "layout"]
    index = load_json(campaign_dir / "campaign.json")
    assert index["format"] == "dmpclient-scenario-campaign/1"
    assert index["scenarios"][0] == index["scenarios"][0] | {"name": "layout", "verdict": "passed", "folder": "layout"}
    # <scenario>/
    scenario_dir = campaign_dir / "layout"
    assert sorted(p.name for p in scenario_dir.iterdir()) == [
        "01-feed",
        "02-read-back",
        "03-guard",
        "scenario.yaml",
        "summary.json",
        "summary.md",
    ]
    # <NN-step>/<NNN-TD-outcome>/ for the feed
    feed = scenario_dir / "01-feed"
    assert sorted(p.name for p in feed.iterdir()) == ["001-TD2.1-ok", "step.json"]
    exchange = feed / "001-TD2.1-ok"
    names = sorted(p.name for p in exchange.iterdir())
    parts = [n for n in names if n.startswith("request.part-")]
    assert len(parts) == 2  # the CDA, then the XAdES signature of the lot
    assert sorted(set(names) - set(parts)) == [
        "exchange.json",
        "request.http",
        "request.root.xml",
        "response.http",
        "response.root.xml",
        "signature-report.json",
        "vihf.json",
        "vihf.xml",
    ]
    step = load_json(feed / "step.json")
    cda_sha1 = hashlib.sha1((exchange / sorted(parts)[0]).read_bytes(), usedforsecurity=False).hexdigest()
    # the CDA part sent is byte for byte the document built (its SHA-1 is the XDS hash)
    assert step["exchanges"][0]["folder"] == "001-TD2.1-ok"
    assert step["transactions"] == ["TD2.1"]
    assert step["verdict"] == "passed"
    assert step["started_at"].endswith("Z")
    assert step["ended_at"] >= step["started_at"]
    assert step["actor"]["authentication_mode"] == "DIRECTE"
    assert step["patient"]["matricule"] == "287080883795737"
    signature = (exchange / sorted(parts)[1]).read_bytes()
    assert b"SignedProperties" in signature
    assert b"IHEManifest" in signature
    report = load_json(exchange / "signature-report.json")
    assert report["format"] == "dmpclient-signature-report/1"
    assert report["ok"] is True
    assert report["signature"]["status"] == "passed"
    vihf = load_json(exchange / "vihf.json")
    assert vihf["format"] == "dmpclient-vihf-report/1"
    assert vihf["attributes"]["name_id"] == "899900063480"
    assert vihf["verification"]["ok"] is True
    meta = load_json(exchange / "exchange.json")
    assert next(p["sha1"] for p in meta["request"]["parts"]) == cda_sha1
    # the retrieval answer carries the document as an MTOM part, identical to what was sent
    read = scenario_dir / "02-read-back"
    (retrieve_dir,) = [p for p in read.iterdir() if p.is_dir()]
    assert retrieve_dir.name == "001-TD3.2-ok"
    received = [p for p in retrieve_dir.iterdir() if p.name.startswith("response.part-")]
    assert len(received) == 1
    assert hashlib.sha1(received[0].read_bytes(), usedforsecurity=False).hexdigest() == cda_sha1
    # a guard refusal: no exchange folder, the refusal in step.json
    guard = scenario_dir / "03-guard"
    assert [p.name for p in guard.iterdir()] == ["step.json"]
    refused = load_json(guard / "step.json")
    assert refused["actual"]["kind"] == "refused"
    assert refused["actual"]["by"] == "client"
    assert "EX_3.1-1090" in refused["actual"]["rules"]
    summary_md = (scenario_dir / "summary.md").read_text(encoding="utf-8")
    assert "`2.1-010` Ajout d'un document par un PS" in summary_md
    assert "03-guard/step.json` — no request was sent" in summary_md
    assert "vendor" in summary_md
