"""Unit tests of the shared checks (``dmpclient.sandbox.rules``) on hand-made callers, patients and entries."""

from __future__ import annotations

import datetime as dt

import pytest

from dmpclient import _xml
from dmpclient.context import AccessMode, AuthenticationMode, CardType
from dmpclient.errors import InputError
from dmpclient.ids import INS, InsOid
from dmpclient.sandbox._interfaces import Caller
from dmpclient.sandbox.handlers.repository import vaccinations_of
from dmpclient.sandbox.rules import (
    CHECKS,
    BehaviourParameters,
    Refusal,
    acting_context_of,
    check_author,
    check_body_patient,
    check_consultation,
    check_patient_for,
    check_reading,
    is_author,
    profile_of,
    require_right,
    visible_in_search,
)
from dmpclient.sandbox.store import AuthorizationRecord, AuthorizationStatus, DmpState, EntryRecord, PatientRecord
from dmpclient.security.vihf import CodedValue
from dmpclient.terminology import Code
from dmpclient.transactions.rights import RightsAction
from dmpclient.xds.model import Author, DocumentEntry, Organization, Person

PARAMS = BehaviourParameters()
PATIENT = PatientRecord(1, INS.parse("207058575627097"), "PATB-QUATRE", ("LAURENCE",), "F", dt.date(1907, 5, 25))
MEDECIN = CodedValue(code="10", code_system="1.2.250.1.71.1.2.7", display_name="Médecin")
INFIRMIER = CodedValue(code="60", code_system="1.2.250.1.71.1.2.7")
SECRETAIRE = CodedValue(code="SECRETARIAT_MEDICAL", code_system="1.2.250.1.213.1.1.4.6")
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"


def caller(
    professional: str = "899900063480",
    structure: str = "499900063480001",
    *,
    mode: AuthenticationMode = AuthenticationMode.DIRECTE,
    access: AccessMode = AccessMode.NORMAL,
    profession: CodedValue = MEDECIN,
    card: CardType | None = CardType.CPS,
    secteur: str = "SA07",
    patient: INS | None = PATIENT.ins,
) -> Caller:
    return Caller(
        auth_mode=mode,
        professional_id=professional,
        structure_id=structure,
        secteur_activite=secteur,
        profession=profession,
        card_type=card if mode is AuthenticationMode.DIRECTE else None,
        access_mode=access,
        patient=patient,
    )


def entry(
    *confidentiality: str,
    author: str = "899900062490",
    institution: str = "10B0041968",
    status: str = APPROVED,
    class_code: str = "10",
    signature: bool = False,
) -> EntryRecord:
    codes = [Code("N", "2.16.840.1.113883.5.25")] + [Code(c, "1.2.250.1.213.1.1.4.13") for c in confidentiality]
    meta = DocumentEntry(
        unique_id="1.2.3.4",
        confidentiality_codes=tuple(codes),
        class_code=Code(class_code, "1.2.250.1.213.1.1.4.1"),
        authors=(Author(person=Person.dmp(author, "X", "Y"), institutions=(Organization.dmp("S", institution),)),),
    )
    return EntryRecord("urn:uuid:1", "urn:uuid:1", 1, "1.2.3.4", 1, status, True, meta, is_signature=signature)


def refusal(call: object, *args: object, **kwargs: object) -> Refusal:
    with pytest.raises(Refusal) as info:
        call(*args, **kwargs)  # type: ignore[operator]
    return info.value


# ---------------------------------------------------------------------------------------------- catalogue


def test_every_check_has_a_code_a_french_message_and_a_mark() -> None:
    for check in CHECKS.values():
        assert check.code
        assert check.message_fr
        assert check.mark
        assert check.source
        assert check.summary
        assert set(check.mark.split("/")) <= {"V", "V2", "I"}


def test_refusal_formats_the_check_message() -> None:
    r = Refusal("td2.1.duplicate-lot", "explained", value="1.2.3")
    assert (r.code, r.message_fr) == ("XDSDuplicateUniqueIdInRegistry", "Le lot de soumission 1.2.3 existe déjà")


# ----------------------------------------------------------------------------------------------- profiles


def test_profiles_from_callers() -> None:
    assert profile_of(caller(), is_mt=False, params=PARAMS).physician
    cpe = profile_of(caller(profession=SECRETAIRE, card=CardType.CPE), is_mt=False, params=PARAMS)
    assert cpe.card_type is CardType.CPE
    assert not cpe.health_professional
    assert profile_of(caller(secteur="SA13"), is_mt=False, params=PARAMS).occupational_physician
    assert not profile_of(
        caller(secteur="SA13", profession=INFIRMIER), is_mt=False, params=PARAMS
    ).occupational_physician
    air = profile_of(caller(mode=AuthenticationMode.INDIRECTE_RENFORCEE), is_mt=True, params=PARAMS)
    assert air.card_type is None
    assert air.treating_physician


