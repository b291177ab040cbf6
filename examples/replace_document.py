"""Replace a document already in the DMP by a new version (TD2.1 with an RPLC association).

What it shows:

1. the new version's CDA: a new uniqueId, the **same setId**, ``versionNumber`` + 1 and
   ``relatedDocument typeCode="RPLC"`` pointing at the replaced version (CI-SIS §3.5.5.10-11);
2. ``client.replace``: TD3.1b just before, to get the replaced version's *current* entryUUID (entryUUIDs change
   at every metadata version, RG_3130), then TD2.1 with the RPLC association; the DMP deprecates the old one;
3. the client-side guard: a replacement may not make a document invisible to the patient again
   (``INVISIBLE_PATIENT`` added while the previous version was visible) — refused before anything is sent;
4. a TD3.1 GetDocuments the user asked for, showing version 1 ``Deprecated`` and version 2 ``Approved``.

Run it against an in-process sandbox (the default: it first feeds a version 1 to a new patient)::

    python examples/replace_document.py
    python examples/replace_document.py --pdf corrected.pdf

Against a real environment, name the version to replace (its uniqueId, setId and version number — the
software keeps them when it feeds a document) and the patient's INS traits::

    python examples/replace_document.py --env dv1 --config dmpclient.toml --pdf corrected.pdf \\
        --ins 279035121518989 --family PAT-TROIS --given DOMINIQUE --sex F --birth-date 1979-03-28 \\
        --previous 2.25.2117… --set-id 2.25.2192… --previous-version 1

Exit status: 0 replaced, 1 refused, 3 transport failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dmpclient.cda import DocumentHeaderInput, Patient, build_n1, sample_pdf_path
from dmpclient.client import DMPClient
from dmpclient.client.settings import load_settings
from dmpclient.errors import DMPClientError, RuleViolation, TransportError
from dmpclient.ids import INS
from dmpclient.terminology import INVISIBLE_PATIENT
from dmpclient.testing import local_dmp
from dmpclient.transactions import DocumentToSubmit


@dataclass(frozen=True)
class Previous:
    """What the software kept about the version it fed earlier."""

    unique_id: str
    set_id: str
    version: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pdf", type=Path, default=sample_pdf_path(), help="the new version's PDF")
    parser.add_argument("--title", default="Compte rendu de consultation (corrigé)", help="new version's title")
    parser.add_argument("--type-code", default="11488-4", help="LOINC type code (JDV_J07)")
    previous = parser.add_argument_group("the version to replace (real environments)")
    previous.add_argument("--previous", help="its uniqueId")
    previous.add_argument("--set-id", help="its setId (kept by the software)")
    previous.add_argument("--previous-version", type=int, default=1, help="its versionNumber (default 1)")
    patient = parser.add_argument_group("patient (INS traits, from your patient record)")
    patient.add_argument("--ins", help="INS matricule; default in the sandbox: a new patient")
    patient.add_argument("--family", default="DUPONT")
    patient.add_argument("--given", default="MARIE")
    patient.add_argument("--sex", default="F", choices=("F", "M", "U"))
    patient.add_argument("--birth-date", type=dt.date.fromisoformat, default=dt.date(1980, 4, 12))
    real = parser.add_argument_group("real environment (default: an in-process sandbox)")
    real.add_argument("--env", help="environment: dv1, de2, df1, production or one of the file's [environments]")
    real.add_argument("--config", type=Path, help="dmpclient.toml (default: $DMPCLIENT_CONFIG or ./dmpclient.toml)")
    return parser.parse_args(argv)


def header(client: DMPClient, patient: Patient, title: str, type_code: str, **fields: Any) -> DocumentHeaderInput:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return DocumentHeaderInput.from_context(
        client.context,
        patient=patient,
        type_code=type_code,
        title=title,
        service_start=now - dt.timedelta(hours=1),
        author_time=now,
        **fields,
    )


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[tuple[DMPClient, INS]]:
    """The client and the patient: a real environment with --env/--config, else an in-process sandbox."""
    if args.env is None and args.config is None:
        with local_dmp() as dmp:
            traits = {"family": args.family, "given": args.given, "sex": args.sex, "birth_date": args.birth_date}
            print(f"in-process sandbox at {dmp.url}")
            yield dmp.client, INS.parse(args.ins) if args.ins else dmp.new_patient(**traits)
        return
    if not (args.ins and args.previous and args.set_id):
        raise SystemExit("--ins, --previous and --set-id are required with --env/--config")
    settings = load_settings(args.config).with_environment(args.env)
    with settings.create_client(prompt=getpass.getpass) as client:
        print(f"environment {client.environment.name} at {client.environment.soap_base}")
        yield client, INS.parse(args.ins)


def feed_version_1(client: DMPClient, ins: INS, patient: Patient, args: argparse.Namespace) -> Previous:
    """Sandbox only: feed the version that will be replaced, and keep what a software keeps."""
    first = header(client, patient, "Compte rendu de consultation", args.type_code)
    built = build_n1(first, b"Version 1.", media_type="text/plain")
    client.submit(ins, [built])
    assert built.header.set_id is not None
    assert built.header.set_id.root is not None
    print(f"TD2.1 version 1 fed: {built.unique_id} (setId {built.header.set_id.root})")
    return Previous(built.unique_id, built.header.set_id.root, built.header.version or 1)


def replace(client: DMPClient, ins: INS, args: argparse.Namespace) -> int:
    patient = Patient(
        ins=ins, birth_family_name=args.family, birth_given_names=args.given, sex=args.sex, birth_date=args.birth_date
    )
    if args.previous:
        previous = Previous(args.previous, args.set_id, args.previous_version)
    else:
        previous = feed_version_1(client, ins, patient, args)
    new_header = header(
        client,
        patient,
        args.title,
        args.type_code,
        replaces=previous.unique_id,  # relatedDocument RPLC
        set_id=previous.set_id,  # same setId
        version=previous.version + 1,  # next versionNumber
    )
    new_version = build_n1(new_header, args.pdf.read_bytes())
    print(f"CDA version {previous.version + 1}: uniqueId {new_version.unique_id}, setId {previous.set_id}")

    # The previous version's metadata (TD3.1, part of the user's "replace" action) lets the client check that
    # the new version does not hide from the patient a document they could already see.
    previous_entry = client.get_document_entry(ins, previous.unique_id, user_initiated=True)
    hidden = DocumentToSubmit.from_cda(new_version, confidentiality=[INVISIBLE_PATIENT])
    try:
        client.replace(ins, previous.unique_id, hidden, previous_entry=previous_entry)
    except RuleViolation as exc:
        print(f"guard: a replacement that hides a visible document is refused before sending [{exc.rule}]")

    result = client.replace(ins, previous.unique_id, new_version, previous_entry=previous_entry)  # TD3.1b, TD2.1
    print(f"TD2.1 replaced {previous.unique_id} by {result.document_unique_ids[0]}")
    print(f"      RPLC -> {result.replaced}")
    shown = client.get_documents(ins, [previous.unique_id, new_version.unique_id], user_initiated=True)
    for entry in shown.documents:  # TD3.1, the user asked to see the versions
        status = str(entry.availability_status).rsplit(":", 1)[-1]
        print(f"TD3.1 {entry.unique_id}: {status}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with open_client(args) as (client, ins):
            return replace(client, ins, args)
    except TransportError as exc:
        print(f"transport failure: {exc}", file=sys.stderr)
        return 3
    except DMPClientError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
