"""``dmpclient xds validate``: check an XDS message against the IHE rules and the DMP profile.

Registers itself on the ``xds`` group of :mod:`dmpclient.cli.xds` (which imports this module).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import click

from dmpclient.cli._common import (
    EXIT_INVALID,
    EXIT_USAGE,
    env_kind_option,
    fail,
    handle_errors,
    json_option,
    print_findings,
    print_json,
    verbose_option,
)
from dmpclient.cli.xds import xds
from dmpclient.errors import errors_only
from dmpclient.ids import EnvironmentKind
from dmpclient.xds.validation import DmpParameters, Profile, RequestKind, validate

__all__ = ["validate_command"]


@xds.command("validate")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--profile",
    type=click.Choice([p.value for p in Profile]),
    default=Profile.DMP.value,
    show_default=True,
    help="ihe: ITI TF-3 rules only; dmp: IHE rules + the DMP profile.",
)
@env_kind_option("test", "Environment: decides the INS OIDs accepted (test .10/.11, production .8).")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in RequestKind]),
    default=None,
    help="Force the request kind instead of detecting it (feed, metadata-update, status-update).",
)
@click.option(
    "--allow-cumul",
    is_flag=True,
    help="Parameter cumul-invisible_patient-masque_ps = true (INVISIBLE_PATIENT with MASQUE_PS allowed).",
)
@click.option("--no-minors", is_flag=True, help="Parameter fonctions-gestion-mineurs = false.")
@json_option
@verbose_option
@handle_errors
def validate_command(
    file: str,
    profile: str,
    environment: EnvironmentKind,
    kind: str | None,
    allow_cumul: bool,
    no_minors: bool,
    as_json: bool,
    verbose: int,
) -> None:
    """Validate the XDS metadata of FILE (SOAP envelope or bare body; '-' reads stdin).

    Checks ProvideAndRegisterDocumentSetRequest (TD2.1), SubmitObjectsRequest (TD3.3a/b/c/d) and
    AdhocQueryRequest (TD3.1) messages. Every finding has a rule id, an XDS error code, a location
    (object id + field) and, when the DMP's wording is known, its French message. Exit status: 0 when there is
    no error (warnings allowed), 1 when there are errors or the file is not an XDS request, 2 when FILE cannot
    be read.

    \b
    Examples:
      dmpclient xds validate td2.1-alimentation.request.soap-part.xml
      dmpclient xds validate td3.3d-archiver.request.xml --profile ihe
      dmpclient xds validate request.xml --json --env production
      dmpclient xds validate - --env dv1 < body.xml
    """
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE, as_json=as_json)
    params = DmpParameters(cumul_invisible_patient_masque_ps=allow_cumul, fonctions_gestion_mineurs=not no_minors)
    findings = validate(
        data,
        profile,
        environment=environment,
        params=params,
        kind=RequestKind(kind) if kind else None,
    )
    errors = errors_only(findings)
    if as_json:
        counts = Counter(f.severity.value for f in findings)
        print_json(
            {
                "ok": not errors,
                "file": file,
                "profile": profile,
                "errors": counts.get("error", 0),
                "warnings": counts.get("warning", 0),
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        print_findings(findings)
    if errors:
        raise SystemExit(EXIT_INVALID)
