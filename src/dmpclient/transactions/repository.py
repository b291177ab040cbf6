"""The DMP ``repository`` service: TD2.1 / TD2.2 (ITI-41 ProvideAndRegister) and TD3.2 (ITI-43 Retrieve).

Four functions per transaction (``_base`` convention); the client calls the ``build_*_request`` /
``parse_*_response`` pair, the sandbox the ``parse_*_request`` / ``build_*_response`` pair:

============  ================================================  ==============================================
TD            client                                            sandbox
============  ================================================  ==============================================
TD2.1/TD2.2   :func:`~dmpclient.transactions.submission.        :func:`parse_provide_and_register_request` →
              prepare_submission` (or ``build_provide_and_      :class:`ReceivedSubmission`;
              register_request``);                              :func:`build_provide_and_register_response`
              :func:`parse_provide_and_register_response` →
              :class:`SubmissionResult`
TD3.2         :func:`build_retrieve_document_set_request`;      :func:`parse_retrieve_document_set_request`;
              :func:`parse_retrieve_document_set_response` →    :func:`build_retrieve_document_set_response`
              :class:`RetrieveResult`                           (MTOM from files), :func:`build_retrieve_
                                                                document_set_fault`
============  ================================================  ==============================================

Errors: a SOAP fault raises :class:`~dmpclient.errors.SoapFaultError` (the DMP code is the innermost subcode;
ITI-43 faults arrive inside an MTOM package), a ``RegistryResponse`` failure raises
:class:`~dmpclient.errors.RegistryError` with the DMP's ``errorCode`` / ``codeContext`` / ``location``.
:func:`build_registry_error_response` is the sandbox's error builder for every XDS transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

from cryptography import x509
from lxml import etree

from dmpclient._xml import q
from dmpclient.environments import Service
from dmpclient.errors import (
    Finding,
    InputError,
    ProtocolError,
    RegistryError,
    RegistryErrorItem,
    SoapFaultError,
)
from dmpclient.ids import INS, validate_unique_id
from dmpclient.security import xmldsig
from dmpclient.security.certificates import TrustStore
from dmpclient.security.xades import XadesReport, verify_submission_signature
from dmpclient.soap import (
    Attachment,
    ReceivedPart,
    SoapMessage,
    SoapRequest,
    SoapResponse,
    build_response,
    canonical_action,
    cid_href,
    fault_response,
    new_content_id,
    parse_fault,
    response_action,
)
from dmpclient.transactions._base import RequestContext, register_spec
from dmpclient.xds import ebrim
from dmpclient.xds.constants import (
    DMP_REPOSITORY_UNIQUE_ID,
    RESPONSE_STATUS_FAILURE,
    RESPONSE_STATUS_PARTIAL_SUCCESS,
    RESPONSE_STATUS_SUCCESS,
    SEVERITY_ERROR,
    SEVERITY_WARNING,
)
from dmpclient.xds.model import (
    DocumentEntry,
    DocumentRequest,
    QueryResponse,
    RegistryResponse,
    ResponseStatus,
    RetrieveDocumentSetRequest,
    RetrieveDocumentSetResponse,
    SubmissionRequest,
)
from dmpclient.xds.model import RetrievedDocument as XdsRetrievedDocument
from dmpclient.xds.signature import is_signature_entry

__all__ = [
    "TD2_1",
    "TD2_2",
    "TD3_2",
    "DocumentContent",
    "ReceivedDocument",
    "ReceivedSubmission",
    "RetrieveResult",
    "RetrievedDocument",
    "SubmissionResult",
    "build_provide_and_register_response",
    "build_registry_error_response",
    "build_retrieve_document_set_fault",
    "build_retrieve_document_set_request",
    "build_retrieve_document_set_response",
    "parse_provide_and_register_request",
    "parse_provide_and_register_response",
    "parse_registry_response",
    "parse_retrieve_document_set_request",
    "parse_retrieve_document_set_response",
    "registry_error",
]


_PNR_BODY: Final = q("xdsb", "ProvideAndRegisterDocumentSetRequest")
_PNR_DISCRIMINATOR: Final = (
    "TD2.1 and TD2.2 send the same message; TD2.2 when the VIHF shows a CPE card (direct authentication, "
    "secretary's card), TD2.1 otherwise"
)

#: TD2.1 — Alimentation (ITI-41, MTOM, XAdES-signed lot).
TD2_1: Final = register_spec(
    "TD2.1", "provide_and_register", "Alimentation", Service.REPOSITORY, _PNR_BODY, _PNR_DISCRIMINATOR
)
#: TD2.2 — Alimentation par une CPE (same message, CPE context).
TD2_2: Final = register_spec(
    "TD2.2", "provide_and_register", "Alimentation par une CPE", Service.REPOSITORY, _PNR_BODY, _PNR_DISCRIMINATOR
)
#: TD3.2 — Consultation d'un document (ITI-43; answered in MTOM, faults included).
TD3_2: Final = register_spec(
    "TD3.2",
    "retrieve_document_set",
    "Consultation d'un document",
    Service.REPOSITORY,
    q("xdsb", "RetrieveDocumentSetRequest"),
    None,
)


# ===================================================================================== shared helpers


def _local(el: etree._Element | None) -> str:
    return etree.QName(el).localname if el is not None and isinstance(el.tag, str) else ""


def _raise_fault(message: SoapMessage, transaction: str, *, explanations: Mapping[str, str] | None = None) -> None:
    """Raise :class:`SoapFaultError` when ``message`` is a SOAP fault (with an explanation for known codes)."""
    if not message.envelope.is_fault:
        return
    fault = parse_fault(message.envelope)
    code = fault.most_specific_code
    raise SoapFaultError(
        code,
        fault.reason,
        fault_code=fault.code,
        subcodes=fault.subcodes,
        detail=fault.detail_text,
        transaction=transaction,
        message_id=message.envelope.relates_to,
        explanation=(explanations or {}).get(code),
    )


def _payload(message: SoapMessage, expected: Iterable[str], transaction: str) -> etree._Element:
    """The body's element after checking for a fault and its local name (``ProtocolError`` otherwise)."""
    _raise_fault(message, transaction)
    payload = message.envelope.payload
    wanted = tuple(expected)
    if payload is None or _local(payload) not in wanted:
        found = _local(payload) or "nothing"
        raise ProtocolError(f"{transaction}: expected {' or '.join(wanted)} in the SOAP Body, found {found}")
    return payload


