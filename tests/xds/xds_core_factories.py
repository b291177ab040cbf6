"""Builders of valid XDS model objects for the xds core tests (not collected: no ``test_`` prefix)."""

from __future__ import annotations

from datetime import UTC, datetime

from dmpclient.xds import (
    Author,
    Code,
    DocumentEntry,
    Organization,
    PatientInfo,
    Person,
    SubmissionRequest,
    SubmissionSet,
)

INS_CX = "277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH"
ROOT = "1.2.250.1.999.1.1.7898"
WHEN = datetime(2024, 6, 12, 8, 30, 0, tzinfo=UTC)


def author() -> Author:
    return Author(
        person=Person.dmp("899900063480", "MAX", "LIBRE"),
        institutions=(Organization.dmp("CABINET DR LIBRE", "499900063480001"),),
        specialties=(Code("G15_10/SM26", "1.2.250.1.213.1.1.4.5", "Médecin - Qualifié en Médecine Générale (SM)"),),
    )


def patient_info() -> PatientInfo:
    return PatientInfo(birth_family_name="DUPONT", birth_given_name="MARIE", birth_date="19770707", sex="F")


def entry(n: int = 1, **changes: object) -> DocumentEntry:
    base = DocumentEntry(
        unique_id=f"{ROOT}.3.{n}",
        creation_time=WHEN,
        service_start_time=WHEN,
        service_stop_time=WHEN,
        class_code=Code("10", "1.2.250.1.213.1.1.4.1", "Compte rendu"),
        type_code=Code("11488-4", "2.16.840.1.113883.6.1", "Note de consultation"),
        format_code=Code("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3", "PDF"),
        healthcare_facility_type_code=Code("SA07", "1.2.250.1.71.4.2.4", "Cabinet individuel"),
        practice_setting_code=Code("AMBULATOIRE", "1.2.250.1.213.1.1.4.9", "Ambulatoire"),
        confidentiality_codes=(Code("N", "2.16.840.1.113883.5.25", "Normal"),),
        title=f"Document {n}",
        language_code="fr-FR",
        legal_authenticator=Person.dmp("899900063480", "MAX", "LIBRE"),
        patient_id=INS_CX,
        source_patient_id=f"IPP{n}^^^&{ROOT}.2&ISO^PI",
        source_patient_info=patient_info(),
        authors=(author(),),
    )
    return base.replace_fields(**changes) if changes else base


def submission_set(**changes: object) -> SubmissionSet:
    base = SubmissionSet(
        unique_id=f"{ROOT}.1.1",
        source_id=ROOT,
        submission_time=WHEN,
        content_type_code=Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour"),
        authors=(author(),),
        title="Lot",
        patient_id=INS_CX,
    )
    return base.replace_fields(**changes) if changes else base


def submission(documents: int = 1) -> SubmissionRequest:
    request = SubmissionRequest(submission_set=submission_set())
    for n in range(1, documents + 1):
        request.add_document(entry(n))
    return request
