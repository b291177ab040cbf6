"""``dmpclient scenario``: list, show and run homologation scenarios, writing the CNDA evidence.

Exit codes of ``run``: 0 every scenario passed (or was skipped), 1 a scenario failed (an expectation was
not met) or a scenario file is invalid, 2 usage, 3 only transport errors (the DMP could not be reached).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from dmpclient.cli._common import (
    EXIT_OK,
    EXIT_TRANSPORT,
    EXIT_USAGE,
    Bar,
    config_option,
    console,
    env_option,
    err_console,
    fail,
    handle_errors,
    json_option,
    pki_option,
    print_json,
    print_table,
    progress_wanted,
    secret,
    verbose_option,
)

if TYPE_CHECKING:
    from dmpclient.scenarios import CampaignResult, ScenarioResult

__all__ = ["scenario"]

_MARK = {
    "passed": "[green]✓ passed[/green]",
    "failed": "[red]✗ failed[/red]",
    "error": "[red]! error[/red]",
    "skipped": "[yellow]- skipped[/yellow]",
}
_STEP_MARK = {
    "passed": "[green]✓[/green]",
    "failed": "[red]✗[/red]",
    "error": "[red]![/red]",
    "skipped": "[yellow]-[/yellow]",
}


@click.group("scenario")
def scenario() -> None:
    """Run homologation scenarios (CNDA test ids) and write the evidence folders.

    \b
    Examples:
      dmpclient scenario list
      dmpclient scenario show td0.2-test-existence
      dmpclient scenario run td0.2-test-existence td2.1-feed-n1 -o evidence/
      dmpclient scenario run --all --json
      dmpclient scenario run --cdt 3.1-040
      dmpclient scenario run my-scenario.yaml --env dv1 --config dmpclient.toml
    """


@scenario.command("list")
@click.option("--cdt", "cdt", default=None, help="Only the scenarios carrying this CNDA test id (0.2-010).")
@json_option
@verbose_option
@handle_errors
def list_command(cdt: str | None, as_json: bool, verbose: int) -> None:
    """List the scenarios shipped with dmpclient.

    A table (never cut when piped): name, CNDA test ids, profile, number of steps, title; -v adds whether
    each scenario needs the sandbox, and its file.

    \b
    Examples:
      dmpclient scenario list
      dmpclient scenario list -v
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
    if verbose:
        table.add_column("Sandbox only")
        table.add_column("Source", no_wrap=True)
    for r in rows:
        cells = [r["name"], ", ".join(r["cdt"]) or "—", r["profile"], str(r["steps"]), r["title"]]
        if verbose:
            cells += ["yes" if r["sandbox_only"] else "no", r["source"] or ""]
        table.add_row(*(escape(c) for c in cells))
    print_table(table)


@scenario.command("show")
@click.argument("name")
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the scenario as YAML.")
@json_option
@verbose_option
@handle_errors
def show(name: str, as_yaml: bool, as_json: bool, verbose: int) -> None:
    """Show a scenario (a shipped name, a CDT id, or a file): steps and expected outcomes.

    -v adds each step's parameters, the name its result is saved under and the client guards it disables.

    \b
    Examples:
      dmpclient scenario show td3.1-search
      dmpclient scenario show 0.2-010 -v
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
            escape(sid),
            ", ".join(step.cdt) or "—",
            step.action,
            ACTIONS[step.action].transactions,
            escape(step.expect.describe()),
        )
    print_table(table)
    if verbose:
        for i, (sid, step) in enumerate(zip(sc.step_ids(), sc.steps, strict=True), start=1):
            extras = [f"params: {step.params}"] if step.params else []
            if step.save:
                extras.append(f"save: {step.save}")
            if step.guards_off:
                extras.append(f"guards off: {', '.join(step.guards_off)}")
            if extras:
                console.print(f"  {i:02d} {escape(sid)}: {escape('; '.join(extras))}")


_SECRET_LABEL = re.compile(r"^(?P<label>.*) \(environment variable (?P<variable>[^ )]+) is not set\)$")


class _CampaignProgress:
    """The campaign's progress bar (stderr, terminal only, never with --json), paused while a secret is asked."""

    def __init__(self, enabled: bool, description: str, total: int) -> None:
        self._args = (enabled, description, total)
        self.done = 0
        self.running = False
        self.bar = Bar(*self._args)

    def describe(self, description: str) -> None:
        self._args = (self._args[0], description, self._args[2])
        self.bar.update(description=description)

    def advance(self) -> None:
        self.done += 1
        self.bar.advance()

    @contextmanager
    def paused(self) -> Iterator[None]:
        if not self.running:
            yield
            return
        self.bar.stop()
        self.running = False
        try:
            yield
        finally:
            self.bar = Bar(*self._args).start()
            self.bar.update(completed=self.done)
            self.running = True

    def ask_secret(self, text: str) -> str:
        """The configuration's secret prompt (``dmpclient.client.settings.Prompt``) answered by the CLI's
        :func:`~dmpclient.cli._common.secret`: a hidden prompt on a terminal, else a configuration error (exit 2)."""
        match = _SECRET_LABEL.match(text)
        variable, label = (match["variable"], match["label"]) if match else ("", text)
        with self.paused():
            return secret(variable, label)

    def __enter__(self) -> _CampaignProgress:
        self.bar.start()
        self.running = self.bar.enabled
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.bar.stop()


