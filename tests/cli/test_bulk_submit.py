"""``dmpclient submit INS FOLDER/``: back-feeding a folder — one submission per file, rate limit, progress bar on a
terminal only, continue on error, summary table or JSON, non-zero exit when a file failed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from dmpclient.cda import build_n1, make_sample_pdf
from dmpclient.cda.demo import demo_header
from dmpclient.cli import _common
from dmpclient.cli import transactions as commands

from .conftest import PAT_TROIS, CliDmp

TRAITS = ("--family", "PAT-TROIS", "--given", "DOMINIQUE MARIE-LOUISE", "--birth-date", "1979-03-28", "--sex", "F")


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(commands, "_monotonic", fake.monotonic)
    monkeypatch.setattr(commands, "_sleep", fake.sleep)
    return fake


def _folder(root: Path, cdas: int = 2, pdfs: int = 1, name: str = "history") -> Path:
    """A folder of fresh CDA files (new uniqueIds) and PDFs, a hidden file and a subfolder (both skipped)."""
    folder = root / name
    folder.mkdir()
    for i in range(cdas):
        (folder / f"cr-{i}.cda.xml").write_bytes(build_n1(demo_header(title=f"CR {i}"), make_sample_pdf()).read_bytes())
    for i in range(pdfs):
        (folder / f"scan-{i}.pdf").write_bytes(make_sample_pdf())
    (folder / ".hidden.pdf").write_bytes(b"not sent")
    (folder / "sub").mkdir()
    return folder


def test_a_folder_is_sent_file_by_file_at_the_rate(dmp: CliDmp, clock: FakeClock) -> None:
    folder = _folder(dmp.folder)
    result = dmp.run("submit", PAT_TROIS, str(folder), "--type", "11488-4", *TRAITS, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert (data["count"], data["submitted"], data["failed"]) == (3, 3, 0)
    assert [Path(r["file"]).name for r in data["results"]] == ["cr-0.cda.xml", "cr-1.cda.xml", "scan-0.pdf"]
    assert all(r["unique_id"] and r["submission_set_unique_id"] for r in data["results"])
    assert len({r["submission_set_unique_id"] for r in data["results"]}) == 3  # one submission per file
    assert data["rate_per_second"] == 4.0
    assert clock.sleeps == [0.25, 0.25]  # default 4/s: the first call does not wait
    assert result.stderr == ""  # --json: no progress bar, no warning


def test_the_rate_option(dmp: CliDmp, clock: FakeClock) -> None:
    folder = _folder(dmp.folder, cdas=3, pdfs=0)
    assert dmp.run("submit", PAT_TROIS, str(folder), "--rate", "120/min", "--json").exit_code == 0
    assert clock.sleeps == [0.5, 0.5]
    bad = dmp.run("submit", PAT_TROIS, str(folder), "--rate", "fast")
    assert bad.exit_code == 2
    assert "--rate" in bad.stderr


def test_a_rate_at_or_above_the_ans_limit(dmp: CliDmp, clock: FakeClock) -> None:
    folder = _folder(dmp.folder, cdas=1, pdfs=0)
    warned = dmp.run("submit", PAT_TROIS, str(folder), "--rate", "10/s")
    assert warned.exit_code == 0, warned.output
    assert "ANS back-feeding limit" in warned.stderr
    before = len(dmp.requests)
    production = dmp.run("submit", PAT_TROIS, str(folder), "--rate", "5", "--env", "production", "--json")
    assert production.exit_code == 2
    assert "5/s" in json.loads(production.stdout)["error"]
    assert len(dmp.requests) == before  # refused before sending anything


def test_failures_do_not_stop_the_run_and_set_the_exit_code(dmp: CliDmp, clock: FakeClock) -> None:
    folder = _folder(dmp.folder, cdas=2, pdfs=0)
    (folder / "cr-2.cda.xml").write_bytes(b"<ClinicalDocument xmlns='urn:hl7-org:v3'><broken")
    dmp.fail_next(httpx.ConnectError("connection refused"))  # the first file's TD2.1
    result = dmp.run("submit", PAT_TROIS, str(folder), "--json")
    assert result.exit_code == 3  # the highest code of the failures: transport (3) over invalid (1)
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["error"] == "2 of 3 document(s) failed"
    assert [r["result"] for r in data["results"]] == ["transport", "submitted", "invalid"]
    assert [r["exit_code"] for r in data["results"]] == [3, 0, 1]

    only_invalid = dmp.run("submit", PAT_TROIS, str(folder), "--glob", "cr-2*")
    assert only_invalid.exit_code == 1
    assert "invalid" in only_invalid.stdout
    assert "0 of 1 document(s) submitted, 1 failed" in only_invalid.stdout


def test_summary_table_and_progress_bar_on_a_terminal(
    dmp: CliDmp, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(dmp.folder, cdas=2, pdfs=0)
    plain = dmp.run("submit", PAT_TROIS, str(folder))
    assert plain.exit_code == 0, plain.output
    assert "submissions" in plain.stdout
    assert "cr-0.cda.xml" in plain.stdout
    assert "2 of 2 document(s) submitted" in plain.stdout
    assert "submitting" not in plain.stderr  # stderr is not a terminal: no progress bar

    monkeypatch.setattr(_common, "stderr_is_terminal", lambda: True)
    shown = dmp.run("submit", PAT_TROIS, str(_folder(dmp.folder, cdas=2, pdfs=0, name="second")))
    assert shown.exit_code == 0, shown.output
    assert "submitting" in shown.stderr
    assert "2/2" in shown.stderr
    quiet = dmp.run("submit", PAT_TROIS, str(_folder(dmp.folder, cdas=1, pdfs=0, name="third")), "--json")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""  # never a bar in --json mode


def test_folder_usage_errors(dmp: CliDmp, clock: FakeClock) -> None:
    folder = _folder(dmp.folder)
    no_traits = dmp.run("submit", PAT_TROIS, str(folder), "--json")
    assert no_traits.exit_code == 2
    assert "--type" in json.loads(no_traits.stdout)["error"]
    assert dmp.requests == []  # checked before sending anything
    cda = next(folder.glob("*.cda.xml"))
    assert dmp.run("submit", PAT_TROIS, str(folder), str(cda)).exit_code == 2
    assert dmp.run("submit", PAT_TROIS, str(folder), "--replaces", "1.2.3").exit_code == 2
    assert dmp.run("submit", PAT_TROIS, str(folder), "--glob", "*.docx").exit_code == 2
    assert dmp.requests == []


def test_act_date_of_built_documents(dmp: CliDmp) -> None:
    pdf = dmp.folder / "old.pdf"
    pdf.write_bytes(make_sample_pdf())
    sent = dmp.run("submit", PAT_TROIS, str(pdf), "--type", "11488-4", *TRAITS, "--act-date", "2015-03-02", "--json")
    assert sent.exit_code == 0, sent.output
    uid = json.loads(sent.stdout)["document_unique_ids"][0]
    assert dmp.run("authorize", PAT_TROIS, "--yes").exit_code == 0
    found = json.loads(dmp.run("find", PAT_TROIS, "--json").stdout)["documents"]
    entry = next(d for d in found if d["unique_id"] == uid)
    assert entry["service_start_time"].startswith(("2015-03-01", "2015-03-02"))
    assert dmp.run("submit", PAT_TROIS, str(pdf), "--type", "11488-4", *TRAITS, "--act-date", "soon").exit_code == 2
