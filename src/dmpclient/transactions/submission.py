"""The TD2.1 / TD2.2 submission pipeline: documents in, a signed MTOM ProvideAndRegister request out.

:func:`prepare_submission` does everything a feed needs, in this order (``transactions.md`` §4,
``xds-metadata.md``, ``xades-signature.md`` §3, ``envelope-and-transport.md`` §5):

1. each document's XDS ``hash`` (SHA-1) and ``size`` are taken from what is already known (a CDA built by
   dmpclient carries them) or computed by **streaming** the exact bytes that will be sent — a file-backed
   document is read in chunks, never loaded whole;
2. the metadata: each :class:`DocumentToSubmit` brings its :class:`~dmpclient.xds.model.DocumentEntry` or
   derives it from the CDA header (:func:`dmpclient.cda.mapping.to_document_entry`); the SubmissionSet gets a
   uniqueId under the software root (``ctx.ids``), ``sourceId`` = the software root, the sending user as
   author (CNDA test 2.1-900) and the caller's contentTypeCode (J59); one HasMember per document, one RPLC
   per replaced document (target = the **current entryUUID**, fetched with TD3.1b just before, RG_3130);
3. the XAdES signature: a manifest over the submission set's uniqueId and every document's uniqueId, signed by
   ``ctx.signer``; a document marked ``canonical`` (a CDA built by dmpclient is written in C14N form) is
   digested as a stream of its bytes, otherwise it is parsed and canonicalised;
4. the signature's own DocumentEntry, its HasMember and ``signs`` associations, its part last;
5. the MTOM attachments (file-backed when the source is a file) and the
   ``xdsb:ProvideAndRegisterDocumentSetRequest`` body with one ``xop:Include`` per document;
6. the DMP-profile validation (:func:`dmpclient.xds.validation.validate`) of that body — errors raise
   :class:`~dmpclient.errors.ValidationFailed` before any envelope is built;
7. the envelope with a fresh VIHF (``ctx.request``): TD2.2 when the acting user holds a CPE card.

The result, :class:`PreparedSubmission`, holds the :class:`~dmpclient.soap.SoapRequest` to send and the
uniqueIds the client needs to check an ambiguous failure with TD3.1b before anything is re-sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from dmpclient.cda import BuiltCda, CdaHeader, read_header
from dmpclient.cda.mapping import to_document_entry
from dmpclient.errors import Finding, InputError, Severity, ValidationFailed, errors_only
from dmpclient.ids import INS, validate_unique_id
from dmpclient.security.xades import (
    DmpXadesProfile,
    ManifestDocument,
    PrecomputedDigest,
    _stream_digests,
    build_submission_signature,
)
from dmpclient.soap import Attachment, SoapRequest, cid_href, new_content_id
from dmpclient.terminology import INVISIBLE_REPRESENTANTS_LEGAUX
from dmpclient.transactions._base import RequestContext, TransactionSpec
from dmpclient.transactions.repository import TD2_1, TD2_2
from dmpclient.xds import ebrim
from dmpclient.xds.authors import document_author, submission_set_author
from dmpclient.xds.model import (
    Code,
    DocumentEntry,
    PatientInfo,
    Person,
    SubmissionRequest,
    SubmissionSet,
)
from dmpclient.xds.signature import add_signature, signature_document_entry
from dmpclient.xds.validation import DmpParameters
from dmpclient.xds.validation import validate as validate_metadata

__all__ = [
    "DOCUMENT_UNIQUE_ID_BRANCH",
    "HASH_CHUNK_SIZE",
    "SIGNATURE_UNIQUE_ID_BRANCH",
    "SUBMISSION_SET_UNIQUE_ID_BRANCH",
    "DocumentToSubmit",
    "PreparedSubmission",
    "SourceDigests",
    "SubmissionSetInfo",
    "build_provide_and_register_request",
    "digest_source",
    "new_submission_set",
    "prepare_submission",
]

#: Branches of ``ctx.ids`` for generated uniqueIds, as in the GIE example (lot ``.1``, document ``.3``,
#: signature ``.4`` under the software root).
SUBMISSION_SET_UNIQUE_ID_BRANCH: Final = 1
DOCUMENT_UNIQUE_ID_BRANCH: Final = 3
SIGNATURE_UNIQUE_ID_BRANCH: Final = 4
#: Bytes read per step when hashing a file-backed document.
HASH_CHUNK_SIZE: Final = 1024 * 1024
_DEFAULT_PART_TYPE: Final = "application/octet-stream"


# --------------------------------------------------------------------------------------- digesting


@dataclass(frozen=True, slots=True)
class SourceDigests:
    """What one streaming pass over a document gives.

    Attributes:
        sha1: lower-case hex SHA-1 of the exact bytes (the XDS ``hash``).
        size: byte count (the XDS ``size``).
        canonical_sha256: SHA-256 of the bytes after the XML declaration — the XAdES manifest digest of a
            document already in C14N 1.0 (with comments) form; ``None`` unless asked for.
    """

    sha1: str
    size: int
    canonical_sha256: bytes | None = None


def digest_source(source: bytes | Path, *, canonical: bool = False, chunk_size: int = HASH_CHUNK_SIZE) -> SourceDigests:
    """Hash a document in one streaming pass: SHA-1 and size, plus the canonical SHA-256 when ``canonical``.

    A file is read ``chunk_size`` bytes at a time (memory stays flat for a 100 MiB document).
    """
    found = _stream_digests(
        source,
        raw=("sha1",),
        canonical=("sha256",) if canonical else (),
        chunk_size=chunk_size,
        usedforsecurity=False,
    )
    return SourceDigests(found.raw["sha1"].hex(), found.size, found.canonical.get("sha256"))


# ---------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class SubmissionSetInfo:
    """What the caller chooses for a new submission set (no SubmissionSet field comes from the CDA).

    Attributes:
        content_type_code: contentTypeCode, 1..1, from JDV_J59 (e.g. ``Code("04", "1.2.250.1.213.2.2",
            "Hospitalisation de jour")``); also required on TD3.3 submission sets [V2 DBX].
        title: ``Name`` of the lot (optional for XDS; recommended).
        comments: ``Description`` of the lot.
        intended_recipients: ``intendedRecipient`` values (XON|XCN|XTN), rarely used.
    """

    content_type_code: Code
    title: str | None = None
    comments: str | None = None
    intended_recipients: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.content_type_code, Code):
            raise InputError(
                "the submission set needs a contentTypeCode (JDV_J59)",
                field="submission_set.content_type_code",
                value=self.content_type_code,
                rule="XDS SubmissionSet contentTypeCode 1..1",
            )


def new_submission_set(
    ctx: RequestContext, patient: INS, info: SubmissionSetInfo, *, submission_time: dt.datetime | None = None
) -> SubmissionSet:
    """A new SubmissionSet: uniqueId under the software root, sourceId = the root, the sending user as author.

    Used by TD2.1/TD2.2 and by every ITI-57 update (TD3.3a/b/c/d).
    """
    when = submission_time or ctx.clock()
    if when.tzinfo is None or when.utcoffset() is None:
        raise InputError("the submission time must be timezone-aware", field="submission_time", value=when)
    return SubmissionSet(
        entry_uuid="SubmissionSet01",
        unique_id=ctx.ids.new(SUBMISSION_SET_UNIQUE_ID_BRANCH),
        source_id=ctx.acting.software.oid_root,
        submission_time=when.astimezone(dt.UTC).replace(microsecond=0),
        content_type_code=info.content_type_code,
        authors=(submission_set_author(ctx.acting),),
        title=info.title,
        comments=info.comments,
        patient_id=patient.to_cx(),
        intended_recipients=info.intended_recipients,
    )


@dataclass(frozen=True)
class DocumentToSubmit:
    """One document of a submission: its content and its XDS metadata.

    Attributes:
        source: the exact bytes, a file path (streamed, never loaded whole) or a
            :class:`~dmpclient.cda.BuiltCda` (its file or bytes, with hash, size and canonical digest known).
        entry: the DocumentEntry; when ``None`` it is derived from the CDA header
            (:func:`~dmpclient.cda.mapping.to_document_entry`) — free for a ``BuiltCda``, a full parse for
            bytes or a file (give ``entry`` for large files that are not ``BuiltCda``).
        canonical: the bytes after the XML declaration are already in C14N 1.0 (with comments) form, so the
            XAdES manifest digest is a streamed hash; default True for a ``BuiltCda``, False otherwise.
        confidentiality: codes added after the CDA's own when the entry is derived (``MASQUE_PS``,
            ``INVISIBLE_PATIENT``, ``INVISIBLE_REPRESENTANTS_LEGAUX``): a choice of the sending application.
        comments: the entry's ``Description`` when derived.
        sha1, size: already known XDS hash and size (trusted; computed by streaming when absent).
        manifest_digest: already known SHA-256 of the canonical form (``BuiltCda.sha256``).
        content_type: MIME type of the part (the accepted DMP trace uses ``application/octet-stream``).
    """

    source: bytes | Path | BuiltCda
    entry: DocumentEntry | None = None
    canonical: bool | None = None
    confidentiality: tuple[Code, ...] = ()
    comments: str | None = None
    sha1: str | None = None
    size: int | None = None
    manifest_digest: bytes | None = None
    content_type: str = _DEFAULT_PART_TYPE

    def __post_init__(self) -> None:
        source: object = self.source
        if isinstance(source, str | os.PathLike) and not isinstance(source, Path):
            object.__setattr__(self, "source", Path(source))
        elif isinstance(source, bytearray | memoryview):
            object.__setattr__(self, "source", bytes(source))
        elif not isinstance(source, bytes | Path | BuiltCda):
            raise InputError(
                "a document is bytes, a file path or a BuiltCda", field="document.source", value=type(source).__name__
            )
        object.__setattr__(self, "confidentiality", tuple(self.confidentiality))
        if isinstance(self.source, BuiltCda):
            built = self.source
            if built.data is None and built.path is None:
                raise InputError("the BuiltCda kept neither its bytes nor its file", field="document.source")
            if self.canonical is None:
                object.__setattr__(self, "canonical", True)
            if self.sha1 is None:
                object.__setattr__(self, "sha1", built.sha1)
            if self.size is None:
                object.__setattr__(self, "size", built.size)
            if self.manifest_digest is None and self.canonical:
                object.__setattr__(self, "manifest_digest", bytes.fromhex(built.sha256))
        elif self.canonical is None:
            object.__setattr__(self, "canonical", False)

    @classmethod
    def from_cda(
        cls,
        built: BuiltCda,
        *,
        entry: DocumentEntry | None = None,
        confidentiality: Sequence[Code] = (),
        comments: str | None = None,
    ) -> DocumentToSubmit:
        """A document built by :mod:`dmpclient.cda` (canonical, hash/size/digest known, metadata from its header)."""
        return cls(built, entry=entry, confidentiality=tuple(confidentiality), comments=comments)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], entry: DocumentEntry | None = None, *, canonical: bool = False
    ) -> DocumentToSubmit:
        """A document streamed from a file."""
        return cls(Path(path), entry=entry, canonical=canonical)

    @classmethod
    def from_bytes(
        cls, data: bytes, entry: DocumentEntry | None = None, *, canonical: bool = False
    ) -> DocumentToSubmit:
        """A document held in memory."""
        return cls(data, entry=entry, canonical=canonical)

    @property
    def content(self) -> bytes | Path:
        """The bytes or the file that the MIME part carries."""
        src = self.source
        if isinstance(src, BuiltCda):
            return src.path if src.path is not None else (src.data or b"")
        return src

    @property
    def header(self) -> CdaHeader | None:
        """The CDA header when it is known without parsing (a ``BuiltCda``)."""
        return self.source.header if isinstance(self.source, BuiltCda) else None

    def metadata(self) -> DocumentEntry:
        """The DocumentEntry as given, or derived from the CDA header."""
        if self.entry is not None:
            return self.entry
        header = self.header or read_header(self.content)
        return to_document_entry(header, confidentiality_extra=self.confidentiality, comments=self.comments)


# ---------------------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class PreparedSubmission:
    """A TD2.1 / TD2.2 request ready to send, with what the client needs around it.

    Attributes:
        request: the MTOM :class:`~dmpclient.soap.SoapRequest` (root, one part per document, signature last).
        spec: TD2.1, or TD2.2 for a CPE card.
        submission: the final metadata (documents, signature entry, associations).
        submission_set_unique_id: the lot's uniqueId.
        document_unique_ids: each document's uniqueId, in order (the signature excluded).
        signature_unique_id: the signature document's uniqueId (also ``ds:Signature/@Id``).
        signature: the XAdES signature document (bytes of the last part).
        attachments: the MTOM parts, in order.
        replaced: document uniqueId → entryUUID it replaces (RPLC).
        findings: warnings (validation warnings, RPLC without ``relatedDocument`` in the CDA …).
    """

    request: SoapRequest
    spec: TransactionSpec
    submission: SubmissionRequest
    submission_set_unique_id: str
    document_unique_ids: tuple[str, ...]
    signature_unique_id: str
    signature: bytes
    attachments: tuple[Attachment, ...]
    replaced: Mapping[str, str] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def transaction(self) -> str:
        """``"TD2.1"`` or ``"TD2.2"``."""
        return self.spec.td

    @property
    def unique_ids(self) -> tuple[str, ...]:
        """The document uniqueIds to look up with TD3.1b after an ambiguous failure (never re-send blindly)."""
        return self.document_unique_ids

    @property
    def documents(self) -> list[DocumentEntry]:
        """The DocumentEntries of the documents (the signature entry excluded)."""
        return [d for d in self.submission.documents if d.unique_id in self.document_unique_ids]


# -------------------------------------------------------------------------------------- pipeline


@dataclass(slots=True)
class _Doc:
    content: bytes | Path
    entry: DocumentEntry
    manifest: ManifestDocument
    content_type: str
    content_id: str = field(default_factory=new_content_id)


def _same_patient(entry: DocumentEntry, patient: INS, where: str) -> None:
    try:
        ins = entry.ins
    except InputError as exc:
        raise InputError(
            f"the document's patientId is not an INS: {exc.reason}",
            field=f"{where}.patientId",
            value=entry.patient_id,
            rule="XDS patientId",
        ) from None
    if ins != patient:
        raise InputError(
            "the document is about another patient than the submission",
            field=f"{where}.patientId",
            value=entry.patient_id,
            rule="XDSPatientIdDoesNotMatch",
            hint=f"the submission is for {patient.to_cx()}",
        )


def _prepare_document(
    ctx: RequestContext, index: int, doc: DocumentToSubmit, patient: INS, profile: DmpXadesProfile
) -> tuple[_Doc, list[Finding]]:
    where = f"documents[{index}]"
    findings: list[Finding] = []
    entry = doc.metadata()
    if ctx.acting.secret_connection and not entry.has_confidentiality(INVISIBLE_REPRESENTANTS_LEGAUX):
        # A minor's secret connection makes every fed document invisible to the legal representatives.
        entry = entry.replace_fields(
            confidentiality_codes=(*entry.confidentiality_codes, INVISIBLE_REPRESENTANTS_LEGAUX)
        )
        findings.append(
            Finding(
                rule="submission.secretConnection",
                message="secret connection: INVISIBLE_REPRESENTANTS_LEGAUX added to the document",
                severity=Severity.INFO,
                location=f"{where}.confidentialityCode",
            )
        )
    content = doc.content
    if isinstance(content, Path) and not content.is_file():
        raise InputError("the document file does not exist", field=f"{where}.source", value=str(content))
    want_canonical = bool(doc.canonical) and doc.manifest_digest is None and profile.digest_algorithm == "sha256"
    sha1, size, digest = doc.sha1, doc.size, doc.manifest_digest
    if sha1 is None or size is None or want_canonical:
        computed = digest_source(content, canonical=want_canonical)
        sha1, size = computed.sha1, computed.size
        digest = digest if digest is not None else computed.canonical_sha256
    if entry.hash is not None and entry.hash.lower() != sha1:
        raise InputError(
            "the entry's hash is not the SHA-1 of the document bytes",
            field=f"{where}.hash",
            value=entry.hash,
            rule="XDSNonIdenticalHash",
        )
    if entry.size is not None and entry.size != size:
        raise InputError(
            "the entry's size is not the document's byte count",
            field=f"{where}.size",
            value=entry.size,
            rule="XDSNonIdenticalSize",
        )
    if entry.patient_id is None:
        entry = entry.replace_fields(patient_id=patient.to_cx())
    else:
        _same_patient(entry, patient, where)
    if not entry.unique_id:
        raise InputError(
            "the document needs its uniqueId (the CDA ClinicalDocument/id/@root)",
            field=f"{where}.uniqueId",
            value=None,
            rule="XDS uniqueId",
            hint="build the CDA with dmpclient.cda or set DocumentEntry.unique_id",
        )
    validate_unique_id(entry.unique_id, field=f"{where}.uniqueId")
    if isinstance(doc.source, BuiltCda) and entry.unique_id != doc.source.unique_id:
        raise InputError(
            "the entry's uniqueId differs from the CDA id/@root",
            field=f"{where}.uniqueId",
            value=entry.unique_id,
            rule="uniqueId = CDA id",
            hint=f"the CDA id is {doc.source.unique_id}",
        )
    # Registry-assigned fields never go in a submission.
    entry = entry.replace_fields(
        entry_uuid=f"Document{index + 1:02d}",
        document_id=None,
        logical_id=None,
        version=None,
        availability_status=None,
        repository_unique_id=None,
        hash=sha1,
        size=size,
    )
    if doc.canonical and profile.digest_algorithm == "sha256" and digest is not None:
        manifest = ManifestDocument(entry.unique_id or "", PrecomputedDigest(digest, "sha256"))
    else:
        manifest = ManifestDocument(entry.unique_id or "", content, canonical=bool(doc.canonical))
    return _Doc(content, entry, manifest, doc.content_type), findings


def _signature_authenticator(ctx: RequestContext, entries: Sequence[DocumentEntry]) -> Person | None:
    """TD2.2: the signature entry's legalAuthenticator is the professional who validated the documents."""
    if ctx.acting.is_cpe:
        return next((e.legal_authenticator for e in entries if e.legal_authenticator is not None), None)
    return None


