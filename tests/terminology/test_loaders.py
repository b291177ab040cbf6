"""Loaders: IHE SVS XML, FHIR ValueSet / CodeSystem JSON, stored JSON, directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dmpclient.errors import InvalidValue, XMLError, XMLSecurityError
from dmpclient.terminology import (
    LOINC,
    TRE_A03,
    TRE_A05,
    Code,
    ValueSet,
    dump_json,
    load_directory,
    load_directory_report,
    load_fhir_valueset,
    load_file,
    load_json,
    load_svs,
    load_svs_all,
)

SVS = """<?xml version="1.0" encoding="UTF-8"?>
<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008">
  <ValueSet id="1.2.250.1.213.1.1.5.6" dateMaj="20260102120000" displayName="JDV_J57_ClassCode_DMP.tabs"
            urlFichier="https://mos.esante.gouv.fr/NOS/JDV_J57-ClassCode-DMP" description="classCode DMP">
    <ConceptList>
      <Concept code="10" codeSystem="1.2.250.1.213.1.1.4.1" displayName="Compte rendu"/>
      <Concept code="10" codeSystem="1.2.250.1.213.1.1.4.1" displayName="Compte rendu (bis)"/>
      <Concept code="96" codeSystem="urn:oid:1.2.250.1.213.1.1.4.1" displayName="Nouvelle classe"/>
      <Concept code="" codeSystem="" displayName="à compléter"/>
    </ConceptList>
  </ValueSet>
