"""Back-feed a folder of PDFs into the DMP: rate-limited, with a progress bar, a retry queue and a journal.

The folder holds the PDFs and a ``manifest.csv`` saying whose they are and what they are (one row per PDF)::

    file,ins,family,given,sex,birth_date,title,type_code,date
    2019-05-cardio.pdf,279035121518989,PAT-TROIS,DOMINIQUE,F,1979-03-28,CR de cardiologie,11488-4,2019-05-14

What it shows:

* **rate limit** — fewer than 5 submissions per second per (establishment, software), as the ANS guide for
  enriching the DMP asks (default 4/s; ``--rate`` must stay below 5); loads above 30 000 documents a day are
  announced to the DMP operator first;
* **TD0.2 once per patient** — no DMP or a closed DMP: the patient's documents are rejected, not retried;
* **each CDA built once** — its uniqueId is fixed before the first attempt, so a retry can never create a
  duplicate: if an earlier attempt was in fact stored, the DMP answers ``XDSDuplicateUniqueIdInRegistry``
  and the document counts as fed;
* **queue and retry when the DMP is unreachable** (Ségur SC.DMP/ALI/PROG.06/07) — transport failures, a
  503 from the DMP, and ambiguous submissions whose TD3.1b check did not find the document go back in the
  queue with an exponential back-off; business refusals are never retried;
* **a journal** (``backfeed-journal.jsonl`` in the folder) — files already fed are skipped when the
  script runs again (do not send the same document twice, EX_GEN-1060);
* **a progress bar** (rich) and one line per document.

Run it against an in-process sandbox (the default: a demo folder of 8 PDFs for 3 new patients plus one
patient without a DMP, and a simulated outage — two dropped connections and a 503 — to show the retries)::

    python examples/bulk_backfeed.py
    python examples/bulk_backfeed.py ./history --no-outage     # your folder; its patients are created

Against a real environment::

    python examples/bulk_backfeed.py ./history --env dv1 --config dmpclient.toml --rate 2

Exit status: 0 every document fed or refused for a business reason (listed in the journal), 1 some documents
still pending (run again later), 3 nothing could be sent (the DMP stayed unreachable).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import getpass
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from dmpclient.cda import BuiltCda, DocumentHeaderInput, Patient, build_n1_to_file, make_sample_pdf
from dmpclient.client import DMPClient
from dmpclient.client.settings import load_settings
from dmpclient.errors import AmbiguousSubmission, DMPClientError, DMPError, TransportError
from dmpclient.ids import INS
from dmpclient.testing import LocalDmp, local_dmp

MAX_RATE = 5.0  # submissions per second, exclusive (ANS guide)
JOURNAL = "backfeed-journal.jsonl"
MANIFEST = "manifest.csv"
FIELDS = ("file", "ins", "family", "given", "sex", "birth_date", "title", "type_code", "date")


# ------------------------------------------------------------------------------------------ building blocks


class RateLimiter:
    """At most ``rate`` starts per second: ``wait()`` sleeps until the next slot (clock and sleep injectable)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 < rate < MAX_RATE:
            raise ValueError(f"the rate must be above 0 and below {MAX_RATE:g} submissions per second")
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next: float | None = None

    def wait(self) -> None:
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


@dataclass
class Item:
    """One PDF of the manifest, and what happened to it."""

    row: dict[str, str]
    built: BuiltCda | None = None
    attempts: int = 0
    not_before: float = 0.0
    last_error: str = ""

    @property
    def file(self) -> str:
        return self.row["file"]

    @property
    def ins(self) -> INS:
        return INS.parse(self.row["ins"])


@dataclass
class Outcome:
    fed: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    retries: int = 0


def read_manifest(folder: Path) -> list[dict[str, str]]:
    with (folder / MANIFEST).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        missing = [name for name in FIELDS if not row.get(name)]
        if missing:
            raise SystemExit(f"{MANIFEST}: row {row} lacks {', '.join(missing)}")
    return rows


def already_fed(folder: Path) -> set[str]:
    journal = folder / JOURNAL
    if not journal.is_file():
        return set()
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {entry["file"] for entry in lines if entry["status"] == "fed"}


def log(folder: Path, item: Item, status: str, **extra: str) -> None:
    entry = {"file": item.file, "status": status, "at": dt.datetime.now(dt.UTC).isoformat(), **extra}
    with (folder / JOURNAL).open("a", encoding="utf-8") as journal:
        journal.write(json.dumps(entry, ensure_ascii=False) + "\n")


