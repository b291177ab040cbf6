"""``dmpclient scenario list | show | run``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from dmpclient.cli import cli
from dmpclient.scenarios import shipped_scenarios
from dmpclient.security.pki import TestPki


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_json() -> None:
    code, out, _ = _run("scenario", "list", "--json")
    assert code == 0
    data = json.loads(out)
    assert [s["name"] for s in data["scenarios"]] == [s.name for s in shipped_scenarios()]
    feed = next(s for s in data["scenarios"] if s["name"] == "td2.1-feed-n1")
    assert "2.1-020" in feed["cdt"]
    assert feed["profile"] == "alimentation"
    code, out, _ = _run("scenario", "list", "--cdt", "3.1-250", "--json")
    assert [s["name"] for s in json.loads(out)["scenarios"]] == ["td3.1-emergency-access"]


def test_list_text() -> None:
    code, out, _ = _run("scenario", "list")
    assert code == 0
    assert "td3.3d-archive" in out


def test_show() -> None:
    code, out, _ = _run("scenario", "show", "td3.3d-archive")
    assert code == 0
    assert "3.3-120" in out
    assert "TD3.1b + TD3.3d" in out
    code, out, _ = _run("scenario", "show", "2.1-140", "--json")
    data = json.loads(out)
    assert data["scenario"]["name"] == "td2.1-replace"
    assert data["cdt"] == ["2.1-140"]
    code, out, _ = _run("scenario", "show", "td2.1-replace", "--yaml")
    assert code == 0
    assert out.startswith("name: td2.1-replace")
    code, _, err = _run("scenario", "show", "nope")
    assert code == 1
    assert "no scenario file" in err


def test_run_json(scenario_pki: TestPki, tmp_path: Path) -> None:
    code, out, _ = _run(
        "scenario", "run", "td0.3-authorization", "--cdt", "1.6-030", "--pki", str(scenario_pki.directory),
        "--out", str(tmp_path), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["ok"] is True
    assert data["environment"] == "sandbox"
    assert [s["name"] for s in data["scenarios"]] == ["td0.3-authorization", "td1.6-authorizations-list"]
    assert all(s["verdict"] == "passed" for s in data["scenarios"])
    folder = Path(data["folder"])
    assert folder.parent == tmp_path
    assert (folder / "td0.3-authorization" / "summary.md").is_file()


def test_run_failing_scenario_exits_1_with_the_diff(
    scenario_pki: TestPki, tmp_path: Path, write_yaml: Callable[..., Path]
) -> None:
    path = write_yaml(
        "name: wrong\ntitle: W\npatient: CONTESTE\nsteps:\n  - id: exists\n    action: test_existence\n"
        "    expect: {result: {exists: true}}\n"
    )
    code, out, err = _run("scenario", "run", str(path), "--pki", str(scenario_pki.directory), "--out", str(tmp_path))
    assert code == 1
    assert "failed wrong" in err
    assert "exists eq True: got False" in err
    assert "0 passed, 1 failed" in out
    code, out, _ = _run(
        "scenario", "run", str(path), "--pki", str(scenario_pki.directory), "--out", str(tmp_path), "--json"
    )
    data = json.loads(out)
    assert code == 1
    assert data["ok"] is False
    assert data["scenarios"][0]["failures"] == [
        {"step": "01-exists", "diff": ["exists eq True: got False", "actual: success (exists=False)"]}
    ]


def test_run_invalid_file_and_usage(tmp_path: Path, write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("name: bad\ntitle: B\npatient: PETRA\nsteps:\n  - action: nope\n")
    code, _, err = _run("scenario", "run", str(path), "--out", str(tmp_path))
    assert code == 1
    assert str(path) in err
    assert "steps[0] (nope)" in err
    code, _, err = _run("scenario", "run", "--out", str(tmp_path))
    assert code == 2
    assert "name at least one scenario" in err
    code, _, err = _run("scenario", "run", "--cdt", "9.9-999", "--out", str(tmp_path))
    assert code == 2
    code, _, err = _run("scenario", "run", "td0.2-test-existence", "--env", "dv1", "--mtls", "--out", str(tmp_path))
    assert code == 2
    assert "sandbox only" in err


def test_help_has_examples() -> None:
    for sub in ("list", "show", "run"):
        code, out, _ = _run("scenario", sub, "--help")
        assert code == 0
        assert "Examples:" in out
        assert "dmpclient scenario" in out