def _registry_error(
    errors: Sequence[RegistryErrorItem],
    status: str,
    transaction: str,
    message: SoapMessage,
    explanations: Mapping[str, str] | None = None,
) -> RegistryError:
    items = list(errors) or [RegistryErrorItem(error_code="", code_context=f"status {status} without error list")]
    first = next((e for e in items if e.is_error), items[0])
    return RegistryError(
        items,
        status=status,
        transaction=transaction,
        message_id=message.envelope.relates_to,
        explanation=(explanations or {}).get(first.error_code),
    )


def parse_registry_response(message: SoapMessage, transaction: str) -> RegistryResponse:
    """Read a ``rs:RegistryResponse`` answer (ITI-41, ITI-57); raise unless its status is Success.

    Raises:
        SoapFaultError: a SOAP fault.
        RegistryError: status Failure or PartialSuccess (DMP ``errorCode``, ``codeContext`` verbatim).
        ProtocolError: anything else in the Body.
    """
    payload = _payload(message, ("RegistryResponse",), transaction)
    response = ebrim.from_registry_response(payload)
    if not response.ok:
        raise _registry_error(response.errors, str(response.status), transaction, message)
    return response


def registry_error(
    code: str, context: str | None = None, *, location: str | None = None, warning: bool = False
) -> RegistryErrorItem:
    """One ``rs:RegistryError`` (sandbox side): ``code`` = errorCode, ``context`` = codeContext (French text)."""
    severity = SEVERITY_WARNING if warning else SEVERITY_ERROR
    return RegistryErrorItem(error_code=code, code_context=context, location=location, severity=severity)


def _response_action(request: SoapMessage) -> str:
    action = canonical_action(request.action, body_tag=request.envelope.payload_tag)
    if not action:
        raise ProtocolError("the request has no WS-Addressing Action and an unknown body")
    return response_action(action)


