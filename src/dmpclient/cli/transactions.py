"""The transaction commands: ``exists``, ``authorize``, ``patients``, ``authorizations``, ``submit``, ``find``,
``get``, ``hide``, ``unhide``, ``archive``, ``unarchive``, ``delete``.

Every command reads the client configuration (``--config FILE``, else ``$DMPCLIENT_CONFIG``, else
``./dmpclient.toml``; see ``docs/client/configuration.md``), takes ``--env`` to switch environment, ``--json``
for machines, ``--verbose`` to print each exchange, ``--evidence DIR`` to write every exchange as files.
Secrets (PKCS#12 passwords, card PIN) come from the environment variables named in the configuration, or from
a hidden prompt on a terminal — never from the command line. Exit codes: 0 ok, 1 refusal (by a guard or by
the DMP) or validation error, 2 usage, 3 transport.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from dmpclient.cli._common import (
    EXIT_OK,
    EXIT_USAGE,
    Bar,
    RateLimiter,
    connection_options,
    console,
    err_console,
    exit_code_for,
    fail,
    handle_errors,
    parse_rate,
    print_json,
    print_table,
    progress_wanted,
)
from dmpclient.cli._tables import STATUS_SHORT, document_table, entry_row, local_time
from dmpclient.client import DMPClient, Exchange, ProgressCallback, TransferProgress
from dmpclient.client.settings import ClientSettings, load_settings
from dmpclient.errors import DMPClientError, DMPError
from dmpclient.ids import INS, EnvironmentKind, InsOid

__all__ = [
    "archive",
    "authorizations",
    "authorize",
    "delete",
    "exists",
    "find",
    "get",
    "hide",
    "patients",
    "submit",
    "unarchive",
    "unhide",
]

P = ParamSpec("P")
R = TypeVar("R")

_STATUS_SHORT = STATUS_SHORT
_STATUS_URN = {v: k for k, v in STATUS_SHORT.items() if v != "submitted"}

#: The ANS back-feeding guide asks for fewer than 5 feed transactions per second per (structure, software).
BULK_RATE_LIMIT = 5.0
DEFAULT_RATE = "4/s"

# Indirections the tests replace (no real waiting in tests).
_monotonic: Callable[[], float] = time.monotonic
_sleep: Callable[[float], None] = time.sleep


# ------------------------------------------------------------------------------------------ plumbing


def _connection_options(func: Callable[P, R]) -> Callable[P, R]:
    """``--env``, ``--config``, ``--evidence``, ``--verbose``, ``--json`` on a command."""
    return connection_options(func)


def _prompt(label: str) -> str:
    """Hidden prompt for a secret whose environment variable is unset (terminals only)."""
    value: str = click.prompt(label, hide_input=True, err=True)
    return value


def create_client(settings: ClientSettings, **overrides: Any) -> DMPClient:
    """Build the client of a command (tests replace this function to inject a transport)."""
    prompt = _prompt if sys.stdin.isatty() else None
    client = settings.create_client(prompt=prompt, **overrides)
    assert isinstance(client, DMPClient)
    return client


def _verbose_hook(exchange: Exchange) -> None:
    status = exchange.response_status if exchange.response_status is not None else "-"
    code = f" {exchange.dmp_code}" if exchange.dmp_code else ""
    err_console.print(
        f"[dim]{exchange.sequence:03d} {exchange.transaction} attempt {exchange.attempt} → {status} "
        f"{exchange.outcome}{escape(code)} ({exchange.duration * 1000:.0f} ms) {escape(exchange.url)}[/dim]",
        markup=True,
    )


@contextmanager
def _client(
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    progress: ProgressCallback | None = None,
) -> Iterator[DMPClient]:
    settings = load_settings(config).with_environment(env)
    hooks: list[Callable[[Exchange], None]] = []
    if evidence is not None:
        from dmpclient.evidence import EvidenceWriter

        hooks.append(EvidenceWriter(evidence))
    if verbose:
        hooks.append(_verbose_hook)

    def hook(exchange: Exchange) -> None:
        for h in hooks:
            h(exchange)

    extra: dict[str, Any] = {"progress": progress} if progress is not None else {}
    client = create_client(settings, exchange_hook=hook if hooks else None, **extra)
    try:
        yield client
    finally:
        client.close()


def _ins(value: str, client: DMPClient) -> INS:
    """An INS from a matricule (OID of the environment's kind) or a CX."""
    if "^" in value:
        return INS.from_cx(value)
    production = client.environment.kind is EnvironmentKind.PRODUCTION
    return INS.parse(value, InsOid.PRODUCTION if production else InsOid.TEST)


def _confirm(question: str, yes: bool, as_json: bool) -> None:
    """The confirmation dialogs the CNDA asks for (EX_3.3-1030…1050)."""
    if yes:
        return
    if not sys.stdin.isatty():
        fail(f"{question} — confirmation needed: run again with --yes", EXIT_USAGE, as_json=as_json)
    if not click.confirm(question, default=False, err=True):
        fail("cancelled", EXIT_USAGE, as_json=as_json)


def _dump(model: Any) -> Any:
    dump = getattr(model, "model_dump", None)
    return dump(mode="json") if callable(dump) else model


def _local(value: dt.datetime | None) -> str:
    """XDS times are UTC; show local time (EX_3.1-1070)."""
    return local_time(value)


def _dmp_time(value: dt.datetime | None) -> str:
    """A date of TD0.4 / TD1.6 (``yyyyMMdd[HHmm[ss]]``, zone not stated by the DMP [?]): taken as UTC like every
    other DMP timestamp (the client sends TD0.4's start date in UTC) and shown in local time; a bare date as is."""
    if value is None:
        return ""
    if value.hour == value.minute == value.second == 0:
        return value.strftime("%Y-%m-%d")
    return local_time(value)


def _birth_date(value: str | None) -> str:
    if value and len(value) >= 8 and value[:8].isdigit():
        return f"{value[:4]}-{value[4:6]}-{value[6:8]}"
    return value or ""


def _entry_row(entry: Any) -> dict[str, Any]:
    return entry_row(entry)


def _person_name(item: Any) -> str:
    """``last_name first_name`` of a TD0.4 / TD1.6 item, escaped for rich."""
    return escape(" ".join(x for x in (item.last_name, item.first_name) if x))


def _print_list(
    as_json: bool, result: Any, columns: tuple[str, ...], row: Callable[[Any], tuple[str, ...]], noun: str
) -> None:
    """A TD0.4 / TD1.6 answer: the whole result as JSON, or a table of its items and their count."""
    if as_json:
        print_json({"ok": True, "count": len(result), "result": _dump(result)})
        return
    table = Table(*columns)
    for item in result:
        table.add_row(*row(item))
    print_table(table)
    console.print(f"{len(result)} {noun}")


def _done(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        print_json({"ok": True, **data})
    else:
        console.print(text, markup=True)


def _command(func: Callable[P, R]) -> Callable[P, R]:
    """Errors → documented exit codes (``handle_errors``) on a transaction command."""
    return handle_errors(func)


# ---------------------------------------------------------------------------------------------- TD0.2


@click.command()
@click.argument("ins")
@_connection_options
@_command
def exists(ins: str, env: str | None, config: Path | None, evidence: Path | None, verbose: int, as_json: bool) -> None:
    """TD0.2: does the patient have a DMP, are you authorised, are you the médecin traitant DMP?

    INS is the 15-character matricule (OID of the environment: test OID outside production) or a CX.
    "No DMP" is not an error (exit 0).

    \b
    Examples:
      dmpclient exists 279035121518989 --env dv1
      dmpclient exists '279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH' --json
    """
    with _client(env, config, evidence, verbose) as dmp:
        result = dmp.test_existence(_ins(ins, dmp))
    data = {
        "exists": result.exists,
        "closed": result.closed,
        "authorization": str(result.authorization) if result.authorization is not None else None,
        "treating_physician": result.treating_physician,
        "can_feed": result.can_feed,
        "can_consult": result.can_consult,
        "needs_authorization": result.needs_authorization,
        "blocked": result.blocked,
        "attached_to_ens": result.attached_to_ens,
    }
    if as_json:
        print_json({"ok": True, **data, "result": _dump(result)})
        return
    if not result.exists:
        console.print("[yellow]no DMP[/yellow] for this INS (NF)", markup=True)
        return
    state = "[red]closed[/red]" if result.closed else "[green]open[/green]"
    console.print(f"DMP {state}; authorisation: {result.authorization or '-'}", markup=True)
    console.print(f"  médecin traitant DMP: {result.treating_physician}")
    if result.needs_authorization:
        console.print("  consultation needs your authorisation (dmpclient authorize, after the patient's consent)")
    if result.blocked:
        console.print("  [red]you are blocked by the patient (INTERDIT)[/red]", markup=True)


# ---------------------------------------------------------------------------------------------- TD0.3


@click.command()
@click.argument("ins")
@click.option("--remove", is_flag=True, help="Remove your authorisation (consent withdrawn).")
@click.option("--mt", is_flag=True, help="Become (or with --remove, stop being) the médecin traitant DMP.")
@click.option("--yes", is_flag=True, help="Confirm that the patient consented (no prompt).")
@_connection_options
@_command
def authorize(
    ins: str,
    remove: bool,
    mt: bool,
    yes: bool,
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """TD0.3: declare yourself authorised on a DMP (after the patient's consent), or remove it.

    \b
    Examples:
      dmpclient authorize 279035121518989            (asks to confirm the patient's consent)
      dmpclient authorize 279035121518989 --mt --yes
      dmpclient authorize 279035121518989 --remove
    """
    if not remove:
        _confirm("The patient consented to your access to the DMP?", yes, as_json)
    with _client(env, config, evidence, verbose) as dmp:
        patient = _ins(ins, dmp)
        if remove:
            result = dmp.remove_authorization(patient, treating_physician_role=mt)
        else:
            result = dmp.authorize(patient, as_treating_physician=mt)
    _done(
        as_json,
        {"status": result.status, "context": result.context},
        f"[green]{result.status}[/green] {escape(result.context or '')}",
    )


# ---------------------------------------------------------------------------------------------- TD0.4


@click.command()
@click.option("--since", required=True, help="Start date: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][±HH:MM].")
@click.option(
    "--by",
    type=click.Choice(["lastauth", "lastdoc"]),
    default="lastauth",
    show_default=True,
    help="New authorisations (lastauth) or new documents (lastdoc) since the date.",
)
@_connection_options
@_command
def patients(
    since: str, by: str, env: str | None, config: Path | None, evidence: Path | None, verbose: int, as_json: bool
) -> None:
    """TD0.4: the DMPs you are authorised on, with a new authorisation or document since a date.

    \b
    Examples:
      dmpclient patients --since 2025-01-01
      dmpclient patients --since 2025-06-01T08:00+02:00 --by lastdoc --json
    """
    try:
        when: dt.date | dt.datetime = dt.datetime.fromisoformat(since) if "T" in since else dt.date.fromisoformat(since)
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD or an ISO date-time", param_hint="--since") from None
    if isinstance(when, dt.datetime) and when.tzinfo is None:
        when = when.astimezone()
    with _client(env, config, evidence, verbose) as dmp:
        result = dmp.list_patients(when, "LASTDOC" if by == "lastdoc" else "LASTAUTORIZATION")
    columns = ("INS", "name", "birth", "MT", "last document (local)", "last access (local)")
    _print_list(as_json, result, columns, _patient_row, "DMP(s)")


def _patient_row(item: Any) -> tuple[str, ...]:
    ident = item.ins
    return (
        escape(ident.extension if ident else ""),
        _person_name(item),
        _birth_date(item.date_of_birth),
        "[green]yes[/green]" if item.treating_physician else "",
        _dmp_time(item.last_add_at),
        _dmp_time(item.last_access_at),
    )


# ---------------------------------------------------------------------------------------------- TD1.6


@click.command()
@click.argument("ins")
@click.option(
    "--mode",
    type=click.Choice(["active", "interdite", "toute"]),
    default="toute",
    show_default=True,
    help="Authorised (active), blocked (interdite) or both.",
)
@_connection_options
@_command
def authorizations(
    ins: str, mode: str, env: str | None, config: Path | None, evidence: Path | None, verbose: int, as_json: bool
) -> None:
    """TD1.6: the professionals authorised on, or blocked from, a DMP.

    \b
    Examples:
      dmpclient authorizations 279035121518989
      dmpclient authorizations 279035121518989 --mode interdite --json
    """
    with _client(env, config, evidence, verbose) as dmp:
        result = dmp.list_authorizations(_ins(ins, dmp), mode.upper())
    columns = ("national id", "name", "speciality", "mode", "since (local)", "MT")
    _print_list(as_json, result, columns, _authorization_row, "professional(s)")


def _authorization_row(item: Any) -> tuple[str, ...]:
    mode = escape(item.mode or "")
    return (
        escape(item.national_id or ""),
        _person_name(item),
        escape(", ".join(item.speciality_labels or item.speciality_codes)),
        f"[red]{mode}[/red]" if item.blocked else mode,
        _dmp_time(item.started_at),
        "[green]yes[/green]" if item.is_treating_physician else "",
    )


# ---------------------------------------------------------------------------------------------- TD2.1


def _is_cda(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return b"<" in head[:64] and b"ClinicalDocument" in head


@dataclass
class _N1Options:
    """The options that turn a non-CDA file into an N1 CDA."""

    type_code: str | None
    title: str | None
    family: str | None
    given: str | None
    birth_date: str | None
    sex: str | None
    birthplace: str | None
    act_date: dt.datetime | None = None

    def missing(self) -> list[str]:
        pairs = (
            ("--type", self.type_code),
            ("--family", self.family),
            ("--given", self.given),
            ("--birth-date", self.birth_date),
            ("--sex", self.sex),
        )
        return [name for name, value in pairs if not value]


@dataclass
class _BulkResult:
    """The outcome of one file of a bulk submission."""

    file: Path
    ok: bool = False
    unique_id: str | None = None
    submission_set_unique_id: str | None = None
    error: str | None = None
    code: str | None = None
    exit_code: int = EXIT_OK
    kind: str = "submitted"
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "ok": self.ok,
            "result": self.kind,
            "unique_id": self.unique_id,
            "submission_set_unique_id": self.submission_set_unique_id,
            "error": self.error,
            "code": self.code,
            "exit_code": self.exit_code,
            "warnings": self.warnings,
        }


def _folder_files(folder: Path, pattern: str) -> list[Path]:
    """The regular, non-hidden files of ``folder`` matching ``pattern``, by name (not recursive)."""
    return sorted(p for p in folder.glob(pattern) if p.is_file() and not p.name.startswith("."))


@click.command()
@click.argument("ins")
@click.argument(
    "files", nargs=-1, required=True, metavar="FILE...|FOLDER", type=click.Path(exists=True, path_type=Path)
)
@click.option("--type", "type_code", default=None, help="typeCode (LOINC, JDV_J07) of the documents built from files.")
@click.option("--title", default=None, help="Title of the documents built from files (default: the file name).")
@click.option("--family", default=None, help="Patient's birth family name (INS traits) for built documents.")
@click.option("--given", default=None, help="Patient's birth given names (INS traits) for built documents.")
@click.option("--birth-date", default=None, help="Patient's birth date YYYY-MM-DD (INS traits).")
@click.option("--sex", type=click.Choice(["M", "F", "U"]), default=None, help="Patient's sex (INS traits).")
@click.option("--birthplace", default=None, help="Patient's birthplace COG code (INS traits), optional.")
@click.option(
    "--act-date",
    default=None,
    metavar="DATE",
    help="Date of the act (serviceStartTime) of built documents: YYYY-MM-DD or an ISO date-time, local time "
    "(default: now). Give it for historical documents.",
)
@click.option("--replaces", default=None, help="uniqueId of the document this one replaces (one file only).")
@click.option(
    "--rate",
    default=DEFAULT_RATE,
    show_default=True,
    metavar="N/s",
    help="Folder mode: at most N submissions per second (also N/min, N/h). The ANS asks for fewer than 5/s.",
)
@click.option(
    "--glob",
    "pattern",
    default="*",
    show_default=True,
    metavar="PATTERN",
    help="Folder mode: which files of the folder to send (not recursive; hidden files skipped).",
)
@_connection_options
@_command
def submit(
    ins: str,
    files: tuple[Path, ...],
    type_code: str | None,
    title: str | None,
    family: str | None,
    given: str | None,
    birth_date: str | None,
    sex: str | None,
    birthplace: str | None,
    act_date: str | None,
    replaces: str | None,
    rate: str,
    pattern: str,
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """TD2.1: submit documents to a DMP — one signed submission set, or a whole folder one by one.

    A CDA file is sent as is (streamed). A PDF, text, RTF, JPEG or TIFF file is first wrapped in an N1 CDA
    (dmpclient.cda) whose header needs --type, and the patient's INS identity traits (--family, --given,
    --birth-date, --sex) as the local qualified identity holds them. A failure after sending is never
    re-sent: the client checks with TD3.1b and says whether the DMP stored the documents.

    \b
    Folder mode (back-feeding): with a single FOLDER argument, every file of the folder is sent in its own
    submission, at most --rate per second (default 4/s: the ANS asks for fewer than 5/s), with a progress
    bar on a terminal; a failure does not stop the run. A table (or --json) sums up each file. Exit 0 when
    every file was stored, else the highest code of the failures (1 refused or invalid, 3 transport).

    \b
    Examples:
      dmpclient submit 279035121518989 report.cda.xml
      dmpclient submit 279035121518989 scan.pdf --type 11488-4 --title "CR de consultation" \\
          --family PAT-TROIS --given "DOMINIQUE MARIE-LOUISE" --birth-date 1979-03-28 --sex F
      dmpclient submit 279035121518989 v2.cda.xml --replaces 1.2.250.1.999.1.1.7898.3.1717
      dmpclient submit 279035121518989 ./history/ --glob '*.cda.xml' --rate 2/s --evidence ev/
    """
    n1 = _N1Options(type_code, title, family, given, birth_date, sex, birthplace, _when(act_date, "--act-date"))
    folders = [p for p in files if p.is_dir()]
    if folders:
        if len(files) != 1:
            raise click.UsageError("give either one folder or files, not both")
        if replaces is not None:
            raise click.UsageError("--replaces takes exactly one file, not a folder")
        per_second = parse_rate(rate)
        _submit_folder(ins, folders[0], pattern, per_second, n1, env, config, evidence, verbose, as_json)
        return
    if replaces is not None and len(files) != 1:
        raise click.UsageError("--replaces takes exactly one file")
    _check_n1_options([p for p in files if not _is_cda(p)], n1)
    with tempfile.TemporaryDirectory(prefix="dmpclient-submit-") as tmp, _client(env, config, evidence, verbose) as dmp:
        patient = _ins(ins, dmp)
        documents: list[Any] = [
            path if _is_cda(path) else _build_n1(dmp, patient, path, Path(tmp), n1) for path in files
        ]
        if replaces is not None:
            result = dmp.replace(patient, replaces, documents[0])
        else:
            result = dmp.submit(patient, documents)
    data = {
        "transaction": result.transaction,
        "submission_set_unique_id": result.submission_set_unique_id,
        "document_unique_ids": list(result.document_unique_ids),
        "replaced": dict(result.replaced),
        "warnings": [w.error_code for w in result.warnings],
    }
    lines = [f"[green]submitted[/green] ({result.transaction}), lot {result.submission_set_unique_id}"]
    lines += [f"  {escape(path.name)}: {uid}" for path, uid in zip(files, result.document_unique_ids, strict=False)]
    _done(as_json, data, "\n".join(lines))


def _check_n1_options(non_cda: list[Path], n1: _N1Options) -> None:
    missing = n1.missing()
    if non_cda and missing:
        names = ", ".join(p.name for p in non_cda[:3]) + (" …" if len(non_cda) > 3 else "")
        raise click.UsageError(f"{names} is not a CDA: building its N1 CDA needs {', '.join(missing)}")


def _classify(exc: BaseException) -> str:
    if isinstance(exc, DMPError):
        return "refused"
    code = exit_code_for(exc)
    return {1: "invalid", 2: "unusable", 3: "transport"}.get(code, "failed")


def _submit_folder(
    ins: str,
    folder: Path,
    pattern: str,
    per_second: float,
    n1: _N1Options,
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """Folder mode of ``submit``: one submission per file, rate-limited, continue on error, summary, exit code."""
    paths = _folder_files(folder, pattern)
    if not paths:
        fail(f"no file matching {pattern!r} in {folder}", EXIT_USAGE, as_json=as_json)
    kinds = {p: _is_cda(p) for p in paths}
    _check_n1_options([p for p, cda in kinds.items() if not cda], n1)
    with _client(env, config, evidence, verbose) as dmp:
        if per_second >= BULK_RATE_LIMIT:
            message = f"--rate {per_second:g}/s is not below the ANS back-feeding limit (5/s)"
            if dmp.environment.kind is EnvironmentKind.PRODUCTION:
                fail(message, EXIT_USAGE, as_json=as_json)
            if not as_json:
                err_console.print(f"[yellow]warning:[/yellow] {message}", markup=True)
        patient = _ins(ins, dmp)
        limiter = RateLimiter(per_second, clock=lambda: _monotonic(), sleep=lambda s: _sleep(s))
        results: list[_BulkResult] = []
        with (
            tempfile.TemporaryDirectory(prefix="dmpclient-submit-") as tmp,
            Bar(progress_wanted(as_json), f"submitting to {patient.matricule}", len(paths)) as bar,
        ):
            for path in paths:
                bar.update(description=f"submitting {path.name}")
                results.append(_submit_one(dmp, patient, path, kinds[path], Path(tmp), n1, limiter))
                bar.advance()
    failed = [r for r in results if not r.ok]
    code = max((r.exit_code for r in failed), default=EXIT_OK)
    if as_json:
        payload: dict[str, Any] = {
            "ok": not failed,
            "folder": str(folder),
            "count": len(results),
            "submitted": len(results) - len(failed),
            "failed": len(failed),
            "rate_per_second": per_second,
            "results": [r.to_dict() for r in results],
        }
        if failed:
            payload = {"ok": False, "error": f"{len(failed)} of {len(results)} document(s) failed", **payload}
            payload["exit_code"] = code
        print_json(payload)
    else:
        _print_bulk_summary(results)
    if code != EXIT_OK:
        raise SystemExit(code)


def _submit_one(
    dmp: DMPClient, patient: INS, path: Path, is_cda: bool, tmp: Path, n1: _N1Options, limiter: RateLimiter
) -> _BulkResult:
    outcome = _BulkResult(path)
    try:
        document: Any = path if is_cda else _build_n1(dmp, patient, path, tmp, n1)
        limiter.wait()
        result = dmp.submit(patient, [document])
    except (DMPClientError, OSError) as exc:
        outcome.kind = _classify(exc)
        outcome.error = str(exc)
        outcome.code = getattr(exc, "code", None) if isinstance(exc, DMPError) else type(exc).__name__
        outcome.exit_code = exit_code_for(exc)
        return outcome
    outcome.ok = True
    outcome.unique_id = result.document_unique_ids[0] if result.document_unique_ids else None
    outcome.submission_set_unique_id = result.submission_set_unique_id
    outcome.warnings = [w.error_code for w in result.warnings]
    return outcome


_KIND_STYLE = {"submitted": "green", "refused": "red", "invalid": "red", "transport": "yellow", "unusable": "red"}


def _print_bulk_summary(results: list[_BulkResult]) -> None:
    table = Table("#", "file", "result", "uniqueId / error", title="submissions", title_justify="left")
    for number, r in enumerate(results, 1):
        style = _KIND_STYLE.get(r.kind, "red")
        detail = r.unique_id or "" if r.ok else f"{r.code + ': ' if r.code else ''}{r.error or ''}"
        table.add_row(str(number), escape(r.file.name), f"[{style}]{r.kind}[/{style}]", escape(detail))
    print_table(table)
    failed = sum(1 for r in results if not r.ok)
    colour = "red" if failed else "green"
    console.print(
        f"[{colour}]{len(results) - failed} of {len(results)} document(s) submitted[/{colour}]"
        + (f", {failed} failed" if failed else ""),
        markup=True,
    )


def _build_n1(dmp: DMPClient, patient: INS, path: Path, tmp: Path, n1: _N1Options) -> Any:
    from pydantic import ValidationError

    from dmpclient.cda import DocumentHeaderInput, Patient, build_n1_to_file
    from dmpclient.cda.inputs import input_error_from

    missing = n1.missing()
    if missing:
        raise click.UsageError(f"{path.name} is not a CDA: building its N1 CDA needs {', '.join(missing)}")
    assert n1.type_code is not None
    now = dt.datetime.now().astimezone()
    act = n1.act_date or now
    try:
        person = Patient(
            ins=patient.to_cx(),
            birth_family_name=n1.family,
            birth_given_names=n1.given,
            sex=n1.sex,
            birth_date=n1.birth_date,
            birthplace_code=n1.birthplace,
        )
        header = DocumentHeaderInput.from_context(
            dmp.context,
            patient=person,
            type_code=n1.type_code,
            title=n1.title or path.stem,
            service_start=act,
            author_time=now,
        )
    except ValidationError as exc:
        raise input_error_from(exc, prefix="document") from None
    return build_n1_to_file(header, path, tmp / f"{path.name}.cda.xml")


# ---------------------------------------------------------------------------------------------- TD3.1


def _when(value: str | None, name: str, *, end: bool = False) -> dt.datetime | None:
    if value is None:
        return None
    try:
        if "T" in value:
            parsed = dt.datetime.fromisoformat(value)
            return parsed if parsed.tzinfo else parsed.astimezone()
        day = dt.date.fromisoformat(value) + (dt.timedelta(days=1) if end else dt.timedelta())
        return dt.datetime.combine(day, dt.time()).astimezone()
    except ValueError:
        raise click.BadParameter("expected YYYY-MM-DD or an ISO date-time", param_hint=name) from None


@click.command()
@click.argument("ins")
@click.option("--type", "types", multiple=True, help="typeCode (LOINC) filter; repeat for several (OR).")
@click.option("--from", "date_from", default=None, help="Date of the act (serviceStartTime) from: YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="Date of the act (serviceStartTime) up to (inclusive).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(sorted(_STATUS_URN)),
    help="Status filter (default approved); repeat for several.",
)
@_connection_options
@_command
def find(
    ins: str,
    types: tuple[str, ...],
    date_from: str | None,
    date_to: str | None,
    statuses: tuple[str, ...],
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """TD3.1: search the documents of a DMP (the patient is notified of every search).

    The table shows the date of the act in local time (XDS times are UTC, EX_3.1-1070), each status distinctly
    (approved, archived, deprecated) and flags the documents masked to professionals, invisible to the patient
    or to the legal representatives (EX_3.1-1080) and the patient's own documents (EX_3.1-1040).

    \b
    Examples:
      dmpclient find 279035121518989
      dmpclient find 279035121518989 --type 11488-4 --from 2025-01-01 --status approved --status archived
      dmpclient find 279035121518989 --json
    """
    criteria: dict[str, Any] = {"status": tuple(_STATUS_URN[s] for s in statuses or ("approved",))}
    if types:
        criteria["type_codes"] = tuple((t, "2.16.840.1.113883.6.1") for t in types)
    start, stop = _when(date_from, "--from"), _when(date_to, "--to", end=True)
    if start is not None:
        criteria["service_start_time_from"] = start
    if stop is not None:
        criteria["service_start_time_to"] = stop
    with _client(env, config, evidence, verbose) as dmp:
        result = dmp.find_documents(_ins(ins, dmp), user_initiated=True, **criteria)
    rows = [_entry_row(e) for e in result.documents]
    if as_json:
        print_json({"ok": True, "count": len(rows), "documents": rows})
        return
    print_table(document_table(result.documents))
    console.print(f"{len(rows)} document(s)")


# ---------------------------------------------------------------------------------------------- TD3.2


@contextmanager
def _transfer_bar(enabled: bool, label: str) -> Iterator[ProgressCallback | None]:
    """A download bar on stderr, fed by the client's public ``progress=`` callback (TD3.2 answers only)."""
    if not enabled:
        yield None
        return
    bar = Bar(True, label, None, kind="bytes")
    started = False

    def on_progress(event: TransferProgress) -> None:
        nonlocal started
        if event.transaction != "TD3.2" or event.direction != "receive" or event.total is None:
            return
        if not started:
            bar.start()
            started = True
        bar.update(total=event.total, completed=event.done)

    try:
        yield on_progress
    finally:
        bar.stop()


@click.command()
@click.argument("ins")
@click.argument("unique_id")
@click.option(
    "-o",
    "--out",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="Where to write the document (default: ./<uniqueId>.xml).",
)
@_connection_options
@_command
def get(
    ins: str,
    unique_id: str,
    output: Path | None,
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """TD3.2: retrieve a document by its uniqueId, streamed to a file.

    On a terminal, a transfer bar shows the download when the DMP announces its size.

    \b
    Examples:
      dmpclient get 279035121518989 1.2.250.1.999.1.1.7898.3.1717 -o report.cda.xml
      dmpclient get 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --json
    """
    target = output or Path(f"{unique_id}.xml")
    with (
        _transfer_bar(progress_wanted(as_json), f"downloading {target.name}") as progress,
        _client(env, config, evidence, verbose, progress) as dmp,
    ):
        doc = dmp.retrieve(_ins(ins, dmp), unique_id, to=target)
    data = {
        "unique_id": doc.unique_id,
        "file": str(target),
        "size": doc.size,
        "sha1": doc.sha1,
        "mime_type": doc.mime_type,
    }
    _done(as_json, data, f"[green]saved[/green] {escape(str(target))} ({doc.size} bytes, SHA-1 {doc.sha1})")


# -------------------------------------------------------------------------------------- TD3.3a/c/d


def _update_command(name: str, question: str, summary: str, method: str, *, deletion: bool = False) -> click.Command:
    def run(
        ins: str,
        unique_id: str,
        yes: bool,
        env: str | None,
        config: Path | None,
        evidence: Path | None,
        verbose: int,
        as_json: bool,
        archived: bool = False,
    ) -> None:
        _confirm(question.format(unique_id=unique_id), yes, as_json)
        with _client(env, config, evidence, verbose) as dmp:
            patient = _ins(ins, dmp)
            kwargs: dict[str, Any] = {"current_status": _STATUS_URN["archived"]} if archived else {}
            getattr(dmp, method)(patient, unique_id, **kwargs)
        _done(as_json, {"unique_id": unique_id, "action": name}, f"[green]{name}: done[/green] {unique_id}")

    run.__doc__ = summary
    command: Callable[..., None] = handle_errors(run)
    command = _connection_options(command)
    if deletion:
        command = click.option("--archived", is_flag=True, help="The document is currently archived.")(command)
    command = click.option("--yes", is_flag=True, help="Do not ask for confirmation.")(command)
    command = click.argument("unique_id")(command)
    command = click.argument("ins")(command)
    return click.command(name, help=summary)(command)


hide = _update_command(
    "hide",
    "Hide document {unique_id} from the other professionals (MASQUE_PS)?",
    """TD3.3a: hide a document from professionals (only its author and the MT will see it).

    \b
    Examples:
      dmpclient hide 279035121518989 1.2.250.1.999.1.1.7898.3.1717
      dmpclient hide 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --yes --json
    """,
    "hide_from_professionals",
)
unhide = _update_command(
    "unhide",
    "Show document {unique_id} to professionals again?",
    """TD3.3a: show a hidden document to professionals again.

    \b
    Examples:
      dmpclient unhide 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --yes
    """,
    "unhide_for_professionals",
)
archive = _update_command(
    "archive",
    "Archive document {unique_id}?",
    """TD3.3d: archive a document (TD3.1b first to find its current entryUUID).

    \b
    Examples:
      dmpclient archive 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --yes
    """,
    "archive",
)
unarchive = _update_command(
    "unarchive",
    "Unarchive document {unique_id}?",
    """TD3.3d: unarchive a document.

    \b
    Examples:
      dmpclient unarchive 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --yes
    """,
    "unarchive",
)
delete = _update_command(
    "delete",
    "Delete document {unique_id} from the DMP (its previous versions go with it)?",
    """TD3.3c: delete a document (TD3.1b first; --archived when it is archived).

    \b
    Examples:
      dmpclient delete 279035121518989 1.2.250.1.999.1.1.7898.3.1717
      dmpclient delete 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --archived --yes --json
    """,
    "delete",
    deletion=True,
)
