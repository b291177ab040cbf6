"""``dmpclient xds validate``: output, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmpclient import _xml
from dmpclient.cli import cli

from .validation_factories import document, feed, feed_xml, metadata_update_xml

TD21 = "td2.1-alimentation.request.soap-part.xml"


def _run(*args: str, input_bytes: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["xds", "validate", *args], input=input_bytes)
    return result.exit_code, result.output


def test_valid_request_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(_xml.to_bytes(feed_xml()))
    code, out = _run(str(path))
    assert code == 0
    assert "no findings" in out


def test_errors_exit_1_and_show_the_french_message(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(_xml.to_bytes(feed_xml(feed([document(1, source_patient_info=None)]))))
    code, out = _run(str(path))
    assert code == 1
    assert "Document01.sourcePatientInfo" in out
    assert "Le champ 'sourcePatientInfo PID5' est obligatoire" in out


def test_json_output_lists_the_findings(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(_xml.to_bytes(feed_xml(feed([document(1, title="")]))))
    code, out = _run(str(path), "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["errors"] == 1
    assert [f["rule"] for f in data["findings"]] == ["dmp.title.required"]
    assert data["findings"][0]["code"] == "XDSRegistryMetadataError"


def test_ihe_profile_ignores_dmp_rules(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(_xml.to_bytes(feed_xml(feed([document(1, title="")]))))
    assert _run(str(path), "--profile", "ihe")[0] == 0


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(_xml.to_bytes(feed_xml(feed([document(1, mime_type="application/pdf")]))))
    code, out = _run(str(path), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["ok"], data["errors"], data["warnings"]) == (True, 0, 1)


def test_stdin_and_parameters(tmp_path: Path) -> None:
    code, out = _run("-", "--kind", "metadata-update", "--json", input_bytes=metadata_update_xml())
    assert code == 0, out
    assert json.loads(out)["findings"] == []


def test_environment_option_changes_the_accepted_ins(tmp_path: Path) -> None:
    path = tmp_path / "update.xml"
    path.write_bytes(metadata_update_xml())
    code, out = _run(str(path), "--env", "production", "--json")
    assert code == 1
    assert "dmp.patientId.environment" in {f["rule"] for f in json.loads(out)["findings"]}


@pytest.mark.shared
def test_official_td21_example(official_examples: Path) -> None:
    code, out = _run(str(official_examples / TD21))
    assert code == 1
    assert "Signature01.sourcePatientInfo" in out


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = _run(str(tmp_path / "missing.xml"))
    assert code == 2


def test_not_xml_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "junk.xml"
    path.write_bytes(b"not xml")
    code, out = _run(str(path), "--json")
    assert code == 1
    assert json.loads(out)["ok"] is False


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["xds", "validate", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output
    assert "--profile" in result.output
