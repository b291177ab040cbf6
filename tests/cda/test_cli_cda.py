"""``dmpclient cda build`` and ``dmpclient cda render``."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dmpclient.cda import read_header, sample_pdf_path
from dmpclient.cli import cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "cda"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_build_n1_from_the_toml_example(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "cr.xml"
    result = runner.invoke(
        cli,
        [
            "cda",
            "build",
            str(EXAMPLES / "consultation.toml"),
            "--body",
            str(sample_pdf_path()),
            "-o",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] is True
    assert data["level"] == "N1"
    assert data["media_type"] == "application/pdf"
    assert data["pdfa"] == "PDF/A-1b"
    raw = out.read_bytes()
    assert data["size"] == len(raw)
    assert data["sha1"] == hashlib.sha1(raw).hexdigest()
    h = read_header(out)
    assert h.unique_id == data["unique_id"]
    assert h.unique_id.startswith("1.2.250.1.999.1.1.7898.1.")
    assert h.title == "Compte rendu de consultation"
    assert h.patient.ins_id is not None
    assert h.patient.ins_id.extension == "279035121518989"
    assert h.effective_time == "20240612135423+0200"
    assert h.service_event is not None
    assert h.service_event.low == "20240612132000+0200"
    assert h.custodian is not None
    assert h.custodian.idnat == "499900063480001"


def test_build_ldl_ses_from_the_json_example(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ldl.xml"
    result = runner.invoke(cli, ["cda", "build", str(EXAMPLES / "ldl-ses.json"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "N3" in result.output
    assert "uniqueId" in result.output
    h = read_header(out)
    assert h.template_ids[-1] == "1.2.250.1.213.1.1.1.29"
    assert h.encounter is not None
    assert h.encounter.facility_code is not None
    assert h.encounter.facility_code.code == "SA01"


def test_default_output_is_next_to_the_body(runner: CliRunner, tmp_path: Path) -> None:
    body = tmp_path / "note.txt"
    body.write_text("Note de consultation.\n", encoding="utf-8")
    result = runner.invoke(cli, ["cda", "build", str(EXAMPLES / "consultation.toml"), "--body", str(body)])
    assert result.exit_code == 0, result.output
    assert read_header(tmp_path / "note.cda.xml").body.media_type == "text/plain"


def test_build_needs_a_body_or_a_model(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["cda", "build", str(EXAMPLES / "consultation.toml"), "-o", str(tmp_path / "x.xml")])
    assert result.exit_code == 2
    assert "--body" in result.output


def test_bad_description_exits_1_naming_the_field(runner: CliRunner, tmp_path: Path) -> None:
    text = (EXAMPLES / "consultation.toml").read_text(encoding="utf-8").replace("279035121518989", "279035121518988")
    desc = tmp_path / "bad.toml"
    desc.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["cda", "build", str(desc), "--body", str(sample_pdf_path()), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["details"]["rule"] == "INS key"


def test_declared_media_type_mismatch_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        cli,
        ["cda", "build", str(EXAMPLES / "consultation.toml"), "--body", str(sample_pdf_path()),
         "--media-type", "image/jpeg", "-o", str(tmp_path / "x.xml")],
    )  # fmt: skip
    assert result.exit_code == 1
    assert not (tmp_path / "x.xml").exists()


def test_render_writes_a_page(runner: CliRunner, tmp_path: Path, cda_kit: Path) -> None:
    src = tmp_path / "vsm.xml"
    shutil.copy(cda_kit / "ExemplesCDA" / "VSM_1.4_2022.01.xml", src)
    result = runner.invoke(cli, ["cda", "render", str(src), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    page = (tmp_path / "vsm.html").read_text(encoding="utf-8")
    assert data["output"] == str(tmp_path / "vsm.html")
    assert data["patient"] == "PAT-TROIS DOMINIQUE"
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page


def test_render_of_a_non_cda_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "x.xml"
    src.write_text("<foo/>", encoding="utf-8")
    result = runner.invoke(cli, ["cda", "render", str(src), "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "not a CDA" in result.output


def test_help_lists_build_render_and_shows_examples(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["cda", "--help"])
    assert result.exit_code == 0
    assert "build" in result.output
    assert "render" in result.output
    for command in ("build", "render"):
        sub = runner.invoke(cli, ["cda", command, "--help"])
        assert sub.exit_code == 0
        assert "Examples:" in sub.output
