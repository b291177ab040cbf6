"""The DocumentEntry of the XAdES submission-set signature and its associations (``xades-signature.md`` §3).

Every TD2.1/TD2.2 submission carries one signature document: an ``ExtrinsicObject`` linked by HasMember
(SubmissionSet → signature) and by ``urn:ihe:iti:2007:AssociationType:signs`` (signature → SubmissionSet).
Its metadata is fixed by the DMP: classCode *Digital Signature*, typeCode ``E1762``, formatCode
``http://www.w3.org/2000/09/xmldsig#`` (*Default Signature Style*), eventCode ``1.2.840.10065.1.12.1.14``,
confidentiality ``N`` + ``MASQUE_PS`` + ``INVISIBLE_PATIENT``, ``text/xml``, language ``art``, title
``Source``, times = the signing time, author and legalAuthenticator = the signer, patientId and
sourcePatientId = the INS CX, and a **non-empty** sourcePatientInfo (« Le champ 'sourcePatientInfo PID5' est
obligatoire » since March 2026).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from dmpclient.errors import InputError, InvalidValue
from dmpclient.ids import INS, validate_unique_id
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_PATIENT,
    MASQUE_PS,
    SIGNATURE_CLASS_CODE,
    SIGNATURE_EVENT_CODE,
    SIGNATURE_FORMAT_CODE,
    SIGNATURE_TYPE_CODE,
)
from dmpclient.xds.model import (
    Association,
    AssociationType,
    Author,
    DocumentEntry,
    PatientInfo,
    Person,
    SubmissionRequest,
)

__all__ = [
    "SIGNATURE_COMMENTS",
    "SIGNATURE_ENTRY_ID",
    "SIGNATURE_LANGUAGE",
    "SIGNATURE_TITLE",
    "add_signature",
    "is_signature_entry",
    "signature_document_entry",
    "signs_association",
]

SIGNATURE_ENTRY_ID: Final = "Signature01"
SIGNATURE_TITLE: Final = "Source"
SIGNATURE_COMMENTS: Final = "XADES signature"
SIGNATURE_LANGUAGE: Final = "art"


def _cx(patient: INS | str) -> str:
    if isinstance(patient, INS):
        return patient.to_cx()
    INS.from_cx(patient)  # raises InvalidIdentifier when it is not an INS CX
    return patient


def signature_document_entry(
    *,
    signer: Author,
    patient: INS | str,
    signing_time: datetime,
    unique_id: str,
    documents: Sequence[DocumentEntry],
    patient_info: PatientInfo | None = None,
    legal_authenticator: Person | None = None,
    entry_uuid: str = SIGNATURE_ENTRY_ID,
    hash: str | None = None,
    size: int | None = None,
) -> DocumentEntry:
    """Build the signature document's DocumentEntry exactly as ``xades-signature.md`` §3.

    Args:
        signer: the signer as an XDS author (:func:`dmpclient.xds.authors.document_author`).
        patient: the INS (or its CX text); written as patientId and sourcePatientId.
        signing_time: the XAdES SigningTime (timezone-aware); creation/serviceStart/serviceStop time.
        unique_id: an OID under the sender's root, distinct from every document's uniqueId.
        documents: the DocumentEntries of the lot (healthcareFacilityType/practiceSetting are copied from
            the first; sourcePatientInfo too when ``patient_info`` is not given).
        patient_info: sourcePatientInfo (PID-5 required).
        legal_authenticator: defaults to the signer's person.
        hash: optional SHA-1 of the signature bytes (the repository computes it).
        size: optional byte length of the signature (the repository computes it).

    Raises:
        InputError: no document, naive signing time, duplicate uniqueId, no PID-5 available, signer without
            authorPerson.
    """
    if not documents:
        raise InputError("the signature signs at least one document", field="documents", value=[])
    if signing_time.tzinfo is None or signing_time.utcoffset() is None:
        raise InvalidValue(
            "the signing time must be timezone-aware", field="signing_time", value=signing_time, rule="XDS DTM UTC"
        )
    validate_unique_id(unique_id, field="signature.uniqueId")
    if any(d.unique_id == unique_id for d in documents):
        raise InputError(
            "the signature's uniqueId must differ from every document uniqueId",
            field="signature.uniqueId",
            value=unique_id,
            rule="uniqueId unique",
        )
    info = patient_info or next((d.source_patient_info for d in documents if d.source_patient_info), None)
    if info is None:
        raise InputError(
            "the signature entry needs a non-empty sourcePatientInfo (PID-5)",
            field="signature.sourcePatientInfo",
            value=None,
            rule="sourcePatientInfo PID5 obligatoire",
            hint="DMP message: « Le champ 'sourcePatientInfo PID5' est obligatoire »",
        )
    info.to_slot_values()  # raises when PID-5 is missing
    authenticator = legal_authenticator or signer.person
    if authenticator is None:
        raise InputError("the signer needs an authorPerson", field="signer.person", value=None)
    cx = _cx(patient)
    when = signing_time.astimezone(UTC).replace(microsecond=0)
    first = documents[0]
    return DocumentEntry(
        entry_uuid=entry_uuid,
        unique_id=unique_id,
        mime_type="text/xml",
        hash=hash,
        size=size,
        creation_time=when,
        service_start_time=when,
        service_stop_time=when,
        class_code=SIGNATURE_CLASS_CODE,
        type_code=SIGNATURE_TYPE_CODE,
        format_code=SIGNATURE_FORMAT_CODE,
        event_codes=(SIGNATURE_EVENT_CODE,),
        confidentiality_codes=(CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_PATIENT),
        healthcare_facility_type_code=first.healthcare_facility_type_code,
        practice_setting_code=first.practice_setting_code,
        title=SIGNATURE_TITLE,
        comments=SIGNATURE_COMMENTS,
        language_code=SIGNATURE_LANGUAGE,
        legal_authenticator=authenticator,
        authors=(signer,),
        patient_id=cx,
        source_patient_id=cx,
        source_patient_info=info,
    )


def signs_association(signature_entry_uuid: str, submission_set_id: str, *, id: str | None = None) -> Association:
    """The ``signs`` association: signature document → submission set."""
    return Association(
        id=id,
        type=AssociationType.SIGNS,
        source=signature_entry_uuid,
        target=submission_set_id,
        submission_set_status="Original",
    )


def add_signature(submission: SubmissionRequest, entry: DocumentEntry) -> DocumentEntry:
    """Append the signature entry last, with its HasMember and ``signs`` associations; returns the stored entry."""
    stored = submission.add_document(entry)
    assert stored.entry_uuid is not None
    n = len(submission.associations) + 1
    ids = {a.id for a in submission.associations}
    while f"Association{n:02d}" in ids:
        n += 1
    submission.associations.append(
        signs_association(stored.entry_uuid, submission.submission_set_id, id=f"Association{n:02d}")
    )
    return stored


def is_signature_entry(entry: DocumentEntry) -> bool:
    """True for the XAdES signature document (classCode *Digital Signature* or formatCode xmldsig)."""
    return (entry.class_code is not None and entry.class_code.key == SIGNATURE_CLASS_CODE.key) or (
        entry.format_code is not None and entry.format_code.key == SIGNATURE_FORMAT_CODE.key
    )
