"""CI-SIS CDA R2 documents: build (N1 and LDL-SES N3), read headers, map to XDS, render as HTML.

Typical use::

    from dmpclient.cda import DocumentHeaderInput, Patient, build_n1_to_file, to_document_entry

    header = DocumentHeaderInput.from_context(ctx, patient=patient, type_code="11488-4", title="CR de consultation")
    built = build_n1_to_file(header, "report.pdf", "report.cda.xml")
    entry = to_document_entry(built.header, hash=built.sha1, size=built.size)

Reference: ``cda.md`` (header rules, N1, CDA → XDS), ``value-sets.md``, ``xds-metadata.md``.
"""

from __future__ import annotations

from ._common import XML_DECLARATION, BodyKind, N1MediaType, format_ts
from .builder import (
    BuiltCda,
    IdFactory,
    build_header_element,
    build_n1,
    build_n1_to_file,
    build_n3,
    detect_media_type,
    write_n1,
)
from .header import (
    AuthorHeader,
    BodyInfo,
    CdaHeader,
    EncounterHeader,
    Identifier,
    LegalAuthenticatorHeader,
    OrganizationHeader,
    PatientHeader,
    PerformerHeader,
    PersonHeader,
    PersonName,
    RelatedDocument,
    ServiceEventHeader,
)
from .inputs import (
    Address,
    Author,
    DocumentHeaderInput,
    Encounter,
    InstanceId,
    LegalAuthenticator,
    Organization,
    Patient,
    Performer,
    Person,
    ServiceEvent,
    Telecom,
)
from .ldl_ses import DischargeTreatment, DocumentStatus, LdlSesContent, ModaliteEntree, ModaliteSortie, ldl_ses_body
from .mapping import MODEL_FORMAT_CODES, check_consistency, format_code_for_header, to_document_entry
from .pdf import PdfAClaim, PdfReport, inspect_pdf, make_sample_pdf, sample_pdf_path
from .reader import N1Payload, extract_payload, extract_payload_to_file, load_cda, read_header
from .render import render_html
from .structured import (
    BooleanValue,
    CodedValue,
    Content,
    ItemList,
    LineBreak,
    MedicationEntry,
    Observation,
    Paragraph,
    QuantityValue,
    RawEntry,
    Section,
    StructuredBody,
    Table,
    TextValue,
)

__all__ = [
    "MODEL_FORMAT_CODES",
    "XML_DECLARATION",
    "Address",
    "Author",
    "AuthorHeader",
    "BodyInfo",
    "BodyKind",
    "BooleanValue",
    "BuiltCda",
    "CdaHeader",
    "CodedValue",
    "Content",
    "DischargeTreatment",
    "DocumentHeaderInput",
    "DocumentStatus",
    "Encounter",
    "EncounterHeader",
    "IdFactory",
    "Identifier",
    "InstanceId",
    "ItemList",
    "LdlSesContent",
    "LegalAuthenticator",
    "LegalAuthenticatorHeader",
    "LineBreak",
    "MedicationEntry",
    "ModaliteEntree",
    "ModaliteSortie",
    "N1MediaType",
    "N1Payload",
    "Observation",
    "Organization",
    "OrganizationHeader",
    "Paragraph",
    "Patient",
    "PatientHeader",
    "PdfAClaim",
    "PdfReport",
    "Performer",
    "PerformerHeader",
    "Person",
    "PersonHeader",
    "PersonName",
    "QuantityValue",
    "RawEntry",
    "RelatedDocument",
    "Section",
    "ServiceEvent",
    "ServiceEventHeader",
    "StructuredBody",
    "Table",
    "Telecom",
    "TextValue",
    "build_header_element",
    "build_n1",
    "build_n1_to_file",
    "build_n3",
    "check_consistency",
    "detect_media_type",
    "extract_payload",
    "extract_payload_to_file",
    "format_code_for_header",
    "format_ts",
    "inspect_pdf",
    "ldl_ses_body",
    "load_cda",
    "make_sample_pdf",
    "read_header",
    "render_html",
    "sample_pdf_path",
    "to_document_entry",
    "write_n1",
]
