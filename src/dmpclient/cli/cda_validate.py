"""``dmpclient cda validate``: built-in CI-SIS header rules, and with ``--kit`` the ANS XSD and schematrons.

Registers itself on the ``cda`` group of :mod:`dmpclient.cli.cda` (which imports this module at its end).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from dmpclient.cli._common import (
    EXIT_INVALID,
    EXIT_USAGE,
    console,
    fail,
    handle_errors,
    json_option,
    print_findings,
    print_json,
    verbose_option,
)
from dmpclient.cli.cda import cda

__all__ = ["validate_command"]

KIT_ENV = "DMPCLIENT_CDA_KIT"


@cda.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--kit",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help=f"ANS TestContenuCDA-3-0 folder: adds XSD and schematron validation (needs saxonche). Default: ${KIT_ENV}.",
)
@click.option(
    "--schematron",
    "schematrons",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True),
    help="Run this .sch instead of the declared/matching ones (repeatable).",
)
@click.option("--no-xsd", is_flag=True, help="With --kit, skip the XSD validation.")
@click.option("--no-schematron", is_flag=True, help="With --kit, skip the schematrons (XSD and built-in rules only).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where compiled schematrons are cached (default $DMPCLIENT_CACHE_DIR or ~/.cache/dmpclient).",
)
@json_option
@verbose_option
@handle_errors
def validate_command(
    file: str,
    kit: str | None,
    schematrons: tuple[str, ...],
    no_xsd: bool,
    no_schematron: bool,
    cache_dir: str | None,
    as_json: bool,
    verbose: int,
) -> None:
    """Validate the CI-SIS CDA document FILE ('-' reads stdin).

    Without --kit: the built-in header rules (template ids, INS traits, author/organisation OIDs, custodian,
    legal authenticator, service event, encounter, value sets J07/J08/J02/J04/J143, N1 body). With --kit: also
    CDA_extended.xsd and the schematrons the document declares (<?oxygen SCHSchema?>) or that match its
    templateIds, compiled by dmpclient's own schematron compiler and run with saxonche
    (pip install 'dmpclient[validation]'). The first run compiles and caches the schematrons (seconds).

    Exit status: 0 no error (warnings allowed), 1 errors, 2 FILE or --kit unusable.

    \b
    Examples:
      dmpclient cda validate report.cda.xml
      dmpclient cda validate report.cda.xml --kit ../shared/fixtures/ans-testcontenucda/TestContenuCDA-3-0
      dmpclient cda validate report.cda.xml --kit KIT --schematron KIT/schematrons/CI-SIS_LDL-SES_2022.01.sch
      dmpclient cda validate - --json < report.cda.xml
    """
    from dmpclient.cda.schematron import ValidationEngineMissing
    from dmpclient.cda.validation import CdaKit, validate_cda_report
    from dmpclient.errors import ConfigurationError

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE, as_json=as_json)
    kit_dir = kit or os.environ.get(KIT_ENV) or None
    the_kit: CdaKit | None = None
    if kit_dir is not None:
        try:
            the_kit = CdaKit.open(kit_dir)
        except ConfigurationError as exc:
            fail(str(exc), EXIT_USAGE, as_json=as_json)
    chosen: list[str] | None = list(schematrons) if schematrons else ([] if no_schematron else None)
    try:
        report = validate_cda_report(
            data if file == "-" else Path(file),
            the_kit,
            schematrons=chosen,
            xsd=not no_xsd,
            cache_dir=cache_dir,
        )
    except ValidationEngineMissing as exc:
        fail(str(exc), EXIT_USAGE, as_json=as_json)
    if as_json:
        print_json(report.to_dict())
    else:
        print_findings(report.findings)
        for run in report.schematrons:
            if run.skipped:
                console.print(f"[dim]skipped[/dim] {run.path.name}: {run.skipped}", markup=True)
            else:
                state = "[green]passed[/green]" if run.passed else "[red]failed[/red]"
                console.print(
                    f"{state} {run.path.name} ({len(run.findings)} finding(s), {run.seconds:.2f} s)", markup=True
                )
        errors = len(report.errors)
        summary = "[green]valid[/green]" if report.ok else f"[red]{errors} error(s)[/red]"
        console.print(f"{summary} — {len(report.findings)} finding(s) in {report.seconds:.2f} s", markup=True)
    if not report.ok:
        raise SystemExit(EXIT_INVALID)


#: The name cli/cda.py looks for when it attaches this command.
validate = validate_command
