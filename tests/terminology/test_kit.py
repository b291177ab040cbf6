"""The ANS kit's SVS files load, and the built-in tables are exact transcriptions of them (needs ../shared)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from dmpclient import _xml
from dmpclient.terminology import (
    LOINC,
    TRE_A03,
    TRE_R01,
    builtin_terminology,
    class_code_for_type,
    is_legacy_type_code,
    load_svs,
    load_svs_all,
)

REPO = Path(__file__).resolve().parents[2]

# short id -> kit file stem
KIT_TABLES = {
    "J01": "JDV_J01_XdsAuthorSpecialty_CISIS",
    "J02": "JDV_J02_XdsHealthcareFacilityTypeCode_CISIS",
    "J04": "JDV_J04_XdsPracticeSettingCode_CISIS",
    "J07": "JDV_J07_XdsTypeCode_CISIS",
    "J08": "JDV_J08_XdsConfidentialityCode_CISIS",
    "J47": "JDV_J47_FunctionCode_CISIS",
    "J143": "JDV_J143_AdministrativeGender_CISIS",
    "J197": "JDV_J197_XdsTypesIdentifiantsReferenceId_CISIS",
    "J231": "JDV_J231_XdsTypesIdentifiantsReferenceId_DMP",
}
# DMP value sets that carry the content of a CI-SIS list (documented in their description)
COPIES = {"J56": "J01", "J61": "J02", "J62": "J04", "J66": "J07"}


def test_every_svs_file_of_the_kit_loads(jdv: Path) -> None:
    files = sorted(jdv.glob("*.xml"))
    assert len(files) >= 500
    for path in files:
        sets = load_svs_all(path)
        assert len(sets) == 1, path.name
        vs = sets[0]
        assert re.fullmatch(r"[0-2](\.\d+)+", vs.oid or ""), path.name
        assert vs.date is not None, f"{path.name}: version {vs.version!r} is not a date"
        svs_concepts = _xml.parse_file(path).findall(f".//{_xml.q('svs', 'Concept')}")
        usable = [c for c in svs_concepts if c.get("code") and c.get("codeSystem")]
        duplicates = len(usable) - len({(c.get("codeSystem"), c.get("code")) for c in usable})
        assert len(vs) == len(usable) - duplicates, path.name
        if duplicates:
            assert vs.description
            assert "duplicate" in vs.description
        if len(usable) < len(svs_concepts):  # two kit placeholders have one empty "à compléter" concept
            assert vs.description
            assert "skipped" in vs.description


def test_svs_names_follow_the_nos_naming(jdv: Path) -> None:
    vs = load_svs(jdv / "JDV_J07_XdsTypeCode_CISIS.xml")
    assert vs.name == "JDV_J07-XdsTypeCode-CISIS"
    assert vs.oid == "1.2.250.1.213.1.1.5.471"
    assert vs.version == "2024-09-27"
    other = load_svs(jdv / "JDV_AbordVeineuxCentral_CISIS.xml")  # older style: no urlFichier
    assert other.name == "JDV_AbordVeineuxCentral_CISIS"


@pytest.mark.parametrize("short", sorted(KIT_TABLES))
def test_builtin_kit_tables_equal_the_kit_files(jdv: Path, short: str) -> None:
    kit = load_svs(jdv / f"{KIT_TABLES[short]}.xml")
    built = builtin_terminology().get(short)
    assert [(c.code, c.code_system, c.display) for c in built] == [(c.code, c.code_system, c.display) for c in kit]
    assert (built.name, built.oid, built.version) == (kit.name, kit.oid, kit.version)


@pytest.mark.parametrize(("dmp", "cisis"), sorted(COPIES.items()))
def test_dmp_copies_carry_the_kit_content(jdv: Path, dmp: str, cisis: str) -> None:
    kit = load_svs(jdv / f"{KIT_TABLES[cisis]}.xml")
    built = builtin_terminology().get(dmp)
    assert [c.key for c in built] == [c.key for c in kit]
    assert built.oid != kit.oid
    assert built.description
    assert cisis in built.description


def test_kit_table_sizes_match_the_reference(jdv: Path) -> None:
    assert len(load_svs(jdv / "JDV_J01_XdsAuthorSpecialty_CISIS.xml")) == 396
    assert len(load_svs(jdv / "JDV_J07_XdsTypeCode_CISIS.xml")) == 114


def test_generated_module_is_up_to_date(jdv: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_terminology", REPO / "tools" / "gen_terminology.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = (REPO / "src" / "dmpclient" / "terminology" / "_kit_data.py").read_text(encoding="utf-8")
    assert module.render(jdv) == text


def test_ass_x04_covers_j07_except_101881_1_plus_the_legacy_codes(jdv: Path) -> None:
    j07 = load_svs(jdv / "JDV_J07_XdsTypeCode_CISIS.xml")
    mapped = set(builtin_terminology().code_map("ASS_X04").entries)
    current = {c.key for c in j07}
    assert current - mapped == {(LOINC, "101881-1")}
    legacy = mapped - current
    assert len(legacy) == 16
    assert all(is_legacy_type_code(code) for _, code in legacy)
    assert not any(is_legacy_type_code(c.code) for c in j07)


def _reference_x04_rows(shared: Path) -> list[tuple[str, str]]:
    text = (shared / "reference" / "value-sets.md").read_text(encoding="utf-8")
    section = text.split("## 3. typeCode", 1)[1].split("## 4.", 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| [^|]+ \| (?:TRE_A05|LOINC) \| `(\d+)` \|", section, re.MULTILINE)
    legacy = re.findall(r"`([\d-]+)`→(\d+)", section)
    return rows + legacy


def test_ass_x04_agrees_with_every_row_of_the_reference_table(shared: Path) -> None:
    rows = _reference_x04_rows(shared)
    assert len(rows) >= 128
    for type_code, class_code in rows:
        found = class_code_for_type(type_code)
        assert found is not None, type_code
        assert found.code == class_code, type_code


def test_classes_derived_by_ass_x04_agree_with_the_dmp_td31_response(official_examples: Path) -> None:
    root = _xml.parse_file(official_examples / "td3.1-recherche-documents.response.xml")
    class_scheme = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
    type_scheme = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
    entries = root.findall(f".//{_xml.q('rim', 'ExtrinsicObject')}")
    assert len(entries) == 21
    for entry in entries:
        codes = {}
        for cl in entry.findall(_xml.q("rim", "Classification")):
            scheme = cl.get("classificationScheme")
            if scheme in (class_scheme, type_scheme):
                system = cl.find(f"{_xml.q('rim', 'Slot')}[@name='codingScheme']//{_xml.q('rim', 'Value')}")
                assert system is not None
                assert system.text
                codes[scheme] = (cl.get("nodeRepresentation"), system.text)
        type_code, type_system = codes[type_scheme]
        derived = class_code_for_type(type_code, type_system)
        assert derived is not None, type_code
        assert (derived.code, derived.code_system) == codes[class_scheme]
        assert derived.code_system == TRE_A03


def test_savoir_faire_label_matches_the_vihf_example(official_examples: Path) -> None:
    root = _xml.parse_file(official_examples / "vihf-directe-non-signe.xml")
    roles = [el for el in root.iter(_xml.q("hl7", "Role")) if el.get("codeSystem") == TRE_R01]
    assert roles
    for role in roles:
        found = builtin_terminology().get("TRE_R01").lookup(role.get("code", ""), TRE_R01)
        assert found is not None
        assert found.display == role.get("displayName")


def test_profession_label_matches_the_vihf_example(official_examples: Path) -> None:
    root = _xml.parse_file(official_examples / "vihf-directe-non-signe.xml")
    (role,) = [el for el in root.iter(_xml.q("hl7", "Role")) if el.get("codeSystem") == "1.2.250.1.71.1.2.7"]
    assert builtin_terminology().get("TRE_G15").display(role.get("code", "")) == role.get("displayName")
