"""Valid requests for the validation tests (not collected: no ``test_`` prefix).

Each builder returns a fresh, DMP-valid object; the tests mutate one thing and expect one rule to fire.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lxml import etree

from dmpclient import _xml
from dmpclient.context import AccessMode, ActingContext, AuthenticationMode, Professional, SoftwareIdentity, Structure
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_PATIENT,
    MASQUE_PS,
    SIGNATURE_CLASS_CODE,
    SIGNATURE_EVENT_CODE,
    SIGNATURE_FORMAT_CODE,
    SIGNATURE_TYPE_CODE,
    Code,
)
from dmpclient.xds.ebrim import to_provide_and_register, to_submit_objects_request
from dmpclient.xds.model import (
    Association,
    AssociationType,
    Author,
    AvailabilityStatus,
    DocumentEntry,
    DocumentPart,
    Organization,
    PatientInfo,
    Person,
    ProvideAndRegisterRequest,
    SubmissionRequest,
    SubmissionSet,
)

INS_CX = "277076322082910^^^&1.2.250.1.213.1.4.10&ISO^NH"
OTHER_INS_CX = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
ROOT = "1.2.250.1.999.1.1.7898"
WHEN = datetime(2024, 6, 12, 8, 30, 0, tzinfo=UTC)
PRO_ID = "899900063480"
STRUCTURE_ID = "499900063480001"
LID = "urn:uuid:4f196ae8-5549-11e9-9478-0050569e422e"
REGISTRY_ENTRY = "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e"

LOINC = "2.16.840.1.113883.6.1"
TRE_A03 = "1.2.250.1.213.1.1.4.1"
TRE_A05 = "1.2.250.1.213.1.1.4.12"
IHE_FORMAT = "1.3.6.1.4.1.19376.1.2.3"
SECTEUR = "1.2.250.1.71.4.2.4"
CADRE = "1.2.250.1.213.1.1.4.9"

CR = Code("10", TRE_A03, "Compte rendu")
CONSULTATION = Code("11488-4", LOINC, "CR ou fiche de consultation ou de visite")
PDF = Code("urn:ihe:iti:xds-sd:pdf:2008", IHE_FORMAT, "Document à corps non structuré en Pdf/A-1")
SA07 = Code("SA07", SECTEUR, "Cabinet individuel")
AMBULATOIRE = Code("AMBULATOIRE", CADRE, "Ambulatoire")


def person(idnat: str = PRO_ID, family: str | None = "LIBRE", given: str | None = "MAX") -> Person:
    return Person(
        id=idnat,
        family_name=family,
        given_name=given,
        assigning_authority="1.2.250.1.71.4.2.1",
        name_type_code="D",
        id_type="IDNPS",
    )


def author(idnat: str = PRO_ID, structure: str = STRUCTURE_ID) -> Author:
    return Author(
        person=person(idnat),
        institutions=(Organization.dmp("CABINET DR LIBRE", structure),),
        specialties=(Code("G15_10/SM26", "1.2.250.1.213.1.1.4.5", "Médecin - Qualifié en Médecine Générale (SM)"),),
    )


def patient_info(birth_date: str = "19770707") -> PatientInfo:
    return PatientInfo(birth_family_name="DUPONT", birth_given_name="MARIE", birth_date=birth_date, sex="F")


def document(n: int = 1, **changes: Any) -> DocumentEntry:
    entry = DocumentEntry(
        entry_uuid=f"Document{n:02d}",
        unique_id=f"{ROOT}.3.{n}",
        mime_type="text/xml",
        creation_time=WHEN,
        service_start_time=WHEN,
        service_stop_time=WHEN,
        class_code=CR,
        type_code=CONSULTATION,
        format_code=PDF,
        healthcare_facility_type_code=SA07,
        practice_setting_code=AMBULATOIRE,
        confidentiality_codes=(CONFIDENTIALITY_NORMAL,),
        title=f"Consultation {n}",
        language_code="fr-FR",
        legal_authenticator=person(),
        patient_id=INS_CX,
        source_patient_id=f"IPP{n}^^^&{ROOT}.2&ISO^PI",
        source_patient_info=patient_info(),
        authors=(author(),),
    )
    return entry.replace_fields(**changes) if changes else entry


def signature_entry(n: int = 1, **changes: Any) -> DocumentEntry:
    entry = DocumentEntry(
        entry_uuid=f"Signature{n:02d}",
        unique_id=f"{ROOT}.4.{n}",
        mime_type="text/xml",
        creation_time=WHEN,
        service_start_time=WHEN,
        service_stop_time=WHEN,
        class_code=SIGNATURE_CLASS_CODE,
        type_code=SIGNATURE_TYPE_CODE,
        format_code=SIGNATURE_FORMAT_CODE,
        event_codes=(SIGNATURE_EVENT_CODE,),
        healthcare_facility_type_code=SA07,
        practice_setting_code=AMBULATOIRE,
        confidentiality_codes=(CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_PATIENT),
        title="Source",
        language_code="art",
        legal_authenticator=person(),
        patient_id=INS_CX,
        source_patient_id=INS_CX,
        source_patient_info=patient_info(),
        authors=(author(),),
    )
    return entry.replace_fields(**changes) if changes else entry


def submission_set(**changes: Any) -> SubmissionSet:
    ss = SubmissionSet(
        entry_uuid="SubmissionSet01",
        unique_id=f"{ROOT}.1.1",
        source_id=ROOT,
        submission_time=WHEN,
        content_type_code=Code("04", "1.2.250.1.213.2.2", "Hospitalisation de jour"),
        authors=(author(),),
        title="Lot",
        patient_id=INS_CX,
    )
    return ss.replace_fields(**changes) if changes else ss


def feed(documents: list[DocumentEntry] | None = None, *, signature: DocumentEntry | None = None) -> SubmissionRequest:
    """A valid TD2.1 submission: the documents, the signature entry, HasMember for each, signs."""
    request = SubmissionRequest(submission_set=submission_set())
    for entry in documents if documents is not None else [document(1)]:
        request.add_document(entry)
    sig = request.add_document(signature or signature_entry())
    request.associations.append(
        Association(
            id="AssociationSigns", type=AssociationType.SIGNS, source=sig.entry_uuid or "", target="SubmissionSet01"
        )
    )
    return request


def parts_for(request: SubmissionRequest) -> list[DocumentPart]:
    return [DocumentPart(id=d.content_id or "", content_id=f"cid-{d.content_id}") for d in request.documents]


def provide_and_register(request: SubmissionRequest | None = None) -> ProvideAndRegisterRequest:
    sub = request or feed()
    return ProvideAndRegisterRequest(submission=sub, documents=parts_for(sub))


def feed_xml(request: SubmissionRequest | None = None) -> etree._Element:
    """The ITI-41 body as an lxml tree (to mutate in XML-level tests)."""
    sub = request or feed()
    contents: dict[str, str | bytes] = {d.content_id or "": f"cid-{d.content_id}" for d in sub.documents}
    return _xml.parse_bytes(_xml.to_bytes(to_provide_and_register(sub, contents)))


def status_update(
    original: str | None = None, new: str | None = None, target: str = REGISTRY_ENTRY
) -> SubmissionRequest:
    """A valid TD3.3d archive request (UpdateAvailabilityStatus)."""
    return SubmissionRequest(
        submission_set=submission_set(),
        associations=[
            Association(
                id="association1",
                type=AssociationType.UPDATE_AVAILABILITY_STATUS,
                source="SubmissionSet01",
                target=target,
                original_status=original or AvailabilityStatus.APPROVED,
                new_status=new or AvailabilityStatus.ARCHIVED,
            )
        ],
    )


def current_version(**changes: Any) -> DocumentEntry:
    """The registry's current version of the document that a TD3.3a update changes."""
    entry = document(1, entry_uuid=LID, logical_id=LID, version="1", availability_status=AvailabilityStatus.APPROVED)
    return entry.replace_fields(**changes) if changes else entry


