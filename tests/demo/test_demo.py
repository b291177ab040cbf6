"""``dmpclient demo`` and :func:`dmpclient.demo.run_demo`: the story over mutual TLS, its failures, --keep, --json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import dmpclient.demo as demo_module
from dmpclient.cli import cli
from dmpclient.client import DMPClient
from dmpclient.demo import (
    DEMO_PATIENT_INS,
    FORBIDDEN_TYPE_CODE,
    DemoResult,
    DemoStep,
    Expectation,
    StepOutcome,
    run_demo,
)
from dmpclient.evidence import read_exchange
from dmpclient.sandbox import Sandbox
from dmpclient.security import TestPki

#: (transaction, expectation, HTTP exchanges the step must make — None: only the last one is fixed).
STORY: list[tuple[str, Expectation, tuple[str, ...] | None]] = [
    ("TD0.2", Expectation.SUCCESS, ("TD0.2",)),
    ("TD0.3", Expectation.SUCCESS, ("TD0.3",)),
    ("CDA", Expectation.SUCCESS, ()),
    ("TD2.1", Expectation.SUCCESS, ("TD2.1",)),
    ("TD3.1", Expectation.SUCCESS, ("TD3.1",)),
    ("TD3.2", Expectation.SUCCESS, ("TD3.2",)),
    ("TD2.1", Expectation.SUCCESS, ("TD3.1b", "TD2.1")),  # RPLC: the current entryUUID just before (RG_3130)
    ("TD3.3a", Expectation.SUCCESS, None),  # the current metadata is fetched first (TD3.1)
    ("TD3.3a", Expectation.SUCCESS, None),
    ("TD3.3d", Expectation.SUCCESS, ("TD3.1b", "TD3.3d")),
    ("TD3.3c", Expectation.SUCCESS, ("TD3.1b", "TD3.3c")),
    ("TD0.2", Expectation.CLIENT_REFUSAL, ()),  # NIA: nothing may be sent
    ("TD2.1", Expectation.DMP_REFUSAL, ("TD2.1",)),
]
FORBIDDEN_MESSAGE = "Le code 'DOCPAT03' ne fait pas partie du domaine d'affinité"


def _run(pki: TestPki, **kwargs: Any) -> tuple[DemoResult, list[DemoStep]]:
    seen: list[DemoStep] = []
    result = run_demo(pki=pki, on_step=seen.append, **kwargs)
    return result, seen


def _invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, ["demo", *args], catch_exceptions=False)


# ------------------------------------------------------------------------------------------- the story


def test_run_demo_plays_every_step_as_expected(demo_pki: TestPki) -> None:
    result, seen = _run(demo_pki)

    assert result.ok, [s.summary for s in result.failed]
    assert list(result.steps) == seen  # on_step saw each step, in order
    assert [s.number for s in result.steps] == list(range(1, len(STORY) + 1))
    assert [(s.transaction, s.expected) for s in result.steps] == [(td, exp) for td, exp, _ in STORY]
    for step, (_, expected, exchanges) in zip(result.steps, STORY, strict=True):
        assert step.passed
        assert step.outcome.value == expected.value
        sent = tuple(e.transaction for e in step.exchanges)
        if exchanges is None:
            assert sent[-1] == step.transaction
        else:
            assert sent == exchanges, step
    assert result.base_url.startswith("https://127.0.0.1:")  # real TLS on loopback, not in-process
    assert result.patient == DEMO_PATIENT_INS
    assert result.kept is None


def test_successful_steps_carry_the_dmp_answers(demo_pki: TestPki) -> None:
    result, _ = _run(demo_pki)
    steps = result.steps

    assert steps[0].answer == "OK"  # TD0.2 queryResponseCode
    assert steps[1].answer == "DMPOk"
    submitted = steps[3].details["unique_id"]
    assert steps[2].details["unique_id"] == submitted  # the CDA's id is the XDS uniqueId
    assert steps[3].answer == "Success"
    assert "identical" in steps[5].summary
    assert steps[6].details["replaced"] == submitted
    assert steps[6].details["unique_id"] != submitted
    assert all(e.outcome == "ok" and e.status == 200 for s in steps[:11] for e in s.exchanges)


def test_the_two_refusals_come_from_the_right_side(demo_pki: TestPki) -> None:
    result, _ = _run(demo_pki)
    nia, forbidden = result.steps[11], result.steps[12]

    assert nia.outcome is StepOutcome.CLIENT_REFUSAL
    assert nia.exchanges == ()
    assert nia.answer == "CNDA 0.2-080"
    assert nia.error is not None
    assert nia.error.startswith("NIARefused")

    assert forbidden.outcome is StepOutcome.DMP_REFUSAL
    assert forbidden.message_fr == FORBIDDEN_MESSAGE
    assert forbidden.answer == "XDSRegistryMetadataError"
    assert [e.outcome for e in forbidden.exchanges] == ["dmp-error"]


# ------------------------------------------------------------------------------------- broken variants


def test_a_sandbox_refusing_a_step_fails_the_demo_and_names_it(demo_pki: TestPki) -> None:
    def break_retrieve(sandbox: Sandbox) -> None:
        sandbox.faults.add_http_error(503, transaction="TD3.2")

    result, _ = _run(demo_pki, prepare_sandbox=break_retrieve)

    assert not result.ok
    retrieve = result.steps[5]
    assert (retrieve.transaction, retrieve.passed) == ("TD3.2", False)
    assert retrieve.outcome is StepOutcome.DMP_REFUSAL
    assert [(e.transaction, e.status) for e in retrieve.exchanges] == [("TD3.2", 503)]
    assert [s.number for s in result.failed] == [6, 7, 8, 9, 10, 11]
    assert {s.outcome for s in result.steps[6:11]} == {StepOutcome.SKIPPED}
    assert all(s.passed for s in result.steps[:5])
    assert result.steps[11].passed
    assert result.steps[12].passed


def test_a_dmp_that_says_yes_fails_the_demo(demo_pki: TestPki, monkeypatch: pytest.MonkeyPatch) -> None:
    # An allowed typeCode in place of DOCPAT03: the "refusal" step is accepted, which is not what a DMP does.
    monkeypatch.setattr(demo_module, "FORBIDDEN_TYPE_CODE", "11490-0")

    result, _ = _run(demo_pki)

    assert [s.number for s in result.failed] == [13]
    step = result.steps[12]
    assert step.outcome is StepOutcome.SUCCESS
    assert step.summary.startswith("expected a dmp refusal, but it succeeded")


def test_a_client_returning_other_bytes_fails_the_retrieve_step(
    demo_pki: TestPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = DMPClient.retrieve

    def corrupting(self: DMPClient, *args: Any, **kwargs: Any) -> Any:
        doc = original(self, *args, **kwargs)
        target = kwargs.get("to")
        if target is not None:
            with open(target, "ab") as fh:
                fh.write(b"<!-- tampered -->")
        return doc

    monkeypatch.setattr(DMPClient, "retrieve", corrupting)

    result, _ = _run(demo_pki)

    retrieve = result.steps[5]
    assert retrieve.outcome is StepOutcome.CHECK_FAILED
    assert "differs" in retrieve.summary
    assert [s.outcome for s in result.steps[6:11]] == [StepOutcome.SKIPPED] * 5
    assert not result.ok


def test_cli_exits_1_and_names_the_failing_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_module, "FORBIDDEN_TYPE_CODE", "11490-0")

    outcome = _invoke()

    assert outcome.exit_code == 1
    assert "1 of 13 steps did not behave as expected: 13 TD2.1 forbidden typeCode 11490-0" in outcome.stdout
    assert " 13  FAIL" in outcome.stdout


# ----------------------------------------------------------------------------------------------- the CLI


def test_cli_demo_exits_0_and_prints_the_timeline() -> None:
    outcome = _invoke()

    assert outcome.exit_code == 0, outcome.output
    lines = [line for line in outcome.stdout.splitlines() if line[:3].strip().isdigit()]
    assert len(lines) == len(STORY)
    for number, (line, (td, _, _)) in enumerate(zip(lines, STORY, strict=True), start=1):
        assert line.split()[:3] == [str(number), "ok", td]
        assert " ms  " in line
    assert f"« {FORBIDDEN_MESSAGE} »" in outcome.stdout
    assert "NIARefused" in outcome.stdout
    assert "13/13 steps behaved as expected (2 expected refusals)" in outcome.stdout
    # the setup lines go to stderr: stdout holds the timeline only
    setup = [line.split()[0] for line in outcome.stderr.splitlines()]
    assert setup == ["pki", "sandbox", "acting", "patient"]
    assert "https://127.0.0.1:" in outcome.stderr
    assert "https://127.0.0.1:" not in outcome.stdout


def test_cli_verbose_lists_each_exchange_of_each_step() -> None:
    outcome = _invoke("-v")

    assert outcome.exit_code == 0, outcome.output
    lines = outcome.output.splitlines()
    replace = next(i for i, line in enumerate(lines) if "replace (RPLC" in line)
    assert lines[replace + 1].split()[:4] == ["↳", "TD3.1b", "HTTP", "200"]
    assert lines[replace + 2].split()[:4] == ["↳", "TD2.1", "HTTP", "200"]
    assert "replaced: " in outcome.output  # the identifiers the step produced
    assert "↳ TD2.1 HTTP 200 dmp-error XDSRegistryMetadataError" in outcome.output


def test_cli_json_shape() -> None:
    outcome = _invoke("--json")

    assert outcome.exit_code == 0
    assert outcome.stderr == ""
    data = json.loads(outcome.stdout)  # nothing but the JSON on stdout
    assert "error" not in data
    assert "exit_code" not in data
    assert data["format"] == "dmpclient-demo/1"
    assert (data["ok"], data["passed"], data["failed"], data["kept"]) == (True, 13, [], None)
    assert data["patient"] == DEMO_PATIENT_INS
    assert len(data["steps"]) == len(STORY)
    keys = {
        "number",
        "transaction",
        "action",
        "expected",
        "outcome",
        "passed",
        "summary",
        "answer",
        "message_fr",
        "error",
        "exchanges",
        "duration_ms",
        "details",
    }
    for step, (td, expected, _) in zip(data["steps"], STORY, strict=True):
        assert set(step) == keys
        assert (step["transaction"], step["expected"], step["outcome"]) == (td, expected.value, expected.value)
        assert isinstance(step["duration_ms"], float)
        for exchange in step["exchanges"]:
            assert set(exchange) == {"transaction", "status", "outcome", "dmp_code", "duration_ms"}
    assert data["steps"][12]["message_fr"] == FORBIDDEN_MESSAGE
    assert data["steps"][12]["exchanges"][0]["dmp_code"] == "XDSRegistryMetadataError"


def test_cli_json_failure_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_module, "FORBIDDEN_TYPE_CODE", "11490-0")

    outcome = _invoke("--json")

    data = json.loads(outcome.stdout)
    assert outcome.exit_code == 1
    assert outcome.stderr == ""
    assert (data["ok"], data["failed"]) == (False, [13])
    assert data["exit_code"] == 1
    assert data["error"] == "1 of 13 steps did not behave as expected: 13 TD2.1 forbidden typeCode 11490-0"


def test_cli_keep_leaves_pki_database_evidence_and_documents(tmp_path: Path) -> None:
    keep = tmp_path / "run"

    outcome = _invoke("--keep", str(keep))

    assert outcome.exit_code == 0, outcome.output
    assert f"kept in {keep}" in outcome.stdout
    # the PKI, usable again
    pki = TestPki.load(keep / "pki")
    assert (keep / "pki" / "manifest.json").is_file()
    # one evidence folder per exchange, numbered in order, each readable
    folders = sorted(p for p in (keep / "evidence").iterdir() if p.is_dir())
    transactions = [read_exchange(f)["transaction"] for f in folders]
    assert transactions[:5] == ["TD0.2", "TD0.3", "TD2.1", "TD3.1", "TD3.2"]
    assert transactions[-1] == "TD2.1"
    assert folders[-1].name.endswith("-TD2.1-dmp-error")
    assert len(folders) == 16
    submit = folders[2]
    assert any(p.name.startswith("request.part-") for p in submit.iterdir())  # the CDA and the XAdES signature
    retrieved = next(p for p in folders[4].iterdir() if p.name.startswith("response.part-"))
    assert retrieved.read_bytes() == (keep / "documents" / "consultation-v1.cda.xml").read_bytes()
    assert (keep / "documents" / "retrieved-v1.cda.xml").read_bytes() == retrieved.read_bytes()
    # the database holds what the story did: both versions deleted, MASQUE_PS set then removed, no DOCPAT03
    assert (keep / "sandbox.db").read_bytes()[:16] == b"SQLite format 3\x00"
    with Sandbox.from_pki(pki, database=str(keep / "sandbox.db"), seed=False) as sandbox:
        docs = sandbox.admin.list_documents(DEMO_PATIENT_INS, signatures=False)
    assert docs
    assert {d["status"].rsplit(":", 1)[-1] for d in docs} == {"Deleted"}
    assert [d["confidentiality"] for d in docs if d["title"].endswith("(version 2)")] == [
        ["N"],
        ["N", "MASQUE_PS"],
        ["N"],
    ]
    assert not [d for d in docs if d["type_code"] == FORBIDDEN_TYPE_CODE]


def test_cli_keep_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")

    outcome = _invoke("--keep", str(tmp_path))

    assert outcome.exit_code == 2
    assert "--keep needs a new or empty folder" in outcome.stderr
    assert sorted(os.listdir(tmp_path)) == ["something"]


def test_run_demo_keep_refuses_a_non_empty_folder(tmp_path: Path, demo_pki: TestPki) -> None:
    (tmp_path / "x").write_text("x")
    with pytest.raises(demo_module.ConfigurationError) as caught:
        run_demo(keep=tmp_path, pki=demo_pki)
    assert caught.value.field == "keep"


def test_a_fault_aimed_at_one_update_transaction_spares_its_siblings(demo_pki: TestPki) -> None:
    """TD3.3a and TD3.3d share the UpdateDocumentSet action: a fault for TD3.3d must not hit the TD3.3a hide."""

    def break_archive(sandbox: Sandbox) -> None:
        sandbox.faults.add_http_error(503, transaction="TD3.3d")

    result, _ = _run(demo_pki, prepare_sandbox=break_archive)
    by_number = {s.number: s for s in result.steps}
    assert by_number[8].passed  # TD3.3a hide and unhide went through
    assert by_number[9].passed
    assert not by_number[10].passed  # TD3.3d archive got the injected 503
    assert by_number[10].transaction == "TD3.3d"
