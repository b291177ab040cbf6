"""One scenario over real HTTPS with mutual TLS (the sandbox's own server on 127.0.0.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient.scenarios import SandboxTarget, find_scenario, run_scenarios
from dmpclient.security.pki import TestPki

from .support import load_json


@pytest.mark.slow
def test_feed_scenario_over_mutual_tls(scenario_pki: TestPki, tmp_path: Path) -> None:
    with SandboxTarget(scenario_pki, mtls=True) as target:
        assert target.name == "sandbox (mTLS)"
        campaign = run_scenarios([find_scenario("td2.1-replace")], target, tmp_path)
    result = campaign.scenarios[0]
    assert result.verdict == "passed", [s.diff for s in result.steps]
    step = result.steps[0]
    assert step.transactions == ["TD3.1b", "TD2.1"]
    meta = load_json(result.folder / step.folder / step.exchanges[1]["folder"] / "exchange.json")
    assert meta["url"].startswith("https://127.0.0.1:")
    assert meta["response"]["status"] == 200
