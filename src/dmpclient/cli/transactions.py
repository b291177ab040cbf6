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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from rich.markup import escape
from rich.table import Table

from dmpclient.cli._common import (
    EXIT_USAGE,
    console,
    err_console,
    fail,
    handle_errors,
    json_option,
    print_json,
    verbose_option,
)
from dmpclient.client import DMPClient, Exchange
from dmpclient.client.settings import ClientSettings, load_settings
from dmpclient.environments import PRESETS
from dmpclient.ids import INS, EnvironmentKind, InsOid
from dmpclient.xds.model import DocumentEntry

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

_STATUS_SHORT = {
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved": "approved",
    "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated": "deprecated",
    "urn:asip:ci-sis:2010:StatusType:Archived": "archived",
    "urn:asip:ci-sis:2010:StatusType:Deleted": "deleted",
}
_STATUS_URN = {v: k for k, v in _STATUS_SHORT.items()}


# ------------------------------------------------------------------------------------------ plumbing


def _connection_options(func: Callable[P, R]) -> Callable[P, R]:
    """``--env``, ``--config``, ``--evidence``, ``--verbose``, ``--json`` on a command."""
    func = json_option(func)
    func = verbose_option(func)
    func = click.option(
        "--evidence",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Write every exchange (all MIME parts, headers, timings) into this folder.",
    )(func)
    func = click.option(
        "--config",
        "config",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Client configuration (TOML). Default: $DMPCLIENT_CONFIG, else ./dmpclient.toml.",
    )(func)
    return click.option(
        "--env",
        "env",
        default=None,
        help=f"Environment ({', '.join(PRESETS)}, or one named in the configuration); default: the file's.",
    )(func)


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
def _client(env: str | None, config: Path | None, evidence: Path | None, verbose: int) -> Iterator[DMPClient]:
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

    client = create_client(settings, exchange_hook=hook if hooks else None)
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
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _entry_row(entry: DocumentEntry) -> dict[str, Any]:
    codes = [c.code for c in entry.confidentiality_codes]
    return {
        "unique_id": entry.unique_id,
        "entry_uuid": entry.entry_uuid,
        "title": entry.title,
        "type_code": entry.type_code.code if entry.type_code else None,
        "type": entry.type_code.display if entry.type_code else None,
        "creation_time": entry.creation_time.isoformat() if entry.creation_time else None,
        "service_start_time": entry.service_start_time.isoformat() if entry.service_start_time else None,
        "status": _STATUS_SHORT.get(str(entry.availability_status), str(entry.availability_status)),
        "masked_to_professionals": "MASQUE_PS" in codes,
        "invisible_to_patient": "INVISIBLE_PATIENT" in codes,
        "invisible_to_legal_representatives": "INVISIBLE_REPRESENTANTS_LEGAUX" in codes,
        "patient_document": bool(entry.type_code and entry.type_code.code.startswith("DOCPAT")),
        "size": entry.size,
        "hash": entry.hash,
    }


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
    if as_json:
        print_json({"ok": True, "count": len(result), "result": _dump(result)})
        return
    table = Table("INS", "name", "birth", "MT", "last document", "last access")
    for item in result:
        ident = item.ins
        table.add_row(
            ident.extension if ident else "",
            " ".join(x for x in (item.last_name, item.first_name) if x),
            item.date_of_birth or "",
            "yes" if item.treating_physician else "",
            item.last_add_date or "",
            item.last_access_date or "",
        )
    console.print(table)
    console.print(f"{len(result)} DMP(s)")


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
    if as_json:
        print_json({"ok": True, "count": len(result), "result": _dump(result)})
        return
    table = Table("national id", "name", "speciality", "mode", "since", "MT")
    for item in result:
        table.add_row(
            item.national_id or "",
            " ".join(x for x in (item.last_name, item.first_name) if x),
            ", ".join(item.speciality_labels or item.speciality_codes),
            item.mode or "",
            item.start_of_authorization or "",
            "yes" if item.is_treating_physician else "",
        )
    console.print(table)


# ---------------------------------------------------------------------------------------------- TD2.1


def _is_cda(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096)
    return b"<" in head[:64] and b"ClinicalDocument" in head


