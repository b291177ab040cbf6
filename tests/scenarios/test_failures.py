"""A wrong expectation fails with a clear expected-vs-actual diff; the scenario goes on; evidence is written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dmpclient.scenarios import SandboxTarget, Scenario, load_scenario, run_scenarios

from .support import load_json

WRONG = """
name: wrong
title: Wrong expectations
actor: direct
steps:
  - id: wrong-value
    action: test_existence
    patient: CONTESTE
    expect:
      result: {exists: true, query_response_code: NF}
  - id: wrong-outcome
    action: test_existence
    patient: PETRA
    expect: {by: dmp, code: DMPAccessForbidden}
  - id: wrong-code
    action: find
    patient: MAXIMOP
    expect: {by: dmp, code: DMPAccessForbidden}
  - id: wrong-transactions
    action: test_existence
    patient: PETRA
    expect: {transactions: [TD0.2, TD0.2]}
  - id: right
    action: test_existence
    patient: PETRA
    expect:
      result: {authorization: VALIDE}
"""


def test_wrong_expectations_fail_with_a_diff(
    sandbox_target: SandboxTarget, write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    campaign = run_scenarios([load_scenario(write_yaml(WRONG))], sandbox_target, tmp_path)
    result = campaign.scenarios[0]
    assert result.verdict == "failed"
    assert campaign.exit_code == 1
    by_id = {s.id: s for s in result.steps}
    assert [s.verdict for s in result.steps] == ["failed", "failed", "failed", "failed", "passed"]
    value = by_id["wrong-value"]
    assert value.diff[0] == "exists eq True: got False"
    assert [c.ok for c in value.checks] == [False, True]
    outcome = by_id["wrong-outcome"]
    assert outcome.diff[0] == "expected: refused by dmp code=DMPAccessForbidden"
    assert outcome.diff[1].startswith("actual:   success (exists=True, authorization=VALIDE)")
    code = by_id["wrong-code"]
    assert "refused.code eq 'DMPAccessForbidden': got 'DMPClosed'" in code.diff
    assert any("Le DMP du patient est fermé" in d for d in code.diff)
    assert by_id["wrong-transactions"].diff[0] == "transactions eq ['TD0.2', 'TD0.2']: got ['TD0.2']"
    step_json = load_json(result.folder / by_id["wrong-value"].folder / "step.json")
    assert step_json["verdict"] == "failed"
    assert step_json["diff"] == value.diff
    assert step_json["checks"][0] == {
        "path": "exists",
        "op": "eq",
        "expected": True,
        "actual": False,
        "ok": False,
        "message": "",
    }
    summary = (result.folder / "summary.md").read_text(encoding="utf-8")
    assert "```diff" in summary
    assert "+ exists eq True: got False" in summary
    campaign_md = (campaign.folder / "campaign.md").read_text(encoding="utf-8")
    assert "wrong / 01-wrong-value" in campaign_md


def test_missing_variable_after_a_failed_step_is_an_error(
    sandbox_target: SandboxTarget, write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    text = """
name: chained
title: A saved result that never came
actor: direct
patient: MAXIMOP
steps:
  - id: feed-closed
    action: submit
    params: {document: {title: CR}}
    save: doc
  - id: read
    action: retrieve
    params: {unique_id: "${doc.unique_id}"}
"""
    result = run_scenarios([load_scenario(write_yaml(text))], sandbox_target, tmp_path).scenarios[0]
    assert [s.verdict for s in result.steps] == ["failed", "error"]
    assert result.steps[0].actual.code == "DMPClosed"
    assert result.steps[1].actual.error_type == "VariableError"
    assert "no variable 'doc'" in (result.steps[1].actual.message or "")
    assert result.steps[1].transactions == []


def test_transport_errors_exit_3(
    sandbox_target: SandboxTarget, write_yaml: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DMP that cannot be reached is an error of the step (not a refusal); alone, it makes the exit code 3."""
    path = write_yaml("name: down\ntitle: D\npatient: PETRA\nsteps:\n  - action: test_existence\n")
    original = sandbox_target.begin

    def begin(scenario: Scenario) -> None:
        original(scenario)
        sandbox_target.sandbox.faults.add_drop(transaction="TD0.2", count=10)

    monkeypatch.setattr(sandbox_target, "begin", begin)
    campaign = run_scenarios([load_scenario(path)], sandbox_target, tmp_path)
    step = campaign.scenarios[0].steps[0]
    assert step.verdict == "error"
    assert step.actual.kind == "error"
    assert step.actual.transport is True
    assert step.exchanges[0]["outcome"] == "transport-error"
    assert campaign.exit_code == 3