def build(client: DMPClient, folder: Path, workdir: Path, row: dict[str, str]) -> BuiltCda:
    """The N1 CDA of one row (built once: its uniqueId stays the same across retries)."""
    when = dt.datetime.combine(dt.date.fromisoformat(row["date"]), dt.time(12), dt.UTC)
    patient = Patient(
        ins=INS.parse(row["ins"]),
        birth_family_name=row["family"],
        birth_given_names=row["given"],
        sex=row["sex"],
        birth_date=dt.date.fromisoformat(row["birth_date"]),
    )
    header = DocumentHeaderInput.from_context(
        client.context,
        patient=patient,
        type_code=row["type_code"],
        title=row["title"],
        service_start=when - dt.timedelta(hours=1),
        service_stop=when,
        author_time=when,
        effective_time=when,
    )
    return build_n1_to_file(header, folder / row["file"], workdir / f"{Path(row['file']).stem}.cda.xml")


def describe(exc: DMPClientError) -> str:
    """A one-line reason."""
    if isinstance(exc, AmbiguousSubmission):
        stored = {True: "stored", False: "not stored", None: "unknown"}[exc.found]
        return f"connection lost after sending; TD3.1b check: {stored}"
    if isinstance(exc, DMPError):
        return f"{exc.code} « {exc.message_fr} »" + (f" (HTTP {exc.http_status})" if exc.http_status else "")
    return str(exc).split("; ")[0]


def retryable(exc: DMPClientError) -> bool:
    """Worth another attempt later: the DMP was unreachable or unavailable, or the outcome is unknown."""
    if isinstance(exc, AmbiguousSubmission):
        return exc.found is not True
    if isinstance(exc, TransportError):
        return True
    return isinstance(exc, DMPError) and (exc.http_status or 0) in (502, 503, 504)


# ------------------------------------------------------------------------------------------------ the run


