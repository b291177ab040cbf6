"""Feed a PDF to a patient's DMP as an N1 CDA document.

What it shows:

1. TD0.2 — test the patient's DMP first (exists? closed? may I feed?);
2. wrap the PDF in a CI-SIS N1 CDA whose author, custodian, performer and healthcare facility all come from
   the client's acting context (``DocumentHeaderInput.from_context``); the PDF is streamed to a file, never
   held whole, so its size does not matter; PDF/A warnings are printed;
3. TD2.1 — submit it (XDS metadata derived from the CDA header, VIHF, XAdES submission-set signature, MTOM);
4. TD3.1b — follow the submission with the uniqueId we generated (an automatic TD3.1 search right after a
   feed is forbidden, EX_3.1-1090).

Run it against an in-process sandbox (the default: a new patient, the sample PDF bundled with dmpclient)::

    python examples/feed_pdf.py
    python examples/feed_pdf.py report.pdf --title "Compte rendu opératoire" --type-code 34874-3

Against a real environment (``dmpclient.toml`` describes TLS, signer and acting context; secrets come from
environment variables or a prompt)::

    python examples/feed_pdf.py report.pdf --env dv1 --config dmpclient.toml \\
        --ins 279035121518989 --family PAT-TROIS --given DOMINIQUE --sex F --birth-date 1979-03-28

Exit status: 0 fed, 1 refused (no DMP, closed DMP, a guard or the DMP said no), 3 transport failure.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from dmpclient.cda import DocumentHeaderInput, Patient, build_n1_to_file, sample_pdf_path
from dmpclient.client import DMPClient
from dmpclient.client.settings import load_settings
from dmpclient.errors import DMPClientError, TransportError
from dmpclient.ids import INS
from dmpclient.testing import local_dmp


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", nargs="?", type=Path, default=sample_pdf_path(), help="the PDF (default: a sample)")
    parser.add_argument("--title", default="Compte rendu de consultation", help="document title")
    parser.add_argument("--type-code", default="11488-4", help="LOINC type code (JDV_J07), default 11488-4")
    parser.add_argument("--keep", type=Path, help="also keep the CDA file here")
    patient = parser.add_argument_group("patient (INS traits, from your patient record)")
    patient.add_argument("--ins", help="INS matricule (15 characters); default in the sandbox: a new patient")
    patient.add_argument("--family", default="DUPONT", help="birth family name")
    patient.add_argument("--given", default="MARIE", help="birth given names (space separated)")
    patient.add_argument("--sex", default="F", choices=("F", "M", "U"))
    patient.add_argument("--birth-date", type=dt.date.fromisoformat, default=dt.date(1980, 4, 12))
    real = parser.add_argument_group("real environment (default: an in-process sandbox)")
    real.add_argument("--env", help="environment: dv1, de2, df1, production or one of the file's [environments]")
    real.add_argument("--config", type=Path, help="dmpclient.toml (default: $DMPCLIENT_CONFIG or ./dmpclient.toml)")
    return parser.parse_args(argv)


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[tuple[DMPClient, INS]]:
    """The client and the patient: a real environment with --env/--config, else an in-process sandbox."""
    if args.env is None and args.config is None:
        with local_dmp() as dmp:
            traits = {"family": args.family, "given": args.given, "sex": args.sex, "birth_date": args.birth_date}
            ins = INS.parse(args.ins) if args.ins else dmp.new_patient(**traits)
            print(f"in-process sandbox at {dmp.url}")
            yield dmp.client, ins
        return
    if not args.ins:
        raise SystemExit("--ins is required with --env/--config")
    settings = load_settings(args.config).with_environment(args.env)
    with settings.create_client(prompt=getpass.getpass) as client:
        print(f"environment {client.environment.name} at {client.environment.soap_base}")
        yield client, INS.parse(args.ins)


def feed(client: DMPClient, ins: INS, args: argparse.Namespace, workdir: Path) -> int:
    status = client.test_existence(ins)  # TD0.2
    print(f"TD0.2 {ins}: exists={status.exists} closed={status.closed} authorization={status.authorization}")
    if not status.exists or status.closed:
        print("refused: the patient has no open DMP", file=sys.stderr)
        return 1
    patient = Patient(
        ins=ins, birth_family_name=args.family, birth_given_names=args.given, sex=args.sex, birth_date=args.birth_date
    )
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    header = DocumentHeaderInput.from_context(
        client.context,
        patient=patient,
        type_code=args.type_code,
        title=args.title,
        service_start=now - dt.timedelta(minutes=30),
        service_stop=now,
        author_time=now,
    )
    cda_path = args.keep or workdir / "document.cda.xml"
    built = build_n1_to_file(header, args.pdf, cda_path)  # streamed: the PDF is never held whole
    print(f"CDA {cda_path.name}: {built.size} bytes, uniqueId {built.unique_id}, body {built.media_type}")
    for finding in built.findings:
        print(f"  warning: {finding.message}")
    result = client.submit(ins, [built])  # TD2.1
    print(f"TD2.1 submitted {len(result.document_unique_ids)} document: {result.document_unique_ids[0]}")
    print(f"      submission set {result.submission_set_unique_id}")
    reference = client.find_document_reference(ins, built.unique_id)  # TD3.1b, not a search
    print(f"TD3.1b the DMP has it: found={reference.found} entryUUID={reference.entry_uuid}")
    return 0 if reference.found else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with tempfile.TemporaryDirectory() as tmp, open_client(args) as (client, ins):
            return feed(client, ins, args, Path(tmp))
    except TransportError as exc:
        print(f"transport failure: {exc}", file=sys.stderr)
        return 3
    except DMPClientError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
