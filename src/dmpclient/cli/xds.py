"""``dmpclient xds``: read XDS metadata messages (``parse``); ``validate`` is added by ``cli/xds_validate.py``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import click

from dmpclient.cli._common import (
    EXIT_USAGE,
    console,
    fail,
    handle_errors,
    json_option,
    print_json,
    print_table,
    verbose_option,
)
from dmpclient.cli._tables import document_table
from dmpclient.xds.ebrim import parse_message
from dmpclient.xds.model import Author, DocumentEntry, ParsedMessage, SubmissionSet

__all__ = ["parse", "summarize", "xds"]


@click.group()
def xds() -> None:
    """Parse and validate XDS metadata messages (ebRIM 3.0 / IHE XDS.b as the DMP uses them)."""


def _read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    with open(path, "rb") as handle:
        return handle.read()


def _author(a: Author) -> str:
    who = a.person.format() if a.person else "-"
    where = ", ".join(o.name for o in a.institutions)
    return f"{who} @ {where}" if where else who


def _code(value: Any) -> str:
    return "-" if value is None else f"{value.code} ({value.display or value.code_system})"


def _entry_lines(d: DocumentEntry) -> list[str]:
    lines = [
        f"[bold]DocumentEntry[/bold] {d.entry_uuid}",
        f"  uniqueId       {d.unique_id}",
        f"  logicalId      {d.logical_id or '-'}   version {d.version or '-'}",
        f"  status         {d.availability_status or '-'}",
        f"  title          {d.title or '-'}",
        f"  class / type   {_code(d.class_code)} / {_code(d.type_code)}",
        f"  format         {_code(d.format_code)}",
        f"  confidential.  {', '.join(c.code for c in d.confidentiality_codes) or '-'}",
        f"  patientId      {d.patient_id or '-'}",
        f"  creationTime   {d.creation_time.isoformat() if d.creation_time else '-'}",
    ]
    lines += _authors_and_issues(d)
    lines += [f"  [yellow]unknown code[/yellow]   {f.field}: {f.code} not in {f.value_set}" for f in d.unknown_codes]
    return lines


def _ss_lines(s: SubmissionSet) -> list[str]:
    lines = [
        f"[bold]SubmissionSet[/bold] {s.entry_uuid}",
        f"  uniqueId       {s.unique_id or '-'}",
        f"  sourceId       {s.source_id or '-'}",
        f"  submissionTime {s.submission_time.isoformat() if s.submission_time else '-'}",
        f"  contentType    {_code(s.content_type_code)}",
        f"  patientId      {s.patient_id or '-'}",
    ]
    return lines + _authors_and_issues(s)


def _authors_and_issues(obj: DocumentEntry | SubmissionSet) -> list[str]:
    return [
        *(f"  author         {_author(a)}" for a in obj.authors),
        *(f"  [yellow]issue[/yellow]          {i.field}: {i.message} ({i.value!r})" for i in obj.issues),
    ]


def summarize(message: ParsedMessage, *, entries: bool = True) -> list[str]:
    """Human-readable lines (rich markup) describing a parsed message (``entries=False``: without the detail of each
    DocumentEntry, shown as a table instead)."""
    lines = [
        f"[bold cyan]{message.kind.value}[/bold cyan]"
        + (f"  (Action {message.soap_action})" if message.soap_action else "")
    ]
    sub = message.submission
    if sub is not None:
        lines += _ss_lines(sub.submission_set)
        for d in sub.documents if entries else ():
            lines += _entry_lines(d)
        lines += [f"[bold]Association[/bold] {a.id}: {a.type} {a.source} → {a.target}" for a in sub.associations]
        lines += [
            f"[bold]Document part[/bold] {p.id}: " + (p.content_id or f"{len(p.data or b'')} bytes inline")
            for p in message.documents
        ]
    q = message.query_request
    if q is not None:
        lines.append(f"query {q.query_id}  returnType {q.return_type}")
        lines += [f"  {name} = {', '.join(values)}" for name, values in q.slots.items()]
    r = message.query_response
    if r is not None:
        lines.append(f"status {r.status}  totalResultCount {r.total_result_count}  startIndex {r.start_index}")
        lines.append(
            f"{len(r.documents)} DocumentEntry, {len(r.submission_sets)} SubmissionSet, "
            f"{len(r.associations)} Association, {len(r.object_refs)} ObjectRef"
        )
        for s in r.submission_sets:
            lines += _ss_lines(s)
        for d in r.documents if entries else ():
            lines += _entry_lines(d)
        lines += [f"[bold]ObjectRef[/bold] {o.id}" for o in r.object_refs]
        lines += [f"[red]error[/red] {e.error_code}: {e.code_context} ({e.location or '-'})" for e in r.errors]
    rr = message.registry_response or (message.retrieve_response.response if message.retrieve_response else None)
    if rr is not None:
        lines.append(f"status {rr.status}")
        lines += [f"[red]error[/red] {e.error_code}: {e.code_context} ({e.location or '-'})" for e in rr.errors]
    if message.retrieve_request is not None:
        lines += [
            f"DocumentRequest {d.repository_unique_id} / {d.document_unique_id}"
            for d in message.retrieve_request.documents
        ]
    if message.retrieve_response is not None:
        for doc in message.retrieve_response.documents:
            content = f"cid:{doc.content_id}" if doc.content_id else f"{len(doc.data or b'')} bytes inline"
            lines.append(
                f"DocumentResponse {doc.repository_unique_id} / {doc.document_unique_id} {doc.mime_type} {content}"
            )
    return lines


def _documents_of(message: ParsedMessage) -> list[DocumentEntry]:
    if message.submission is not None:
        return list(message.submission.documents)
    if message.query_response is not None:
        return list(message.query_response.documents)
    return []


@xds.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
@verbose_option
@handle_errors
def parse(file: str, as_json: bool, verbose: int) -> None:
    """Parse an XDS message (SOAP envelope or bare body) and print the simplified model.

    Recognised: SubmitObjectsRequest (TD3.3), ProvideAndRegisterDocumentSetRequest (TD2.1, SOAP part),
    AdhocQueryRequest / AdhocQueryResponse (TD3.1), RegistryResponse, RetrieveDocumentSetRequest/Response
    (TD3.2). Reading is tolerant: unknown slots are kept, malformed values and unknown codes are listed as
    issues. The DocumentEntries are summed up in a table (date of the act in local time, status and
    confidentiality flags); -v prints every field of each entry. Exit status 1 when the input is not XML or
    not one of those messages, 2 when FILE cannot be read.

    \b
    Examples:
      dmpclient xds parse td3.1-recherche-documents.response.xml
      dmpclient xds parse td3.1-recherche-documents.response.xml -v
      dmpclient xds parse td2.1-alimentation.request.soap-part.xml --json
      cat body.xml | dmpclient xds parse -
    """
    try:
        data = _read_input(file)
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE, as_json=as_json)
    message = parse_message(data, origin=file)
    if as_json:
        print_json(
            {
                "ok": True,
                **message.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
                "kind": message.kind.value,
            }
        )
        return
    documents = _documents_of(message)
    for line in summarize(message, entries=bool(verbose) or not documents):
        console.print(line, markup=True, highlight=False)
    if documents:
        print_table(document_table(documents, title="DocumentEntries", entry_uuid=True, codes=True))
        issues = [(d, i) for d in documents for i in d.issues]
        for d, i in issues if not verbose else ():
            console.print(f"[yellow]issue[/yellow] {d.entry_uuid} {i.field}: {i.message} ({i.value!r})", markup=True)


# ``dmpclient xds validate`` lives in its own module, which registers itself onto the group above.
if importlib.util.find_spec("dmpclient.cli.xds_validate") is not None:  # pragma: no branch
    importlib.import_module("dmpclient.cli.xds_validate")
