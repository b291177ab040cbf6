"""``dmpclient vihf``: decode and check VIHF tokens; build one from a test PKI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from dmpclient.cli._common import (
    EXIT_INVALID,
    EXIT_USAGE,
    at_option,
    console,
    fail,
    handle_errors,
    json_option,
    load_trust,
    out_option,
    parse_at,
    pki_option,
    print_json,
    trust_options,
    verbose_option,
)

__all__ = ["load_trust", "parse_time", "test_pki_option", "trust_option", "vihf"]

#: ``--trust PEM`` (repeatable) and ``--pki DIR`` (kept here for the modules that import it from this one).
trust_option = trust_options

#: ``--pki DIR`` (required): the test PKI whose keys sign (``vihf build``, ``xades sign``).
test_pki_option = pki_option("A test PKI made by 'dmpclient pki init'.", required=True)


def parse_time(value: str | None) -> dt.datetime | None:
    """An ``--at`` value as a datetime: None for not given, ``now`` or ``issue-instant`` (see ``parse_at``)."""
    parsed = parse_at(value)
    if parsed == "now":
        return dt.datetime.now(dt.UTC)
    return parsed if isinstance(parsed, dt.datetime) else None


@click.group()
def vihf() -> None:
    """Decode, check and build VIHF tokens (the SAML assertion of every DMP call)."""


@vihf.command("show")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@trust_options
@at_option("now")
@click.option("--allow-sha1", is_flag=True, help="Accept RSA-SHA1/SHA-1 (old captures, the official examples).")
@click.option("--no-verify", is_flag=True, help="Only decode the attributes.")
@json_option
@verbose_option
@handle_errors
def show(
    file: Path,
    trust: tuple[Path, ...],
    trust_pki: Path | None,
    at: str | None,
    allow_sha1: bool,
    no_verify: bool,
    as_json: bool,
    verbose: int,
) -> None:
    """Decode every attribute of a VIHF and check its signature.

    FILE is a bare saml2:Assertion or a SOAP message carrying one. Exit code 1 when the token is
    unsigned or its signature, chain or validity window fails.

    \b
    Examples:
      dmpclient vihf show token.xml --trust pki/trust-bundle.pem
      dmpclient vihf show token.xml --pki ./pki
      dmpclient vihf show request.xml --at issue-instant --allow-sha1 --json
      dmpclient vihf show vihf-directe-non-signe.xml --no-verify
    """
    from dmpclient.security import xmldsig
    from dmpclient.security.vihf import parse_vihf, verify_vihf

    data = file.read_bytes()
    token = parse_vihf(data)
    rules = token.check()
    result: dict[str, Any] = {"vihf": token.to_dict(), "rules": [f.to_dict() for f in rules]}
    ok = not any(f.is_error for f in rules)
    report = None
    if not no_verify:
        if not token.signed:
            ok = False
            result["verification"] = {"ok": False, "reason": "the token is not signed"}
        else:
            when = token.issue_instant if parse_at(at) == "issue-instant" else parse_time(at)
            store = load_trust(trust, trust_pki)
            allowed = xmldsig.LEGACY_ALLOWED if allow_sha1 else xmldsig.DEFAULT_ALLOWED
            report = verify_vihf(data, trust_anchors=store, at=when, allowed_algorithms=allowed, raise_on_failure=False)
            result["verification"] = report.to_dict()
            ok = ok and report.ok
    result["ok"] = ok
    if as_json:
        print_json(result)
    else:
        _print_token(token.to_dict())
        for f in rules:
            console.print(f"  [yellow]{f.severity.value}[/yellow] {f.location}: {f.message}", markup=True)
        if report is not None:
            console.print("[bold]signature[/bold]", markup=True)
            for c in report.checks:
                mark = "[green]ok[/green]" if c.ok else "[dim]--[/dim]" if c.ok is None else "[red]FAIL[/red]"
                console.print(f"  {mark} {c.name}: {c.message}", markup=True)
        elif not no_verify:
            console.print("[red]unsigned token[/red]", markup=True)
        console.print("[green]valid[/green]" if ok else "[red]invalid[/red]", markup=True)
    if not ok:
        raise SystemExit(EXIT_INVALID)


def _print_token(d: dict[str, Any]) -> None:
    console.print("[bold]VIHF[/bold]", markup=True)
    for key, value in d.items():
        if value in (None, [], {}):
            continue
        if key == "roles":
            for i, r in enumerate(value):
                label = ("profession", "speciality", "role 3", "role 4")[min(i, 3)]
                console.print(f"  {label:26} {r['code']} @ {r['code_system']} ({r.get('display_name') or ''})")
        elif isinstance(value, dict) and "code" in value:
            console.print(f"  {key:26} {value['code']} @ {value['code_system']} ({value.get('display_name') or ''})")
        else:
            console.print(f"  {key:26} {value}")


@vihf.command("build")
@test_pki_option
@click.option(
    "--mode", type=click.Choice(["DIRECTE", "INDIRECTE", "INDIRECTE_RENFORCEE"]), default="DIRECTE", show_default=True
)
@click.option("--patient", default="277076322082910", show_default=True, help="INS matricule (test OID).")
@click.option("--vihf-version", "vihf_version", type=click.Choice(["3.0", "4.0"]), default="4.0", show_default=True)
@click.option("--softhsm", is_flag=True, help="Sign with the PKI's SoftHSM2 token (DIRECTE only).")
@out_option("Write the token here (default: stdout).")
@json_option
@verbose_option
@handle_errors
def build(
    pki_dir: Path,
    mode: str,
    patient: str,
    vihf_version: str,
    softhsm: bool,
    output: Path | None,
    as_json: bool,
    verbose: int,
) -> None:
    """Build and sign a VIHF with the identities of a test PKI (demos, sandbox tests).

    With --softhsm the token's PIN is the one the test PKI recorded in its manifest (test material).

    \b
    Examples:
      dmpclient vihf build --pki ./pki -o token.xml
      dmpclient vihf build --pki ./pki --mode INDIRECTE --patient 277076322082910
      dmpclient vihf build --pki ./pki --json | jq -r .token > token.xml
    """
    import os

    from dmpclient.ids import INS
    from dmpclient.security.pki import TestPki
    from dmpclient.security.vihf import build_vihf

    test_pki = TestPki.load(pki_dir)
    context = test_pki.acting_context(mode)
    if softhsm:
        if test_pki.softhsm is None or mode != "DIRECTE":
            fail("--softhsm needs a PKI created with --softhsm and DIRECTE mode", EXIT_USAGE, as_json=as_json)
        os.environ.setdefault("SOFTHSM2_CONF", test_pki.softhsm.conf)
        signer: Any = test_pki.pkcs11_signer()
    else:
        signer = test_pki.signer("prof-sign" if mode == "DIRECTE" else "ej-sign")
    token = build_vihf(context, INS.parse(patient), signer=signer, vihf_version=vihf_version)
    data = token.to_bytes()
    if output is not None:
        output.write_bytes(data)
    if as_json:
        result: dict[str, Any] = {"ok": True, "assertion_id": token.assertion_id, "mode": mode}
        result.update({"output": str(output)} if output is not None else {"token": data.decode("utf-8")})
        print_json(result)
    elif output is not None:
        console.print(f"[green]VIHF written[/green] to {output} (ID {token.assertion_id})", markup=True)
    else:
        click.echo(data.decode("utf-8"))
