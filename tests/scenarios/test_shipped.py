"""Every shipped scenario passes against the in-process sandbox and writes the documented evidence layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dmpclient.scenarios import CDT_TESTS, SandboxTarget, Scenario, run_scenarios, shipped_scenarios

from .support import EXCHANGE_DIR_RE, STEP_DIR_RE, load_json

SHIPPED = shipped_scenarios()

#: The CNDA test ids the shipped scenarios must cover (issue 8, item 3).
REQUIRED_CDT = {
    *("0.2-010", "0.2-020", "0.2-030", "0.2-040", "0.2-050", "0.2-060", "0.2-070", "0.2-080"),
    *("0.3-010", "0.3-080", "1.6-010", "1.6-020", "1.6-030"),
    *("2.1-010", "2.1-011", "2.1-020", "2.1-050", "2.1-060", "2.1-600", "2.1-140"),
    *("3.3-070", "3.3-080", "3.3-090"),
    *("3.1-005", "3.1-040", "3.1-050", "3.1-090", "3.1-100", "3.1-110", "3.1-120", "3.1-130", "3.1-140"),
    *("3.1-399", "3.1-400", "3.2-020", "3.2-030", "3.2-040", "3.2-150"),
    *("3.3-050", "3.3-060", "3.3-160", "3.3-120", "3.3-140", "3.1-240", "3.1-250", "3.1-500"),
}


def test_shipped_scenarios_cover_the_cnda_families() -> None:
    covered = {cdt for s in SHIPPED for cdt in s.all_cdt}
    assert covered >= REQUIRED_CDT, sorted(REQUIRED_CDT - covered)
    assert covered <= set(CDT_TESTS)
    names = [s.name for s in SHIPPED]
    assert len(names) == len(set(names))
    assert any(s.name == "errors-display" for s in SHIPPED)


@pytest.mark.parametrize("scenario", SHIPPED, ids=[s.name for s in SHIPPED])
def test_shipped_scenario_passes_and_writes_evidence(
    scenario: Scenario, sandbox_target: SandboxTarget, tmp_path: Path
) -> None:
    campaign = run_scenarios([scenario], sandbox_target, tmp_path)
    result = campaign.scenarios[0]
    failures = {s.folder: s.diff for s in result.steps if s.verdict != "passed"}
    assert result.verdict == "passed", (result.error, failures)
    assert campaign.exit_code == 0
    folder = result.folder
    assert folder.parent == campaign.folder
    assert folder.parent.parent == tmp_path
    assert {p.name for p in folder.iterdir() if p.is_file()} >= {"scenario.yaml", "summary.md", "summary.json"}
    summary = load_json(folder / "summary.json")
    assert summary["format"] == "dmpclient-scenario-result/1"
    assert summary["verdict"] == "passed"
    assert [c["id"] for c in summary["cdt"]] == list(scenario.all_cdt)
    step_dirs = sorted(p for p in folder.iterdir() if p.is_dir())
    assert [p.name for p in step_dirs] == [s["folder"] for s in summary["steps"]]
    assert len(step_dirs) == len(scenario.steps)
    for step_dir, _step in zip(step_dirs, summary["steps"], strict=True):
        assert re.match(STEP_DIR_RE, step_dir.name)
        data = load_json(step_dir / "step.json")
        assert data["format"] == "dmpclient-scenario-step/1"
        assert data["verdict"] == "passed"
        exchange_dirs = sorted(p for p in step_dir.iterdir() if p.is_dir())
        assert [p.name for p in exchange_dirs] == [e["folder"] for e in data["exchanges"]]
        assert data["transactions"] == [load_json(p / "exchange.json")["transaction"] for p in exchange_dirs]
        for ex in exchange_dirs:
            assert re.match(EXCHANGE_DIR_RE, ex.name), ex.name
            files = {p.name for p in ex.iterdir()}
            assert {"request.http", "request.root.xml", "vihf.xml", "vihf.json", "exchange.json"} <= files
            assert {"response.http", "response.root.xml"} <= files
            vihf = load_json(ex / "vihf.json")
            assert vihf["ok"] is True, vihf.get("verification")
            if data["transactions"] and ex.name.split("-")[1] in ("TD2.1", "TD2.2") and ex.name.endswith("-ok"):
                report = load_json(ex / "signature-report.json")
                assert report["ok"] is True, report.get("inspection_failed")
                assert any(f.startswith("request.part-") for f in files)
    assert (campaign.folder / "campaign.json").is_file()
    assert (campaign.folder / "campaign.md").is_file()
