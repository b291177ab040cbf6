"""IHE XDS.b / ebRIM 3.0 constants used by the DMP (reference ``xds-metadata.md`` §1, all [V GIE-EX]).

Classification schemes, external-identifier schemes, object types, association types and status URNs,
plus the slot names of the XDS metadata. Pure data: no behaviour.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DE_AUTHOR",
    "DE_CLASS_CODE",
    "DE_CONFIDENTIALITY_CODE",
    "DE_EVENT_CODE",
    "DE_FORMAT_CODE",
    "DE_HEALTHCARE_FACILITY_TYPE_CODE",
    "DE_OBJECT_TYPE_ON_DEMAND",
    "DE_OBJECT_TYPE_STABLE",
    "DE_PATIENT_ID",
    "DE_PATIENT_ID_NAME",
    "DE_PRACTICE_SETTING_CODE",
    "DE_TYPE_CODE",
    "DE_UNIQUE_ID",
    "DE_UNIQUE_ID_NAME",
    "DMP_REPOSITORY_UNIQUE_ID",
    "FOLDER_NODE",
    "LOCALIZED_CHARSET",
    "LOCALIZED_LANG",
    "OBJECT_TYPE_ASSOCIATION",
    "OBJECT_TYPE_CLASSIFICATION",
    "OBJECT_TYPE_EXTERNAL_IDENTIFIER",
    "OBJECT_TYPE_REGISTRY_PACKAGE",
    "RESPONSE_STATUS_FAILURE",
    "RESPONSE_STATUS_PARTIAL_SUCCESS",
    "RESPONSE_STATUS_SUCCESS",
    "SEVERITY_ERROR",
    "SEVERITY_WARNING",
    "SS_AUTHOR",
    "SS_CLASSIFICATION_NODE",
    "SS_CONTENT_TYPE_CODE",
    "SS_PATIENT_ID",
    "SS_PATIENT_ID_NAME",
    "SS_SOURCE_ID",
    "SS_SOURCE_ID_NAME",
    "SS_UNIQUE_ID",
    "SS_UNIQUE_ID_NAME",
    "Slot",
]

# ------------------------------------------------------------------------------------ DocumentEntry
#: ``ExtrinsicObject/@objectType`` of a stable DocumentEntry.
DE_OBJECT_TYPE_STABLE: Final = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
#: On-demand DocumentEntry (not used by the DMP; recognised on read).
DE_OBJECT_TYPE_ON_DEMAND: Final = "urn:uuid:34268e47-fdf5-41a6-ba33-82133c465248"
DE_AUTHOR: Final = "urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d"
DE_CLASS_CODE: Final = "urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a"
DE_CONFIDENTIALITY_CODE: Final = "urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f"
DE_EVENT_CODE: Final = "urn:uuid:2c6b8cb7-8b2a-4051-b291-b1ae6a575ef4"
DE_FORMAT_CODE: Final = "urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d"
DE_HEALTHCARE_FACILITY_TYPE_CODE: Final = "urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1"
DE_PRACTICE_SETTING_CODE: Final = "urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead"
DE_TYPE_CODE: Final = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
DE_PATIENT_ID: Final = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DE_PATIENT_ID_NAME: Final = "XDSDocumentEntry.patientId"
DE_UNIQUE_ID: Final = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
DE_UNIQUE_ID_NAME: Final = "XDSDocumentEntry.uniqueId"

# ------------------------------------------------------------------------------------ SubmissionSet
SS_CLASSIFICATION_NODE: Final = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
SS_AUTHOR: Final = "urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d"
SS_CONTENT_TYPE_CODE: Final = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"
SS_PATIENT_ID: Final = "urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446"
SS_PATIENT_ID_NAME: Final = "XDSSubmissionSet.patientId"
SS_SOURCE_ID: Final = "urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832"
SS_SOURCE_ID_NAME: Final = "XDSSubmissionSet.sourceId"
SS_UNIQUE_ID: Final = "urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8"
SS_UNIQUE_ID_NAME: Final = "XDSSubmissionSet.uniqueId"
#: Folder classification node (not used by the DMP; a folder package is kept as an unknown object).
FOLDER_NODE: Final = "urn:uuid:d9d542f3-6cc4-48b6-8870-ea235fbc94c2"

# ------------------------------------------------------------------------------------- ebRIM types
OBJECT_TYPE_ASSOCIATION: Final = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Association"
OBJECT_TYPE_CLASSIFICATION: Final = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:Classification"
OBJECT_TYPE_EXTERNAL_IDENTIFIER: Final = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:ExternalIdentifier"
OBJECT_TYPE_REGISTRY_PACKAGE: Final = "urn:oasis:names:tc:ebxml-regrep:ObjectType:RegistryObject:RegistryPackage"

RESPONSE_STATUS_SUCCESS: Final = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"
RESPONSE_STATUS_FAILURE: Final = "urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Failure"
RESPONSE_STATUS_PARTIAL_SUCCESS: Final = "urn:ihe:iti:2007:ResponseStatusType:PartialSuccess"
SEVERITY_ERROR: Final = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Error"
SEVERITY_WARNING: Final = "urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning"

#: Repository of the DMP (returned by TD3.1, needed by TD3.2) [V GIE-EX].
DMP_REPOSITORY_UNIQUE_ID: Final = "1.2.250.1.213.4.1.1.1.2"

#: ``LocalizedString`` attributes as the DMP examples write them [V GIE-EX].
LOCALIZED_CHARSET: Final = "UTF8"
LOCALIZED_LANG: Final = "FR"


class Slot:
    """Slot names of the XDS metadata (ebRIM ``Slot/@name``)."""

    CREATION_TIME: Final = "creationTime"
    HASH: Final = "hash"
    LANGUAGE_CODE: Final = "languageCode"
    LEGAL_AUTHENTICATOR: Final = "legalAuthenticator"
    REPOSITORY_UNIQUE_ID: Final = "repositoryUniqueId"
    SERVICE_START_TIME: Final = "serviceStartTime"
    SERVICE_STOP_TIME: Final = "serviceStopTime"
    SIZE: Final = "size"
    SOURCE_PATIENT_ID: Final = "sourcePatientId"
    SOURCE_PATIENT_INFO: Final = "sourcePatientInfo"
    REFERENCE_ID_LIST: Final = "urn:ihe:iti:xds:2013:referenceIdList"
    SUBMISSION_TIME: Final = "submissionTime"
    INTENDED_RECIPIENT: Final = "intendedRecipient"
    CODING_SCHEME: Final = "codingScheme"
    AUTHOR_PERSON: Final = "authorPerson"
    AUTHOR_INSTITUTION: Final = "authorInstitution"
    AUTHOR_ROLE: Final = "authorRole"
    AUTHOR_SPECIALTY: Final = "authorSpecialty"
    AUTHOR_TELECOMMUNICATION: Final = "authorTelecommunication"
    SUBMISSION_SET_STATUS: Final = "SubmissionSetStatus"
    PREVIOUS_VERSION: Final = "PreviousVersion"
    ORIGINAL_STATUS: Final = "OriginalStatus"
    NEW_STATUS: Final = "NewStatus"
