"""``dmpclient scenario list | show | run``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import dmpclient.scenarios as scenarios_module
from dmpclient.cli import _common, cli
from dmpclient.cli.scenario import _CampaignProgress
from dmpclient.errors import ConfigurationError
from dmpclient.scenarios import ConfigTarget, find_scenario, shipped_scenarios
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
    assert "Source" not in out


def test_list_table_is_never_cut_when_piped() -> None:
    code, out, _ = _run("scenario", "list", "-v")  # stdout is not a terminal here
    assert code == 0
    lines = out.splitlines()
    for sc in shipped_scenarios():
        row = next(line for line in lines if f" {sc.name} " in line)
        assert sc.title in row  # the whole title on the scenario's own line: no wrapping, no ellipsis
        assert str(sc.source) in row  # -v adds the file
    assert "Sandbox only" in out


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
    code, out, _ = _run("scenario", "show", "nope", "--json")
    data = json.loads(out)
    assert (code, data["ok"], data["exit_code"]) == (1, False, 1)
    assert "no scenario file" in data["error"]


def test_show_verbose_adds_the_step_parameters() -> None:
    sc = find_scenario("td2.1-replace")
    with_params = [step for step in sc.steps if step.params]
    assert with_params
    _, plain, _ = _run("scenario", "show", "td2.1-replace")
    code, verbose, _ = _run("scenario", "show", "td2.1-replace", "-v")
    assert code == 0
    assert "params: " not in plain
    assert verbose.count("params: ") == len(with_params)


def test_run_json(scenario_pki: TestPki, tmp_path: Path) -> None:
    code, out, _ = _run(
        "scenario", "run", "td0.3-authorization", "--cdt", "1.6-030", "--pki", str(scenario_pki.directory),
        "-o", str(tmp_path), "--json",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert data["ok"] is True
    assert "error" not in data
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
    assert "failed wrong" not in out  # stdout: the summary only
    assert "0 passed, 1 failed" in out
    code, out, err = _run(
        "scenario", "run", str(path), "--pki", str(scenario_pki.directory), "--out", str(tmp_path), "--json"
    )
    data = json.loads(out)
    assert code == 1
    assert err == ""
    assert (data["ok"], data["exit_code"]) == (False, 1)
    assert data["error"] == "1 of 1 scenario(s) did not pass: wrong"
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
    code, out, err = _run("scenario", "run", "--out", str(tmp_path), "--json")
    assert (code, err) == (2, "")
    assert json.loads(out) == {
        "ok": False,
        "error": "name at least one scenario (a file, a shipped name, --cdt ID or --all)",
        "exit_code": 2,
        "details": {},
    }
    code, out, _ = _run("scenario", "run", str(path), "--out", str(tmp_path), "--json")
    data = json.loads(out)
    assert (code, data["ok"], data["exit_code"]) == (1, False, 1)
    assert "steps[0] (nope)" in data["error"]


def test_run_verbose_lists_every_step(scenario_pki: TestPki, tmp_path: Path) -> None:
    args = ("scenario", "run", "td0.3-authorization", "--pki", str(scenario_pki.directory), "-o", str(tmp_path))
    code, _, plain = _run(*args)
    assert code == 0
    assert "passed td0.3-authorization" in plain
    assert "01-" not in plain  # passed steps are listed with -v only
    code, _, verbose = _run(*args, "-v")
    assert code == 0
    steps = [line.split()[1] for line in verbose.splitlines() if line.startswith("    ✓ ")]
    assert steps
    assert steps[0].startswith("01-")
    assert len(steps) == len(find_scenario("td0.3-authorization").steps)


def test_run_progress_bar_on_a_terminal_only(
    scenario_pki: TestPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("scenario", "run", "td0.3-authorization", "--pki", str(scenario_pki.directory), "-o", str(tmp_path))
    code, _, err = _run(*args)
    assert code == 0
    assert "scenarios on sandbox" not in err  # stderr is not a terminal: no bar
    monkeypatch.setattr(_common, "stderr_is_terminal", lambda: True)
    code, _, err = _run(*args)
    assert code == 0
    assert "scenarios on sandbox" in err
    assert "1/1" in err
    code, out, err = _run(*args, "--json")
    assert (code, err) == (0, "")  # never a bar (nor the scenario lines) with --json
    assert json.loads(out)["ok"] is True


def test_help_has_examples() -> None:
    for sub in ("list", "show", "run"):
        code, out, _ = _run("scenario", sub, "--help")
        assert code == 0
        assert "Examples:" in out
        assert "dmpclient scenario" in out


# -------------------------------------------------------------------- real environments: secrets, transport


def _config(pki: TestPki, folder: Path) -> Path:
    """A configuration for DV1 whose homologation number comes from $SCENARIO_CLI_HOMOLOGATION."""
    sign, ids = pki.entry("prof-sign"), pki.identities
    path = folder / "dmpclient.toml"
    path.write_text(
        f"""environment = "dv1"
