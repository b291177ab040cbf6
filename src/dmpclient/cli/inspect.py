"""``dmpclient inspect``: explain a captured DMP exchange (support, homologation evidence)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any, Final, Literal

import click
from rich.markup import escape
from rich.table import Table

from dmpclient.cli._common import (
    EXIT_INVALID,
    EXIT_OK,
    at_option,
    console,
    handle_errors,
    json_option,
    load_trust,
    parse_at,
    print_json,
    trust_options,
    verbose_option,
)

__all__ = ["inspect_command"]

_COLOURS: Final = {"passed": "green", "failed": "red", "warning": "yellow", "skipped": "dim"}
_REF_COLOURS: Final = {"ok": "green", "placeholder": "cyan", "not-checked": "dim"}


def _parse_at(value: str | None) -> dt.datetime | Literal["issue-instant"] | None:
    parsed = parse_at(value)
    return None if parsed == "now" else parsed


def _documents(values: tuple[str, ...]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        key, sep, path = value.partition("=")
        if not sep or not key or not path:
            raise click.BadParameter(
                f"expected CONTENT_ID=FILE or UNIQUEID=FILE, got {value!r}", param_hint="--document"
            )
        p = Path(path)
        if not p.is_file():
            raise click.BadParameter(f"{key}: no such file {path!r}", param_hint="--document")
        out[key] = p
    return out


@click.command("inspect")
@click.argument("body_file", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--content-type",
    "content_type",
    default=None,
    help="HTTP Content-Type of a bare body (taken from the file when it starts with HTTP headers; a MIME "
    "boundary is sniffed when neither gives one).",
)
@at_option("now")
@trust_options
@click.option("--no-sha1", is_flag=True, help="Refuse RSA-SHA1/SHA-1 (accepted by default, with a warning).")
@click.option(
    "--document",
    "documents",
    multiple=True,
    metavar="ID=FILE",
    help="A document missing from the capture, by Content-ID or uniqueId (repeatable).",
)
@click.option(
    "--response",
    "response_side",
    is_flag=True,
    help="For an evidence folder: inspect the response instead of the request.",
)
@json_option
@verbose_option
@handle_errors
def inspect_command(
    body_file: Path,
    content_type: str | None,
    at: str | None,
    trust: tuple[Path, ...],
    trust_pki: Path | None,
    no_sha1: bool,
    documents: tuple[str, ...],
    response_side: bool,
    as_json: bool,
    verbose: int,
) -> None:
    """Explain a captured DMP request or response, check by check.

    BODY_FILE is the body of an exchange (with --content-type), a file holding the HTTP start line and
    headers followed by the body, or an evidence folder written by the client's EvidenceWriter (its
    request, or with --response its response, is re-assembled from the files). The report covers
    the transaction, the MTOM parts, the VIHF (attributes, signature, certificate, validity window), the
    DMP-profile XDS metadata, each document's hash and size against its part, the CDA header against the
    metadata, the XAdES signature reference by reference (and, when a digest differs, which processing
    would have matched), and the DMP's answer (fault, RegistryResponse, HL7 acknowledgement, status).

    Exit code 0 when no check failed (warnings allowed), 1 when one failed, 2 on a usage error.

    \b
    Examples:
      dmpclient inspect evidence/002-TD2.1-ok/
      dmpclient inspect evidence/003-TD3.2-ok/ --response
      dmpclient inspect capture.http
      dmpclient inspect body.bin --content-type 'multipart/related; type="application/xop+xml"; boundary="b"'
      dmpclient inspect td2.1-alimentation.request.multipart --at issue-instant
      dmpclient inspect capture.http --pki ./pki --json
      dmpclient inspect response.xml --document 'cid-of-part@example=document.xml' -v
    """
    from dmpclient.inspection import inspect_capture

    when = _parse_at(at)
    docs = _documents(documents)
    store = load_trust(trust, trust_pki)
    report = inspect_capture(
        body_file,
        content_type=content_type,
        at=when,
        trust_anchors=store,
        allow_sha1=not no_sha1,
        documents=docs,
        side="response" if response_side else "request",
    )
    if as_json:
        print_json(report.to_dict())
    else:
        _render(report, verbose)
    raise SystemExit(EXIT_OK if report.ok else EXIT_INVALID)


# ------------------------------------------------------------------------------------------ rendering


def _render(report: Any, verbose: int) -> None:
    t = report.transaction
    env = report.envelope
    what = t.td or (" or ".join(t.candidates) if t.candidates else "unknown transaction")
    title = f" — {t.title}" if t.td and t.title else ""
    console.print(f"[bold]{escape(report.source or 'capture')}[/bold]", markup=True)
    console.print(f"  {t.direction} of [bold]{escape(what)}[/bold]{escape(title)}", markup=True)
    console.print(f"  Content-Type: {escape(env.content_type or '(none)')} ({escape(env.content_type_source or '-')})")
    if env.http_start_line:
        console.print(f"  HTTP: {escape(env.http_start_line)}")
    when = (
        "each artefact's own date"
        if report.at_mode == "issue-instant"
        else (report.at.isoformat() if report.at else "?")
    )
    console.print(f"  checked as of: {escape(when)}")
    if report.parts:
        _parts_table(report)
    for section in report.sections:
        colour = _COLOURS[section.status.value]
        console.print()
        console.print(f"[bold {colour}]{section.status.symbol} {escape(section.title)}[/bold {colour}]", markup=True)
        for check in section.checks:
            _render_check(check, verbose)
        if section.name == "signature" and report.xades is not None and report.xades.references:
            _references_table(report.xades)
    counts = report.summary()
    console.print()
    verdict = "[green]no check failed[/green]" if report.ok else f"[red]{counts['failed']} check(s) failed[/red]"
    console.print(
        f"{verdict} — {counts['passed']} passed, {counts['warning']} warning(s), {counts['skipped']} skipped",
        markup=True,
    )


def _render_check(check: Any, verbose: int) -> None:
    colour = _COLOURS[check.status.value]
    code = f" [dim]({escape(check.code)})[/dim]" if check.code else ""
    mark = f"[{colour}]{check.status.symbol}[/{colour}]"
    console.print(f"  {mark} [bold]{escape(check.name)}[/bold]{code}: {escape(check.message)}", markup=True)
    if check.message_fr:
        console.print(f"      « {check.message_fr} »", markup=False)
    show_details = check.details and (verbose >= 2 or (verbose >= 1 and check.status.value in ("failed", "warning")))
    if show_details:
        text = json.dumps(check.details, ensure_ascii=False, indent=2, default=str)
        for line in text.splitlines():
            console.print(f"      {line}", markup=False)


def _parts_table(report: Any) -> None:
    table = Table(title="MTOM parts", title_justify="left", show_lines=False, pad_edge=False)
    for column in ("#", "Content-ID", "type", "size", "SHA-1", "role"):
        table.add_column(column, overflow="fold")
    for part in report.parts:
        role = part.role + (f" ({part.unique_id})" if part.unique_id else "")
        table.add_row(
            str(part.index) if part.index is not None else "ext",
            escape(part.content_id or "-"),
            escape(part.content_type),
            str(part.size),
            part.sha1,
            escape(role),
        )
    console.print()
    console.print(table)


def _references_table(xades: Any) -> None:
    table = Table(title="XAdES references", title_justify="left", show_lines=True, pad_edge=False)
    for column in ("reference", "declared", "digest found", "recomputed", "result"):
        table.add_column(column, overflow="fold")
    for row in xades.references:
        colour = _REF_COLOURS.get(row.status, "red")
        result = f"[{colour}]{escape(row.status)}[/{colour}]"
        if row.matched:
            result += f"\nmatches {escape(row.matched)}"
        elif row.status == "mismatch" and row.tried:
            result += f"\nno match ({len(row.tried)} processings tried, -v lists them)"
        declared = f"{escape(row.canonicalization or '-')}\n{escape(row.digest_method or '-')}"
        label = escape(row.target) + (f"\n[dim]{escape(row.uri)}[/dim]" if row.role == "signed-info" else "")
        table.add_row(
            label,
            declared,
            escape(row.digest_found or "-"),
            escape(row.digest_computed or "-"),
            result,
        )
    console.print(table)
