"""Built-in tables, constants and DMP rules (no ../shared needed, except where a fixture says so)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient.errors import InvalidValue
from dmpclient.terminology import (
    ASTM,
    CONFIDENTIALITY_NORMAL,
    HL7_CONFIDENTIALITY,
    INVISIBLE_PATIENT,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    LOINC,
    MASQUE_PS,
    SIGNATURE_CLASS_CODE,
    SIGNATURE_EVENT_CODE,
    SIGNATURE_FORMAT_CODE,
    SIGNATURE_TYPE_CODE,
    TRE_A00,
    TRE_A01,
    TRE_A02,
    TRE_A03,
    TRE_A05,
    TRE_A06,
    TRE_A07,
    TRE_A11_IHE_FORMAT,
    TRE_G15,
    TRE_R01,
    TRE_R02,
    TRE_R209,
    TRE_R248,
    URN,
    AvailabilityStatus,
    Code,
    CodeMap,
    ValueSet,
    builtin_terminology,
    class_code_for_type,
    describe,
    format_code_for_media_type,
    is_legacy_type_code,
    lps_forbidden,
    media_type_for_format_code,
    value_set,
    value_set_names,
)

# ---------------------------------------------------------------------------------------------- provenance


def _key(code: Code | None) -> tuple[str, str] | None:
    return code.key if code is not None else None


def _tables() -> list[ValueSet | CodeMap]:
    t = builtin_terminology()
    return [*t.value_sets(), *t.code_maps()]


@pytest.mark.parametrize("table", _tables(), ids=lambda t: t.name)
def test_every_builtin_table_has_provenance(table: ValueSet | CodeMap) -> None:
    assert table.source.strip()
    assert table.version.strip()
    if table.oid is None:
        assert "No OID" in (table.description or ""), table.name
    else:
        assert all(part.isdigit() for part in table.oid.split(".")), table.oid
    assert len(table) > 0


@pytest.mark.parametrize("table", builtin_terminology().value_sets(), ids=lambda t: t.name)
def test_every_builtin_value_set_has_a_version_date(table: ValueSet) -> None:
    assert table.date is not None, table.version


def test_required_tables_are_registered_under_their_short_ids() -> None:
    t = builtin_terminology()
    for short in (
        "J57", "J58", "J08", "J59", "J60", "J61", "J02", "J62", "J04", "J66", "J07", "J56", "J01", "TRE_G15",
        "TRE_R01", "TRE_A00", "TRE_R248", "TRE_A07", "J52", "J231", "J47", "J143", "TRE_R209",
    ):  # fmt: skip
        assert short in t, short


def test_reference_oids_of_the_dmp_value_sets() -> None:
    expected = {
        "J57": "1.2.250.1.213.1.1.5.6",
        "J66": "1.2.250.1.213.1.1.5.7",
        "J60": "1.2.250.1.213.1.1.5.8",
        "J58": "1.2.250.1.213.1.1.5.9",
        "J59": "1.2.250.1.213.1.1.5.2",
        "J62": "1.2.250.1.213.1.1.5.4",
        "J07": "1.2.250.1.213.1.1.5.471",
        "J01": "1.2.250.1.213.1.1.5.461",
        "J52": "1.2.250.1.213.1.1.5.131",
        "J231": "1.2.250.1.213.1.1.5.693",
    }
    for short, oid in expected.items():
        assert value_set(short).oid == oid, short


def test_oid_constants_are_those_of_the_reference(shared: Path) -> None:
    text = (shared / "reference" / "value-sets.md").read_text(encoding="utf-8")
    for name, oid in {
        "TRE_A05": TRE_A05, "TRE_A03": TRE_A03, "TRE_A07": TRE_A07, "TRE_A11": TRE_A11_IHE_FORMAT,
        "TRE_A06": TRE_A06, "TRE_R02": TRE_R02, "TRE_A01": TRE_A01, "TRE_A02": TRE_A02, "TRE_A00": TRE_A00,
        "TRE_G15": TRE_G15, "TRE_R01": TRE_R01, "TRE_R248": TRE_R248, "TRE_R209": TRE_R209, "LOINC": LOINC,
        "HL7 Confidentiality": HL7_CONFIDENTIALITY,
    }.items():  # fmt: skip
        lines = [line for line in text.splitlines() if name in line and f"`{oid}`" in line]
        assert lines, f"{name} {oid} not on one line of value-sets.md"
    assert LOINC == "2.16.840.1.113883.6.1"


def test_sizes_and_contents() -> None:
    assert len(value_set("J01")) == 396
    assert len(value_set("J07")) == 114
    assert value_set("J57").display("95") == "Document de gestion"
    assert value_set("J57").lookup("99", TRE_A03) is not None
    assert value_set("TRE_G15").display("10") == "Médecin"
    assert {c.code for c in value_set("J52")} == {s.value for s in AvailabilityStatus} - {
        "urn:oasis:names:tc:ebxml-regrep:StatusType:Submitted"
    }
    assert {c.code for c in value_set("TRE_R248")} == {"normal", "bris_de_glace", "centre_15"}
    assert all(c.code_system == TRE_R248 for c in value_set("TRE_R248"))
    assert value_set("J59").display("04", TRE_R209) == "Hospitalisation de jour"
    assert value_set("J231").codes() == [
        "urn:ihe:iti:xds:2013:accession",
        "urn:ihe:iti:xds:2013:order",
        "urn:ihe:iti:xds:2016:studyInstanceUID",
    ]


# ---------------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "name",
    ["J07", "j07", "JDV_J07-XdsTypeCode-CISIS", "JDV_J07_XdsTypeCode_CISIS", "JDV-J07-XdsTypeCode-CISIS",
     "JDV_J07_XdsTypeCode_CISIS.xml", "1.2.250.1.213.1.1.5.471", "urn:oid:1.2.250.1.213.1.1.5.471"],
)  # fmt: skip
def test_value_set_accepts_every_naming_form(name: str) -> None:
    assert value_set(name).name == "JDV_J07-XdsTypeCode-CISIS"


def test_value_set_aliases() -> None:
    assert value_set("TRE_R248").name == "TRE_R248-ModeAcces"
    assert value_set("LPS_FORBIDDEN").name == "DMPCLIENT_LpsForbiddenCodes"
    assert value_set("LEGACY_TYPE_CODES").name == "DMPCLIENT_LegacyTypeCodes"
    assert "JDV_J52-AvailabilityStatus-CISIS" in value_set_names()


@pytest.mark.parametrize("name", ["J99", "JDV_J99-Nothing", "1.2.3.4", ""])
def test_unknown_value_set_raises_invalid_value(name: str) -> None:
    with pytest.raises(InvalidValue) as info:
        value_set(name)
    assert info.value.field == "value_set"
    assert info.value.value == name


def test_unknown_codes_are_tolerated_on_read() -> None:
    j57 = value_set("J57")
    assert j57.lookup("77") is None
    assert Code("77", TRE_A03) not in j57
    text = describe(Code("77", TRE_A03, "Nouvelle classe"))
    assert "unknown code" in text
    assert "Nouvelle classe" in text


def test_describe_known_code() -> None:
    text = describe(Code("11490-0", LOINC))
    assert "Lettre de liaison à la sortie d'un établissement de soins" in text
    assert "JDV_J07-XdsTypeCode-CISIS" in text
    assert "unknown" not in text
    assert "differs" in describe(Code("11490-0", LOINC, "Autre libellé"))


# ---------------------------------------------------------------------------------------------- ASS_X04


@pytest.mark.parametrize(
    ("type_code", "class_code", "display"),
    [
        ("11490-0", "10", "Compte rendu"),
        ("18761-7", "11", "Synthèse"),
        ("11502-2", "10", "Compte rendu"),
        ("18748-4", "31", "Imagerie médicale"),
        ("11369-6", "52", "Certificat, déclaration"),
        ("PROT_ALD", "44", "Plan de soins, protocole de soins"),
        ("27899-4", "10", "Compte rendu"),
    ],
)
def test_ass_x04_examples(type_code: str, class_code: str, display: str) -> None:
    found = class_code_for_type(type_code)
    assert found == Code(class_code, TRE_A03, display)
    assert found is not None
    assert found.display == display


def test_ass_x04_with_code_objects_and_systems() -> None:
    synth = ("1.2.250.1.213.1.1.4.1", "11")
    assert _key(class_code_for_type(Code("SYNTH", TRE_A05))) == synth
    assert _key(class_code_for_type("SYNTH", TRE_A05)) == synth
    assert _key(class_code_for_type("SYNTH", "urn:oid:" + TRE_A05)) == synth
    assert class_code_for_type(SIGNATURE_TYPE_CODE) == SIGNATURE_CLASS_CODE  # same display too


@pytest.mark.parametrize(
    ("type_code", "system"),
    [("12345-6", None), ("101881-1", None), ("SYNTH", LOINC), ("11490-0", TRE_A05), ("", None)],
)
def test_ass_x04_unknown_type_gives_none(type_code: str, system: str | None) -> None:
    assert class_code_for_type(type_code, system) is None


# ---------------------------------------------------------------------------------------------- media types


@pytest.mark.parametrize(
    ("media", "fmt"),
    [
        ("application/pdf", "urn:ihe:iti:xds-sd:pdf:2008"),
        ("text/plain", "urn:ihe:iti:xds-sd:text:2008"),
        ("text/rtf", "urn:ihe:iti-fr:xds-sd:rtf:2010"),
        ("image/jpeg", "urn:ihe:iti-fr:xds-sd:jpeg:2010"),
        ("image/tiff", "urn:ihe:iti-fr:xds-sd:tiff:2010"),
    ],
)
def test_n1_media_type_to_format_code_and_back(media: str, fmt: str) -> None:
    code = format_code_for_media_type(media)
    assert (code.code, code.code_system) == (fmt, TRE_A11_IHE_FORMAT)
    assert code.display == value_set("J60").display(fmt, TRE_A11_IHE_FORMAT)
    assert code in value_set("J60")
    assert media_type_for_format_code(code) == media
    assert media_type_for_format_code(fmt) == media


def test_media_type_is_normalized() -> None:
    assert format_code_for_media_type(" Application/PDF; charset=binary ").code == "urn:ihe:iti:xds-sd:pdf:2008"


@pytest.mark.parametrize("media", ["application/msword", "text/html", "image/png", ""])
def test_refused_media_type_names_the_value_and_the_allowed_list(media: str) -> None:
    with pytest.raises(InvalidValue) as info:
        format_code_for_media_type(media)
    assert info.value.value == media
    assert info.value.rule == "ASS_A12"
    assert "application/pdf" in str(info.value)
    assert "image/tiff" in str(info.value)


def test_reverse_lookup_of_a_non_n1_format_is_none() -> None:
    assert media_type_for_format_code("urn:asip:ci-sis:vsm:2012") is None
    assert media_type_for_format_code(SIGNATURE_FORMAT_CODE) is None
    assert media_type_for_format_code(Code("urn:ihe:iti:xds-sd:pdf:2008", TRE_A06)) is None


# ---------------------------------------------------------------------------------------------- EX_2.1-1010


@pytest.mark.parametrize(
    "code",
    [
        Code("60", TRE_A03),
        Code("90", TRE_A03),
        *(Code(f"DOCPAT0{i}", TRE_A05) for i in range(1, 10)),
        Code("EXPPAT_1", TRE_A05),
        Code("EXPPAT_3", TRE_A05),
        Code("REMB", TRE_A05),
        Code("11369-6", LOINC),
        Code("74465-6", LOINC),  # Questionnaire patient: class 90 by ASS_X04
    ],
    ids=str,
)
def test_codes_an_lps_may_not_send(code: Code) -> None:
    reason = lps_forbidden(code)
    assert reason is not None
    assert reason.startswith("EX_2.1-1010: ")
    assert code.code in reason
    assert code in value_set("LPS_FORBIDDEN")


@pytest.mark.parametrize(
    "code",
    [
        Code("10", TRE_A03),
        Code("52", TRE_A03),
        Code("11490-0", LOINC),
        Code("87273-9", LOINC),
        Code("SYNTH", TRE_A05),
        Code("DOCPAT01", LOINC),  # not the TRE_A05 code
        Code("60", TRE_A05),
        SIGNATURE_CLASS_CODE,
        SIGNATURE_TYPE_CODE,
        Code("27899-4", LOINC),  # legacy but allowed by this rule
    ],
    ids=str,
)
def test_codes_an_lps_may_send(code: Code) -> None:
    assert lps_forbidden(code) is None
    assert code not in value_set("LPS_FORBIDDEN")


def test_forbidden_reason_shows_the_table_label() -> None:
    assert "Données de remboursement" in (lps_forbidden(Code("60", TRE_A03)) or "")


def test_legacy_type_codes() -> None:
    assert is_legacy_type_code("27899-4")
    assert is_legacy_type_code(Code("46241-6", LOINC))
    assert not is_legacy_type_code("11490-0")
    assert not is_legacy_type_code(Code("27899-4", TRE_A05))
    legacy = value_set("LEGACY_TYPE_CODES")
    assert len(legacy) == 16
    assert legacy.display("27899-4") == "CR d'acte diagnostique (autre)"
    assert all(c not in value_set("J07") for c in legacy)


# ---------------------------------------------------------------------------------------------- constants


def test_signature_document_codes() -> None:
    assert Code("http://www.w3.org/2000/09/xmldsig#", URN, "Default Signature Style") == SIGNATURE_FORMAT_CODE
    assert SIGNATURE_FORMAT_CODE.display == "Default Signature Style"
    assert value_set("J60").display(SIGNATURE_FORMAT_CODE.code, URN) == SIGNATURE_FORMAT_CODE.display
    assert value_set("J57").display(SIGNATURE_CLASS_CODE.code, URN) == SIGNATURE_CLASS_CODE.display
    assert SIGNATURE_TYPE_CODE in value_set("J07")
    assert value_set("J07").display("E1762", ASTM) == SIGNATURE_TYPE_CODE.display
    assert (SIGNATURE_EVENT_CODE.code, SIGNATURE_EVENT_CODE.code_system, SIGNATURE_EVENT_CODE.display) == (
        "1.2.840.10065.1.12.1.14",
        "1.2.840.10065.1.12",
        "Source",
    )


def test_confidentiality_constants_are_in_j58_with_its_labels() -> None:
    j58 = value_set("J58")
    for code in (CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX):
        assert code in j58
        assert j58.display(code.code, code.code_system) == code.display
    assert CONFIDENTIALITY_NORMAL.code_system == "2.16.840.1.113883.5.25"
    assert MASQUE_PS.code_system == "1.2.250.1.213.1.1.4.13"


def test_availability_status_urns() -> None:
    assert AvailabilityStatus.ARCHIVED == "urn:asip:ci-sis:2010:StatusType:Archived"
    assert AvailabilityStatus.DELETED == "urn:asip:ci-sis:2010:StatusType:Deleted"
    assert AvailabilityStatus.APPROVED.value.endswith(":StatusType:Approved")
    assert AvailabilityStatus("urn:oasis:names:tc:ebxml-regrep:StatusType:Deprecated") is AvailabilityStatus.DEPRECATED


def test_availability_statuses_appear_in_the_official_examples(official_examples: Path) -> None:
    text = "".join(p.read_text(encoding="utf-8") for p in official_examples.glob("td3.*.xml"))
    for status in (AvailabilityStatus.APPROVED, AvailabilityStatus.ARCHIVED, AvailabilityStatus.DELETED):
        assert status.value in text


def test_availability_status_accepts_urns_and_short_names() -> None:
    from dmpclient.terminology import AvailabilityStatus

    assert AvailabilityStatus("urn:asip:ci-sis:2010:StatusType:Archived") is AvailabilityStatus.ARCHIVED
    assert AvailabilityStatus("Archived") is AvailabilityStatus.ARCHIVED
    assert AvailabilityStatus.parse("deleted") is AvailabilityStatus.DELETED


def test_availability_status_unknown_names_the_field_and_rule() -> None:
    from dmpclient.errors import InvalidValue
    from dmpclient.terminology import AvailabilityStatus

    with pytest.raises(InvalidValue) as info:
        AvailabilityStatus.parse("Hidden", field="current_status")
    assert info.value.field == "current_status"
    assert info.value.value == "Hidden"
    assert info.value.rule == "JDV_J52"