def _rplc_findings(index: int, doc: DocumentToSubmit) -> list[Finding]:
    header = doc.header
    if header is None or any((r.type_code or "").upper() == "RPLC" for r in header.related_documents):
        return []
    return [
        Finding(
            rule="submission.rplc.relatedDocument",
            message="the document replaces another one but its CDA has no relatedDocument typeCode=RPLC "
            "pointing at the replaced document's id (cda.md §5)",
            severity=Severity.WARNING,
            location=f"documents[{index}]",
        )
    ]


def prepare_submission(
    ctx: RequestContext,
    patient: INS,
    documents: Sequence[DocumentToSubmit],
    *,
    submission_set: SubmissionSetInfo,
    replaces: Mapping[int, str] | None = None,
    signing_time: dt.datetime | None = None,
    signature_legal_authenticator: Person | None = None,
    patient_info: PatientInfo | None = None,
    params: DmpParameters | None = None,
    xades_profile: DmpXadesProfile | None = None,
    validate: bool = True,
) -> PreparedSubmission:
    """Build a complete, signed TD2.1 (or TD2.2 under a CPE card) request for one patient.

    Args:
        ctx: who acts, where, the signer (VIHF and XAdES) and the uniqueId generator.
        patient: the patient's qualified INS (NIA refused).
        documents: one or more documents; they share one submission set and one XAdES signature.
        submission_set: the lot's contentTypeCode (J59), title and comments.
        replaces: document index → the **current entryUUID** (``urn:uuid:…``) of the document it replaces,
            fetched with TD3.1b just before (RG_3130); each gives an RPLC association.
        signing_time: XAdES SigningTime and the signature entry's times (default: ``ctx.clock()``).
        signature_legal_authenticator: legalAuthenticator of the signature entry (default: the signer; under
            a CPE card, the professional who validated the documents).
        patient_info: sourcePatientInfo of the signature entry (default: the first document's).
        params: the DMP parameters file values for the validation.
        xades_profile: signature layout (default: RSA-SHA256 / SHA-256, the accepted trace's).
        validate: run the DMP-profile metadata validation (``False`` only to test a server's own checks).

    Raises:
        InputError: inconsistent input (no document, other patient, hash/size mismatch, bad RPLC target …).
        ValidationFailed: the metadata breaks an IHE or DMP rule (every finding is in the exception).
    """
    if not documents:
        raise InputError("a submission has at least one document", field="documents", value=[])
    ctx.require_patient(patient)
    replaces = dict(replaces or {})
    for index in replaces:
        if not 0 <= index < len(documents):
            raise InputError("no document at this index", field=f"replaces[{index}]", value=index)
    profile = xades_profile or DmpXadesProfile()
    spec = TD2_2 if ctx.acting.is_cpe else TD2_1
    when = signing_time or ctx.clock()
    if when.tzinfo is None or when.utcoffset() is None:
        raise InputError("the signing time must be timezone-aware", field="signing_time", value=when)

    findings: list[Finding] = []
    prepared: list[_Doc] = []
    for index, doc in enumerate(documents):
        item, extra = _prepare_document(ctx, index, doc, patient, profile)
        prepared.append(item)
        findings.extend(extra)
        if index in replaces:
            findings.extend(_rplc_findings(index, doc))
    unique_ids = [p.entry.unique_id or "" for p in prepared]
    if len(set(unique_ids)) != len(unique_ids):
        raise InputError(
            "two documents of the submission have the same uniqueId",
            field="documents",
            value=unique_ids,
            rule="XDSRegistryDuplicateUniqueIdInMessage",
        )

    ss = new_submission_set(ctx, patient, submission_set, submission_time=when)
    submission = SubmissionRequest(submission_set=ss)
    replaced: dict[str, str] = {}
    for index, item in enumerate(prepared):
        if index in replaces:
            item.entry = submission.replace(item.entry, replaces[index])
            replaced[item.entry.unique_id or ""] = replaces[index]
        else:
            item.entry = submission.add_document(item.entry)

    signature_uid = ctx.ids.new(SIGNATURE_UNIQUE_ID_BRANCH)
    signature = build_submission_signature(
        submission_set_unique_id=ss.unique_id or "",
        documents=[p.manifest for p in prepared],
        signer=ctx.signer,
        signature_unique_id=signature_uid,
        clock=lambda: when.astimezone(),
        profile=profile,
    )
    entries = [p.entry for p in prepared]
    signature_entry = signature_document_entry(
        signer=document_author(ctx.acting),
        patient=patient,
        signing_time=when,
        unique_id=signature_uid,
        documents=entries,
        patient_info=patient_info,
        legal_authenticator=signature_legal_authenticator or _signature_authenticator(ctx, entries),
        hash=hashlib.sha1(signature, usedforsecurity=False).hexdigest(),
        size=len(signature),
    )
    stored_signature = add_signature(submission, signature_entry)

    attachments = [Attachment(p.content_id, p.content_type, source=p.content, size=p.entry.size or 0) for p in prepared]
    signature_cid = new_content_id()
    attachments.append(Attachment(signature_cid, _DEFAULT_PART_TYPE, source=signature))
    contents = {p.entry.content_id or "": cid_href(p.content_id) for p in prepared}
    contents[stored_signature.content_id or ""] = cid_href(signature_cid)
    body = ebrim.to_provide_and_register(submission, contents)

    if validate:
        # The written body is validated (the model rules plus those only XML can break).
        found = validate_metadata(body, "dmp", context=ctx.acting, environment=ctx.environment.kind, params=params)
        if errors_only(found):
            raise ValidationFailed(found, what=f"{spec.td} XDS metadata validation")
        findings.extend(found)

    request = ctx.request(spec, body, patient=patient, attachments=attachments)
    return PreparedSubmission(
        request=request,
        spec=spec,
        submission=submission,
        submission_set_unique_id=ss.unique_id or "",
        document_unique_ids=tuple(unique_ids),
        signature_unique_id=signature_uid,
        signature=signature,
        attachments=tuple(attachments),
        replaced=replaced,
        findings=tuple(findings),
    )


def build_provide_and_register_request(
    ctx: RequestContext,
    patient: INS,
    documents: Sequence[DocumentToSubmit],
    *,
    submission_set: SubmissionSetInfo,
    replaces: Mapping[int, str] | None = None,
    signing_time: dt.datetime | None = None,
    validate: bool = True,
) -> SoapRequest:
    """TD2.1 / TD2.2 request (four-function convention): :func:`prepare_submission` ``.request``.

    Prefer :func:`prepare_submission` when the uniqueIds are needed (ambiguous-failure check).
    """
    return prepare_submission(
        ctx,
        patient,
        documents,
        submission_set=submission_set,
        replaces=replaces,
        signing_time=signing_time,
        validate=validate,
    ).request
