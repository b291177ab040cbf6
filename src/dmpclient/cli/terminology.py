"""``dmpclient terminology``: list, show, look up and update the DMP value sets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from dmpclient.cli._common import (
    EXIT_INVALID,
    console,
    fail,
    handle_errors,
    json_option,
    print_json,
    print_table,
    verbose_option,
)
from dmpclient.errors import InvalidValue
from dmpclient.terminology import (
    Code,
    ValueSet,
    class_code_for_type,
    default_terminology,
    lps_forbidden,
    update_terminology,
    user_terminology_dir,
)
from dmpclient.terminology._names import short_id

__all__ = ["terminology"]


def _summary(vs: ValueSet, origin: str | None) -> dict[str, Any]:
    return {
        "name": vs.name,
        "short_id": short_id(vs.name),
        "oid": vs.oid,
        "version": vs.version,
        "size": len(vs),
        "source": vs.source,
        "origin": origin,
        "description": vs.description,
    }


def _code(code: Code) -> dict[str, Any]:
    return {"code": code.code, "code_system": code.code_system, "display": code.display}


@click.group()
def terminology() -> None:
    """Show and update the DMP value sets (JDV), code systems (TRE) and correspondence tables (ASS).

    \b
    Built-in tables are written into dmpclient; `update` stores newer official files (IHE SVS XML or
    FHIR JSON from https://esante.gouv.fr/acces-ressources-nos) in the user terminology directory
    ($DMPCLIENT_TERMINOLOGY_DIR, else ~/.local/share/dmpclient/terminology), which then win.
    """


@terminology.command("list")
@json_option
@verbose_option
@handle_errors
def list_command(as_json: bool, verbose: int) -> None:
    """List the active value sets and code maps: short id, name, OID, version, size, origin.

    \b
    Examples:
      dmpclient terminology list
      dmpclient terminology list -v        # also each table's source
      dmpclient terminology list --json
    """
    active = default_terminology()
    rows = [_summary(vs, active.origin(vs.name)) for vs in active.value_sets()]
    code_maps = [
        {"name": cm.name, "short_id": short_id(cm.name), "oid": cm.oid, "version": cm.version, "size": len(cm)}
        for cm in active.code_maps()
    ]
    if as_json:
        print_json({"ok": True, "value_sets": rows, "code_maps": code_maps, "user_dir": str(user_terminology_dir())})
        return
    table = Table("id", "name", "OID", "version", "codes", "origin", title="value sets", title_justify="left")
    for row in rows:
        table.add_row(
            f"[bold]{escape(row['short_id'] or '-')}[/bold]",
            escape(row["name"]),
            escape(row["oid"] or "—"),
            escape(str(row["version"])),
            str(row["size"]),
            escape(str(row["origin"])),
        )
    print_table(table)
    if verbose:
        for row in rows:
            console.print(f"{row['name']}: {row['source']}", markup=False)
    maps = Table("id", "name", "OID", "version", "rows", title="code maps", title_justify="left")
    for cm in code_maps:
        maps.add_row(
            f"[bold]{escape(str(cm['short_id'] or '-'))}[/bold]",
            escape(str(cm["name"])),
            escape(str(cm["oid"] or "—")),
            escape(str(cm["version"])),
            str(cm["size"]),
        )
    print_table(maps)
    console.print(f"user directory: {user_terminology_dir()}")


@terminology.command("show")
@click.argument("name")
@json_option
@verbose_option
@handle_errors
def show(name: str, as_json: bool, verbose: int) -> None:
    """Show the codes of a value set or code map (short id, NOS name, kit file stem or OID).

    \b
    Examples:
      dmpclient terminology show J57
      dmpclient terminology show JDV_J07_XdsTypeCode_CISIS --json
      dmpclient terminology show 1.2.250.1.213.1.1.5.9
      dmpclient terminology show ASS_X04
    """
    active = default_terminology()
    if active.find(name) is None:
        try:
            cm = active.code_map(name)
        except InvalidValue:  # neither a value set nor a code map: the value-set error below says so
            cm = None
        if cm is not None:
            rows = [{"source": {"code": c, "code_system": s}, "target": _code(t)} for (s, c), t in cm.entries.items()]
            if as_json:
                print_json({"ok": True, "code_map": cm.name, "oid": cm.oid, "version": cm.version, "rows": rows})
                return
            console.print(f"[bold]{cm.name}[/bold] OID {cm.oid or '—'} version {cm.version}", markup=True)
            console.print(f"source: {cm.source}")
            for (system, code), target in cm.entries.items():
                console.print(
                    f"{code} @ {system} → {target.code} @ {target.code_system} « {target.display or ''} »",
                    markup=False,
                )
            return
    vs = active.get(name)
    if as_json:
        data = _summary(vs, active.origin(vs.name))
        data["concepts"] = [_code(c) for c in vs.concepts]
        print_json({"ok": True, **data})
        return
    console.print(f"[bold]{vs.name}[/bold] OID {vs.oid or '—'} version {vs.version} ({len(vs)} codes)", markup=True)
    console.print(f"source: {vs.source}")
    if vs.description:
        console.print(vs.description)
    for concept in vs.concepts:
        console.print(f"{concept.code} @ {concept.code_system} « {concept.display or ''} »", markup=False)


@terminology.command("lookup")
@click.argument("code")
@click.option("--system", "code_system", default=None, help="Code system OID (or URN / ASTM) to narrow the search.")
@json_option
@verbose_option
@handle_errors
def lookup(code: str, code_system: str | None, as_json: bool, verbose: int) -> None:
    """Find which value sets contain CODE. Exit 1 when no active value set knows it.

    \b
    Examples:
      dmpclient terminology lookup 11490-0
      dmpclient terminology lookup SM26 --system 1.2.250.1.71.4.2.5
      dmpclient terminology lookup MASQUE_PS --json
    """
    hits = default_terminology().containing(code, code_system)
    data = [{"value_set": vs.name, "oid": vs.oid, **_code(c)} for vs, c in hits]
    if as_json:
        print_json({"ok": bool(hits), "code": code, "code_system": code_system, "found": data})
    elif hits:
        for row in data:
            console.print(f"{row['value_set']}: {row['code']} @ {row['code_system']} « {row['display'] or ''} »")
    else:
        console.print(f"[yellow]unknown code[/yellow] {code} (in no active value set)", markup=True)
    if not hits:
        raise SystemExit(EXIT_INVALID)


@terminology.command("type-class")
@click.argument("type_code")
@click.option("--system", "code_system", default=None, help="typeCode system (LOINC, TRE_A05 or ASTM OID).")
@json_option
@verbose_option
@handle_errors
def type_class(type_code: str, code_system: str | None, as_json: bool, verbose: int) -> None:
    """Give the classCode of a typeCode (correspondence table ASS_X04). Exit 1 for an unmapped typeCode.

    Also says when an LPS may not send the typeCode or its class (EX_2.1-1010).

    \b
    Examples:
      dmpclient terminology type-class 11490-0          (→ 10 Compte rendu)
      dmpclient terminology type-class DOCPAT03 --json  (→ 10, forbidden for an LPS)
    """
    target = class_code_for_type(type_code, code_system)
    if target is None:
        fail(f"typeCode {type_code!r} has no classCode in ASS_X04", EXIT_INVALID, as_json=as_json)
    active = default_terminology()
    source_code = next(
        (c for vs, c in active.containing(type_code, code_system) if vs.name.startswith("JDV_J07")),
        None,
    ) or next((c for _, c in active.containing(type_code, code_system)), None)
    forbidden = [lps_forbidden(c) for c in (source_code, target) if c is not None]
    reason = next((r for r in forbidden if r), None)
    if as_json:
        print_json(
            {
                "ok": True,
                "type_code": _code(source_code) if source_code else {"code": type_code, "code_system": code_system},
                "class_code": _code(target),
                "lps_forbidden": reason,
            }
        )
        return
    console.print(f"{type_code} → classCode {target.code} @ {target.code_system} « {target.display or ''} »")
    if reason:
        console.print(f"[red]forbidden for an LPS[/red]: {reason}", markup=True)


@terminology.command("update")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to store the tables (default: $DMPCLIENT_TERMINOLOGY_DIR or ~/.local/share/dmpclient/terminology).",
)
@click.option("--force", is_flag=True, help="Store every loaded value set, even when not newer than the active one.")
@json_option
@verbose_option
@handle_errors
def update(directory: Path, dest: Path | None, force: bool, as_json: bool, verbose: int) -> None:
    """Load official value-set files (IHE SVS XML, FHIR JSON) from DIRECTORY and store the newer ones.

    A file replaces a built-in table (same OID, short id or name) only when its version date is later,
    unless --force. Files that are not value sets are reported and skipped (EX_GEN-1360).

    \b
    Examples:
      dmpclient terminology update ~/Downloads/NOS_JDV_SVS/
      dmpclient terminology update ./jeuxDeValeurs --dest ./terminology --json
      dmpclient terminology update ./jdv --force
    """
    report = update_terminology(directory, dest, force=force)
    if as_json:
        print_json(
            {
                "ok": True,
                "dest": str(report.dest),
                "stored": [{"name": v.name, "oid": v.oid, "version": v.version, "size": len(v)} for v in report.stored],
                "ignored": [
                    {"name": v.name, "oid": v.oid, "version": v.version, "reason": r} for v, r in report.ignored
                ],
                "skipped_files": [{"file": str(p), "reason": r} for p, r in report.skipped_files],
            }
        )
        return
    console.print(f"stored {len(report.stored)} value set(s) in {report.dest}")
    for vs in report.stored:
        console.print(f"  [green]+[/green] {vs.name} {vs.version} ({len(vs)} codes)", markup=True)
    if report.ignored:
        console.print(f"ignored {len(report.ignored)} (not newer; use --force to store anyway)")
    for path, reason in report.skipped_files:
        console.print(f"  [yellow]skipped[/yellow] {path}: {reason}", markup=True)