def test_require_right_names_the_action_and_the_profile() -> None:
    r = refusal(
        require_right,
        RightsAction.TD2_1_FEED,
        caller(mode=AuthenticationMode.INDIRECTE_RENFORCEE),
        is_mt=False,
        params=PARAMS,
    )
    assert r.code == "DMPAccessDeniedByRightsService"
    assert r.message_fr.startswith("Action « Alimentation d'un DMP » non autorisée pour ce profil")
    assert "PDT-INF-606" in r.message_fr
    assert require_right(RightsAction.TD2_1_FEED, caller(), is_mt=False, params=PARAMS).allowed


def test_acting_context_keeps_the_vihf_identity() -> None:
    acting = acting_context_of(caller(mode=AuthenticationMode.INDIRECTE, structure="10B0156832"))
    assert acting.structure.id.idnat == "10B0156832"
    assert not acting.is_direct
    bdg = acting_context_of(caller(access=AccessMode.BRIS_DE_GLACE))
    assert bdg.access_mode is AccessMode.BRIS_DE_GLACE
    assert bdg.access_reason


# ----------------------------------------------------------------------------------------------- patients


def test_body_patient_is_the_vihf_patient_and_never_a_nia() -> None:
    check_body_patient(PATIENT.ins, caller())
    other = refusal(check_body_patient, INS.parse("279035121518989"), caller())
    assert other.code == "DMPInvalidResourceId"
    nia = refusal(check_body_patient, INS.parse("109076322088835", InsOid.NIA), caller(patient=None))
    assert nia.check.id == "patient.nia"
    assert "109076322088835" in nia.message_fr


def test_patient_states() -> None:
    ins = PATIENT.ins
    assert refusal(check_patient_for, None, ins=ins, writing=False, params=PARAMS).code == "XDSUnknownPatientId"
    none = PatientRecord(2, ins, "X", ("Y",), "F", dt.date(2000, 1, 1), dmp_state=DmpState.NONE)
    assert refusal(check_patient_for, none, ins=ins, writing=False, params=PARAMS).code == "XDSUnknownPatientId"
    closed = PatientRecord(2, ins, "X", ("Y",), "F", dt.date(2000, 1, 1), dmp_state=DmpState.CLOSED)
    assert refusal(check_patient_for, closed, ins=ins, writing=False, params=PARAMS).code == "DMPClosed"
    dead = PatientRecord(2, ins, "X", ("Y",), "F", dt.date(2000, 1, 1), deceased_on=dt.date(2025, 1, 1))
    assert check_patient_for(dead, ins=ins, writing=False, params=PARAMS) is dead
    assert refusal(check_patient_for, dead, ins=ins, writing=True, params=PARAMS).check.id == "patient.deceased"
    assert check_patient_for(dead, ins=ins, writing=True, params=PARAMS.replace(deceased_policy="open")) is dead


@pytest.mark.parametrize(
    ("access", "status", "outcome"),
    [
        (AccessMode.NORMAL, AuthorizationStatus.VALIDE, None),
        (AccessMode.NORMAL, AuthorizationStatus.EXPIRE, "DMPAccessDeniedByRightsService"),
        (AccessMode.NORMAL, None, "DMPAccessDeniedByRightsService"),
        (AccessMode.NORMAL, AuthorizationStatus.INTERDIT, "DMPAccessForbidden"),
        (AccessMode.BRIS_DE_GLACE, None, None),
        (AccessMode.BRIS_DE_GLACE, AuthorizationStatus.INTERDIT, "DMPAccessForbidden"),
        (AccessMode.CENTRE_15, None, None),
        (AccessMode.CENTRE_15, AuthorizationStatus.INTERDIT, None),
    ],
)
def test_consultation_rules(access: AccessMode, status: AuthorizationStatus | None, outcome: str | None) -> None:
    auth = AuthorizationRecord(1, "899900063480", status) if status is not None else None
    if outcome is None:
        check_consultation(PATIENT, caller(access=access), auth)
    else:
        assert refusal(check_consultation, PATIENT, caller(access=access), auth).code == outcome


def test_oppositions() -> None:
    opposed = PatientRecord(
        1, PATIENT.ins, "X", ("Y",), "M", dt.date(2000, 1, 1), opposition_bris_de_glace=True, opposition_centre_15=True
    )
    for access in (AccessMode.BRIS_DE_GLACE, AccessMode.CENTRE_15):
        assert refusal(check_consultation, opposed, caller(access=access), None).code == "DMPAccessForbidden"
    check_consultation(opposed, caller(), AuthorizationRecord(1, "899900063480", AuthorizationStatus.VALIDE))


# ---------------------------------------------------------------------------------------------- documents


