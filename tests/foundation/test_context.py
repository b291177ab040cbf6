"""dmpclient.context: the acting context described once (vihf.md §2–4, xds-metadata.md §3)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dmpclient.context import (
    AUTHOR_SPECIALTY_SYSTEM,
    NON_PS_SYSTEM,
    PROFESSION_SYSTEM,
    SAVOIR_FAIRE_SYSTEM,
    AccessMode,
    ActingContext,
    AuthenticationMode,
    CardType,
    Professional,
    SoftwareIdentity,
    Structure,
)
from dmpclient.errors import InputError, InvalidIdentifier, InvalidValue, RuleViolation
from dmpclient.ids import IDNPS_OID, IDNST_OID, FinessLevel, ProfessionalId, ProfessionalIdType, StructureId
from dmpclient.terminology._model import Code


def libre(**kwargs: object) -> Professional:
    return Professional.create("899900063480", "LIBRE", "MAX", specialty="SM26", **kwargs)  # type: ignore[arg-type]


def cabinet() -> Structure:
    return Structure.create("499900063480001", "CABINET DR LIBRE")


def software() -> SoftwareIdentity:
    return SoftwareIdentity("LPS GIE-SV", "1", "NumAutorisation", "1.2.250.1.999.1.1.7898", "01.01.01.01")


def context(**kwargs: object) -> ActingContext:
    return ActingContext(libre(), cabinet(), AuthenticationMode.DIRECTE, software(), **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------- professional


@pytest.mark.parametrize(
    ("family", "given", "field"),
    [("", "MAX", "professional.family_name"), ("LIBRE", "  ", "professional.given_name")],
)
def test_empty_names_refused(family: str, given: str, field: str) -> None:
    with pytest.raises(InvalidValue) as info:
        Professional.create("899900063480", family, given, specialty="SM26")
    assert info.value.field == field
    assert info.value.rule == "RG_2230"
    assert "RG_2230" in str(info.value)


def test_names_are_stripped() -> None:
    p = Professional.create("899900063480", " LIBRE ", "MAX ")
    assert (p.family_name, p.given_name, p.display_name) == ("LIBRE", "MAX", "MAX LIBRE")


def test_id_validated_and_plain_string_accepted() -> None:
    with pytest.raises(InvalidIdentifier):
        Professional.create("899900063481", "LIBRE", "MAX")
    p = Professional("3750100125/123", "AGENT", "ACCUEIL", Code("SECRETARIAT_MEDICAL", NON_PS_SYSTEM))  # type: ignore[arg-type]
    assert isinstance(p.id, ProfessionalId)
    assert p.id.id_type is ProfessionalIdType.INTERNAL
    assert p.id_root == IDNPS_OID


def test_physician_without_speciality_refused_for_the_vihf() -> None:
    p = Professional.create("899900063480", "LIBRE", "MAX")
    assert p.is_physician
    with pytest.raises(RuleViolation) as info:
        p.check_for_vihf()
    assert info.value.field == "professional.specialty"
    assert info.value.rule == "VIHF role speciality"
    assert "Aucune spécialité dans le vihf" in str(info.value)


def test_pharmacist_without_speciality_refused_nurse_accepted() -> None:
    with pytest.raises(RuleViolation):
        Professional.create("899900063480", "P", "P", profession="21").check_for_vihf()
    nurse = Professional.create("899900063480", "I", "I", profession="60")
    nurse.check_for_vihf()  # no speciality needed
    assert not nurse.is_physician
    libre().check_for_vihf()


def test_derived_author_specialty() -> None:
    p = libre()
    assert p.profession == Code("10", PROFESSION_SYSTEM)
    assert p.specialty == Code("SM26", SAVOIR_FAIRE_SYSTEM)
    assert p.derived_author_specialty == Code("G15_10/SM26", AUTHOR_SPECIALTY_SYSTEM)
    assert Professional.create("899900063480", "I", "I", profession="60").derived_author_specialty == Code(
        "G15_60", AUTHOR_SPECIALTY_SYSTEM
    )


def test_author_specialty_display_and_explicit_value() -> None:
    display = "Médecin - Qualifié en Médecine Générale (SM)"
    p = libre(author_specialty_display=display)
    assert p.derived_author_specialty is not None
    assert p.derived_author_specialty.display == display
    assert p.derived_author_specialty.code == "G15_10/SM26"
    explicit = replace(p, author_specialty=Code("DISPOSITIF", AUTHOR_SPECIALTY_SYSTEM))
    assert explicit.derived_author_specialty == Code("DISPOSITIF", AUTHOR_SPECIALTY_SYSTEM)


def test_non_health_professional() -> None:
    p = Professional.create("3750100125/123", "AGENT", "ACCUEIL", profession="SECRETARIAT_MEDICAL")
    assert not p.is_health_professional
    assert p.profession.code_system == NON_PS_SYSTEM
    assert p.derived_author_specialty == Code("SECRETARIAT_MEDICAL", NON_PS_SYSTEM)
    p.check_for_vihf()


def test_unknown_profession_system_has_no_derived_specialty() -> None:
    p = Professional(ProfessionalId("899900063480"), "A", "B", Code("X", "1.2.3"))
    assert p.derived_author_specialty is None


# ------------------------------------------------------------------------------------------- structure


def test_structure_defaults_and_oid() -> None:
    s = cabinet()
    assert s.id == StructureId.parse("499900063480001")
    assert s.secteur_activite.code == "SA07"
    assert s.cadre_exercice is not None
    assert s.cadre_exercice.code == "AMBULATOIRE"
    assert s.id_root == IDNST_OID
    assert s.certificate_structure_id == s.id


def test_finess_ej_legal_entity() -> None:
    s = Structure.create(
        "10B0127189",
        "HOPITAL DES 3 VALLEES",
        finess_level="EG",
        legal_entity="11B0062640",
        secteur_activite="SA01",
        cadre_exercice="ETABLISSEMENT",
    )
    assert s.id.finess_level is FinessLevel.EG
    assert s.legal_entity is not None
    assert s.legal_entity.finess_level is FinessLevel.EJ
    # the ORG certificates carry the EJ; the VIHF, XDS and CDA carry the EG
    assert s.certificate_structure_id.idnat == "11B0062640"
    assert s.id.idnat == "10B0127189"


def test_legal_entity_must_be_ej() -> None:
    eg = StructureId.parse("10B0156832", finess_level=FinessLevel.EG)
    with pytest.raises(InvalidValue) as info:
        Structure(StructureId.parse("10B0127189"), "H", Code("SA01", "1.2.250.1.71.4.2.4"), legal_entity=eg)
    assert info.value.field == "structure.legal_entity"
    assert info.value.value == "10B0156832"
    assert info.value.rule == "FINESS EJ/EG"


def test_structure_name_required() -> None:
    with pytest.raises(InvalidValue) as info:
        Structure.create("499900063480001", " ")
    assert info.value.field == "structure.name"
    assert info.value.rule == "XON name"


# -------------------------------------------------------------------------------------------- software


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "software.name"),
        ({"version": " "}, "software.version"),
        ({"homologation_number": ""}, "software.homologation_number"),
        ({"oid_root": "1.2.x"}, "software.oid_root"),
    ],
)
def test_software_identity_checked(kwargs: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as info:
        replace(software(), **kwargs)
    assert info.value.field == field
    assert info.value.rule is not None


# --------------------------------------------------------------------------------------------- context


def test_normal_context() -> None:
    ctx = context()
    assert ctx.access_mode is AccessMode.NORMAL
    assert ctx.is_direct
    assert not ctx.is_air
    assert not ctx.is_cpe
    assert ctx.vihf_subject_id == "MAX LIBRE"
    assert context(subject_id="LIBRE Max Cardiologie").vihf_subject_id == "LIBRE Max Cardiologie"


def test_modes_accept_strings() -> None:
    ctx = ActingContext(libre(), cabinet(), "INDIRECTE_RENFORCEE", software(), "centre_15")  # type: ignore[arg-type]
    assert ctx.authentication_mode is AuthenticationMode.INDIRECTE_RENFORCEE
    assert ctx.is_air
    assert ctx.access_mode is AccessMode.CENTRE_15


def test_bris_de_glace_needs_a_reason() -> None:
    for reason in (None, "", "   "):
        with pytest.raises(RuleViolation) as info:
            context(access_mode=AccessMode.BRIS_DE_GLACE, access_reason=reason)
        assert info.value.field == "access_reason"
        assert info.value.rule == "EX_0.2-1040"
    ctx = context(access_mode=AccessMode.BRIS_DE_GLACE, access_reason="Patient inconscient aux urgences")
    assert ctx.access_reason == "Patient inconscient aux urgences"


@pytest.mark.parametrize("mode", [AccessMode.NORMAL, AccessMode.CENTRE_15])
def test_reason_only_in_bris_de_glace(mode: AccessMode) -> None:
    with pytest.raises(InputError) as info:
        context(access_mode=mode, access_reason="why not")
    assert info.value.field == "access_reason"
    assert info.value.rule == "VIHF purpose of use"


def test_with_access_is_a_copy() -> None:
    ctx = context()
    bdg = ctx.with_access(AccessMode.BRIS_DE_GLACE, "urgence vitale")
    assert bdg.access_mode is AccessMode.BRIS_DE_GLACE
    assert ctx.access_mode is AccessMode.NORMAL
    with pytest.raises(RuleViolation):
        ctx.with_access(AccessMode.BRIS_DE_GLACE)
    assert bdg.with_access(AccessMode.NORMAL).access_reason is None


def test_secret_connection_copy() -> None:
    ctx = context()
    secret = ctx.with_secret_connection()
    assert secret.secret_connection is True
    assert ctx.secret_connection is False  # never remembered on the original (EX_0.1-1115)
    assert secret.with_secret_connection(False).secret_connection is False
    assert secret.professional is ctx.professional


def test_cpe_context() -> None:
    p = Professional.create("30B0037750/CPET0001", "SECRETAIRE", "CPE", profession="SECRETARIAT_MEDICAL")
    p = replace(p, card_type=CardType.CPE)
    ctx = ActingContext(p, cabinet(), AuthenticationMode.DIRECTE, software())
    assert ctx.is_cpe
    indirect = replace(ctx, authentication_mode=AuthenticationMode.INDIRECTE)
    assert not indirect.is_cpe


def test_access_mode_codes() -> None:
    assert AccessMode.BRIS_DE_GLACE.display == "Accès en bris de glace"
    code = AccessMode.CENTRE_15.as_code()
    assert code.key == ("1.2.250.1.213.1.1.4.248", "centre_15")
    assert code.display == "Accès par un centre de régulation médicale"
    assert AccessMode.NORMAL.as_code().display == "Accès normal"
