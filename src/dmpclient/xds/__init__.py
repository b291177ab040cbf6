"""XDS metadata: the model (:mod:`dmpclient.xds.model`) and its ebRIM 3.0 codec (:mod:`dmpclient.xds.ebrim`).

Reading is tolerant (unknown slots kept, unknown codes and malformed values flagged, never an exception);
writing is strict (required values, aware datetimes, non-empty sourcePatientInfo).
"""

from __future__ import annotations

from dmpclient.xds.ebrim import parse_message, serialize
from dmpclient.xds.model import (
    AdhocQueryRequest,
    Association,
    AssociationType,
    Author,
    AvailabilityStatus,
    Code,
    CodeFlag,
    DocumentEntry,
    DocumentPart,
    DocumentRequest,
    MessageKind,
    ObjectRef,
    Organization,
    ParsedMessage,
    PatientInfo,
    Person,
    ProvideAndRegisterRequest,
    QueryResponse,
    ReadIssue,
    RegistryResponse,
    ResponseStatus,
    RetrievedDocument,
    RetrieveDocumentSetRequest,
    RetrieveDocumentSetResponse,
    ReturnType,
    SubmissionRequest,
    SubmissionSet,
)
from dmpclient.xds.signature import add_signature, signature_document_entry

__all__ = [
    "AdhocQueryRequest",
    "Association",
    "AssociationType",
    "Author",
    "AvailabilityStatus",
    "Code",
    "CodeFlag",
    "DocumentEntry",
    "DocumentPart",
    "DocumentRequest",
    "MessageKind",
    "ObjectRef",
    "Organization",
    "ParsedMessage",
    "PatientInfo",
    "Person",
    "ProvideAndRegisterRequest",
    "QueryResponse",
    "ReadIssue",
    "RegistryResponse",
    "ResponseStatus",
    "RetrieveDocumentSetRequest",
    "RetrieveDocumentSetResponse",
    "RetrievedDocument",
    "ReturnType",
    "SubmissionRequest",
    "SubmissionSet",
    "add_signature",
    "parse_message",
    "serialize",
    "signature_document_entry",
]