def test_authorship_by_person_or_structure() -> None:
    doc = entry(author="899900063480", institution="10B0156832")
    assert is_author(doc, caller())
    assert not is_author(doc, caller("899900062490"))
    assert is_author(doc, caller("899900062490", "10B0156832", mode=AuthenticationMode.INDIRECTE))
    assert is_author(doc, caller("10B0156832/CPE1", "10B0156832", profession=SECRETAIRE, card=CardType.CPE))


def test_masked_documents_in_search_results() -> None:
    masked = entry("MASQUE_PS")
    assert not visible_in_search(masked, caller(), patient=PATIENT, is_mt=False, params=PARAMS)
    assert visible_in_search(masked, caller(), patient=PATIENT, is_mt=True, params=PARAMS)
    assert visible_in_search(masked, caller("899900062490"), patient=PATIENT, is_mt=False, params=PARAMS)
    bdg = caller(access=AccessMode.BRIS_DE_GLACE)
    assert not visible_in_search(masked, bdg, patient=PATIENT, is_mt=False, params=PARAMS)
    allowed = PatientRecord(1, PATIENT.ins, "X", ("Y",), "F", dt.date(2000, 1, 1), masked_in_emergency=True)
    assert visible_in_search(masked, bdg, patient=allowed, is_mt=False, params=PARAMS)
    assert visible_in_search(entry(), caller(), patient=PATIENT, is_mt=False, params=PARAMS)
    assert not visible_in_search(entry(signature=True), caller(), patient=PATIENT, is_mt=False, params=PARAMS)


def test_reading_rules() -> None:
    occupational = caller(secteur="SA13")
    assert refusal(check_reading, entry(), occupational, patient=PATIENT, is_mt=False, params=PARAMS).code == (
        "DMPAccessDeniedByRightsService"
    )
    check_reading(
        entry(status="urn:asip:ci-sis:2010:StatusType:Deleted"), caller(), patient=PATIENT, is_mt=False, params=PARAMS
    )
    check_reading(entry("INVISIBLE_PATIENT"), caller(), patient=PATIENT, is_mt=False, params=PARAMS)
    assert refusal(check_reading, entry("MASQUE_PS"), caller(), patient=PATIENT, is_mt=False, params=PARAMS)


def test_restriction_notes_of_updates() -> None:
    decision = require_right(RightsAction.TD3_3C_DELETE, caller(), is_mt=False, params=PARAMS)
    assert "8" in decision.notes
    assert refusal(check_author, entry(), caller(), decision, is_mt=False, what="x").code == (
        "DMPAccessDeniedByRightsService"
    )
    check_author(entry(author="899900063480"), caller(), decision, is_mt=False, what="x")
    archive_mt = require_right(RightsAction.TD3_3D_ARCHIVE, caller(), is_mt=True, params=PARAMS)
    check_author(entry(), caller(), archive_mt, is_mt=True, what="x")  # column D: "oui", no note
    patient_doc = entry(class_code="90", author="899900063480")
    assert refusal(check_author, patient_doc, caller(), decision, is_mt=False, what="x").check.id == (
        "rights.patient-document"
    )
    check_author(patient_doc, caller(), decision, is_mt=True, what="x")


# --------------------------------------------------------------------------------------------- parameters


def test_parameters_by_their_parameter_file_names() -> None:
    changed = PARAMS.replace(cumul_invisible_patient_masque_ps=True, age_majorite=16, search_window=30)
    assert changed.dmp.cumul_invisible_patient_masque_ps
    assert changed.dmp.age_majorite == 16
    assert changed.search_window == dt.timedelta(seconds=30)
    assert changed.to_dict()["cumul-invisible_patient-masque_ps"] is True
    with pytest.raises(InputError):
        PARAMS.replace(unknown=1)


def test_vaccinations_of_a_note() -> None:
    root = _xml.parse_bytes(
        b'<ClinicalDocument xmlns="urn:hl7-org:v3"><component><structuredBody><component><section><entry>'
        b'<substanceAdministration><effectiveTime value="20090928"/><consumable><manufacturedProduct>'
        b'<manufacturedMaterial><code code="68747507" codeSystem="1.2.250.1.213.2.3.1"/></manufacturedMaterial>'
        b"</manufacturedProduct></consumable></substanceAdministration></entry><entry><substanceAdministration>"
        b'<effectiveTime><low value="202401151030"/></effectiveTime><consumable><manufacturedProduct>'
        b'<manufacturedMaterial><code code="J07BM01" codeSystem="2.16.840.1.113883.6.73"/></manufacturedMaterial>'
        b"</manufacturedProduct></consumable></substanceAdministration></entry></section></component>"
        b"</structuredBody></component></ClinicalDocument>"
    )
    assert vaccinations_of(root) == [("68747507", "20090928"), ("J07BM01", "20240115")]