def backfeed(client: DMPClient, folder: Path, args: argparse.Namespace, console: Console, workdir: Path) -> Outcome:
    done = already_fed(folder)
    items = [Item(row) for row in read_manifest(folder) if row["file"] not in done]
    outcome = Outcome()
    if done:
        console.print(f"skipped {len(done)} file(s) already fed (journal {JOURNAL})")
    patients: dict[str, str | None] = {}  # INS → None when feedable, else why not
    limiter = RateLimiter(args.rate)
    queue = list(items)
    columns = (TextColumn("feeding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("feeding", total=len(items))
        while queue:
            ready = [i for i in queue if i.not_before <= time.monotonic()]
            if not ready:
                time.sleep(max(0.0, min(i.not_before for i in queue) - time.monotonic()))
                continue
            item = ready[0]
            queue.remove(item)
            key = item.ins.matricule
            if key not in patients:
                status = client.test_existence(item.ins)  # TD0.2, once per patient
                patients[key] = None if status.can_feed else ("no DMP" if not status.exists else "DMP closed")
            reason = patients[key]
            if reason is not None:
                outcome.rejected.append(item.file)
                log(folder, item, "rejected", reason=reason)
                progress.console.print(f"rejected {item.file}: {reason}")
                progress.advance(task)
                continue
            try:
                if item.built is None:
                    item.built = build(client, folder, workdir, item.row)
                item.attempts += 1
                limiter.wait()
                client.submit(item.ins, [item.built])  # TD2.1
            except DMPClientError as exc:
                duplicate = isinstance(exc, DMPError) and exc.code == "XDSDuplicateUniqueIdInRegistry"
                if duplicate and item.attempts > 1:  # an earlier attempt was stored after all
                    pass
                elif isinstance(exc, AmbiguousSubmission) and exc.found is True:
                    pass  # sent, and TD3.1b found it: fed
                elif retryable(exc) and item.attempts < args.max_attempts:
                    delay = args.retry_delay * 2 ** (item.attempts - 1)
                    item.not_before, item.last_error = time.monotonic() + delay, type(exc).__name__
                    queue.append(item)
                    outcome.retries += 1
                    progress.console.print(
                        f"retry    {item.file} in {delay:.1f}s (attempt {item.attempts}): {describe(exc)}"
                    )
                    continue
                else:
                    target = outcome.pending if retryable(exc) else outcome.rejected
                    target.append(item.file)
                    log(folder, item, "pending" if retryable(exc) else "rejected", reason=describe(exc))
                    progress.console.print(
                        f"{'pending ' if retryable(exc) else 'rejected'} {item.file}: {describe(exc)}"
                    )
                    progress.advance(task)
                    continue
            outcome.fed.append(item.file)
            log(folder, item, "fed", unique_id=item.built.unique_id, ins=key)
            progress.console.print(f"fed      {item.file} -> {item.built.unique_id}")
            progress.advance(task)
    return outcome


# ------------------------------------------------------------------------------------------- demo and CLI


def demo_folder(dmp: LocalDmp, folder: Path) -> None:
    """Eight PDFs for three new patients of the sandbox, and one for a patient without a DMP."""
    people = [
        ("MARTIN", "JEANNE", "F", dt.date(1952, 2, 11)),
        ("BERNARD", "PAUL", "M", dt.date(1967, 9, 30)),
        ("PETIT", "LOUISE", "F", dt.date(1990, 12, 4)),
    ]
    rows: list[dict[str, str]] = []
    for family, given, sex, born in people:
        ins = dmp.new_patient(family=family, given=given, sex=sex, birth_date=born)
        for year in (2018, 2020, 2022) if family != "PETIT" else (2021, 2023):
            name = f"{family.lower()}-{year}.pdf"
            (folder / name).write_bytes(make_sample_pdf([f"{family} {given}", f"CONSULTATION {year}"]))
            rows.append(
                {
                    "file": name,
                    "ins": ins.matricule,
                    "family": family,
                    "given": given,
                    "sex": sex,
                    "birth_date": born.isoformat(),
                    "title": f"Consultation {year}",
                    "type_code": "11488-4",
                    "date": f"{year}-06-15",
                }
            )
    no_dmp = dmp.cda_patient(dmp.patients.no_dmp)
    (folder / "conteste-2019.pdf").write_bytes(make_sample_pdf(["CONTESTE JEAN", "2019"]))
    rows.append(
        {
            "file": "conteste-2019.pdf",
            "ins": dmp.patients.no_dmp.matricule,
            "family": no_dmp.birth_family_name,
            "given": " ".join(no_dmp.birth_given_names),
            "sex": no_dmp.sex,
            "birth_date": no_dmp.birth_date.isoformat(),
            "title": "Consultation 2019",
            "type_code": "11488-4",
            "date": "2019-03-01",
        }
    )
    with (folder / MANIFEST).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def register_patients(dmp: LocalDmp, folder: Path) -> None:
    """Sandbox with the user's folder: create the manifest's patients the sandbox does not know."""
    for row in read_manifest(folder):
        try:
            dmp.admin.get_patient(INS.parse(row["ins"]))
        except KeyError:
            dmp.admin.create_patient(
                ins=row["ins"],
                family=row["family"],
                given=row["given"],
                sex=row["sex"],
                birth_date=row["birth_date"],
                authorizations={str(dmp.context.professional.id): "VALIDE"},
            )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, help=f"PDFs + {MANIFEST} (default: a demo folder)")
    parser.add_argument("--rate", type=float, default=4.0, help="submissions per second, below 5 (default 4)")
    parser.add_argument("--max-attempts", type=int, default=5, help="attempts per document (default 5)")
    parser.add_argument("--retry-delay", type=float, default=0.5, help="first back-off in seconds (doubles)")
    parser.add_argument("--no-outage", action="store_true", help="sandbox: do not simulate an outage")
    real = parser.add_argument_group("real environment (default: an in-process sandbox)")
    real.add_argument("--env", help="environment: dv1, de2, df1, production or one of the file's [environments]")
    real.add_argument("--config", type=Path, help="dmpclient.toml (default: $DMPCLIENT_CONFIG or ./dmpclient.toml)")
    args = parser.parse_args(argv)
    if not 0 < args.rate < MAX_RATE:
        parser.error(f"--rate must be above 0 and below {MAX_RATE:g} (ANS guide)")
    return args


@contextlib.contextmanager
def open_client(args: argparse.Namespace, scratch: Path) -> Iterator[tuple[DMPClient, Path]]:
    """The client and the folder: a real environment with --env/--config, else an in-process sandbox."""
    if args.env is None and args.config is None:
        with local_dmp() as dmp:
            print(f"in-process sandbox at {dmp.url}")
            folder = args.folder
            if folder is None:
                folder = scratch / "demo"
                folder.mkdir()
                demo_folder(dmp, folder)
                print(f"demo folder {folder}: {len(read_manifest(folder))} PDFs")
            else:
                register_patients(dmp, folder)
            if not args.no_outage:
                dmp.sandbox.faults.add_drop(transaction="TD2.1", count=2)  # the connection drops twice
                dmp.sandbox.faults.add_http_error(503, transaction="TD2.1", count=1)  # then a 503
                print("simulated outage: 2 dropped connections and one HTTP 503 on TD2.1")
            yield dmp.client, folder
        return
    if args.folder is None:
        raise SystemExit("give the folder to back-feed with --env/--config")
    settings = load_settings(args.config).with_environment(args.env)
    with settings.create_client(prompt=getpass.getpass) as client:
        print(f"environment {client.environment.name} at {client.environment.soap_base}")
        yield client, args.folder


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)
    with tempfile.TemporaryDirectory() as tmp, open_client(args, Path(tmp)) as (client, folder):
        workdir = Path(tmp) / "cda"
        workdir.mkdir()
        started = time.monotonic()
        outcome = backfeed(client, folder, args, console, workdir)
        elapsed = time.monotonic() - started
    sent = len(outcome.fed) + outcome.retries
    console.print(
        f"fed {len(outcome.fed)}, rejected {len(outcome.rejected)}, pending {len(outcome.pending)}, "
        f"retries {outcome.retries} — {sent} submission(s) in {elapsed:.1f}s (limit {args.rate:g}/s)"
    )
    if outcome.pending:
        return 3 if not outcome.fed else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
