"""``dmpclient cda validate``: exit codes, human and JSON output, stdin, --kit and --schematron."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from dmpclient.cda import build_n1
from dmpclient.cda.demo import demo_header
from dmpclient.cli import cli


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = build_n1(demo_header(), b"Compte rendu", media_type="text/plain").data
    assert data is not None
    path = tmp_path_factory.mktemp("cli") / "good.cda.xml"
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def broken(good: Path) -> Path:
    data = good.read_bytes()
    start, end = (
        data.index(b"<legalAuthenticator>"),
        data.index(b"</legalAuthenticator>") + len(b"</legalAuthenticator>"),
    )
    path = good.with_name("broken.cda.xml")
    path.write_bytes(data[:start] + data[end:])
    return path


def invoke(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["cda", "validate", *args], input=stdin)
    return result.exit_code, result.output


def test_command_is_attached_to_the_cda_group() -> None:
    code, out = invoke("--help")
    assert code == 0
    assert "--kit" in out
    assert "Examples:" in out


def test_valid_document_exits_0(good: Path) -> None:
    code, out = invoke(str(good))
    assert code == 0, out
    assert "valid" in out


def test_errors_exit_1_and_json(broken: Path) -> None:
    code, out = invoke(str(broken), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["errors"] == 1
    (finding,) = [f for f in report["findings"] if f["severity"] == "error"]
    assert finding["rule"] == "cda.legalAuthenticator"
    assert finding["code"] == "CI-SISLegalAuthenticator"


def test_stdin(broken: Path) -> None:
    code, out = invoke("-", stdin=broken.read_bytes())
    assert code == 1
    assert "legalAuthenticator" in out


def test_unusable_inputs_exit_2(tmp_path: Path, good: Path) -> None:
    assert invoke(str(tmp_path / "missing.xml"))[0] == 2
    code, out = invoke(str(good), "--kit", str(tmp_path), "--json")
    assert code == 2
    assert "not an ANS TestContenuCDA kit" in json.loads(out)["error"]


def test_not_xml_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(b"not xml")
    assert invoke(str(path))[0] == 1


@pytest.mark.saxon
def test_with_kit(cda_kit: Path, house: ModuleType, broken: Path, tmp_path: Path) -> None:
    house.require_module("saxonche", "validation")
    cache = str(tmp_path / "cache")
    code, out = invoke(
        str(cda_kit / "ExemplesCDA" / "TLM-DA_2022.01_TCG.xml"), "--kit", str(cda_kit), "--cache-dir", cache, "--json"
    )
    assert code == 1
    report = json.loads(out)
    failed = [s for s in report["schematrons"] if not s["passed"] and not s["skipped"]]
    assert [Path(s["path"]).name for s in failed] == ["CI-SIS_ModelesDeContenusCDA.sch"]
    code, out = invoke(str(broken), "--kit", str(cda_kit), "--cache-dir", cache)
    assert code == 1
    assert "failed ASIP-STRUCT-MIN-StrucMin.sch" in out
    model = cda_kit / "schematrons" / "CI-SIS_LDL-SES_2022.01.sch"
    code, out = invoke(
        str(cda_kit / "ExemplesCDA" / "LDL-SES_2022.01.xml"),
        "--kit",
        str(cda_kit),
        "--schematron",
        str(model),
        "--cache-dir",
        cache,
    )
    assert code == 0, out
    assert "passed CI-SIS_LDL-SES_2022.01.sch" in out
    assert "StrucMin" not in out