def _reply(
    body: etree._Element,
    request: SoapMessage,
    *,
    attachments: Sequence[Attachment] = (),
    mtom: bool | None = None,
) -> SoapResponse:
    return build_response(
        body,
        action=_response_action(request),
        relates_to=request.envelope.message_id,
        attachments=attachments,
        mtom=mtom,
    )


def _auto_status(errors: Sequence[RegistryErrorItem], delivered: bool) -> str:
    if not any(e.is_error for e in errors):
        return RESPONSE_STATUS_SUCCESS
    return RESPONSE_STATUS_PARTIAL_SUCCESS if delivered else RESPONSE_STATUS_FAILURE


def build_registry_error_response(
    errors: RegistryErrorItem | Sequence[RegistryErrorItem],
    *,
    request: SoapMessage,
    status: str = RESPONSE_STATUS_FAILURE,
) -> SoapResponse:
    """The sandbox's XDS error answer, shaped for the request's transaction.

    ``AdhocQueryRequest`` (ITI-18) → ``AdhocQueryResponse`` with the error list; ``RetrieveDocumentSetRequest``
    (ITI-43) → ``RetrieveDocumentSetResponse`` wrapping the ``RegistryResponse``, in MTOM; anything else
    (ITI-41, ITI-57) → ``rs:RegistryResponse``. HTTP 200, like the DMP (faults are for SOAP-level errors).
    """
    items = (errors,) if isinstance(errors, RegistryErrorItem) else tuple(errors)
    kind = _local(request.envelope.payload)
    if kind == "AdhocQueryRequest":
        body = ebrim.to_adhoc_query_response(QueryResponse(status=status, errors=items))
        return _reply(body, request)
    registry = RegistryResponse(status=status, errors=items)
    if kind == "RetrieveDocumentSetRequest":
        body = ebrim.to_retrieve_response(RetrieveDocumentSetResponse(response=registry))
        return _reply(body, request, mtom=True)
    return _reply(ebrim.to_registry_response(registry), request)


# ============================================================================================= TD2.1


@dataclass(frozen=True)
class SubmissionResult:
    """The DMP's answer to a TD2.1 / TD2.2 that it accepted.

    Attributes:
        response: the ``RegistryResponse`` (status Success; warnings, if any, in its error list).
    """

    response: RegistryResponse

    @property
    def warnings(self) -> tuple[RegistryErrorItem, ...]:
        """Warnings the DMP attached to an accepted submission."""
        return tuple(e for e in self.response.errors if not e.is_error)


def parse_provide_and_register_response(message: SoapMessage, *, transaction: str = "TD2.1") -> SubmissionResult:
    """Read the TD2.1 / TD2.2 answer.

    Raises:
        SoapFaultError: SOAP fault (VIHF, certificate, format …).
        RegistryError: the DMP refused the lot (``errorCode`` / French ``codeContext`` / ``location`` kept).
        ProtocolError: not a RegistryResponse.
    """
    return SubmissionResult(parse_registry_response(message, transaction))


@dataclass(eq=False)
class ReceivedDocument:
    """One document of a received TD2.1: its metadata and the MIME part its ``xop:Include`` points to.

    Attributes:
        entry: the DocumentEntry.
        document_id: the ``xdsb:Document/@id`` matched to the entry (``None`` when no Document carries it).
        part: the MTOM part (in memory or spooled to a temporary file by the reader).
        data: the content when it was sent inline (base64, not MTOM).
    """

    entry: DocumentEntry
    document_id: str | None = None
    part: ReceivedPart | None = None
    data: bytes | None = None

    @property
    def available(self) -> bool:
        """True when the content arrived."""
        return self.part is not None or self.data is not None

    @property
    def size(self) -> int | None:
        """Byte count of the content."""
        if self.part is not None:
            return self.part.size
        return len(self.data) if self.data is not None else None

    @property
    def sha1(self) -> str | None:
        """Lower-case hex SHA-1 of the content (the XDS ``hash`` it must match)."""
        if self.part is not None:
            return self.part.sha1
        return hashlib.sha1(self.data, usedforsecurity=False).hexdigest() if self.data is not None else None

    def open(self) -> IO[bytes]:
        """A binary file object over the content."""
        if self.part is not None:
            return self.part.open()
        if self.data is not None:
            return io.BytesIO(self.data)
        raise ProtocolError(f"no content was received for {self.entry.entry_uuid}")

    def read_bytes(self) -> bytes:
        """The whole content (loads a spooled part)."""
        with self.open() as handle:
            return handle.read()

    def source(self) -> bytes | Path:
        """The content as bytes (in memory) or the spooled file (for hashing and signature checks)."""
        if self.part is not None and self.part.path is not None:
            return self.part.path
        return self.read_bytes()


