"""Change who may see a document: hide it from professionals, show it again, make it visible to the patient.

What it shows:

1. a document fed **invisible to the patient** (``INVISIBLE_PATIENT``: e.g. a result to be announced during
   a consultation first) — visibility codes are chosen at feeding time;
2. TD3.3b ``make_visible_to_patient`` (removes ``INVISIBLE_PATIENT``): **irreversible**, so the example asks
   for a confirmation (``--yes`` answers it), as the CNDA expects the software to (EX_3.3-1030…1050);
3. TD3.3a ``hide_from_professionals`` (adds ``MASQUE_PS``) and ``unhide_for_professionals`` (removes it):
   reversible; each writes a new metadata version (the client fetches the current one first). ``MASQUE_PS``
   and ``INVISIBLE_PATIENT`` together are refused (EX_2.1-1050) unless the DMP parameter
   ``cumul-invisible_patient-masque_ps`` allows it, hence the order;
4. the irreversibility guard: adding ``INVISIBLE_PATIENT`` back is refused by the client before anything is
   sent (``RuleViolation``); in the sandbox, a second client with that guard off shows the DMP refusing it too.

Run it against an in-process sandbox (the default: a new patient and a document fed by the example)::

    python examples/visibility_changes.py --yes

Against a real environment, on a document you authored::

    python examples/visibility_changes.py --env dv1 --config dmpclient.toml \\
        --ins 279035121518989 --unique-id 2.25.1234…

Exit status: 0 ok, 1 refused, 3 transport failure.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
from collections.abc import Iterator
from pathlib import Path

from dmpclient.client import DMPClient, GuardSettings
from dmpclient.client.settings import load_settings
from dmpclient.errors import DMPClientError, DMPError, RuleViolation, TransportError
from dmpclient.ids import INS
from dmpclient.terminology import INVISIBLE_PATIENT
from dmpclient.testing import LocalDmp, local_dmp


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ins", help="INS matricule; default in the sandbox: a new patient")
    parser.add_argument("--unique-id", help="the document (default in the sandbox: one fed by the example)")
    parser.add_argument("--yes", action="store_true", help="confirm the irreversible step without asking")
    real = parser.add_argument_group("real environment (default: an in-process sandbox)")
    real.add_argument("--env", help="environment: dv1, de2, df1, production or one of the file's [environments]")
    real.add_argument("--config", type=Path, help="dmpclient.toml (default: $DMPCLIENT_CONFIG or ./dmpclient.toml)")
    return parser.parse_args(argv)


@contextlib.contextmanager
def open_client(args: argparse.Namespace) -> Iterator[tuple[DMPClient, INS, str, LocalDmp | None]]:
    """Client, patient, document, sandbox: a real environment with --env/--config, else an in-process sandbox."""
    if args.env is None and args.config is None:
        with local_dmp() as dmp:
            print(f"in-process sandbox at {dmp.url}")
            ins = dmp.new_patient()
            document = dmp.make_document(ins, title="Résultat à annoncer", confidentiality=["INVISIBLE_PATIENT"])
            dmp.client.submit(ins, document)
            print(f"TD2.1 fed {document.source.unique_id} invisible to the patient")
            yield dmp.client, ins, document.source.unique_id, dmp
        return
    if not (args.ins and args.unique_id):
        raise SystemExit("--ins and --unique-id are required with --env/--config")
    settings = load_settings(args.config).with_environment(args.env)
    with settings.create_client(prompt=getpass.getpass) as client:
        print(f"environment {client.environment.name} at {client.environment.soap_base}")
        yield client, INS.parse(args.ins), args.unique_id, None


def codes(client: DMPClient, ins: INS, unique_id: str) -> str:
    """The document's current confidentiality codes (a TD3.1 the user asked for, to show the result)."""
    entry = client.get_document_entry(ins, unique_id, user_initiated=True)
    return ", ".join(c.code for c in entry.confidentiality_codes) if entry else "(not found)"


def confirm(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        print(f"{question} yes (--yes)")
        return True
    if not sys.stdin.isatty():
        print(f"{question} no answer (not a terminal; use --yes)")
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "o", "oui")


def change_visibility(client: DMPClient, ins: INS, unique_id: str, sandbox: LocalDmp | None, yes: bool) -> int:
    print(f"now: {codes(client, ins, unique_id)}")
    if "INVISIBLE_PATIENT" in codes(client, ins, unique_id):
        if not confirm("Make the document visible to the patient? This cannot be undone.", yes):
            # MASQUE_PS and INVISIBLE_PATIENT together are refused (EX_2.1-1050) unless the DMP parameter allows it.
            print("stopped: a document invisible to the patient cannot also be hidden from professionals")
            return 0
        client.make_visible_to_patient(ins, unique_id)  # TD3.3b, irreversible
        print(f"TD3.3b visible to the patient: {codes(client, ins, unique_id)}")
    client.hide_from_professionals(ins, unique_id)  # TD3.3a
    print(f"TD3.3a hidden from professionals: {codes(client, ins, unique_id)}")
    client.unhide_for_professionals(ins, unique_id)  # TD3.3a
    print(f"TD3.3a shown to professionals again: {codes(client, ins, unique_id)}")

    current = client.get_document_entry(ins, unique_id, user_initiated=True)
    assert current is not None
    hidden_again = [*current.confidentiality_codes, INVISIBLE_PATIENT]
    try:  # the irreversibility guard
        client.update_confidentiality(ins, current, hidden_again)
    except RuleViolation as exc:
        print(f"guard: INVISIBLE_PATIENT cannot be added back, refused before sending [{exc.rule}]")
    if sandbox is not None:  # the DMP enforces it too: ask the sandbox with the client's guard off
        unguarded = sandbox.new_client(guards=GuardSettings().without("confidentiality", "metadata"))
        try:
            unguarded.update_confidentiality(ins, current, hidden_again)
        except DMPError as exc:
            print(f"DMP: refused too — {exc.code}: « {exc.message_fr} »")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with open_client(args) as (client, ins, unique_id, sandbox):
            return change_visibility(client, ins, unique_id, sandbox, args.yes)
    except TransportError as exc:
        print(f"transport failure: {exc}", file=sys.stderr)
        return 3
    except DMPClientError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
