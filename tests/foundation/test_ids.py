"""dmpclient.ids: INS, IdNat of professionals and structures, OIDs, uniqueIds, OidGenerator.

Reference: ``xds-metadata.md`` §2–3, ``vihf.md`` §2 and §4, ``test-data.md`` §1–4.
"""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest

from dmpclient.errors import InputError, InvalidIdentifier, NIARefused, RuleViolation
from dmpclient.hl7v2 import CX
from dmpclient.ids import (
    IDNPS_OID,
    INS,
    MAX_UNIQUE_ID_LENGTH,
    EnvironmentKind,
    FinessLevel,
    InsKind,
    InsOid,
    OidGenerator,
    ProfessionalId,
    ProfessionalIdType,
    StructureId,
    StructureIdType,
    is_oid,
    luhn_is_valid,
    nir_key,
    oid_from_uuid,
    validate_oid,
    validate_unique_id,
)


def assert_input_error(exc: InputError, *, field: str, value: object, rule: str) -> None:
    """Every input error names the field, the value and the rule — in attributes and in the message."""
    assert exc.field == field
    assert exc.value == value
    assert exc.rule == rule
    text = str(exc)
    assert field in text
    assert rule in text


# ------------------------------------------------------------------------------------------ INS key

# Hand-written cases (test-data.md §2/§3) so that the core tests run without ../shared.
VALID_INS = [
    "277076322082910",  # NESSI Ruth
    "153078987658513",  # CONTESTE Jean
    "207058575627097",  # PATB-QUATRE Laurence (official examples)
    "255069999999934",  # DESMAUX (demo OID .11)
    "109076322088835",  # the NIA of the CNDA book (key valid, refused by OID)
    "188102B17295165",  # FIGATELLIX CORSE, 2B
    "101072B99900114",  # INS-FAMILLE-ONZE CORSE, 2B
    "199013417202273",
    "134076322009786",
]


@pytest.mark.parametrize("value", VALID_INS)
def test_reference_ins_are_valid(value: str) -> None:
    ins = INS.parse(value)
    assert ins.matricule == value
    assert int(ins.key) == nir_key(value[:13])


def test_key_formula_is_97_minus_mod_97() -> None:
    # 2770763220829 mod 97 = 87 → key 10
    assert 2770763220829 % 97 == 87
    assert nir_key("2770763220829") == 10


@pytest.mark.parametrize(
    ("first13", "substitute"),
    [("188102B172951", "1881018172951"), ("101072B999001", "1010718999001"), ("1881020A72951", None)],
)
def test_corsica_substitution(first13: str, substitute: str | None) -> None:
    if substitute is None:  # "0A" is not Corsica: letters are refused
        with pytest.raises(InvalidIdentifier) as info:
            nir_key(first13)
        assert_input_error(info.value, field="matricule", value=first13, rule="INS format")
        return
    assert nir_key(first13) == 97 - int(substitute) % 97


def test_corsica_2a_substitution_uses_19() -> None:
    first13 = "18810" + "2A" + "172951"
    key = nir_key(first13)
    assert key == 97 - int("18810" + "19" + "172951") % 97
    assert INS.parse(f"{first13}{key:02d}").key == f"{key:02d}"
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse(f"{first13}{(key % 97) + 1:02d}")
    assert info.value.rule == "INS key"


def test_corsica_lower_case_is_normalised() -> None:
    assert INS.parse("188102b17295165").matricule == "188102B17295165"


def test_spaces_are_ignored() -> None:
    assert INS.parse("2 77 07 63 220 829 10").matricule == "277076322082910"


def test_wrong_key_names_expected_key() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse("277076322082911")
    assert_input_error(info.value, field="ins", value="277076322082911", rule="INS key")
    assert "expected 10" in str(info.value)
    assert "wrong key 11" in str(info.value)


