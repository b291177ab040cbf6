"""A configured (non-sandbox) environment: the config target runs portable scenarios, skips the others.

The "real environment" is the in-process sandbox reached through a client configuration file and an
injected transport, so the whole ``--config`` path is exercised without network.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient.client.settings import ClientSettings
from dmpclient.scenarios import ConfigTarget, SandboxTarget, find_scenario, parse_scenario, run_scenarios
from dmpclient.security.pki import TestPki

from .support import load_json


def _settings(pki: TestPki) -> ClientSettings:
    sign = pki.entry("prof-sign")
    ids = pki.identities
    return ClientSettings.from_mapping(
        {
            "environment": "dv1",
            "signer": {"kind": "pem", "cert": str(pki.path(sign.chain)), "key": str(pki.path(sign.key))},
            "software": {
                "name": ids.software_name,
                "version": ids.software_version,
                "oid_root": ids.software_oid_root,
                "homologation_number_env": "TEST_HOMOLOGATION",
            },
            "professional": {
                "id": ids.professional_id,
                "family_name": ids.professional_family,
                "given_name": ids.professional_given,
                "specialty": ids.specialty,
            },
            "structure": {"id": ids.cabinet_id, "name": ids.cabinet_name},
            "trust": {"anchors": [str(pki.path("ca/root.cert.pem"))]},
        }
    )


@pytest.fixture
def config_target(scenario_pki: TestPki, sandbox_target: SandboxTarget) -> ConfigTarget:
    sandbox_target.begin(find_scenario("td0.2-test-existence"))
    transport = sandbox_target.sandbox.transport(client_certificate=scenario_pki.certificate("prof-auth"))
    return ConfigTarget(
        _settings(scenario_pki),
        environ={"TEST_HOMOLOGATION": ids_number(scenario_pki)},
        transport=transport,
    )


def ids_number(pki: TestPki) -> str:
    return pki.identities.homologation_number


def test_config_target_runs_portable_scenarios_and_skips_sandbox_ones(
    config_target: ConfigTarget, tmp_path: Path
) -> None:
    indirect = parse_scenario(
        {"name": "indirect", "title": "I", "actor": "indirect", "patient": "PETRA", "steps": [{"action": "find"}]}
    )
    scenarios = [find_scenario(n) for n in ("td0.2-test-existence", "td3.1-search")] + [indirect]
    with config_target:
        campaign = run_scenarios(scenarios, config_target, tmp_path)
    verdicts = {s.scenario.name: (s.verdict, s.skip_reason) for s in campaign.scenarios}
    assert verdicts["td0.2-test-existence"] == ("passed", None)
    assert verdicts["td3.1-search"][0] == "skipped"
    assert "sandbox" in (verdicts["td3.1-search"][1] or "")
    assert verdicts["indirect"] == ("skipped", "needs INDIRECTE authentication; the configuration is DIRECTE")
    assert campaign.exit_code == 0
    assert campaign.environment == "dv1"
    first = campaign.scenarios[0].folder
    step = load_json(first / "01-0.2-010-no-dmp" / "step.json")
    exchange = first / "01-0.2-010-no-dmp" / step["exchanges"][0]["folder"]
    meta = load_json(exchange / "exchange.json")
    assert meta["url"].startswith("https://lps")
    assert "dmp" in meta["url"]
    # masked by default on a real environment: the evidence says why the VIHF digest no longer verifies
    vihf = load_json(exchange / "vihf.json")
    assert vihf["masked_homologation"] is True
    assert b"TEST-000000-tmp1" not in (exchange / "vihf.xml").read_bytes()
    assert vihf["ok"] is False
    assert "mask" in vihf["note"]
    skipped = load_json(campaign.scenarios[1].folder / "summary.json")
    assert skipped["verdict"] == "skipped"
    assert skipped["steps"] == []
