"""``dmpclient ins check``: human and JSON output, exit codes (issue 2 acceptance)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmpclient.cli import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["ins", "check", *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_valid_ins_prints_the_parsed_ins() -> None:
    code, out, err = run("277076322082910")
    assert code == 0
    assert err == ""
    assert "valid INS 277076322082910 (key 10)" in out
    assert "NIR" in out
    assert "1.2.250.1.213.1.4.10" in out
    assert "277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH" in out


def test_wrong_key_exits_non_zero_and_names_the_key() -> None:
    code, out, err = run("277076322082911")
    assert code == 1
    assert out == ""
    assert "wrong key 11" in err
    assert "expected 10" in err
    assert "[rule: INS key]" in err  # not swallowed as rich markup


def test_corsica_is_valid() -> None:
    code, out, _ = run("188102B17295165")
    assert code == 0
    assert "valid INS 188102B17295165 (key 65)" in out


def test_json_output() -> None:
    code, out, _ = run("188102B17295165", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == {
        "ok": True,
        "matricule": "188102B17295165",
        "key": "65",
        "oid": "1.2.250.1.213.1.4.10",
        "oid_name": "TEST",
        "kind": "NIR",
        "cx": "188102B17295165^^^&1.2.250.1.213.1.4.10&ISO^NH",
        "corsica": True,
    }


def test_json_error_output() -> None:
    code, out, _ = run("277076322082911", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    assert data["details"] == {"field": "ins", "value": "277076322082911", "rule": "INS key"}
    assert "expected 10" in data["error"]


def test_cx_input_including_official_suffix() -> None:
    code, out, _ = run("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH^^20100907", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["matricule"] == "207058575627097"
    assert data["cx"] == "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"


@pytest.mark.parametrize(
    ("args", "oid"),
    [(["--oid", "demo"], "1.2.250.1.213.1.4.11"), (["--oid", "1.2.250.1.213.1.4.8"], "1.2.250.1.213.1.4.8")],
)
def test_oid_option(args: list[str], oid: str) -> None:
    code, out, _ = run("255069999999934", *args, "--json")
    assert code == 0
    assert json.loads(out)["oid"] == oid


def test_nia_refused_in_test_environment() -> None:
    code, out, _ = run("109076322088835", "--oid", "nia", "--env", "test", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["details"]["rule"] == "CNDA 0.2-080"
    assert "NIA" in data["error"]
    # without --env the NIA is a well-formed INS
    code, out, _ = run("109076322088835", "--oid", "nia", "--json")
    assert code == 0
    assert json.loads(out)["kind"] == "NIA"


def test_nia_refused_from_cx() -> None:
    code, _, err = run("109076322088835^^^&1.2.250.1.213.1.4.9&ISO^NH", "--env", "test")
    assert code == 1
    assert "CNDA 0.2-080" in err


def test_test_oid_refused_in_production() -> None:
    code, _, err = run("277076322082910", "--env", "production")
    assert code == 1
    assert "not accepted in the production environment" in err


def test_usage_error_exit_2() -> None:
    result = CliRunner().invoke(cli, ["ins", "check", "277076322082910", "--env", "staging"])
    assert result.exit_code == 2


def test_help_has_examples() -> None:
    result = CliRunner().invoke(cli, ["ins", "check", "--help"])
    assert result.exit_code == 0
    assert "dmpclient ins check 277076322082910" in result.stdout


def _console_script() -> str:
    found = shutil.which("dmpclient", path=str(Path(sys.executable).parent)) or shutil.which("dmpclient")
    if found is None:
        pytest.skip("the dmpclient console script is not installed (pip install -e .)")
    return found


def test_console_script_subprocess() -> None:
    script = _console_script()
    ok = subprocess.run([script, "ins", "check", "277076322082910", "--json"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["matricule"] == "277076322082910"
    bad = subprocess.run([script, "ins", "check", "277076322082911"], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "expected 10" in bad.stderr