@pytest.mark.parametrize("value", ["27707632208291", "2770763220829100", "", "2770763220829"])
def test_wrong_length(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse(value)
    assert_input_error(info.value, field="ins", value=value, rule="INS length")
    assert f"got {len(value)}" in str(info.value)


@pytest.mark.parametrize("value", ["27707632208291A", "2770X6322082910", "2770763220829١0", "1881024C17295165"[:15]])
def test_letters_refused(value: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse(value)
    assert_input_error(info.value, field="ins", value=value, rule="INS format")


def test_non_string_refused() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse(277076322082910)  # type: ignore[arg-type]
    assert_input_error(info.value, field="ins", value=277076322082910, rule="INS format")


def test_nir_key_needs_13_characters() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        nir_key("123")
    assert_input_error(info.value, field="matricule", value="123", rule="INS length")


# ----------------------------------------------------------------------------- INS from the reference

_INS_CELL = re.compile(r"^\|\s*`([0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8})`\s*\|\s*(\.\d+)?", re.MULTILINE)


def _reference_ins(shared: Path) -> list[tuple[str, str | None]]:
    text = (shared / "reference" / "test-data.md").read_text(encoding="utf-8")
    section = text[text.index("## 2.") : text.index("## 4.")]
    return [(m.group(1), m.group(2)) for m in _INS_CELL.finditer(section)]


def test_every_ins_of_the_reference_tables_validates(shared: Path) -> None:
    rows = _reference_ins(shared)
    assert len(rows) >= 90, f"expected the §2 and §3 tables, parsed only {len(rows)} rows"
    suffix_to_oid = {".10": InsOid.TEST, ".11": InsOid.DEMONSTRATION, ".9": InsOid.NIA, ".8": InsOid.PRODUCTION}
    for matricule, suffix in rows:
        oid = suffix_to_oid[suffix] if suffix else InsOid.TEST
        ins = INS.parse(matricule, oid)
        assert ins.matricule == matricule
        assert INS.from_cx(ins.to_cx()) == ins
    assert any(m[5:7] == "2B" for m, _ in rows)
    assert ("255069999999934", ".11") in rows


# ------------------------------------------------------------------------------------- OIDs, NIR/NIA


def test_nir_vs_nia_by_oid() -> None:
    assert INS.parse("277076322082910").kind is InsKind.NIR
    assert INS.parse("277076322082910", InsOid.PRODUCTION).kind is InsKind.NIR
    assert INS.parse("255069999999934", InsOid.DEMONSTRATION).kind is InsKind.NIR
    nia = INS.parse("109076322088835", "1.2.250.1.213.1.4.9")
    assert nia.kind is InsKind.NIA
    assert nia.oid is InsOid.NIA


@pytest.mark.parametrize("environment", list(EnvironmentKind))
def test_nia_refused_for_dmp_access(environment: EnvironmentKind) -> None:
    nia = INS.parse("109076322088835", InsOid.NIA)
    with pytest.raises(NIARefused) as info:
        nia.check_dmp_access(environment)
    assert isinstance(info.value, RuleViolation)
    assert_input_error(info.value, field="ins", value=nia.to_cx(), rule="CNDA 0.2-080")


@pytest.mark.parametrize(
    ("oid", "environment", "accepted"),
    [
        (InsOid.PRODUCTION, EnvironmentKind.PRODUCTION, True),
        (InsOid.PRODUCTION, EnvironmentKind.TEST, False),
        (InsOid.TEST, EnvironmentKind.TEST, True),
        (InsOid.TEST, EnvironmentKind.PRODUCTION, False),
        (InsOid.DEMONSTRATION, EnvironmentKind.TEST, True),
        (InsOid.DEMONSTRATION, EnvironmentKind.PRODUCTION, False),
    ],
)
def test_oid_accepted_per_environment(oid: InsOid, environment: EnvironmentKind, accepted: bool) -> None:
    ins = INS.parse("277076322082910", oid)
    if accepted:
        assert ins.check_dmp_access(environment) is ins
        return
    with pytest.raises(RuleViolation) as info:
        ins.check_dmp_access(environment)
    assert not isinstance(info.value, NIARefused)
    assert_input_error(info.value, field="ins.oid", value=oid.value, rule="INS OID per environment")


@pytest.mark.parametrize("oid", ["1.2.250.1.213.1.4.12", "urn:oid:1.2.250.1.213.1.4.10", "test"])
def test_unknown_ins_oid_refused(oid: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse("277076322082910", oid)
    assert_input_error(info.value, field="ins.oid", value=oid, rule="INS OID")


def test_ins_c_is_read_only() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.parse("277076322082910", InsOid.INS_C)
    assert_input_error(info.value, field="ins.oid", value=InsOid.INS_C, rule="INS OID")
    assert "INS-C" in str(info.value)


# ----------------------------------------------------------------------------------------------- CX


def test_cx_out() -> None:
    assert INS.parse("207058575627097").to_cx() == "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
    assert INS.parse("255069999999934", InsOid.DEMONSTRATION).to_cx().endswith("&1.2.250.1.213.1.4.11&ISO^NH")


@pytest.mark.parametrize(
    "cx",
    [
        "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH",
        "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH^^20100907",  # official examples' suffix form
        "207058575627097^^^&1.2.250.1.213.1.4.10&ISO",  # type code omitted
    ],
)
def test_cx_in(cx: str) -> None:
    ins = INS.from_cx(cx)
    assert ins.matricule == "207058575627097"
    assert ins.oid is InsOid.TEST
    assert ins.to_cx() == "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"  # short form is emitted


def test_cx_round_trip_all_oids() -> None:
    for oid in (InsOid.PRODUCTION, InsOid.NIA, InsOid.TEST, InsOid.DEMONSTRATION):
        ins = INS.parse("188102B17295165", oid)
        assert INS.from_cx(ins.to_cx()) == ins
        assert CX.parse(ins.to_cx()).assigning_authority is not None


@pytest.mark.parametrize(
    ("cx", "reason"),
    [
        ("207058575627097", "no assigning authority"),
        ("207058575627097^^^ns^NH", "no assigning authority"),
        ("207058575627097^^^&1.2.250.1.213.1.4.10&DNS^NH", "type must be ISO"),
        ("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^PI", "identifier type NH"),
    ],
)
def test_cx_refused(cx: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.from_cx(cx)
    assert_input_error(info.value, field="patientId", value=cx, rule="INS CX")
    assert reason in str(info.value)


def test_cx_with_wrong_key_names_key() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        INS.from_cx("207058575627098^^^&1.2.250.1.213.1.4.10&ISO^NH")
    assert info.value.rule == "INS key"
    assert "expected 97" in str(info.value)


# ---------------------------------------------------------------------------------------- RPPS/ADELI

TEST_RPPS_IDNAT = ["899900063480", "899900038839", "899700296140", "899700433156", "899700450101"]


@pytest.mark.parametrize("idnat", TEST_RPPS_IDNAT)
def test_reference_rpps_are_valid(idnat: str) -> None:
    pid = ProfessionalId.parse(idnat)
    assert pid.id_type is ProfessionalIdType.RPPS
    assert pid.number == idnat[1:]
    assert luhn_is_valid(idnat[1:])
    assert ProfessionalId.rpps(idnat[1:]) == pid


@pytest.mark.parametrize("idnat", TEST_RPPS_IDNAT)
def test_one_digit_change_breaks_rpps_luhn(idnat: str) -> None:
    for position in range(1, 12):
        digit = int(idnat[position])
        changed = idnat[:position] + str((digit + 1) % 10) + idnat[position + 1 :]
        with pytest.raises(InvalidIdentifier) as info:
            ProfessionalId.parse(changed)
        assert_input_error(info.value, field="professional.id", value=changed, rule="RPPS Luhn")


@pytest.mark.parametrize("idnat", ["89990006348", "8999000634800", "89990006348A", "8" + "٠" * 11, "8" + "²" * 11])
def test_rpps_shape_refused(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        ProfessionalId.parse(idnat)
    assert_input_error(info.value, field="professional.id", value=idnat, rule="RPPS")


def test_luhn_only_ascii_digits() -> None:
    assert luhn_is_valid("99900063480")
    assert not luhn_is_valid("99900063481")
    assert not luhn_is_valid("٠" * 11)
    assert not luhn_is_valid("")


@pytest.mark.parametrize("adeli", ["751234567", "2A1234567", "2b1234567"])
def test_adeli_valid(adeli: str) -> None:
    pid = ProfessionalId.adeli(adeli)
    assert pid.id_type is ProfessionalIdType.ADELI
    assert pid.number == adeli


@pytest.mark.parametrize("idnat", ["07512345", "07512345678", "0ABC234567", "0751234567\n"])
def test_adeli_refused(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        ProfessionalId(idnat)
    assert_input_error(info.value, field="professional.id", value=idnat, rule="ADELI")


@pytest.mark.parametrize(
    ("idnat", "structure", "local"),
    [("3750100125/123", "3750100125", "123"), ("30B0037750/CPET0001", "30B0037750", "CPET0001")],
)
def test_internal_ids(idnat: str, structure: str, local: str) -> None:
    pid = ProfessionalId.parse(idnat)
    assert pid.id_type is ProfessionalIdType.INTERNAL
    assert pid.structure_part == structure
    assert pid.number == idnat
    assert ProfessionalId.internal(structure, local) == pid


def test_internal_id_from_structure_object() -> None:
    structure = StructureId.parse("10B0127189", finess_level="EG")
    assert ProfessionalId.internal(structure, "u42").value == "10B0127189/u42"


@pytest.mark.parametrize(
    "idnat", ["7123/abc", "3750100125/", "3750100125/a^b", "3750100125/a&b", "3750100125/a\nb", "/abc", "3750100125/ a"]
)
def test_internal_ids_refused(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        ProfessionalId(idnat)
    assert_input_error(info.value, field="professional.id", value=idnat, rule="IdNat PS internal")


@pytest.mark.parametrize("idnat", ["", "9123456789", "X99900063480"])
def test_unknown_prefix(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        ProfessionalId(idnat)
    rule = "IdNat PS" if idnat == "" else "IdNat PS prefix"
    assert_input_error(info.value, field="professional.id", value=idnat, rule=rule)


def test_professional_id_oid_constant() -> None:
    assert IDNPS_OID == "1.2.250.1.71.4.2.1"


# ----------------------------------------------------------------------------------------- structures


@pytest.mark.parametrize(
    ("idnat", "kind", "level"),
    [
        ("499900063480001", StructureIdType.RPPS_CABINET, None),
        ("499700433156004", StructureIdType.RPPS_CABINET, None),
        ("339172288100052", StructureIdType.SIRET, None),
        ("10B0127189", StructureIdType.FINESS, FinessLevel.EG),
        ("11B0062640", StructureIdType.FINESS, FinessLevel.EJ),
        ("2552100554", StructureIdType.SIREN, None),
        ("0751234567001", StructureIdType.ADELI_CABINET, None),
    ],
)
def test_structure_forms(idnat: str, kind: StructureIdType, level: FinessLevel | None) -> None:
    sid = StructureId.parse(idnat, finess_level=level)
    assert sid.id_type is kind
    assert sid.idnat == idnat
    assert sid.number == idnat[1:]
    assert sid.finess_level is level
    assert str(sid) == idnat


def test_finess_level_is_carried_not_derived() -> None:
    ej = StructureId.finess("0B0062640", "EJ")
    eg = StructureId.finess("0B0062640", FinessLevel.EG)
    assert ej.idnat == eg.idnat
    assert ej != eg
    assert StructureId.parse("10B0127189").finess_level is None


def test_real_finess_luhn() -> None:
    assert StructureId.parse("1750100125").number == "750100125"  # AP-HP EJ, valid key
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse("1750100126")
    assert_input_error(info.value, field="structure.id", value="1750100126", rule="FINESS key")


@pytest.mark.parametrize("idnat", ["10B012718", "10C0127189", "1ABCDEFGHI"])
def test_finess_shape_refused(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse(idnat)
    assert_input_error(info.value, field="structure.id", value=idnat, rule="FINESS")


def test_finess_level_only_for_finess() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse("339172288100052", finess_level="EJ")
    assert_input_error(info.value, field="structure.finess_level", value=FinessLevel.EJ, rule="FINESS EJ/EG")


def test_finess_level_value_checked() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse("10B0127189", finess_level="EX")
    assert_input_error(info.value, field="structure.finess_level", value="EX", rule="FINESS EJ/EG")


@pytest.mark.parametrize(("idnat", "rule"), [("5123456789", "IdNat structure prefix"), ("1", "IdNat structure")])
def test_structure_prefix_refused(idnat: str, rule: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse(idnat)
    assert_input_error(info.value, field="structure.id", value=idnat, rule=rule)


@pytest.mark.parametrize(
    ("siren", "valid"), [("732829320", True), ("552100554", True), ("552100555", False), ("339172288", False)]
)
def test_siren_luhn(siren: str, valid: bool) -> None:
    if valid:
        assert StructureId.parse("2" + siren).id_type is StructureIdType.SIREN
        return
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse("2" + siren)
    assert_input_error(info.value, field="structure.id", value="2" + siren, rule="SIREN")


def test_vihf_example_structure_is_a_siret() -> None:
    sid = StructureId.parse("339172288100052")  # indirect VIHF example (GIE SESAM VITALE)
    assert sid.id_type is StructureIdType.SIRET
    assert sid.number == "39172288100052"


@pytest.mark.parametrize(
    ("siret", "valid"),
    [
        ("73282932000074", True),
        ("73282932000075", False),  # Luhn broken
        ("35600000010000", True),  # La Poste: digit sum multiple of 5, fails Luhn
        ("35600000010013", False),  # La Poste: passes Luhn, digit sum not a multiple of 5
        ("3560000000004", False),  # 13 digits
        ("7328293200007A", False),
    ],
)
def test_siret_rules(siret: str, valid: bool) -> None:
    if valid:
        assert StructureId.parse("3" + siret).id_type is StructureIdType.SIRET
        return
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse("3" + siret)
    assert_input_error(info.value, field="structure.id", value="3" + siret, rule="SIRET")


def test_la_poste_cases_differ_from_luhn() -> None:
    assert not luhn_is_valid("35600000010000")
    assert luhn_is_valid("35600000010013")
    assert sum(int(c) for c in "35600000010000") % 5 == 0


@pytest.mark.parametrize("idnat", ["49990006348", "49990006348100", "4999000634810A"])
def test_rpps_cabinet_refused(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse(idnat)
    assert_input_error(info.value, field="structure.id", value=idnat, rule="RPPS cabinet")


@pytest.mark.parametrize("idnat", ["012345678", "0751234567-01"])
def test_adeli_cabinet_refused(idnat: str) -> None:
    with pytest.raises(InvalidIdentifier) as info:
        StructureId.parse(idnat)
    assert_input_error(info.value, field="structure.id", value=idnat, rule="ADELI cabinet")


# ----------------------------------------------------------------------------------------------- OIDs


@pytest.mark.parametrize("oid", ["1.2.250.1.213.1.4.10", "2.25.0", "0.0", "2.999.1", "1.2.250.1.999.1.1.7898"])
def test_oid_syntax_valid(oid: str) -> None:
    assert is_oid(oid)
    assert validate_oid(oid) == oid


@pytest.mark.parametrize(
    "oid", ["", "1", "3.1", "1.02", "1..2", "1.2.", ".1.2", "1.2.a", "1.2.3\n", "urn:oid:1.2", " 1.2"]
)
def test_oid_syntax_invalid(oid: str) -> None:
    assert not is_oid(oid)
    with pytest.raises(InvalidIdentifier) as info:
        validate_oid(oid, field="x.oid")
    assert_input_error(info.value, field="x.oid", value=oid, rule="OID syntax")


def test_oid_from_uuid() -> None:
    u = uuid.UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6")  # the X.667 example
    assert oid_from_uuid(u) == "2.25.329800735698586629295641978511506172918"
    random_oid = oid_from_uuid()
    assert random_oid.startswith("2.25.")
    assert is_oid(random_oid)
    assert len(random_oid) <= 44
    assert oid_from_uuid() != random_oid
    assert validate_unique_id(oid_from_uuid(uuid.UUID(int=2**128 - 1))) == f"2.25.{2**128 - 1}"


def test_unique_id_plain_oid_accepted() -> None:
    assert validate_unique_id("1.2.250.1.999.1.1.7898.3.20240101") == "1.2.250.1.999.1.1.7898.3.20240101"


def test_unique_id_extension_refused() -> None:
    value = "1.2.250.1.999.1.1.7898^123"
    with pytest.raises(InvalidIdentifier) as info:
        validate_unique_id(value)
    assert_input_error(info.value, field="uniqueId", value=value, rule="EX_2.1-1130")


def test_unique_id_length() -> None:
    ok = "1." + "1" * (MAX_UNIQUE_ID_LENGTH - 2)
    assert len(ok) == 64
    assert validate_unique_id(ok) == ok
    too_long = ok + "1"
    with pytest.raises(InvalidIdentifier) as info:
        validate_unique_id(too_long, field="documents[0].uniqueId")
    assert_input_error(info.value, field="documents[0].uniqueId", value=too_long, rule="uniqueId length")
    assert "65" in str(info.value)


def test_unique_id_must_be_oid() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        validate_unique_id("urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6")
    assert info.value.rule == "OID syntax"


# --------------------------------------------------------------------------------------- OidGenerator


class FakeClock:
    def __init__(self, *values: float) -> None:
        self.values = list(values)
        self.calls = 0

    def __call__(self) -> float:
        value = self.values[min(self.calls, len(self.values) - 1)]
        self.calls += 1
        return value


def _last_arc(oid: str) -> int:
    return int(oid.rsplit(".", 1)[1])


def test_generator_uses_injected_clock_under_root() -> None:
    clock = FakeClock(1700000000.0)
    gen = OidGenerator("1.2.250.1.999.1.1.7898", clock=clock)
    first = gen.new(3)
    assert first.startswith("1.2.250.1.999.1.1.7898.3.")
    assert _last_arc(first) == 1700000000000 * 1000
    assert clock.calls == 1
    assert gen.new().startswith("1.2.250.1.999.1.1.7898.1700000000")
    assert gen.root == "1.2.250.1.999.1.1.7898"


def test_generator_unique_and_monotonic_when_clock_stands_still() -> None:
    gen = OidGenerator("1.2.3", clock=lambda: 1700000000.0)
    values = [_last_arc(gen.new()) for _ in range(2500)]  # more than 1000 in one millisecond
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_generator_unique_when_clock_goes_back() -> None:
    # NTP step backwards: the generator must never reissue a value.
    gen = OidGenerator("1.2.3", clock=FakeClock(1700000000.002, 1700000000.005, 1700000000.001, 1700000000.001))
    values = [_last_arc(gen.new()) for _ in range(6)]
    assert len(set(values)) == 6
    assert values == sorted(values)


def test_generator_monotonic_across_milliseconds() -> None:
    ticks = [1700000000.000] * 12 + [1700000000.001] * 3
    gen = OidGenerator("1.2.3", clock=FakeClock(*ticks))
    values = [_last_arc(gen.new()) for _ in ticks]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_generator_thread_safe() -> None:
    gen = OidGenerator("1.2.3", clock=lambda: 1700000000.0)
    out: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        local = [gen.new(1) for _ in range(500)]
        with lock:
            out.extend(local)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == 2000


def test_generated_ids_pass_dmp_rules() -> None:
    gen = OidGenerator("1.2.250.1.999.1.1.7898")
    for oid in (gen.new(), gen.new(1), gen.new(4)):
        assert validate_unique_id(oid) == oid


def test_generator_refuses_bad_root_and_too_long_result() -> None:
    with pytest.raises(InvalidIdentifier) as info:
        OidGenerator("1.2.3^x")
    assert_input_error(info.value, field="root", value="1.2.3^x", rule="OID syntax")
    long_root = "1." + "2" * 50
    with pytest.raises(InvalidIdentifier) as info2:
        OidGenerator(long_root, clock=lambda: 1700000000.0).new()
    assert info2.value.rule == "uniqueId length"
    assert info2.value.field == "generated uniqueId"