@click.command()
@click.argument("ins")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "type_code", default=None, help="typeCode (LOINC, JDV_J07) of the documents built from files.")
@click.option("--title", default=None, help="Title of the documents built from files (default: the file name).")
@click.option("--family", default=None, help="Patient's birth family name (INS traits) for built documents.")
@click.option("--given", default=None, help="Patient's birth given names (INS traits) for built documents.")
@click.option("--birth-date", default=None, help="Patient's birth date YYYY-MM-DD (INS traits).")
@click.option("--sex", type=click.Choice(["M", "F", "U"]), default=None, help="Patient's sex (INS traits).")
@click.option("--birthplace", default=None, help="Patient's birthplace COG code (INS traits), optional.")
@click.option("--replaces", default=None, help="uniqueId of the document this one replaces (one file only).")
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
    replaces: str | None,
    env: str | None,
    config: Path | None,
    evidence: Path | None,
    verbose: int,
    as_json: bool,
) -> None:
    """TD2.1: submit documents to a DMP (one signed submission set).

    A CDA file is sent as is (streamed). A PDF, text, RTF, JPEG or TIFF file is first wrapped in an N1 CDA
    (dmpclient.cda) whose header needs --type, and the patient's INS identity traits (--family, --given,
    --birth-date, --sex) as the local qualified identity holds them. A failure after sending is never
    re-sent: the client checks with TD3.1b and says whether the DMP stored the documents.

    \b
    Examples:
      dmpclient submit 279035121518989 report.cda.xml
      dmpclient submit 279035121518989 scan.pdf --type 11488-4 --title "CR de consultation" \\
          --family PAT-TROIS --given "DOMINIQUE MARIE-LOUISE" --birth-date 1979-03-28 --sex F
      dmpclient submit 279035121518989 v2.cda.xml --replaces 1.2.250.1.999.1.1.7898.3.1717
    """
    if replaces is not None and len(files) != 1:
        raise click.UsageError("--replaces takes exactly one file")
    with tempfile.TemporaryDirectory(prefix="dmpclient-submit-") as tmp, _client(env, config, evidence, verbose) as dmp:
        patient = _ins(ins, dmp)
        documents: list[Any] = []
        for path in files:
            if _is_cda(path):
                documents.append(path)
                continue
            documents.append(
                _build_n1(dmp, patient, path, Path(tmp), type_code, title, family, given, birth_date, sex, birthplace)
            )
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
    lines += [f"  {path.name}: {uid}" for path, uid in zip(files, result.document_unique_ids, strict=False)]
    _done(as_json, data, "\n".join(lines))


def _build_n1(
    dmp: DMPClient,
    patient: INS,
    path: Path,
    tmp: Path,
    type_code: str | None,
    title: str | None,
    family: str | None,
    given: str | None,
    birth_date: str | None,
    sex: str | None,
    birthplace: str | None,
) -> Any:
    from pydantic import ValidationError

    from dmpclient.cda import DocumentHeaderInput, Patient, build_n1_to_file
    from dmpclient.cda.inputs import input_error_from

    missing = [
        name
        for name, value in (
            ("--type", type_code),
            ("--family", family),
            ("--given", given),
            ("--birth-date", birth_date),
            ("--sex", sex),
        )
        if not value
    ]
    if missing:
        raise click.UsageError(f"{path.name} is not a CDA: building its N1 CDA needs {', '.join(missing)}")
    assert type_code is not None
    now = dt.datetime.now().astimezone()
    try:
        person = Patient(
            ins=patient.to_cx(),
            birth_family_name=family,
            birth_given_names=given,
            sex=sex,
            birth_date=birth_date,
            birthplace_code=birthplace,
        )
        header = DocumentHeaderInput.from_context(
            dmp.context,
            patient=person,
            type_code=type_code,
            title=title or path.stem,
            service_start=now,
            author_time=now,
        )
    except ValidationError as exc:
        raise input_error_from(exc, prefix="document") from None
    return build_n1_to_file(header, path, tmp / f"{path.stem}.cda.xml")


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

    Dates are shown in local time; masked, invisible, archived and deprecated documents are flagged.

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
    table = Table("uniqueId", "title", "type", "date of act", "status", "flags")
    for entry, row in zip(result.documents, rows, strict=True):
        flags = [
            name
            for key, name in (
                ("masked_to_professionals", "masked"),
                ("invisible_to_patient", "invisible patient"),
                ("invisible_to_legal_representatives", "invisible RL"),
                ("patient_document", "patient's"),
            )
            if row[key]
        ]
        table.add_row(
            row["unique_id"] or "",
            row["title"] or "",
            row["type"] or row["type_code"] or "",
            _local(entry.service_start_time or entry.creation_time),
            row["status"] or "",
            ", ".join(flags),
        )
    console.print(table)
    console.print(f"{len(rows)} document(s)")


# ---------------------------------------------------------------------------------------------- TD3.2


@click.command()
@click.argument("ins")
@click.argument("unique_id")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
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

    \b
    Examples:
      dmpclient get 279035121518989 1.2.250.1.999.1.1.7898.3.1717 -o report.cda.xml
      dmpclient get 279035121518989 1.2.250.1.999.1.1.7898.3.1717 --json
    """
    target = output or Path(f"{unique_id}.xml")
    with _client(env, config, evidence, verbose) as dmp:
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