def metadata_update(new: DocumentEntry | None = None, previous_version: str | None = "1") -> SubmissionRequest:
    """A valid TD3.3a request: a new version of the document with MASQUE_PS."""
    entry = new or document(
        1,
        logical_id=LID,
        availability_status=AvailabilityStatus.APPROVED,
        confidentiality_codes=(CONFIDENTIALITY_NORMAL, MASQUE_PS),
    )
    request = SubmissionRequest(submission_set=submission_set(), documents=[entry])
    request.associations.append(
        Association(
            id="association1",
            type=AssociationType.HAS_MEMBER,
            source="SubmissionSet01",
            target=entry.entry_uuid or "",
            submission_set_status="Original",
            previous_version=previous_version,
        )
    )
    return request


def metadata_update_xml(request: SubmissionRequest | None = None) -> bytes:
    return _xml.to_bytes(to_submit_objects_request(request or metadata_update()))


def context(
    *,
    professional: str = PRO_ID,
    structure: str = STRUCTURE_ID,
    mode: AuthenticationMode = AuthenticationMode.DIRECTE,
    secret: bool = False,
) -> ActingContext:
    return ActingContext(
        professional=Professional.create(professional, "LIBRE", "MAX", specialty="SM26"),
        structure=Structure.create(structure, "CABINET DR LIBRE"),
        authentication_mode=mode,
        software=SoftwareIdentity("LPS TEST", "1.0", "HOMOLOGATION", ROOT),
        access_mode=AccessMode.NORMAL,
        secret_connection=secret,
    )
