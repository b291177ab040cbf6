"""``dmpclient terminology`` commands (click CliRunner): output, --json, exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from dmpclient.cli import cli

J57_SVS = (
    '<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet id="1.2.250.1.213.1.1.5.6" '
    'dateMaj="20260101120000" urlFichier="https://mos.esante.gouv.fr/NOS/JDV_J57-ClassCode-DMP"><ConceptList>'
    '<Concept code="10" codeSystem="1.2.250.1.213.1.1.4.1" displayName="Compte rendu"/>'
    '<Concept code="96" codeSystem="1.2.250.1.213.1.1.4.1" displayName="Nouvelle classe"/>'
    "</ConceptList></ValueSet></RetrieveValueSetResponse>"
)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["terminology", *args], catch_exceptions=False)


def run_json(*args: str) -> tuple[int, Any]:
    result = run(*args, "--json")
    return result.exit_code, json.loads(result.output)


@pytest.mark.parametrize("command", [[], ["list"], ["show"], ["lookup"], ["type-class"], ["update"]])
def test_help_has_examples(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "dmpclient terminology" in result.output or "Commands:" in result.output


def test_list() -> None:
    result = run("list")
    assert result.exit_code == 0
    assert "JDV_J57-ClassCode-DMP" in result.output
    assert "1.2.250.1.213.1.1.5.6" in result.output
    code, data = run_json("list")
    assert code == 0
    j57 = next(v for v in data["value_sets"] if v["short_id"] == "J57")
    assert (j57["oid"], j57["version"], j57["size"], j57["origin"]) == (
        "1.2.250.1.213.1.1.5.6",
        "2021-04-30",
        13,
        "builtin",
    )
    assert j57["source"]
    assert any(m["short_id"] == "ASS_X04" for m in data["code_maps"])


def test_show() -> None:
    result = run("show", "J58")
    assert result.exit_code == 0
    assert "MASQUE_PS" in result.output
    assert "Masqué aux professionnels de santé" in result.output
    code, data = run_json("show", "JDV_J07_XdsTypeCode_CISIS")
    assert code == 0
    assert data["name"] == "JDV_J07-XdsTypeCode-CISIS"
    assert len(data["concepts"]) == 114
    assert {"code": "E1762", "code_system": "ASTM", "display": "Full Document"} in data["concepts"]


def test_show_code_map() -> None:
    code, data = run_json("show", "ASS_A12")
    assert code == 0
    assert {"source": {"code": "application/pdf", "code_system": "urn:ietf:bcp:13"}, "target": {
        "code": "urn:ihe:iti:xds-sd:pdf:2008", "code_system": "1.3.6.1.4.1.19376.1.2.3",
        "display": "Document à corps non structuré en Pdf/A-1"}} in data["rows"]  # fmt: skip


def test_show_unknown_exits_1() -> None:
    result = run("show", "J99")
    assert result.exit_code == 1
    code, data = run_json("show", "J99")
    assert code == 1
    assert data["ok"] is False
    assert data["details"]["value"] == "J99"


def test_lookup() -> None:
    code, data = run_json("lookup", "SM26", "--system", "1.2.250.1.71.4.2.5")
    assert code == 0
    assert [(f["value_set"], f["display"]) for f in data["found"]] == [
        ("TRE_R01-EnsembleSavoirFaire-CISIS", "Qualifié en Médecine Générale (SM)")
    ]
    result = run("lookup", "11490-0")
    assert result.exit_code == 0
    assert "JDV_J07-XdsTypeCode-CISIS" in result.output


def test_lookup_unknown_code_exits_1() -> None:
    assert run("lookup", "NO-SUCH-CODE").exit_code == 1
    code, data = run_json("lookup", "NO-SUCH-CODE")
    assert (code, data["ok"], data["found"]) == (1, False, [])


def test_type_class() -> None:
    code, data = run_json("type-class", "11490-0")
    assert code == 0
    assert data["class_code"] == {"code": "10", "code_system": "1.2.250.1.213.1.1.4.1", "display": "Compte rendu"}
    assert data["lps_forbidden"] is None
    result = run("type-class", "18748-4")
    assert result.exit_code == 0
    assert "31" in result.output
    assert "Imagerie médicale" in result.output


def test_type_class_reports_forbidden_codes() -> None:
    code, data = run_json("type-class", "DOCPAT03")
    assert code == 0
    assert data["class_code"]["code"] == "10"
    assert data["lps_forbidden"].startswith("EX_2.1-1010: ")
    assert "forbidden for an LPS" in run("type-class", "REMB").output


def test_type_class_unknown_exits_1() -> None:
    assert run("type-class", "101881-1").exit_code == 1
    code, data = run_json("type-class", "101881-1")
    assert (code, data["ok"]) == (1, False)


def test_update(tmp_path: Path, user_dir: Path) -> None:
    src = tmp_path / "official"
    src.mkdir()
    (src / "JDV_J57_ClassCode_DMP.xml").write_text(J57_SVS, encoding="utf-8")
    (src / "notes.json").write_text('{"resourceType": "Bundle"}', encoding="utf-8")
    code, data = run_json("update", str(src))
    assert code == 0
    assert [s["name"] for s in data["stored"]] == ["JDV_J57-ClassCode-DMP"]
    assert data["dest"] == str(user_dir)
    assert [Path(s["file"]).name for s in data["skipped_files"]] == ["notes.json"]
    _, listing = run_json("show", "J57")
    assert (listing["version"], listing["origin"]) == ("2026-01-01", "user")
    # same files again: nothing newer
    code, data = run_json("update", str(src))
    assert (code, data["stored"]) == (0, [])
    assert data["ignored"][0]["name"] == "JDV_J57-ClassCode-DMP"
    # --force and --dest
    dest = tmp_path / "dest"
    result = run("update", str(src), "--dest", str(dest), "--force")
    assert result.exit_code == 0
    assert "stored 1 value set(s)" in result.output
    assert len(list(dest.glob("*.json"))) == 1


def test_update_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    assert run("update", str(tmp_path / "missing")).exit_code == 2