@dataclass(eq=False)
class ReceivedSubmission:
    """What the sandbox receives in a TD2.1 / TD2.2.

    Attributes:
        submission: the metadata (submission set, entries, associations).
        documents: every document except the signature, in metadata order, with its content.
        signature: the XAdES signature document, or ``None`` when the lot has none.
        unmatched_documents: ``xdsb:Document`` ids that no DocumentEntry describes.
        message: the received message (its parts are freed by ``message.close()``).
    """

    submission: SubmissionRequest
    documents: tuple[ReceivedDocument, ...]
    signature: ReceivedDocument | None
    unmatched_documents: tuple[str, ...] = ()
    message: SoapMessage | None = field(default=None, repr=False)

    @property
    def unique_ids(self) -> tuple[str, ...]:
        """The documents' uniqueIds (the signature excluded)."""
        return tuple(d.entry.unique_id or "" for d in self.documents)

    @property
    def signature_bytes(self) -> bytes | None:
        """The signature document's bytes."""
        return self.signature.read_bytes() if self.signature is not None and self.signature.available else None

    def content_findings(self) -> list[Finding]:
        """Content ⇄ metadata checks: a part per entry, XDS ``hash``/``size`` equal to the part's bytes.

        Codes are the IHE ones the sandbox answers with (``XDSMissingDocument``, ``XDSNonIdenticalHash``,
        ``XDSNonIdenticalSize``, ``XDSMissingDocumentMetadata``).
        """
        out: list[Finding] = []
        everything = [*self.documents, *([self.signature] if self.signature is not None else [])]
        for doc in everything:
            name = doc.entry.entry_uuid or "DocumentEntry"
            if not doc.available:
                out.append(
                    Finding(
                        rule="submission.content.missing",
                        message=f"no xdsb:Document content for the entry {name}",
                        location=name,
                        code="XDSMissingDocument",
                    )
                )
                continue
            if doc.entry.hash is not None and doc.entry.hash.lower() != doc.sha1:
                out.append(
                    Finding(
                        rule="submission.content.hash",
                        message=f"hash {doc.entry.hash} is not the SHA-1 of the part ({doc.sha1})",
                        location=f"{name}.hash",
                        code="XDSNonIdenticalHash",
                        value=doc.entry.hash,
                    )
                )
            if doc.entry.size is not None and doc.entry.size != doc.size:
                out.append(
                    Finding(
                        rule="submission.content.size",
                        message=f"size {doc.entry.size} is not the part's byte count ({doc.size})",
                        location=f"{name}.size",
                        code="XDSNonIdenticalSize",
                        value=str(doc.entry.size),
                    )
                )
        for doc_id in self.unmatched_documents:
            out.append(
                Finding(
                    rule="submission.content.unmatched",
                    message=f"xdsb:Document {doc_id!r} has no DocumentEntry",
                    location=doc_id,
                    code="XDSMissingDocumentMetadata",
                )
            )
        return out

    def verify_signature(
        self,
        *,
        trust_anchors: TrustStore | Sequence[x509.Certificate] | None = None,
        at: dt.datetime | None = None,
        allowed_algorithms: Iterable[str] | None = None,
    ) -> XadesReport:
        """Verify the XAdES signature against the received parts (``xades-signature.md`` §5, reference by reference).

        ``trust_anchors`` / ``at`` / ``allowed_algorithms`` go to
        :func:`~dmpclient.security.xades.verify_submission_signature` (default algorithms: SHA-256 family).

        Raises:
            ProtocolError: the lot has no signature document.
        """
        sig = self.signature_bytes
        if sig is None:
            raise ProtocolError("the submission has no signature document")
        documents: dict[str, bytes | str | os.PathLike[str]] = {
            d.entry.unique_id: d.source() for d in self.documents if d.entry.unique_id and d.available
        }
        return verify_submission_signature(
            sig,
            documents,
            trust_anchors=trust_anchors,
            at=at,
            allowed_algorithms=allowed_algorithms if allowed_algorithms is not None else xmldsig.DEFAULT_ALLOWED,
            submission_set_unique_id=self.submission.submission_set.unique_id,
        )


