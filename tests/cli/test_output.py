"""What people see: the transfer bar of ``get`` (terminal only, never with ``--json``) and the tables of search
results — local times (EX_3.1-1070), distinct states (EX_3.1-1080), patient-authored documents (EX_3.1-1040)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from dmpclient import _xml
from dmpclient.cli import _common, cli
from dmpclient.cli._tables import document_table, entry_row, local_time
from dmpclient.terminology import Code
from dmpclient.xds.ebrim import to_submit_objects_request
from dmpclient.xds.model import DocumentEntry

from .conftest import PATB_QUATRE, CliDmp

SEEDED_UID = "1.2.250.1.999.1.1.9900.1.24"
ARCHIVED = "urn:asip:ci-sis:2010:StatusType:Archived"
DEPRECATED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated"


@pytest.fixture
def kiritimati(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+14 (no daylight saving): a shown time differs from the UTC one."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# ------------------------------------------------------------------------------------------ get: transfer bar


def test_get_shows_a_transfer_bar_on_a_terminal_only(
    dmp: CliDmp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = dmp.run("get", PATB_QUATRE, SEEDED_UID, "-o", str(tmp_path / "a.xml"))
    assert plain.exit_code == 0, plain.output
    assert "downloading" not in plain.stderr

    monkeypatch.setattr(_common, "stderr_is_terminal", lambda: True)
    shown = dmp.run("get", PATB_QUATRE, SEEDED_UID, "-o", str(tmp_path / "b.xml"))
    assert shown.exit_code == 0, shown.output
    assert "downloading b.xml" in shown.stderr
    assert (tmp_path / "b.xml").read_bytes() == (tmp_path / "a.xml").read_bytes()  # the bar does not alter the body

    quiet = dmp.run("get", PATB_QUATRE, SEEDED_UID, "-o", str(tmp_path / "c.xml"), "--json")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert json.loads(quiet.stdout)["size"] == (tmp_path / "c.xml").stat().st_size


def test_progress_wanted_follows_the_terminal_and_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "stderr_is_terminal", lambda: True)
    assert _common.progress_wanted(False) is True
    assert _common.progress_wanted(True) is False
    monkeypatch.setattr(_common, "stderr_is_terminal", lambda: False)
    assert _common.progress_wanted(False) is False


def test_rate_limiter_spaces_calls() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = _common.RateLimiter(2.0, clock=lambda: now[0], sleep=sleep)
    assert limiter.wait() == 0.0
    now[0] += 0.1
    assert limiter.wait() == pytest.approx(0.4)
    now[0] += 2.0  # a slow call: no wait needed
    assert limiter.wait() == 0.0
    assert slept == [pytest.approx(0.4)]
    assert _common.parse_rate("3000/h") == pytest.approx(1 / 1.2)
    for bad in ("0", "-1/s", "4/day", "x"):
        with pytest.raises(click.BadParameter, match=r"rate|expected"):
            _common.parse_rate(bad)


# -------------------------------------------------------------------------------------------------- tables


def _entry(**fields: object) -> DocumentEntry:
    base: dict[str, object] = {
        "entry_uuid": "urn:uuid:1",
        "unique_id": "1.2.3.4",
        "title": "CR",
        "availability_status": "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved",
        "service_start_time": dt.datetime(2024, 6, 12, 20, 30, tzinfo=dt.UTC),
        "type_code": Code("11488-4", "2.16.840.1.113883.6.1", "CR de consultation"),
        "class_code": Code("10", "1.2.250.1.213.1.1.4.1"),
    }
    base.update(fields)
    return DocumentEntry.model_validate(base)


def test_local_time(kiritimati: None) -> None:
    assert local_time(dt.datetime(2024, 6, 12, 20, 30, tzinfo=dt.UTC)) == "2024-06-13 10:30"
    assert local_time(dt.datetime(2024, 6, 12, 20, 30)) == "2024-06-13 10:30"  # naive = UTC
    assert local_time(None) == ""


def test_entry_flags_and_states() -> None:
    plain = entry_row(_entry())
    assert plain["status"] == "approved"
    flags = (
        "masked_to_professionals",
        "invisible_to_patient",
        "invisible_to_legal_representatives",
        "patient_document",
    )
    assert not any(plain[k] for k in flags)
    codes = (Code("MASQUE_PS", "1.2.250.1.213.1.1.4.13"), Code("INVISIBLE_PATIENT", "1.2.250.1.213.1.1.4.13"),
             Code("INVISIBLE_REPRESENTANTS_LEGAUX", "1.2.250.1.213.1.1.4.13"))  # fmt: skip
    hidden = entry_row(_entry(confidentiality_codes=codes, availability_status=ARCHIVED))
    assert all(hidden[k] for k in flags[:3])
    assert hidden["status"] == "archived"
    assert entry_row(_entry(availability_status=DEPRECATED))["status"] == "deprecated"
    assert entry_row(_entry(class_code=Code("90", "1.2.250.1.213.1.1.4.1")))["patient_document"] is True
    assert entry_row(_entry(type_code=Code("DOCPAT03", "1.2.250.1.213.1.1.4.12")))["patient_document"] is True


def _render(table: object) -> str:
    from rich.console import Console

    console = Console(width=250, record=True, color_system=None)
    console.print(table)
    return console.export_text()


def test_document_table_shows_local_times_and_distinct_states(kiritimati: None) -> None:
    codes = (Code("MASQUE_PS", "1.2.250.1.213.1.1.4.13"),)
    text = _render(
        document_table(
            [
                _entry(),
                _entry(unique_id="1.2.3.5", confidentiality_codes=codes, availability_status=ARCHIVED),
                _entry(unique_id="1.2.3.6", availability_status=DEPRECATED, class_code=Code("90", "x")),
            ]
        )
    )
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.startswith("│")}
    assert "2024-06-13 10:30" in lines["1.2.3.4"]  # 20:30 UTC shown at UTC+14
    assert "20:30" not in text
    assert "approved" in lines["1.2.3.4"]
    assert "archived" in lines["1.2.3.5"]
    assert "masked to PS" in lines["1.2.3.5"]
    assert "deprecated" in lines["1.2.3.6"]
    assert "patient's own" in lines["1.2.3.6"]


def test_find_table(dmp: CliDmp, kiritimati: None) -> None:
    data = json.loads(dmp.run("find", PATB_QUATRE, "--json").stdout)
    masked = next(d for d in data["documents"] if d["masked_to_professionals"])
    utc = dt.datetime.fromisoformat(masked["service_start_time"])
    assert masked["service_start_time_local"] == utc.astimezone().isoformat()
    table = dmp.run("find", PATB_QUATRE)
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if masked["unique_id"] in line)
    assert utc.astimezone().strftime("%Y-%m-%d %H:%M") in row
    assert "masked to PS" in row
    assert f"{data['count']} document(s)" in table.stdout


def test_patients_and_authorizations_tables_in_local_time(dmp: CliDmp, kiritimati: None) -> None:
    listed = dmp.run("authorizations", PATB_QUATRE)
    assert listed.exit_code == 0
    assert "since (local)" in listed.stdout
    raw = json.loads(dmp.run("authorizations", PATB_QUATRE, "--json").stdout)["result"]
    first = raw["items"][0] if isinstance(raw, dict) else raw[0]
    start = dt.datetime.strptime(first["start_of_authorization"][:12], "%Y%m%d%H%M").replace(tzinfo=dt.UTC)
    assert start.astimezone().strftime("%Y-%m-%d %H:%M") in listed.stdout
    patients = dmp.run("patients", "--since", "2000-01-01")
    assert patients.exit_code == 0
    assert "last document (local)" in patients.stdout
    assert "PATB-QUATRE" in patients.stdout


def test_terminology_list_is_a_table_never_cut_in_a_pipe() -> None:
    out = CliRunner().invoke(cli, ["terminology", "list"]).stdout
    header = next(line for line in out.splitlines() if "name" in line and "OID" in line)
    assert "version" in header
    row = next(line for line in out.splitlines() if "JDV_J07-XdsTypeCode-CISIS" in line)
    assert "…" not in row
    assert "JDV_J57-ClassCode-DMP: " not in out
    assert "JDV_J57-ClassCode-DMP: " in CliRunner().invoke(cli, ["terminology", "list", "-v"]).stdout  # its source


def test_xds_parse_sums_up_entries_in_a_table(tmp_path: Path, kiritimati: None) -> None:
    from ..xds.xds_core_factories import submission

    path = tmp_path / "sor.xml"
    path.write_bytes(_xml.to_bytes(to_submit_objects_request(submission(documents=2))))
    plain = CliRunner().invoke(cli, ["xds", "parse", str(path)]).stdout
    assert "DocumentEntries" in plain
    rows = [
        line for line in plain.splitlines() if line.startswith("│") and ("Document01" in line or "Document02" in line)
    ]
    assert len(rows) == 2
    assert "creationTime" not in plain  # details only with -v
    detailed = CliRunner().invoke(cli, ["xds", "parse", str(path), "-v"]).stdout
    assert "creationTime" in detailed
