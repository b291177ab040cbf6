"""``dmpclient scenario``: list, show and run homologation scenarios, writing the CNDA evidence.

Exit codes of ``run``: 0 every scenario passed (or was skipped), 1 a scenario failed (an expectation was
not met) or a scenario file is invalid, 2 usage, 3 only transport errors (the DMP could not be reached).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from dmpclient.cli._common import EXIT_USAGE, console, err_console, fail, handle_errors, json_option, print_json

__all__ = ["scenario"]

_MARK = {
    "passed": "[green]✓ passed[/green]",
    "failed": "[red]✗ failed[/red]",
    "error": "[red]! error[/red]",
    "skipped": "[yellow]- skipped[/yellow]",
}


@click.group("scenario")
def scenario() -> None:
    """Run homologation scenarios (CNDA test ids) and write the evidence folders.

    \b
    Examples:
      dmpclient scenario list
      dmpclient scenario show td0.2-test-existence
      dmpclient scenario run td0.2-test-existence td2.1-feed-n1 --out evidence/
      dmpclient scenario run --all --json
      dmpclient scenario run --cdt 3.1-040
      dmpclient scenario run my-scenario.yaml --env dv1 --config dmpclient.toml
    """


@scenario.command("list")
@click.option("--cdt", "cdt", default=None, help="Only the scenarios carrying this CNDA test id (0.2-010).")
@json_option
@handle_errors
def list_command(cdt: str | None, as_json: bool) -> None:
    """List the scenarios shipped with dmpclient.

    \b
    Examples:
      dmpclient scenario list
      dmpclient scenario list --cdt 2.1-140 --json
    """
    from dmpclient.scenarios import scenarios_with_cdt, shipped_scenarios

    found = scenarios_with_cdt(cdt) if cdt else shipped_scenarios()
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "title": s.title,
            "profile": s.profile,
            "cdt": list(s.all_cdt),
            "steps": len(s.steps),
            "sandbox_only": s.sandbox_only,
            "source": s.source,
        }
        for s in found
    ]
    if as_json:
        print_json({"ok": True, "scenarios": rows})
        return
    table = Table(title="Shipped scenarios", show_lines=False)
    table.add_column("Name", no_wrap=True)
    for column in ("CNDA tests", "Profile", "Steps", "Title"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["name"], ", ".join(r["cdt"]) or "—", r["profile"], str(r["steps"]), r["title"])
    console.print(table)


@scenario.command("show")
@click.argument("name")
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the scenario as YAML.")
@json_option
@handle_errors
def show(name: str, as_yaml: bool, as_json: bool) -> None:
    """Show a scenario (a shipped name, a CDT id, or a file): steps and expected outcomes.

    \b
    Examples:
      dmpclient scenario show td3.1-search
      dmpclient scenario show 0.2-010
      dmpclient scenario show my-scenario.yaml --yaml
    """
    from dmpclient.scenarios import ACTIONS, CDT_TESTS, find_scenario

    sc = find_scenario(name)
    data = sc.model_dump(mode="json", exclude_defaults=True)
    if as_json:
        print_json({"ok": True, "scenario": data, "source": sc.source, "cdt": list(sc.all_cdt)})
        return
    if as_yaml:
        import importlib

        yaml = importlib.import_module("yaml")
        click.echo(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=110), nl=False)
        return
    console.print(f"[bold]{escape(sc.title)}[/bold]  ({escape(sc.name)}, {escape(sc.source or '')})")
    for cdt in sc.all_cdt:
        test = CDT_TESTS.get(cdt)
        console.print(f"  CNDA {cdt}: {escape(test.title if test else '')}")
    console.print(f"  profile: {sc.profile}; actor: {escape(sc.actor.describe())}")
    if sc.patient is not None:
        console.print(f"  patient: {escape(sc.patient.key or sc.patient.ins or 'new')}")
    for op in sc.setup:
        console.print(f"  setup: {op.operation} {escape(str(op.args))}")
    if sc.description:
        console.print(escape(sc.description.strip()))
    table = Table(show_lines=False)
    for column in ("#", "Step", "CDT", "Action", "Sends"):
        table.add_column(column, no_wrap=True)
    table.add_column("Expected")
    for i, (sid, step) in enumerate(zip(sc.step_ids(), sc.steps, strict=True), start=1):
        table.add_row(
            f"{i:02d}",
            sid,
            ", ".join(step.cdt) or "—",
            step.action,
            ACTIONS[step.action].transactions,
            step.expect.describe(),
        )
    console.print(table)


@scenario.command("run")
@click.argument("names", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every shipped scenario.")
@click.option("--cdt", "cdt", multiple=True, help="Run the shipped scenarios carrying this CNDA test id (repeat).")
@click.option("--env", "env", default=None, help="sandbox (default), or dv1, de2 … with --config.")
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Client configuration (TOML) for a real environment. Default for a real --env: $DMPCLIENT_CONFIG, "
    "else ./dmpclient.toml.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dmpclient-evidence"),
    show_default=True,
    help="Evidence root; each run writes <out>/<UTC timestamp>/.",
)
@click.option("--mtls", is_flag=True, help="Sandbox: serve over HTTPS with mutual TLS on 127.0.0.1 (real sockets).")
@click.option(
    "--pki",
    "pki",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Sandbox: test PKI folder (created when empty; default: a temporary one).",
)
@click.option(
    "--mask/--no-mask",
    "mask",
    default=None,
    help="Mask the homologation number in the evidence (default: masked on real environments as configured, "
    "not masked in the sandbox so that the VIHF signatures verify).",
)
@click.option("--fail-fast", is_flag=True, help="Stop after the first scenario that does not pass.")
@json_option
@handle_errors
def run(
    names: tuple[str, ...],
    run_all: bool,
    cdt: tuple[str, ...],
    env: str | None,
    config: Path | None,
    out: Path,
    mtls: bool,
    pki: Path | None,
    mask: bool | None,
    fail_fast: bool,
    as_json: bool,
) -> None:
    """Run scenarios (files, shipped names or CDT ids) and write an evidence folder per step.

    Against the embedded sandbox by default (in-process; --mtls for a real HTTPS server with mutual TLS), or
    a real environment (--env dv1 --config dmpclient.toml; secrets from the environment variables the file
    names, or a prompt). Scenarios that need the sandbox (setup, new patients) are skipped elsewhere.

    \b
    Examples:
      dmpclient scenario run td0.2-test-existence
      dmpclient scenario run --all --out evidence/ --json
      dmpclient scenario run --cdt 2.1-140 --mtls
      dmpclient scenario run cas1-feeding.yaml --env dv1 --config dmpclient.toml
    """
    from dmpclient.scenarios import (
        ConfigTarget,
        SandboxTarget,
        ScenarioResult,
        ScenarioRunner,
        find_scenario,
        scenarios_with_cdt,
        shipped_scenarios,
    )

    chosen = [find_scenario(n) for n in names]
    if run_all:
        chosen += shipped_scenarios()
    for test_id in cdt:
        tagged = scenarios_with_cdt(test_id)
        if not tagged:
            fail(f"no shipped scenario carries the CNDA test id {test_id}", EXIT_USAGE, as_json=as_json)
        chosen += tagged
    unique = list({id(s): s for s in chosen}.values())
    if not unique:
        fail("name at least one scenario (a file, a shipped name, --cdt ID or --all)", EXIT_USAGE, as_json=as_json)
    sandbox = config is None and (env is None or env == "sandbox")
    if not sandbox and (mtls or pki is not None):
        fail("--mtls and --pki apply to the sandbox only", EXIT_USAGE, as_json=as_json)

    def progress(result: ScenarioResult) -> None:
        if as_json:
            return
        counts = result.counts()
        line = f"{_MARK[result.verdict]} {escape(result.scenario.name)} ({counts['passed']}/{len(result.steps)} steps)"
        if result.skip_reason:
            line += f" — {escape(result.skip_reason)}"
        if result.error:
            line += f" — {escape(result.error)}"
        err_console.print(line)
        for step in result.steps:
            if step.verdict in ("failed", "error"):
                err_console.print(f"    [bold]{escape(step.folder)}[/bold]")
                for d in step.diff:
                    err_console.print(f"      {escape(d)}")

    if sandbox:
        target: SandboxTarget | ConfigTarget = SandboxTarget(pki, mtls=mtls, mask_homologation=bool(mask))
    else:
        from dmpclient.client.settings import load_settings

        prompt = _prompt if sys.stdin.isatty() else None
        target = ConfigTarget(load_settings(config), env, prompt=prompt, mask_homologation=mask)
    try:
        campaign = ScenarioRunner(target, out).run(unique, fail_fast=fail_fast, progress=progress)
    finally:
        target.close()
    if as_json:
        print_json(campaign.to_dict())
    else:
        counts = campaign.counts()
        console.print(
            f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} error(s), "
            f"{counts['skipped']} skipped on {escape(campaign.environment)} — evidence: {escape(str(campaign.folder))}"
        )
    sys.exit(campaign.exit_code)


def _prompt(label: str) -> str:
    value: str = click.prompt(label, hide_input=True, err=True)
    return value
