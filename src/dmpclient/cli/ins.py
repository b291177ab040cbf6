"""``dmpclient ins``: check an INS and show its forms."""

from __future__ import annotations

from typing import Any

import click

from dmpclient.cli._common import (
    EXIT_INVALID,
    console,
    env_kind_option,
    fail,
    handle_errors,
    json_option,
    print_json,
    verbose_option,
)
from dmpclient.errors import InputError
from dmpclient.ids import INS, EnvironmentKind, InsOid

__all__ = ["ins"]

_OID_CHOICES = {"production": InsOid.PRODUCTION, "nia": InsOid.NIA, "test": InsOid.TEST, "demo": InsOid.DEMONSTRATION}


@click.group()
def ins() -> None:
    """Check and convert INS identifiers (matricule INS + OID)."""


@ins.command("check")
@click.argument("value")
@click.option(
    "--oid",
    default="test",
    show_default=True,
    help="INS OID: production, test, demo, nia, or a literal OID (1.2.250.1.213.1.4.x).",
)
@env_kind_option(None, "Also check that the DMP of this environment accepts the INS (refuses NIA, wrong OID).")
@json_option
@verbose_option
@handle_errors
def check(value: str, oid: str, environment: EnvironmentKind | None, as_json: bool, verbose: int) -> None:
    """Check an INS matricule (15 characters: 13 + key) or its CX form.

    \b
    Examples:
      dmpclient ins check 277076322082910
      dmpclient ins check 188102B17295165 --json
      dmpclient ins check '207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH'
      dmpclient ins check 109076322088835 --oid nia --env dv1      (refused: NIA)
      dmpclient ins check 277076322082910 --env production         (refused: test OID)
    """
    try:
        parsed = INS.from_cx(value) if "^" in value else INS.parse(value, _OID_CHOICES.get(oid, oid))
        if environment is not None:
            parsed.check_dmp_access(environment)
    except InputError as exc:
        data = {"field": exc.field, "value": exc.value, "rule": exc.rule}
        fail(str(exc), EXIT_INVALID, as_json=as_json, data=data)
    result: dict[str, Any] = {
        "ok": True,
        "matricule": parsed.matricule,
        "key": parsed.key,
        "oid": parsed.oid.value,
        "oid_name": parsed.oid.name,
        "kind": parsed.kind.value,
        "cx": parsed.to_cx(),
        "corsica": parsed.matricule[5:7] in ("2A", "2B"),
    }
    if as_json:
        print_json(result)
        return
    console.print(f"[green]valid INS[/green] {parsed.matricule} (key {parsed.key})", markup=True)
    console.print(f"  kind : {parsed.kind.value}")
    console.print(f"  OID  : {parsed.oid.value} ({parsed.oid.name.lower()})")
    console.print(f"  CX   : {parsed.to_cx()}")
