"""XDS authors, legalAuthenticator and facility codes derived from the acting context."""

from __future__ import annotations

import pytest

from dmpclient.context import ActingContext, AuthenticationMode, Professional, SoftwareIdentity, Structure
from dmpclient.xds.authors import (
    author_from,
    document_author,
    facility_codes,
    legal_authenticator,
    submission_set_author,
    telecom_xtn,
)

DOCTOR = Professional.create(
    "899900063480",
    "MAX",
    "LIBRE",
    specialty="SM26",
    author_specialty_display="Médecin - Qualifié en Médecine Générale (SM)",
)
SECRETARY = Professional.create("3499900063480001/SEC1", "MARTIN", "CLAIRE", profession="SECRETARIAT_MEDICAL")
CABINET = Structure.create("499900063480001", "CABINET DR LIBRE", secteur_display="Cabinet individuel")
SOFTWARE = SoftwareIdentity("LPS", "1.0", "NUM-HOMOLOGATION", "1.2.250.1.999.1.1.7898")


def context(professional: Professional = DOCTOR, structure: Structure = CABINET) -> ActingContext:
    return ActingContext(professional, structure, AuthenticationMode.DIRECTE, SOFTWARE)


def test_document_author_has_the_dmp_xcn_xon_and_specialty() -> None:
    author = document_author(context())
    assert author.person is not None
    assert author.person.format() == "899900063480^MAX^LIBRE^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
    (institution,) = author.institutions
    assert institution.format() == "CABINET DR LIBRE^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^499900063480001"
    (specialty,) = author.specialties
    assert specialty.key == ("1.2.250.1.213.1.1.4.5", "G15_10/SM26")
    assert specialty.display == "Médecin - Qualifié en Médecine Générale (SM)"


def test_submission_set_author_is_the_sender_not_the_document_author() -> None:
    ctx = context(SECRETARY)
    doc = document_author(ctx, DOCTOR)
    lot = submission_set_author(ctx)
    assert doc.person is not None
    assert doc.person.family_name == "MAX"
    assert lot.person is not None
    assert lot.person.family_name == "MARTIN"
    assert lot.specialties[0].code == "SECRETARIAT_MEDICAL"
    assert doc.institutions == lot.institutions


def test_legal_authenticator_from_context_or_professional() -> None:
    assert legal_authenticator(context()) == legal_authenticator(DOCTOR)
    assert legal_authenticator(DOCTOR).id_type == "IDNPS"


def test_author_without_structure_has_no_institution() -> None:
    assert author_from(DOCTOR, None).institutions == ()


def test_facility_codes_from_the_structure() -> None:
    facility, setting = facility_codes(context())
    assert facility.key == ("1.2.250.1.71.4.2.4", "SA07")
    assert setting is not None
    assert setting.key == ("1.2.250.1.213.1.1.4.9", "AMBULATOIRE")
    hospital = Structure.create("10B0127189", "HOPITAL", secteur_activite="SA01", cadre_exercice=None)
    assert facility_codes(hospital) == (hospital.secteur_activite, None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("dr.libre@example.org", "^NET^Internet^dr.libre@example.org"),
        ("+33123456789", "^WPN^PH^^^^^^^^^+33123456789"),
        ("^NET^Internet^x@y.fr", "^NET^Internet^x@y.fr"),
    ],
)
def test_telecoms_become_xtn(value: str, expected: str) -> None:
    assert telecom_xtn(value) == expected