[signer]
kind = "pem"
cert = "{pki.path(sign.chain)}"
key = "{pki.path(sign.key)}"
[software]
name = "{ids.software_name}"
version = "{ids.software_version}"
oid_root = "{ids.software_oid_root}"
homologation_number_env = "SCENARIO_CLI_HOMOLOGATION"
[professional]
id = "{ids.professional_id}"
family_name = "{ids.professional_family}"
given_name = "{ids.professional_given}"
specialty = "{ids.specialty}"
[structure]
id = "{ids.cabinet_id}"
name = "{ids.cabinet_name}"
[trust]
anchors = ["{pki.path("ca/root.cert.pem")}"]
[retries]
max_attempts = 1
backoff = 0
jitter = 0
ambiguous_check_delay = 0
""",
        encoding="utf-8",
    )
    return path


def test_run_unset_secret_without_a_terminal_is_a_usage_error(
    scenario_pki: TestPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCENARIO_CLI_HOMOLOGATION", raising=False)
    config = _config(scenario_pki, tmp_path)
    code, out, _ = _run(
        "scenario", "run", "td0.2-test-existence", "--env", "dv1", "--config", str(config), "-o", str(tmp_path),
        "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert (code, data["ok"], data["exit_code"]) == (2, False, 2)
    assert data["details"]["field"] == "SCENARIO_CLI_HOMOLOGATION"
    assert "homologation number" in data["error"]


def test_run_transport_errors_only_exit_3(
    scenario_pki: TestPki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    class Unreachable(ConfigTarget):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, transport=httpx.MockTransport(unreachable), **kwargs)

    monkeypatch.setattr(scenarios_module, "ConfigTarget", Unreachable)
    monkeypatch.setenv("SCENARIO_CLI_HOMOLOGATION", scenario_pki.identities.homologation_number)
    config = _config(scenario_pki, tmp_path)
    code, out, _ = _run(
        "scenario", "run", "td0.2-test-existence", "--env", "dv1", "--config", str(config), "-o", str(tmp_path),
        "--json",
    )  # fmt: skip
    data = json.loads(out)
    assert (code, data["ok"], data["exit_code"]) == (3, False, 3)
    assert data["error"] == "1 of 1 scenario(s) could not reach the DMP: td0.2-test-existence"
    assert data["scenarios"][0]["verdict"] == "error"


def test_secret_prompt_reads_the_variable_named_by_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCENARIO_CLI_PIN", "1234")
    progress = _CampaignProgress(False, "scenarios", 1)
    assert progress.ask_secret("card PIN (environment variable SCENARIO_CLI_PIN is not set)") == "1234"


def test_secret_prompt_asks_on_a_terminal_with_the_bar_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCENARIO_CLI_PIN", raising=False)
    monkeypatch.setattr(_common, "stderr_is_terminal", lambda: True)
    asked: list[tuple[str, bool, bool]] = []

    class Terminal:
        def isatty(self) -> bool:
            return True

    def prompt(text: str, hide_input: bool = False, err: bool = False) -> str:
        asked.append((text, hide_input, progress.running))
        return "4321"

    monkeypatch.setattr(_common.sys, "stdin", Terminal())
    monkeypatch.setattr(_common.click, "prompt", prompt)
    progress = _CampaignProgress(True, "scenarios", 2)
    with progress:
        assert progress.running
        answer = progress.ask_secret("card PIN (environment variable SCENARIO_CLI_PIN is not set)")
        assert progress.running  # the bar is back after the prompt
    assert answer == "4321"
    assert asked == [("card PIN ($SCENARIO_CLI_PIN is not set)", True, False)]


def test_secret_prompt_without_a_terminal_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCENARIO_CLI_PIN", raising=False)
    with pytest.raises(ConfigurationError) as caught:
        _CampaignProgress(False, "scenarios", 1).ask_secret(
            "card PIN (environment variable SCENARIO_CLI_PIN is not set)"
        )
    assert caught.value.field == "SCENARIO_CLI_PIN"
