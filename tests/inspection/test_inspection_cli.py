"""``dmpclient inspect``: readable report, ``--json`` shape, options, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmpclient.cli import LAZY_COMMANDS, cli
from dmpclient.cli.inspect import inspect_command
from dmpclient.security.pki import TestPki

from .inspection_support import OwnCapture, evidence_folder, flip_cda_byte

TD21 = "td2.1-alimentation.request.multipart"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_command_is_registered() -> None:
    module, attribute, _ = LAZY_COMMANDS["inspect"]
    assert (module, attribute) == ("dmpclient.cli.inspect", "inspect_command")
    assert cli.get_command(None, "inspect") is inspect_command  # type: ignore[arg-type]


def test_own_capture_exits_0_with_check_marks(runner: CliRunner, capture_file: Path, inspection_pki: TestPki) -> None:
    result = runner.invoke(cli, ["inspect", str(capture_file), "--pki", str(inspection_pki.directory)])
    assert result.exit_code == 0, result.output
    assert "request of TD2.1" in result.output
    assert "✓ XAdES submission-set signature" in result.output
    assert "XAdES references" in result.output
    assert "✗" not in result.output
    assert "no check failed" in result.output


def test_damaged_capture_exits_1_and_names_the_failures(
    runner: CliRunner, tmp_path: Path, own_capture: OwnCapture
) -> None:
    body = tmp_path / "body.bin"
    body.write_bytes(flip_cda_byte(own_capture))
    result = runner.invoke(cli, ["inspect", str(body), "--content-type", own_capture.content_type, "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["summary"]["failed"] == 2
    assert sorted(data["failed"])[0].startswith("documents/hash Document01: ")
    assert sorted(data["failed"])[1].startswith(f"signature/reference urn:oid:{own_capture.cda_unique_id}: ")


def test_json_has_the_documented_shape(runner: CliRunner, official_examples: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(official_examples / TD21), "--at", "issue-instant", "--json"])
    assert result.exit_code == 1  # the example's known defects
    data = json.loads(result.output)
    assert set(data) == {
        "ok",
        "source",
        "at",
        "at_mode",
        "envelope",
        "transaction",
        "parts",
        "documents",
        "vihf",
        "xades",
        "sections",
        "summary",
        "failed",
    }
    assert data["at_mode"] == "issue-instant"
    assert data["transaction"]["td"] == "TD2.1"
    assert [p["role"] for p in data["parts"]] == ["root", "document", "signature"]
    assert set(data["parts"][0]) >= {"index", "content_id", "content_type", "size", "sha1", "role"}
    section = data["sections"][0]
    assert set(section) == {"name", "title", "status", "checks"}
    assert set(section["checks"][0]) == {"name", "status", "message", "details", "code", "message_fr"}
    assert {s["name"] for s in data["sections"]} == {
        "capture",
        "transaction",
        "parts",
        "vihf",
        "metadata",
        "documents",
        "signature",
    }
    refs = data["xades"]["references"]
    assert [r["status"] for r in refs] == ["ok", "ok", "placeholder", "mismatch"]
    assert set(refs[0]) >= {
        "role",
        "target",
        "uri",
        "canonicalization",
        "digest_method",
        "digest_found",
        "digest_computed",
        "status",
        "matched",
        "tried",
        "message",
    }
    assert set(data["summary"]) == {"passed", "failed", "warning", "skipped"}


def test_verbose_shows_the_details_of_failed_checks(runner: CliRunner, official_examples: Path) -> None:
    plain = runner.invoke(cli, ["inspect", str(official_examples / TD21), "--at", "issue-instant"])
    verbose = runner.invoke(cli, ["inspect", str(official_examples / TD21), "--at", "issue-instant", "-v"])
    assert plain.exit_code == verbose.exit_code == 1
    assert '"tried"' not in plain.output
    assert '"tried"' in verbose.output
    assert "« Le champ 'sourcePatientInfo PID5' est obligatoire »" in plain.output


def test_at_a_fixed_time(runner: CliRunner, official_examples: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(official_examples / TD21), "--at", "2019-05-01T00:00:00", "--json"])
    data = json.loads(result.output)
    assert data["at"].startswith("2019-05-01T00:00:00")
    assert data["at_mode"] == "fixed"


@pytest.mark.parametrize(
    "args",
    [
        ["--at", "yesterday"],
        ["--document", "no-equals-sign"],
        ["--document", "cid=/does/not/exist"],
        ["--unknown-option"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, official_examples: Path, args: list[str]) -> None:
    result = runner.invoke(cli, ["inspect", str(official_examples / TD21), *args])
    assert result.exit_code == 2, result.output


def test_missing_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(tmp_path / "nothing.http")])
    assert result.exit_code == 2


def test_document_option_resolves_a_root_only_capture(
    runner: CliRunner, official_examples: Path, tmp_path: Path
) -> None:
    name = str(official_examples / "td3.2-consultation-document.response.xml")
    doc = tmp_path / "doc.xml"
    doc.write_bytes(b"<doc/>")
    cid = "b857abb7-a2c3-4db8-bd69-d5ff76826e72-2@urn:ihe:iti:xds-b:2007"
    without = runner.invoke(cli, ["inspect", name])
    with_doc = runner.invoke(cli, ["inspect", name, "--document", f"{cid}={doc}"])
    assert without.exit_code == 1
    assert with_doc.exit_code == 0, with_doc.output


def test_no_sha1_refuses_the_2019_signature(runner: CliRunner, official_examples: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(official_examples / TD21), "--no-sha1", "--json"])
    data = json.loads(result.output)
    statuses = [r["status"] for r in data["xades"]["references"] if r["role"] == "signed-info"]
    assert statuses == ["refused-algorithm", "refused-algorithm"]


def test_help_has_examples(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["inspect", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "--at TIME|issue-instant" in result.output


def test_evidence_folder_request_and_response(runner: CliRunner, own_capture: OwnCapture, tmp_path: Path) -> None:
    folder = evidence_folder(own_capture, tmp_path / "evidence")
    request = runner.invoke(cli, ["inspect", str(folder), "--json"])
    response = runner.invoke(cli, ["inspect", str(folder), "--response", "--json"])
    assert request.exit_code == response.exit_code == 0, request.output + response.output
    assert json.loads(request.output)["transaction"]["direction"] == "request"
    assert json.loads(response.output)["transaction"]["direction"] == "response"


def test_a_folder_that_is_not_evidence_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(tmp_path)])
    assert result.exit_code == 2