def parse_provide_and_register_request(message: SoapMessage) -> ReceivedSubmission:
    """Sandbox side of TD2.1 / TD2.2: the metadata and, for each entry, the MIME part of its ``xdsb:Document``.

    Entries are matched to ``xdsb:Document`` elements by id (case-insensitively as a fallback: the official
    example has ``DocumentME2`` / ``documentME2``); the parts through the reader's XOP mapping. Nothing is
    refused here — :meth:`ReceivedSubmission.content_findings` and the XDS validator report what is wrong.

    Raises:
        ProtocolError: not a ProvideAndRegisterDocumentSetRequest.
    """
    payload = _payload(message, ("ProvideAndRegisterDocumentSetRequest",), "TD2.1")
    pnr = ebrim.from_provide_and_register(payload)
    by_id: dict[str, tuple[ReceivedPart | None, bytes | None]] = {}
    inline = {p.id: p.data for p in pnr.documents if p.data is not None}
    for doc_el in payload:
        if _local(doc_el) != "Document":
            continue
        doc_id = doc_el.get("id") or ""
        by_id[doc_id] = (message.part_for(doc_el), inline.get(doc_id))
    lowered = {k.lower(): k for k in by_id}
    used: set[str] = set()
    documents: list[ReceivedDocument] = []
    signature: ReceivedDocument | None = None
    for entry in pnr.submission.documents:
        wanted = entry.content_id or ""
        key = wanted if wanted in by_id else lowered.get(wanted.lower())
        part, data = by_id.get(key, (None, None)) if key is not None else (None, None)
        if key is not None:
            used.add(key)
        received = ReceivedDocument(entry=entry, document_id=key, part=part, data=data)
        if signature is None and is_signature_entry(entry):
            signature = received
        else:
            documents.append(received)
    return ReceivedSubmission(
        submission=pnr.submission,
        documents=tuple(documents),
        signature=signature,
        unmatched_documents=tuple(k for k in by_id if k not in used),
        message=message,
    )


def build_provide_and_register_response(
    result: SubmissionResult | RegistryResponse | None = None, *, request: SoapMessage
) -> SoapResponse:
    """Sandbox side: the ``RegistryResponse`` answer (Success by default; errors through
    :func:`build_registry_error_response`)."""
    if result is None:
        response = RegistryResponse(status=ResponseStatus.SUCCESS)
    elif isinstance(result, SubmissionResult):
        response = result.response
    else:
        response = result
    return _reply(ebrim.to_registry_response(response), request)


# ============================================================================================= TD3.2

_RETRIEVE_EXPLANATIONS: Final = {
    "XDSDocumentUniqueIdError": "DocumentUniqueId must be the document's uniqueId (an OID), never its entryUUID; "
    "the document may also not exist or not be visible to you",
}


def build_retrieve_document_set_request(
    ctx: RequestContext,
    patient: INS,
    unique_ids: str | Sequence[str],
    *,
    repository_unique_id: str = DMP_REPOSITORY_UNIQUE_ID,
) -> SoapRequest:
    """TD3.2: retrieve documents by **uniqueId** (never the entryUUID) from the DMP repository.

    Raises:
        InputError: no uniqueId, or a value that is not an OID (an entryUUID is refused here, before the DMP
            answers ``XDSDocumentUniqueIdError``).
    """
    ids = [unique_ids] if isinstance(unique_ids, str) else list(unique_ids)
    if not ids:
        raise InputError("at least one document uniqueId is needed", field="unique_ids", value=ids)
    for i, uid in enumerate(ids):
        if uid.startswith("urn:uuid:"):
            raise InputError(
                "TD3.2 takes the document's uniqueId (an OID), not its entryUUID",
                field=f"unique_ids[{i}]",
                value=uid,
                rule="ITI-43 DocumentUniqueId",
                hint="use DocumentEntry.unique_id",
            )
        validate_unique_id(uid, field=f"unique_ids[{i}]")
    request = RetrieveDocumentSetRequest(
        documents=tuple(DocumentRequest(repository_unique_id=repository_unique_id, document_unique_id=u) for u in ids)
    )
    return ctx.request(TD3_2, ebrim.to_retrieve_request(request), patient=patient)


