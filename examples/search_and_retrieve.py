"""Search a patient's DMP and retrieve a document, then extract its PDF.

What it shows:

1. TD0.2 — check the DMP exists and that we are authorised to consult it;
2. TD3.1 — ``find_documents`` with optional criteria (type codes, a creation date range, status); the call
   says it was asked by the user (``user_initiated=True``): a TD3.1 notifies the patient and is never run
   automatically after a feed (EX_3.1-1090);
3. a table of the entries (date, type, title, confidentiality, author, uniqueId);
4. TD3.2 — ``retrieve`` one document, streamed to a file; given the ``DocumentEntry``, the client checks the
   SHA-1 and size against the metadata;
5. the PDF (or text) body of an N1 CDA extracted to a file.

Run it against an in-process sandbox (the default: PATB-QUATRE, a seeded patient with two dozen
documents)::

    python examples/search_and_retrieve.py
    python examples/search_and_retrieve.py --type-code 11488-4 --out ./retrieved

Against a real environment::

    python examples/search_and_retrieve.py --env dv1 --config dmpclient.toml --ins 207058575627097

Exit status: 0 ok, 1 refused or nothing found, 3 transport failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Iterator
from pathlib import Path

from dmpclient.cda import extract_payload_to_file
from dmpclient.client import DMPClient
from dmpclient.client.settings import load_settings
from dmpclient.errors import DMPClientError, TransportError
from dmpclient.ids import INS
from dmpclient.terminology import Code, value_set
from dmpclient.testing import local_dmp
from dmpclient.xds.model import DocumentEntry

EXTENSIONS = {"application/pdf": ".pdf", "text/plain": ".txt", "text/rtf": ".rtf", "image/jpeg": ".jpg"}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ins", help="INS matricule; default in the sandbox: PATB-QUATRE (207058575627097)")
    parser.add_argument("--type-code", action="append", default=[], help="LOINC type code filter (repeatable)")
    parser.add_argument("--since", type=dt.date.fromisoformat, help="created on or after this date (YYYY-MM-DD)")
    parser.add_argument("--unique-id", help="the document to retrieve (default: the most recent one)")
    parser.add_argument("--out", type=Path, default=Path("retrieved"), help="folder for the files (./retrieved)")
    real = parser.add_argument_group("real environment (default: an in-process sandbox)")
    real.add_argument("--env", help="environment: dv1, de2, df1, production or one of the file's [environments]")
    real.add_argument("--config", type=Path, help="dmpclient.toml (default: $DMPCLIENT_CONFIG or ./dmpclient.toml)")
    return parser.parse_args(argv)


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[tuple[DMPClient, INS]]:
    """The client and the patient: a real environment with --env/--config, else an in-process sandbox."""
    if args.env is None and args.config is None:
        with local_dmp() as dmp:
            print(f"in-process sandbox at {dmp.url}")
            yield dmp.client, INS.parse(args.ins) if args.ins else dmp.patients.with_documents
        return
    if not args.ins:
        raise SystemExit("--ins is required with --env/--config")
    settings = load_settings(args.config).with_environment(args.env)
    with settings.create_client(prompt=getpass.getpass) as client:
        print(f"environment {client.environment.name} at {client.environment.soap_base}")
        yield client, INS.parse(args.ins)


def type_code(code: str) -> Code:
    """A typeCode with its coding scheme (JDV_J07: LOINC, or the DMP's own codes such as PROT_ALD)."""
    known = value_set("J07").lookup(code)
    if known is None:
        raise SystemExit(f"{code} is not a DMP document type (JDV_J07)")
    return known


def show(entries: list[DocumentEntry]) -> None:
    print(f"{'created':<17} {'type':<9} {'title':<44} {'confidentiality':<26} {'author':<16} uniqueId")
    for e in entries:
        created = e.creation_time.strftime("%Y-%m-%d %H:%M") if e.creation_time else "?"
        type_code = e.type_code.code if e.type_code else "?"
        codes = ",".join(c.code for c in e.confidentiality_codes)
        author = e.authors[0].person.family_name if e.authors and e.authors[0].person else "?"
        print(f"{created:<17} {type_code:<9} {(e.title or '')[:44]:<44} {codes:<26} {author or '?':<16} {e.unique_id}")


def search_and_retrieve(client: DMPClient, ins: INS, args: argparse.Namespace) -> int:
    status = client.test_existence(ins)  # TD0.2
    print(f"TD0.2 {ins}: exists={status.exists} authorization={status.authorization}")
    if not status.can_consult:
        print("refused: no DMP, or not authorised to consult it", file=sys.stderr)
        return 1
    criteria: dict[str, object] = {}
    if args.type_code:
        criteria["type_codes"] = [type_code(code) for code in args.type_code]
    if args.since:
        criteria["creation_time_from"] = dt.datetime.combine(args.since, dt.time(), dt.UTC)
    found = client.find_documents(ins, user_initiated=True, **criteria)  # TD3.1, asked by the user
    entries = sorted(found.documents, key=lambda e: e.creation_time or dt.datetime.min.replace(tzinfo=dt.UTC))
    print(f"TD3.1 found {len(entries)} document(s)")
    show(entries)
    if not entries:
        return 1
    chosen = next((e for e in entries if e.unique_id == args.unique_id), None) if args.unique_id else entries[-1]
    if chosen is None or chosen.unique_id is None:
        print(f"refused: no document {args.unique_id} in the result", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    cda = args.out / f"{chosen.unique_id}.cda.xml"
    document = client.retrieve(ins, chosen, to=cda)  # TD3.2, hash and size checked against the entry
    print(f"TD3.2 retrieved {chosen.unique_id}: {document.size} bytes, SHA-1 {document.sha1} -> {cda}")
    body = args.out / chosen.unique_id
    media_type, size = extract_payload_to_file(cda, body)
    final = body.with_name(body.name + EXTENSIONS.get(media_type, ".bin"))
    body.replace(final)
    print(f"N1 body: {media_type}, {size} bytes -> {final}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with open_client(args) as (client, ins):
            return search_and_retrieve(client, ins, args)
    except TransportError as exc:
        print(f"transport failure: {exc}", file=sys.stderr)
        return 3
    except DMPClientError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
