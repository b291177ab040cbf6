"""``dmpclient demo``: a feed-and-consult story against the embedded sandbox over mutual TLS (see
:mod:`dmpclient.demo` and ``docs/demo.md``)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from dmpclient.cli._common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    console,
    err_console,
    fail,
    handle_errors,
    json_option,
    print_json,
    verbose_option,
)
from dmpclient.demo import DemoStep, Expectation, StepOutcome, run_demo

__all__ = ["demo", "format_step"]

_MARK = {True: "[green]ok  [/green]", False: "[red]FAIL[/red]"}
_SKIP = "[yellow]skip[/yellow]"
_EXPECTED = {
    Expectation.CLIENT_REFUSAL: " [dim](expected refusal by the client)[/dim]",
    Expectation.DMP_REFUSAL: " [dim](expected refusal by the DMP)[/dim]",
}


def format_step(step: DemoStep, *, verbose: int = 0) -> list[str]:
    """The timeline line of a step (rich markup), plus detail lines when ``verbose``."""
    mark = _SKIP if step.outcome is StepOutcome.SKIPPED else _MARK[step.passed]
    ms = f"{step.duration * 1000:6.0f} ms"
    answer = ""
    if step.answer:
        who = "rule" if step.outcome is StepOutcome.CLIENT_REFUSAL else "DMP"
        answer = f"  [dim]{who}:[/dim] [bold]{escape(step.answer)}[/bold]"
    expected = _EXPECTED.get(step.expected, "")
    lines = [
        f"{step.number:>3}  {mark}  {step.transaction:<7}{ms}  {escape(step.action)}{expected}: "
        f"{escape(step.summary)}{answer}"
    ]
    if verbose:
        for exchange in step.exchanges:
            code = f" {exchange.dmp_code}" if exchange.dmp_code else ""
            lines.append(
                f"{'':21}[dim]↳ {exchange.transaction} HTTP {exchange.status} {exchange.outcome}{escape(code)} "
                f"{exchange.duration * 1000:.0f} ms[/dim]"
            )
        for key, value in step.details.items():
            lines.append(f"{'':21}[dim]{escape(key)}: {escape(value)}[/dim]")
        if step.error and not step.passed:
            lines.append(f"{'':21}[dim]{escape(step.error)}[/dim]")
    return lines


@click.command("demo")
@click.option(
    "--keep",
    "keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the test PKI, the sandbox database, the captured exchanges and the documents in this new folder.",
)
@json_option
@verbose_option
@handle_errors
def demo(keep: Path | None, as_json: bool, verbose: int) -> None:
    """Run a feed-and-consult story against the embedded DMP sandbox (no network, no card needed).

    \b
    Creates a test PKI in a temporary folder, starts the sandbox over real mutual TLS on a free
    loopback port, and plays with the client API: TD0.2 test existence, TD0.3 authorise, build an
    N1 CDA from the bundled sample PDF, TD2.1 submit, TD3.1 find, TD3.2 retrieve (bytes compared),
    TD2.1 replace (RPLC), TD3.3a hide / unhide, TD3.3d archive, TD3.3c delete — and two expected
    refusals: a NIA patient (refused by the client before sending) and the forbidden typeCode
    DOCPAT03 (refused by the DMP). One line per step: number, ok/FAIL/skip, TD, duration, what
    happened, then the DMP's answer or code (the rule, for a refusal by the client).

    \b
    The setup lines (pki, sandbox, acting, patient) go to stderr; stdout holds the timeline, or the
    JSON with --json.

    Exit status: 0 when every step behaved as expected (expected refusals included), 1 otherwise,
    2 when --keep names a non-empty folder.

    \b
    Examples:
      dmpclient demo
      dmpclient demo --keep ./demo-run      # pki/, sandbox.db, evidence/NNN-TDx-outcome/, documents/
      dmpclient demo --json | jq '.steps[] | [.number, .transaction, .passed]'
      dmpclient demo -v                     # every HTTP exchange of every step
    """
    if keep is not None and keep.exists() and (not keep.is_dir() or any(keep.iterdir())):
        fail(f"--keep needs a new or empty folder: {keep}", EXIT_USAGE, as_json=as_json)

    def on_step(step: DemoStep) -> None:
        for line in format_step(step, verbose=verbose):
            console.print(line, markup=True)

    def progress(what: str, detail: str) -> None:
        # The setup (pki, sandbox, acting, patient) goes to stderr: stdout holds the timeline only.
        err_console.print(f"  [bold]{what:<8}[/bold] {escape(detail)}", markup=True)

    if not as_json:
        console.print("[bold]dmpclient demo[/bold] — a feed-and-consult story against the embedded DMP sandbox")
    result = run_demo(
        keep=keep,
        on_step=None if as_json else on_step,
        progress=None if as_json else progress,
    )
    if as_json:
        payload = result.to_dict()
        if not result.ok:
            names = ", ".join(f"{s.number} {s.transaction} {s.action}" for s in result.failed)
            error = f"{len(result.failed)} of {len(result.steps)} steps did not behave as expected: {names}"
            payload = {"ok": False, "error": error, "exit_code": EXIT_INVALID, **payload}
        print_json(payload)
        raise SystemExit(EXIT_OK if result.ok else EXIT_INVALID)
    passed = sum(1 for s in result.steps if s.passed)
    refusals = sum(1 for s in result.steps if s.passed and s.expected is not Expectation.SUCCESS)
    if result.ok:
        console.print(
            f"[green bold]{passed}/{len(result.steps)} steps behaved as expected[/green bold] "
            f"({refusals} expected refusals) in {result.duration:.1f} s",
            markup=True,
        )
    else:
        names = ", ".join(f"{s.number} {s.transaction} {s.action}" for s in result.failed)
        console.print(
            f"[red bold]{len(result.failed)} of {len(result.steps)} steps did not behave as expected:[/red bold] "
            f"{escape(names)}",
            markup=True,
        )
    if result.kept is not None:
        console.print(
            f"kept in {escape(str(result.kept))}: pki/, sandbox.db, evidence/ (one folder per exchange), documents/",
            markup=True,
        )
    raise SystemExit(EXIT_OK if result.ok else EXIT_INVALID)