@dataclass(eq=False)
class RetrievedDocument:
    """One document of a TD3.2 answer, its content streamed to memory or to a temporary file by the reader.

    Not to be confused with :class:`dmpclient.xds.model.RetrievedDocument` (the codec's view, a Content-ID):
    this one holds the received content itself.

    Attributes:
        unique_id: the document's uniqueId.
        repository_unique_id: the repository (``1.2.250.1.213.4.1.1.1.2`` for the DMP).
        mime_type: ``text/xml`` for a CDA.
        home_community_id: rarely set.
        part: the MTOM part (:class:`~dmpclient.soap.ReceivedPart`: ``move_to``/``save`` a file, ``open``).
        data: the content when it came inline (base64, non-MTOM answer).
    """

    unique_id: str
    repository_unique_id: str | None
    mime_type: str | None
    home_community_id: str | None = None
    part: ReceivedPart | None = None
    data: bytes | None = None

    @property
    def size(self) -> int:
        """Byte count."""
        return self.part.size if self.part is not None else len(self.data or b"")

    @property
    def sha1(self) -> str:
        """Lower-case hex SHA-1 (compare with the entry's XDS ``hash``)."""
        if self.part is not None:
            return self.part.sha1
        return hashlib.sha1(self.data or b"", usedforsecurity=False).hexdigest()

    def open(self) -> IO[bytes]:
        """A binary file object over the content."""
        return self.part.open() if self.part is not None else io.BytesIO(self.data or b"")

    def read_bytes(self) -> bytes:
        """The whole content in memory (prefer :meth:`save` / :meth:`move_to` for large documents)."""
        return self.part.read_bytes() if self.part is not None else (self.data or b"")

    def iter_bytes(self, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        """The content in chunks."""
        with self.open() as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    def save(self, dest: str | os.PathLike[str]) -> Path:
        """Copy the content to ``dest``."""
        if self.part is not None:
            return self.part.save(dest)
        target = Path(dest)
        target.write_bytes(self.data or b"")
        return target

    def move_to(self, dest: str | os.PathLike[str]) -> Path:
        """Move the content to ``dest`` (a rename when the reader spooled it to a file)."""
        if self.part is not None:
            return self.part.move_to(dest)
        return self.save(dest)


@dataclass(eq=False)
class RetrieveResult:
    """A TD3.2 answer.

    Attributes:
        documents: the documents returned, in order.
        response: the embedded ``RegistryResponse`` (Success, or PartialSuccess with its errors).
        message: the received message (``message.close()`` deletes the temporary files still owned).
    """

    documents: tuple[RetrievedDocument, ...]
    response: RegistryResponse
    message: SoapMessage | None = field(default=None, repr=False)

    @property
    def errors(self) -> tuple[RegistryErrorItem, ...]:
        """Errors and warnings of a PartialSuccess answer."""
        return self.response.errors

    def document(self, unique_id: str) -> RetrievedDocument:
        """The returned document with this uniqueId (:class:`KeyError` when absent)."""
        for d in self.documents:
            if d.unique_id == unique_id:
                return d
        raise KeyError(unique_id)

    def single(self) -> RetrievedDocument:
        """The only document of the answer (:class:`ProtocolError` when there are several or none)."""
        if len(self.documents) != 1:
            raise ProtocolError(f"expected one document in the TD3.2 answer, got {len(self.documents)}")
        return self.documents[0]


def parse_retrieve_document_set_response(message: SoapMessage) -> RetrieveResult:
    """Read a TD3.2 answer (MTOM or inline); each document's content is the reader's part (spooled when large).

    Raises:
        SoapFaultError: a SOAP fault — the DMP sends them inside MTOM, e.g. ``XDSDocumentUniqueIdError`` for
            an entryUUID instead of a uniqueId (an ``explanation`` says so).
        RegistryError: status Failure, or PartialSuccess without any document.
        ProtocolError: not a RetrieveDocumentSetResponse, or an ``xop:Include`` to no part.
    """
    _raise_fault(message, TD3_2.td, explanations=_RETRIEVE_EXPLANATIONS)
    payload = _payload(message, ("RetrieveDocumentSetResponse",), TD3_2.td)
    parsed = ebrim.from_retrieve_response(payload)
    response = parsed.response
    docs: list[RetrievedDocument] = []
    for d in parsed.documents:
        docs.append(_retrieved(d, message))
    partial = response.status == ResponseStatus.PARTIAL_SUCCESS and bool(docs)
    if not (response.ok or partial):
        raise _registry_error(response.errors, str(response.status), TD3_2.td, message, _RETRIEVE_EXPLANATIONS)
    return RetrieveResult(documents=tuple(docs), response=response, message=message)


def _retrieved(d: XdsRetrievedDocument, message: SoapMessage) -> RetrievedDocument:
    part: ReceivedPart | None = None
    if d.content_id is not None:
        part = message.get_part(d.content_id)
        if part is None:
            raise ProtocolError(f"TD3.2: xop:Include refers to cid:{d.content_id}, absent from the message")
    elif d.data is None:
        raise ProtocolError(f"TD3.2: DocumentResponse {d.document_unique_id} without content")
    return RetrievedDocument(
        unique_id=d.document_unique_id or "",
        repository_unique_id=d.repository_unique_id,
        mime_type=d.mime_type,
        home_community_id=d.home_community_id,
        part=part,
        data=d.data if part is None else None,
    )


def parse_retrieve_document_set_request(message: SoapMessage) -> RetrieveDocumentSetRequest:
    """Sandbox side of TD3.2: the requested (repository, document uniqueId) pairs."""
    payload = _payload(message, ("RetrieveDocumentSetRequest",), TD3_2.td)
    return ebrim.from_retrieve_request(payload)


@dataclass(frozen=True)
class DocumentContent:
    """A document the sandbox returns in TD3.2.

    Attributes:
        unique_id: the document's uniqueId.
        source: the exact stored bytes, or the file holding them (streamed into the MTOM part).
        mime_type: ``DocumentResponse/mimeType`` (``text/xml`` for a CDA).
        repository_unique_id: the repository id echoed back.
        content_type: the MIME part's type (the DMP's CXF sends ``application/octet-stream``).
    """

    unique_id: str
    source: bytes | Path
    mime_type: str = "text/xml"
    repository_unique_id: str = DMP_REPOSITORY_UNIQUE_ID
    content_type: str = "application/octet-stream"


def build_retrieve_document_set_response(
    documents: Sequence[DocumentContent], *, request: SoapMessage, errors: Sequence[RegistryErrorItem] = ()
) -> SoapResponse:
    """Sandbox side of TD3.2: always MTOM, one part per document (files are streamed, never loaded).

    The status follows ``errors``: none → Success; errors with documents → PartialSuccess; errors without
    documents → Failure.
    """
    attachments: list[Attachment] = []
    entries: list[XdsRetrievedDocument] = []
    for doc in documents:
        cid = new_content_id("urn:ihe:iti:xds-b:2007")
        attachments.append(Attachment(cid, doc.content_type, source=doc.source))
        entries.append(
            XdsRetrievedDocument(
                repository_unique_id=doc.repository_unique_id,
                document_unique_id=doc.unique_id,
                mime_type=doc.mime_type,
                content_id=cid_href(cid)[len("cid:") :],
            )
        )
    status = _auto_status(errors, bool(documents))
    body = ebrim.to_retrieve_response(
        RetrieveDocumentSetResponse(
            response=RegistryResponse(status=status, errors=tuple(errors)), documents=tuple(entries)
        )
    )
    return _reply(body, request, attachments=attachments, mtom=True)


def build_retrieve_document_set_fault(
    code: str, reason: str, *, request: SoapMessage, fault_code: str = "Sender"
) -> SoapResponse:
    """Sandbox side: a SOAP fault for TD3.2, inside an MTOM package like the DMP (``XDSDocumentUniqueIdError``)."""
    return fault_response(fault_code, code, reason, relates_to=request.envelope.message_id, mtom=True)
