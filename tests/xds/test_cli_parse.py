"""``dmpclient xds parse``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmpclient import _xml
from dmpclient.cli import cli
from dmpclient.xds.ebrim import to_submit_objects_request

from .xds_core_factories import submission


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["xds", "parse", *args], input=stdin)
    return result.exit_code, result.output


def test_parse_bare_body_from_stdin_as_json() -> None:
    body = _xml.to_bytes(to_submit_objects_request(submission(documents=2)))
    code, out = run("-", "--json", stdin=body)
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True
    assert data["kind"] == "SubmitObjectsRequest"
    docs = data["submission"]["documents"]
    assert [d["entry_uuid"] for d in docs] == ["Document01", "Document02"]
    assert docs[0]["creation_time"] == "2024-06-12T08:30:00Z"


def test_parse_human_output_names_the_entries(tmp_path: Path) -> None:
    path = tmp_path / "sor.xml"
    path.write_bytes(_xml.to_bytes(to_submit_objects_request(submission())))
    code, out = run(str(path))
    assert code == 0
    assert "SubmitObjectsRequest" in out
    assert "Document01" in out
    assert "1.2.250.1.999.1.1.7898.3.1" in out


@pytest.mark.parametrize("data", [b"<not xml", b"<root/>", b""])
def test_parse_unparseable_input_exits_non_zero(data: bytes) -> None:
    code, out = run("-", "--json", stdin=data)
    assert code == 1
    assert json.loads(out)["ok"] is False


def test_parse_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, _ = run(str(tmp_path / "absent.xml"))
    assert code == 2


@pytest.mark.shared
def test_parse_official_soap_response(official_examples: Path) -> None:
    code, out = run(str(official_examples / "td3.1-recherche-documents.response.xml"), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "AdhocQueryResponse"
    assert data["soap_action"] == "urn:ihe:iti:2007:RegistryStoredQueryResponse"
    assert len(data["query_response"]["documents"]) == 21


@pytest.mark.shared
def test_parse_official_td21_human(official_examples: Path) -> None:
    code, out = run(str(official_examples / "td2.1-alimentation.request.soap-part.xml"))
    assert code == 0
    assert "Signature01" in out
    assert "INVISIBLE_PATIENT" in out