</RetrieveValueSetResponse>
""".encode()

NOS = "https://mos.esante.gouv.fr/NOS"


def _fhir_valueset() -> dict[str, Any]:
    return {
        "resourceType": "ValueSet",
        "id": "JDV-J66-TypeCode-DMP",
        "url": f"{NOS}/JDV_J66-TypeCode-DMP/FHIR/JDV-J66-TypeCode-DMP",
        "identifier": [{"value": "urn:oid:1.2.250.1.213.1.1.5.7"}],
        "version": "20260301120000",
        "name": "JDV_J66-TypeCode-DMP",
        "date": "2026-03-01T12:00:00+01:00",
        "description": "typeCode DMP",
        "compose": {
            "include": [
                {
                    "system": f"{NOS}/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire",
                    "concept": [
                        {"code": "SYNTH", "display": "Synthèse"},
                        {
                            "code": "REMB",
                            "display": "Données de remboursement",
                            "designation": [{"use": {"code": "OID"}, "value": "urn:oid:1.2.250.1.213.1.1.4.12"}],
                        },
                    ],
                },
                {"system": "http://loinc.org", "concept": [{"code": "11490-0", "display": "Lettre de liaison"}]},
                {"system": "urn:oid:1.2.3.4", "concept": [{"code": "X1"}]},
                {"system": "https://example.org/unknown", "concept": [{"code": "Y1", "display": "y"}]},
            ]
        },
        "expansion": {
            "contains": [
                {"system": "http://loinc.org", "code": "11490-0", "display": "dup"},
                {"abstract": True, "contains": [{"system": "http://loinc.org", "code": "18748-4"}]},
            ]
        },
    }


def _write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------- SVS


def test_svs_from_bytes() -> None:
    vs = load_svs(SVS)
    assert vs.name == "JDV_J57-ClassCode-DMP"
    assert vs.oid == "1.2.250.1.213.1.1.5.6"
    assert vs.version == "2026-01-02"
    assert [(c.code, c.code_system, c.display) for c in vs] == [
        ("10", TRE_A03, "Compte rendu"),
        ("96", TRE_A03, "Nouvelle classe"),
    ]
    assert vs.description is not None
    assert "duplicate" in vs.description
    assert "skipped" in vs.description


def test_svs_from_path_uses_the_stem_without_url(tmp_path: Path) -> None:
    path = tmp_path / "JDV_Exemple_CISIS.xml"
    path.write_bytes(
        b'<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet id="1.2.3" version="test" '
        b'revisionDate="2022-12-16T00:00:00+01:00"><ConceptList><Concept code="a" codeSystem="1.2.4" '
        b'displayName="A"/></ConceptList></ValueSet></RetrieveValueSetResponse>'
    )
    vs = load_svs(path)
    assert (vs.name, vs.version, vs.codes()) == ("JDV_Exemple_CISIS", "2022-12-16", ["a"])
    assert load_file(path) == vs


def test_svs_multiple_value_sets() -> None:
    data = (
        b'<RetrieveMultipleValueSetsResponse xmlns="urn:ihe:iti:svs:2008">'
        b'<DescribedValueSet id="1.2.3.1" displayName="A"><ConceptList><Concept code="x" codeSystem="1.9"/>'
        b"</ConceptList></DescribedValueSet>"
        b'<DescribedValueSet id="1.2.3.2" displayName="B"><ConceptList><Concept code="y" codeSystem="1.9"/>'
        b"</ConceptList></DescribedValueSet></RetrieveMultipleValueSetsResponse>"
    )
    assert [vs.name for vs in load_svs_all(data)] == ["A", "B"]
    assert load_svs(data).name == "A"


def test_svs_that_is_not_svs() -> None:
    with pytest.raises(InvalidValue):
        load_svs(b"<root xmlns='urn:other'><ValueSet/></root>")


def test_svs_is_parsed_by_the_hardened_parser() -> None:
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    with pytest.raises(XMLSecurityError):
        load_svs(evil)
    with pytest.raises(XMLError):
        load_svs(b"<RetrieveValueSetResponse")


# ---------------------------------------------------------------------------------------------- FHIR


def test_fhir_valueset_compose_and_expansion(tmp_path: Path) -> None:
    vs = load_fhir_valueset(_write(tmp_path, "j66.json", _fhir_valueset()))
    assert vs.name == "JDV_J66-TypeCode-DMP"
    assert vs.oid == "1.2.250.1.213.1.1.5.7"
    assert vs.version == "2026-03-01"
    assert vs.description is not None
    assert vs.description.startswith("typeCode DMP")
    assert [c.key for c in vs] == [
        (TRE_A05, "SYNTH"),  # NOS terminology URL -> OID
        (TRE_A05, "REMB"),  # designation OID
        (LOINC, "11490-0"),  # well-known URL
        ("1.2.3.4", "X1"),  # urn:oid system
        ("https://example.org/unknown", "Y1"),  # unknown URL kept
        (LOINC, "18748-4"),  # nested expansion.contains
    ]
    assert vs.display("11490-0") == "Lettre de liaison"  # compose wins over the duplicate in the expansion
    assert "duplicate" in vs.description


def test_fhir_version_falls_back_to_date(tmp_path: Path) -> None:
    doc = _fhir_valueset()
    doc["version"] = "0.1.0"
    assert load_fhir_valueset(json.dumps(doc).encode()).version == "2026-03-01"
    del doc["date"]
    assert load_fhir_valueset(json.dumps(doc).encode()).version == "0.1.0"


def test_fhir_codesystem_hierarchical() -> None:
    doc = {
        "resourceType": "CodeSystem",
        "identifier": [{"value": "urn:oid:1.2.250.1.213.1.1.4.13"}],
        "name": "TRE_A07-StatutVisibiliteDocument",
        "date": "2027-01-01",
        "concept": [
            {"code": "MASQUE_PS", "display": "Masqué aux professionnels de santé"},
            {"code": "GROUP", "concept": [{"code": "CHILD", "display": "enfant"}]},
        ],
    }
    vs = load_fhir_valueset(json.dumps(doc).encode())
    assert vs.codes() == ["MASQUE_PS", "GROUP", "CHILD"]
    assert {c.code_system for c in vs} == {"1.2.250.1.213.1.1.4.13"}
    assert vs.version == "2027-01-01"


@pytest.mark.parametrize(
    "payload",
    [b"{not json", b'{"resourceType": "Patient"}', b"[1, 2]", b"\xff\xfe"],
)
def test_fhir_refuses_other_inputs(payload: bytes) -> None:
    with pytest.raises(InvalidValue):
        load_fhir_valueset(payload)


# ---------------------------------------------------------------------------------------------- stored JSON


def test_dump_and_load_json_round_trip(tmp_path: Path) -> None:
    vs = ValueSet.of("TEST", [("a", "1.2", "A"), ("b", "1.2", None)], oid="1.2.9", version="2026-01-01", source="t")
    path = tmp_path / "t.json"
    path.write_text(dump_json(vs), encoding="utf-8")
    assert load_json(path) == vs
    assert load_file(path) == vs


def test_load_json_accepts_fhir_and_refuses_broken_store(tmp_path: Path) -> None:
    assert load_json(_write(tmp_path, "f.json", _fhir_valueset())).oid == "1.2.250.1.213.1.1.5.7"
    with pytest.raises(InvalidValue):
        load_json(_write(tmp_path, "b.json", {"format": "dmpclient.valueset/1", "value_set": {"name": "x"}}))


def test_load_file_refuses_other_extensions(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("code;label", encoding="utf-8")
    with pytest.raises(InvalidValue):
        load_file(path)


def test_load_directory_skips_what_is_not_a_value_set(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "j57.xml").write_bytes(SVS)
    _write(tmp_path, "j66.json", _fhir_valueset())
    _write(tmp_path, "patient.json", {"resourceType": "Patient"})
    (tmp_path / "SVS.xsd").write_text("<xs:schema/>", encoding="utf-8")
    (tmp_path / "broken.xml").write_text("<oops", encoding="utf-8")
    loaded, skipped = load_directory_report(tmp_path)
    assert sorted(vs.name for vs in loaded) == ["JDV_J57-ClassCode-DMP", "JDV_J66-TypeCode-DMP"]
    assert sorted(p.name for p, _ in skipped) == ["broken.xml", "patient.json"]
    assert [vs.name for vs in load_directory(tmp_path)] == [vs.name for vs in loaded]
    with pytest.raises(InvalidValue):
        load_directory(tmp_path / "missing")


def test_code_positional_construction_still_works() -> None:
    assert Code("10", TRE_A03, "Compte rendu").key == (TRE_A03, "10")