@scenario.command("run")
@click.argument("names", nargs=-1)
@click.option("--all", "run_all", is_flag=True, help="Run every shipped scenario.")
@click.option("--cdt", "cdt", multiple=True, help="Run the shipped scenarios carrying this CNDA test id (repeat).")
@env_option
@config_option
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("dmpclient-evidence"),
    show_default=True,
    metavar="DIR",
    help="Evidence root; each run writes <DIR>/<UTC timestamp>/.",
)
@click.option("--mtls", is_flag=True, help="Sandbox: serve over HTTPS with mutual TLS on 127.0.0.1 (real sockets).")
@pki_option("Sandbox: test PKI folder (created when empty; default: a temporary one).", exists=False, name="pki")
@click.option(
    "--mask/--no-mask",
    "mask",
    default=None,
    help="Mask the homologation number in the evidence (default: masked on real environments as configured, "
    "not masked in the sandbox so that the VIHF signatures verify).",
)
@click.option("--fail-fast", is_flag=True, help="Stop after the first scenario that does not pass.")
@json_option
@verbose_option
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
    verbose: int,
) -> None:
    """Run scenarios (files, shipped names or CDT ids) and write an evidence folder per step.

    Against the embedded sandbox when neither --env nor --config is given (in-process; --mtls for a real
    HTTPS server with mutual TLS), or a real environment (--env dv1, with --config FILE or the default
    configuration; secrets from the environment variables the file names, or a hidden prompt). Scenarios
    that need the sandbox (setup, new patients) are skipped elsewhere. One line per scenario on stderr (-v:
    one per step too) and a progress bar on a terminal; the summary, or the campaign as JSON, on stdout.

    Exit status: 0 when every scenario passed or was skipped, 1 when one failed or a scenario file
    is invalid, 2 on a usage error, 3 when the only problems were transport errors.

    \b
    Examples:
      dmpclient scenario run td0.2-test-existence
      dmpclient scenario run --all -o evidence/ --json
      dmpclient scenario run --cdt 2.1-140 --mtls -v
      dmpclient scenario run cas1-feeding.yaml --env dv1 --config dmpclient.toml
    """
    from dmpclient.scenarios import (
        ConfigTarget,
        SandboxTarget,
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

    bar = _CampaignProgress(progress_wanted(as_json), "scenarios", len(unique))
    if sandbox:
        target: SandboxTarget | ConfigTarget = SandboxTarget(pki, mtls=mtls, mask_homologation=bool(mask))
    else:
        from dmpclient.client.settings import load_settings

        target = ConfigTarget(load_settings(config), env, prompt=bar.ask_secret, mask_homologation=mask)
    bar.describe(f"scenarios on {target.name}")

    def progress(result: ScenarioResult) -> None:
        bar.advance()
        if not as_json:
            _print_result(result, verbose)

    try:
        with bar:
            campaign = ScenarioRunner(target, out).run(unique, fail_fast=fail_fast, progress=progress)
    finally:
        target.close()
    code = campaign.exit_code
    counts = campaign.counts()
    if as_json:
        payload = campaign.to_dict()
        if code != EXIT_OK:
            payload = {"ok": False, "error": _campaign_error(campaign), "exit_code": code, **payload}
        print_json(payload)
    else:
        console.print(
            f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} error(s), "
            f"{counts['skipped']} skipped on {escape(campaign.environment)} — evidence: {escape(str(campaign.folder))}"
        )
    sys.exit(code)


def _campaign_error(campaign: CampaignResult) -> str:
    """The ``error`` of a failed campaign under --json: how many scenarios did not pass, and which."""
    bad = [s.scenario.name for s in campaign.scenarios if not s.ok]
    what = "could not reach the DMP" if campaign.exit_code == EXIT_TRANSPORT else "did not pass"
    return f"{len(bad)} of {len(campaign.scenarios)} scenario(s) {what}: {', '.join(bad)}"


def _print_result(result: ScenarioResult, verbose: int) -> None:
    """One line per scenario on stderr; the diff of each failed step (every step with -v)."""
    counts = result.counts()
    line = f"{_MARK[result.verdict]} {escape(result.scenario.name)} ({counts['passed']}/{len(result.steps)} steps)"
    if result.skip_reason:
        line += f" — {escape(result.skip_reason)}"
    if result.error:
        line += f" — {escape(result.error)}"
    err_console.print(line)
    for step in result.steps:
        failed = step.verdict in ("failed", "error")
        if failed or verbose:
            err_console.print(
                f"    {_STEP_MARK.get(step.verdict, '?')} [bold]{escape(step.folder)}[/bold] "
                f"[dim]{escape(step.actual.describe())}[/dim]"
            )
        if failed:
            for d in step.diff:
                err_console.print(f"      {escape(d)}")
