"""The DMP ``registry`` service: TD3.1 / TD3.1b (ITI-18 stored queries) and TD3.3a/b/c/d (ITI-57 updates).

Four functions per transaction (``_base`` convention):

===============  ====================================================  =========================================
TD               client                                                sandbox
===============  ====================================================  =========================================
TD3.1            :func:`build_registry_stored_query_request` (any      :func:`parse_registry_stored_query_request`
                 typed query of :mod:`dmpclient.xds.queries` or a      → :class:`ReceivedQuery`;
                 generic ``AdhocQueryRequest``);                       :func:`build_registry_stored_query_response`
                 :func:`parse_registry_stored_query_response`
TD3.1b           :func:`find_document_reference` (GetDocuments,        same as TD3.1
                 ObjectRef, by uniqueId);
                 :func:`parse_find_document_reference_response`
TD3.3a / TD3.3b  :func:`build_update_document_metadata_request` (new   :func:`parse_update_document_metadata_request`
                 metadata version, only the confidentiality changes);  → :class:`MetadataUpdate`;
                 :func:`parse_update_document_metadata_response`       :func:`build_update_document_metadata_response`
TD3.3c / TD3.3d  :func:`build_update_availability_status_request`      :func:`parse_update_availability_status_request`
                 (and :func:`build_delete_request`,                    → :class:`StatusUpdate`;
                 :func:`build_archive_request`,                        :func:`build_update_availability_status_response`
                 :func:`build_unarchive_request`);
                 :func:`parse_update_availability_status_response`
===============  ====================================================  =========================================

TD3.1/TD3.1b share ``query:AdhocQueryRequest`` and TD3.3a/b/c/d share ``lcm:SubmitObjectsRequest``:
:func:`query_transaction` and :func:`classify_update` tell them apart. Errors: see
:mod:`dmpclient.transactions.repository` (``SoapFaultError``, ``RegistryError``, ``ProtocolError``) and
:func:`~dmpclient.transactions.repository.build_registry_error_response` for the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from dmpclient._xml import q
from dmpclient.environments import Service
from dmpclient.errors import (
    Finding,
    InputError,
    ProtocolError,
    RegistryErrorItem,
    RuleViolation,
    ValidationFailed,
    errors_only,
)
from dmpclient.ids import INS, validate_unique_id
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_PATIENT,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    MASQUE_PS,
)
from dmpclient.transactions._base import RequestContext, TransactionSpec, register_spec
from dmpclient.transactions.repository import (
    _payload,
    _registry_error,
    _reply,
    parse_registry_response,
    registry_error,
)
from dmpclient.transactions.submission import SubmissionSetInfo, new_submission_set
from dmpclient.xds import ebrim
from dmpclient.xds.model import (
    AdhocQueryRequest,
    Association,
    AssociationType,
    AvailabilityStatus,
    Code,
    DocumentEntry,
    QueryResponse,
    RegistryResponse,
    ResponseStatus,
    ReturnType,
    SubmissionRequest,
)
from dmpclient.xds.queries import (
    DMP_LIMITS,
    GetDocuments,
    MissingQueryParameter,
    QueryLimitExceeded,
    QueryParameterError,
    StoredQuery,
    StoredQueryId,
    parse_stored_query,
    td3_1b,
)
from dmpclient.xds.validation import DmpParameters, RequestKind, check_confidentiality_transition
from dmpclient.xds.validation import validate as validate_metadata

__all__ = [
    "ALLOWED_STATUS_TRANSITIONS",
    "TD3_1",
    "TD3_1B",
    "TD3_3A",
    "TD3_3B",
    "TD3_3C",
    "TD3_3D",
    "DocumentReference",
    "MetadataUpdate",
    "ReceivedQuery",
    "StatusChange",
    "StatusUpdate",
    "VersionUpdate",
    "build_archive_request",
    "build_delete_request",
    "build_find_document_reference_request",
    "build_registry_stored_query_request",
    "build_registry_stored_query_response",
    "build_unarchive_request",
    "build_update_availability_status_request",
    "build_update_availability_status_response",
    "build_update_document_metadata_request",
    "build_update_document_metadata_response",
    "classify_update",
    "find_document_reference",
    "metadata_update_transaction",
    "new_confidentiality",
    "parse_find_document_reference_response",
    "parse_registry_stored_query_request",
    "parse_registry_stored_query_response",
    "parse_update_availability_status_request",
    "parse_update_availability_status_response",
    "parse_update_document_metadata_request",
    "parse_update_document_metadata_response",
    "query_error",
    "query_transaction",
]

_QUERY_BODY: Final = q("query", "AdhocQueryRequest")
_QUERY_DISCRIMINATOR: Final = (
    "TD3.1b = GetDocuments (urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4) with returnType ObjectRef and "
    "$XDSDocumentEntryUniqueId (RG_3130); any other stored query is TD3.1"
)
_UPDATE_BODY: Final = q("lcm", "SubmitObjectsRequest")
_UPDATE_DISCRIMINATOR: Final = (
    "TD3.3a/b: an ExtrinsicObject with lid (a new metadata version, HasMember with PreviousVersion) — TD3.3b "
    "when an INVISIBLE_* confidentiality code is removed from the current version, TD3.3a otherwise; "
    "TD3.3c: an UpdateAvailabilityStatus association with NewStatus Deleted; TD3.3d: NewStatus Archived or "
    "Approved"
)

#: TD3.1 — Recherche de documents (ITI-18; every call notifies the patient).
TD3_1: Final = register_spec(
    "TD3.1", "registry_stored_query", "Recherche de documents", Service.REGISTRY, _QUERY_BODY, _QUERY_DISCRIMINATOR
)
#: TD3.1b — Recherche de la référence d'un document (GetDocuments ObjectRef by uniqueId).
TD3_1B: Final = register_spec(
    "TD3.1b",
    "find_document_reference",
    "Recherche de la référence d'un document",
    Service.REGISTRY,
    _QUERY_BODY,
    _QUERY_DISCRIMINATOR,
)
#: TD3.3a — Masquer / démasquer un document aux professionnels de santé (ITI-57 new metadata version).
TD3_3A: Final = register_spec(
    "TD3.3a",
    "update_document_metadata",
    "Masquer / démasquer aux professionnels de santé",
    Service.REGISTRY,
    _UPDATE_BODY,
    _UPDATE_DISCRIMINATOR,
)
#: TD3.3b — Rendre visible au patient / aux représentants légaux (irreversible).
TD3_3B: Final = register_spec(
    "TD3.3b",
    "update_document_metadata",
    "Rendre visible au patient / aux représentants légaux",
    Service.REGISTRY,
    _UPDATE_BODY,
    _UPDATE_DISCRIMINATOR,
)
#: TD3.3c — Supprimer un document (logical deletion).
TD3_3C: Final = register_spec(
    "TD3.3c",
    "update_availability_status",
    "Supprimer un document",
    Service.REGISTRY,
    _UPDATE_BODY,
    _UPDATE_DISCRIMINATOR,
)
#: TD3.3d — Archiver / désarchiver un document.
TD3_3D: Final = register_spec(
    "TD3.3d",
    "update_availability_status",
    "Archiver / désarchiver un document",
    Service.REGISTRY,
    _UPDATE_BODY,
    _UPDATE_DISCRIMINATOR,
)


# ===================================================================================== TD3.1 / TD3.1b


def query_transaction(query: StoredQuery | AdhocQueryRequest) -> TransactionSpec:
    """TD3.1b for GetDocuments in ObjectRef mode by uniqueId, TD3.1 for every other query."""
    if isinstance(query, StoredQuery):
        is_ref = isinstance(query, GetDocuments) and bool(query.unique_ids)
        return TD3_1B if is_ref and query.return_type is ReturnType.OBJECT_REF else TD3_1
    is_ref = (
        query.query_id == StoredQueryId.GET_DOCUMENTS.value
        and str(query.return_type) == ReturnType.OBJECT_REF.value
        and "$XDSDocumentEntryUniqueId" in query.slots
    )
    return TD3_1B if is_ref else TD3_1


def build_registry_stored_query_request(
    ctx: RequestContext,
    patient: INS,
    query: StoredQuery | AdhocQueryRequest,
    *,
    limits: Mapping[str, int] | None = DMP_LIMITS,
) -> SoapRequest:
    """TD3.1 (or TD3.1b): one stored query for one patient (named in the VIHF).

    A typed query is checked against the DMP value-count limits (``limits=None`` skips; split larger ones
    with :func:`dmpclient.xds.queries.batched`). A generic ``AdhocQueryRequest`` is sent as given. Every TD3.1
    notifies the patient: never call it automatically (EX_3.1-2030), never right after a feed (EX_3.1-1090) —
    those guards are the client's.

    Raises:
        QueryLimitExceeded: too many values for the DMP in one slot.
    """
    adhoc = query.to_adhoc_query(limits=limits) if isinstance(query, StoredQuery) else query
    return ctx.request(query_transaction(query), ebrim.to_adhoc_query_request(adhoc), patient=patient)


def parse_registry_stored_query_response(message: SoapMessage, *, transaction: str = "TD3.1") -> QueryResponse:
    """Read a TD3.1 / TD3.1b answer (LeafClass: documents, submission sets, associations; ObjectRef: ids).

    A PartialSuccess is returned with its errors in :attr:`~dmpclient.xds.model.QueryResponse.errors`.

    Raises:
        SoapFaultError: a SOAP fault (``DMPAccessDeniedByExcededThreshold`` …).
        RegistryError: status Failure (``XDSRegistryError`` over the limits, ``XDSUnknownPatientId`` …).
        ProtocolError: not an AdhocQueryResponse.
    """
    payload = _payload(message, ("AdhocQueryResponse",), transaction)
    response = ebrim.from_adhoc_query_response(payload)
    if not response.ok and response.status != ResponseStatus.PARTIAL_SUCCESS:
        raise _registry_error(response.errors, str(response.status), transaction, message)
    return response


@dataclass(frozen=True)
class ReceivedQuery:
    """A stored query received by the sandbox.

    Attributes:
        request: the generic request (query id, raw slots, return type).
        query: the same decoded into its typed builder (values checked, lists and codes decoded).
        spec: TD3.1 or TD3.1b.
    """

    request: AdhocQueryRequest
    query: StoredQuery
    spec: TransactionSpec


def parse_registry_stored_query_request(message: SoapMessage, *, strict: bool = True) -> ReceivedQuery:
    """Sandbox side of TD3.1 / TD3.1b.

    Raises:
        QueryParameterError: unknown query, missing, malformed or unknown parameter — turn it into the DMP's
            answer with :func:`query_error` and
            :func:`~dmpclient.transactions.repository.build_registry_error_response`.
        ProtocolError: not an AdhocQueryRequest.
    """
    payload = _payload(message, ("AdhocQueryRequest",), TD3_1.td)
    adhoc = ebrim.from_adhoc_query_request(payload)
    typed = parse_stored_query(adhoc.query_id, adhoc.slots, str(adhoc.return_type), strict=strict)
    return ReceivedQuery(request=adhoc, query=typed, spec=query_transaction(typed))


def query_error(exc: QueryParameterError) -> RegistryErrorItem:
    """The ``RegistryError`` the sandbox answers for a refused query (``errors.md`` §2.3–2.4).

    Unknown stored query → ``XDSUnknownStoredQuery``; missing parameter → ``XDSStoredQueryMissingParam``
    (``location`` = the parameter, as DMP-146); over the DMP limits → ``XDSRegistryError``; malformed value →
    ``XDSRegistryError`` « Le format du paramètre est incorrect » (DMP-413).
    """
    if exc.rule == "XDSUnknownStoredQuery":
        return registry_error("XDSUnknownStoredQuery", f"Requête inconnue : {exc.value}", location=exc.field)
    if isinstance(exc, MissingQueryParameter):
        return registry_error("XDSStoredQueryMissingParam", exc.reason, location=exc.field)
    if isinstance(exc, QueryLimitExceeded):
        # The DMP's own wording for this refusal is not public [?]: a French sentence in its style [I].
        limit = DMP_LIMITS.get(exc.field or "")
        maximum = f" (maximum {limit} par requête)" if limit is not None else ""
        text = f"Nombre de valeurs trop élevé pour le paramètre {exc.field} : {exc.value}{maximum}"
        return registry_error("XDSRegistryError", text, location=exc.field)
    return registry_error("XDSRegistryError", "Le format du paramètre est incorrect", location=exc.field)


def build_registry_stored_query_response(result: QueryResponse, *, request: SoapMessage) -> SoapResponse:
    """Sandbox side: the ``AdhocQueryResponse`` (LeafClass or ObjectRef objects as given in ``result``)."""
    return _reply(ebrim.to_adhoc_query_response(result), request)


def find_document_reference(ctx: RequestContext, patient: INS, unique_id: str) -> SoapRequest:
    """TD3.1b: GetDocuments in ObjectRef mode for one uniqueId — the current entryUUID of a document, to be
    fetched just before replacing, archiving or deleting it (RG_3130; entryUUIDs change at every version)."""
    if unique_id.startswith("urn:uuid:"):
        raise InputError(
            "TD3.1b looks a document up by its uniqueId (an OID), not by an entryUUID",
            field="unique_id",
            value=unique_id,
            rule="RG_3130",
            hint="use DocumentEntry.unique_id (the CDA id/@root)",
        )
    validate_unique_id(unique_id, field="unique_id")
    return build_registry_stored_query_request(ctx, patient, td3_1b(unique_id))


#: Four-function-convention name of :func:`find_document_reference`.
build_find_document_reference_request = find_document_reference


@dataclass(frozen=True)
class DocumentReference:
    """The TD3.1b answer for one uniqueId.

    Attributes:
        unique_id: the uniqueId asked for (``None`` when not given to the parser).
        entry_uuids: the entryUUIDs returned (ObjectRef ids).
        response: the whole query answer.
    """

    unique_id: str | None
    entry_uuids: tuple[str, ...]
    response: QueryResponse

    @property
    def found(self) -> bool:
        """True when the DMP knows the document (e.g. after an ambiguous TD2.1 failure: it was stored)."""
        return bool(self.entry_uuids)

    @property
    def entry_uuid(self) -> str | None:
        """The single entryUUID, ``None`` when not found.

        Raises:
            ProtocolError: several entryUUIDs (ambiguous: look at :attr:`entry_uuids` with a LeafClass query).
        """
        if len(self.entry_uuids) > 1:
            raise ProtocolError(f"TD3.1b returned {len(self.entry_uuids)} entryUUIDs for {self.unique_id}")
        return self.entry_uuids[0] if self.entry_uuids else None


def parse_find_document_reference_response(message: SoapMessage, unique_id: str | None = None) -> DocumentReference:
    """Read a TD3.1b answer (ObjectRefs; a LeafClass answer is accepted too)."""
    response = parse_registry_stored_query_response(message, transaction=TD3_1B.td)
    ids = [r.id for r in response.object_refs]
    ids += [
        d.entry_uuid for d in response.documents if d.entry_uuid and (unique_id is None or d.unique_id == unique_id)
    ]
    return DocumentReference(unique_id=unique_id, entry_uuids=tuple(dict.fromkeys(ids)), response=response)


# ============================================================================================ TD3.3


def _check_update(
    ctx: RequestContext,
    spec: TransactionSpec,
    body: etree._Element,
    params: DmpParameters | None,
    kind: RequestKind,
    previous: Mapping[str, DocumentEntry] | None = None,
) -> None:
    found = validate_metadata(
        body,
        "dmp",
        context=ctx.acting,
        environment=ctx.environment.kind,
        params=params,
        kind=kind,
        previous=previous,
    )
    if errors_only(found):
        raise ValidationFailed(found, what=f"{spec.td} XDS metadata validation")


def _entry_uuid(value: str, field: str) -> str:
    if not value.startswith("urn:uuid:"):
        raise InputError(
            "the target is the document's current entryUUID (urn:uuid:…)",
            field=field,
            value=value,
            rule="RG_3130",
            hint="fetch it with TD3.1b (find_document_reference) just before the update",
        )
    return value


def _codes(values: Iterable[Code | str]) -> tuple[Code, ...]:
    by_name = {
        c.code: c for c in (CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)
    }
    out: list[Code] = []
    for v in values:
        code = v if isinstance(v, Code) else by_name.get(v)
        if code is None:
            raise InputError(
                "unknown confidentiality code (N, MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)",
                field="confidentiality",
                value=v,
                rule="JDV_J58",
            )
        if all(code.key != c.key for c in out):
            out.append(code)
    return tuple(out)


def _has(codes: Iterable[Code], wanted: Code) -> bool:
    return any(c.key == wanted.key for c in codes)


def new_confidentiality(
    current: Iterable[Code | str],
    *,
    masked: bool | None = None,
    visible_to_patient: bool | None = None,
    visible_to_legal_representatives: bool | None = None,
) -> tuple[Code, ...]:
    """The confidentiality codes after a visibility change (``None`` = unchanged).

    ``masked=True/False`` sets/removes ``MASQUE_PS`` (TD3.3a); ``visible_to_patient=True`` /
    ``visible_to_legal_representatives=True`` removes ``INVISIBLE_PATIENT`` / ``INVISIBLE_REPRESENTANTS_LEGAUX``
    (TD3.3b). Making a document invisible again is impossible (irreversible, ``transactions.md`` §7.2).

    Raises:
        RuleViolation: ``visible_to_*=False`` (an INVISIBLE_* code can only be set when feeding).
    """
    codes = list(_codes(current))
    for flag, code, name in (
        (visible_to_patient, INVISIBLE_PATIENT, "visible_to_patient"),
        (visible_to_legal_representatives, INVISIBLE_REPRESENTANTS_LEGAUX, "visible_to_legal_representatives"),
    ):
        if flag is False:
            raise RuleViolation(
                f"{code.code} can only be set when the document is fed; making a document invisible again is "
                "impossible",
                field=name,
                value=flag,
                rule="INVISIBLE_* irreversible",
            )
        if flag:
            codes = [c for c in codes if c.key != code.key]
    if masked is True and not _has(codes, MASQUE_PS):
        codes.append(MASQUE_PS)
    elif masked is False:
        codes = [c for c in codes if c.key != MASQUE_PS.key]
    if not _has(codes, CONFIDENTIALITY_NORMAL):
        codes.insert(0, CONFIDENTIALITY_NORMAL)
    return tuple(codes)


def metadata_update_transaction(old: Iterable[Code | str], new: Iterable[Code | str]) -> TransactionSpec:
    """TD3.3b when an ``INVISIBLE_*`` code is removed, TD3.3a otherwise (MASQUE_PS set or removed)."""
    old_codes, new_codes = _codes(old), _codes(new)
    for code in (INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX):
        if _has(old_codes, code) and not _has(new_codes, code):
            return TD3_3B
    return TD3_3A


def build_update_document_metadata_request(
    ctx: RequestContext,
    current: DocumentEntry,
    confidentiality: Sequence[Code | str],
    *,
    submission_set: SubmissionSetInfo,
    patient: INS | None = None,
    params: DmpParameters | None = None,
    validate: bool = True,
) -> SoapRequest:
    """TD3.3a / TD3.3b: a new version of ``current`` whose only change is its confidentiality codes.

    The request holds a new submission set (with contentTypeCode), a full copy of the current metadata with
    ``lid`` = its logicalId, status Approved and the new codes, and a HasMember association with
    ``SubmissionSetStatus=Original`` and ``PreviousVersion=<current versionName>`` (IHE ITI-57). The change
    is checked first (:func:`~dmpclient.xds.validation.check_confidentiality_transition`: ``INVISIBLE_*``
    can only be removed, combinations), then the metadata.

    Args:
        current: the current version as the registry returned it (TD3.1 LeafClass, fetched just before):
            its entryUUID, logicalId and versionName are needed.
        confidentiality: the complete new list (see :func:`new_confidentiality`).
        submission_set: contentTypeCode (required by the DMP even for an update), title, comments.
        patient: the INS (default: the entry's patientId).

    Raises:
        InputError: no change, or ``current`` lacks its registry ids / version, or another patient.
        ValidationFailed: a forbidden transition or combination, or a metadata rule broken.
    """
    where = current.entry_uuid or "current"
    if not current.version:
        raise InputError(
            "the current version's versionName is needed (PreviousVersion)",
            field=f"{where}.version",
            value=current.version,
            rule="ITI-57 PreviousVersion",
            hint="use the DocumentEntry returned by TD3.1 (LeafClass)",
        )
    _entry_uuid(current.entry_uuid or "", f"{where}.entry_uuid")
    if current.availability_status in (AvailabilityStatus.DEPRECATED, AvailabilityStatus.DELETED):
        raise RuleViolation(
            "only the current version of a document can get a new metadata version",
            field=f"{where}.availability_status",
            value=str(current.availability_status),
            rule="XDSMetadataVersionError",
        )
    entry_patient = current.ins
    if patient is not None and patient != entry_patient:
        raise InputError(
            "the entry is about another patient",
            field="patient",
            value=patient.to_cx(),
            rule="XDSPatientIdDoesNotMatch",
        )
    new_codes = _codes(confidentiality)
    old_codes = current.confidentiality_codes
    if {c.key for c in new_codes} == {c.key for c in old_codes}:
        raise InputError(
            "the confidentiality codes do not change",
            field="confidentiality",
            value=[c.code for c in new_codes],
            rule="EX_GEN-1060",
        )
    findings: list[Finding] = (
        check_confidentiality_transition(old_codes, new_codes, params=params) if ctx.check_confidentiality else []
    )
    spec = metadata_update_transaction(old_codes, new_codes)
    if errors_only(findings):
        raise ValidationFailed(findings, what=f"{spec.td} confidentiality change")
    logical_id = current.logical_id or current.entry_uuid or ""
    new_entry = current.replace_fields(
        entry_uuid="Document01",
        logical_id=logical_id,
        availability_status=AvailabilityStatus.APPROVED,
        version=None,
        document_id=None,
        confidentiality_codes=new_codes,
        issues=(),
        unknown_codes=(),
    )
    ss = new_submission_set(ctx, entry_patient, submission_set)
    submission = SubmissionRequest(submission_set=ss)
    submission.add_document(new_entry)
    has_member = submission.associations[-1].model_copy(update={"previous_version": current.version})
    submission.associations[-1] = has_member
    body = ebrim.to_submit_objects_request(submission)
    if validate:
        _check_update(ctx, spec, body, params, RequestKind.METADATA_UPDATE, {logical_id: current})
    return ctx.request(spec, body, patient=entry_patient)


def parse_update_document_metadata_response(message: SoapMessage, *, transaction: str = "TD3.3a") -> RegistryResponse:
    """Read a TD3.3a/b answer (``RegistryResponse``; Success or :class:`~dmpclient.errors.RegistryError`, e.g.
    ``XDSRegistryMetadataError`` « Les données d'un auteur ne peuvent pas être modifiées »)."""
    return parse_registry_response(message, transaction)


@dataclass(frozen=True)
class VersionUpdate:
    """One new metadata version in a TD3.3a/b request.

    Attributes:
        entry: the new DocumentEntry (symbolic id, ``lid`` = the logicalId, the new confidentiality).
        logical_id: the document's logicalId.
        previous_version: ``PreviousVersion`` (the versionName the client saw as current).
        association: the HasMember association carrying it.
    """

    entry: DocumentEntry
    logical_id: str
    previous_version: str | None
    association: Association


@dataclass(frozen=True)
class MetadataUpdate:
    """Sandbox view of a TD3.3a/b request."""

    submission: SubmissionRequest
    updates: tuple[VersionUpdate, ...]

    def transaction(self, previous: Mapping[str, DocumentEntry]) -> TransactionSpec:
        """TD3.3a or TD3.3b, given the current versions by logicalId."""
        return _metadata_spec([u.entry for u in self.updates], previous)


def _metadata_spec(entries: Iterable[DocumentEntry], previous: Mapping[str, DocumentEntry]) -> TransactionSpec:
    for entry in entries:
        old = previous.get(entry.logical_id or "")
        changed = old is not None and metadata_update_transaction(
            old.confidentiality_codes, entry.confidentiality_codes
        )
        if changed is TD3_3B:
            return TD3_3B
    return TD3_3A


def _submission(message: SoapMessage, transaction: str) -> SubmissionRequest:
    payload = _payload(message, ("SubmitObjectsRequest",), transaction)
    return ebrim.from_submit_objects_request(payload)


def parse_update_document_metadata_request(message: SoapMessage) -> MetadataUpdate:
    """Sandbox side of TD3.3a/b: each new version with its logicalId and ``PreviousVersion``.

    Raises:
        ProtocolError: not a SubmitObjectsRequest, or no ExtrinsicObject with a ``lid`` (e.g. a TD3.3c/d).
    """
    submission = _submission(message, TD3_3A.td)
    updates: list[VersionUpdate] = []
    for entry in submission.documents:
        if not entry.logical_id:
            continue
        assoc = next(
            (
                a
                for a in submission.associations
                if a.type == AssociationType.HAS_MEMBER and a.target == entry.entry_uuid
            ),
            None,
        )
        if assoc is None:
            raise ProtocolError(f"TD3.3a/b: no HasMember association for {entry.entry_uuid}")
        updates.append(VersionUpdate(entry, entry.logical_id, assoc.previous_version, assoc))
    if not updates:
        raise ProtocolError("TD3.3a/b: no ExtrinsicObject with a logicalId (lid): not a metadata update")
    return MetadataUpdate(submission=submission, updates=tuple(updates))


def build_update_document_metadata_response(
    result: RegistryResponse | None = None, *, request: SoapMessage
) -> SoapResponse:
    """Sandbox side of TD3.3a/b: a ``RegistryResponse`` (Success by default)."""
    return _reply(ebrim.to_registry_response(result or RegistryResponse(status=ResponseStatus.SUCCESS)), request)


#: Status changes the DMP allows through UpdateAvailabilityStatus (``xds-metadata.md`` §6.1): archive,
#: unarchive, delete an Approved or Archived document. A Deprecated version cannot be deleted directly
#: [V2 CDT]; archiving one is unknown [?] and refused here (``check=False`` sends it anyway).
ALLOWED_STATUS_TRANSITIONS: Final[frozenset[tuple[AvailabilityStatus, AvailabilityStatus]]] = frozenset(
    {
        (AvailabilityStatus.APPROVED, AvailabilityStatus.ARCHIVED),
        (AvailabilityStatus.ARCHIVED, AvailabilityStatus.APPROVED),
        (AvailabilityStatus.APPROVED, AvailabilityStatus.DELETED),
        (AvailabilityStatus.ARCHIVED, AvailabilityStatus.DELETED),
    }
)


def _status(value: AvailabilityStatus | str, field: str) -> AvailabilityStatus:
    try:
        return AvailabilityStatus(value)
    except ValueError:
        raise InputError("not an availability status URN", field=field, value=value, rule="JDV_J52") from None


def _status_spec(new_status: AvailabilityStatus) -> TransactionSpec:
    return TD3_3C if new_status is AvailabilityStatus.DELETED else TD3_3D


def build_update_availability_status_request(
    ctx: RequestContext,
    patient: INS,
    entry_uuid: str,
    *,
    original_status: AvailabilityStatus | str,
    new_status: AvailabilityStatus | str,
    submission_set: SubmissionSetInfo,
    check: bool = True,
    params: DmpParameters | None = None,
    validate: bool = True,
) -> SoapRequest:
    """TD3.3c (NewStatus Deleted) / TD3.3d (Archived, or Approved to unarchive): UpdateAvailabilityStatus.

    The request is a new submission set plus one ``UpdateAvailabilityStatus`` association (SubmissionSet →
    the document's **current entryUUID**, fetched with TD3.1b just before) with ``OriginalStatus`` and
    ``NewStatus`` slots, as the official examples.

    Raises:
        InputError: the target is not an entryUUID, or a status is not a JDV_J52 URN.
        RuleViolation: a transition outside :data:`ALLOWED_STATUS_TRANSITIONS` (unless ``check=False``).
        ValidationFailed: the metadata breaks a rule.
    """
    _entry_uuid(entry_uuid, "entry_uuid")
    old = _status(original_status, "original_status")
    new = _status(new_status, "new_status")
    if check and (old, new) not in ALLOWED_STATUS_TRANSITIONS:
        raise RuleViolation(
            "this availability status change is not allowed",
            field="new_status",
            value=f"{old.value} -> {new.value}",
            rule="DMP status transitions",
            hint="Approved <-> Archived, Approved/Archived -> Deleted; a deprecated version cannot be deleted",
        )
    spec = _status_spec(new)
    ss = new_submission_set(ctx, patient, submission_set)
    submission = SubmissionRequest(
        submission_set=ss,
        associations=[
            Association(
                id="association1",
                type=AssociationType.UPDATE_AVAILABILITY_STATUS,
                source=ss.entry_uuid or "SubmissionSet01",
                target=entry_uuid,
                original_status=old,
                new_status=new,
            )
        ],
    )
    body = ebrim.to_submit_objects_request(submission)
    if validate:
        _check_update(ctx, spec, body, params, RequestKind.STATUS_UPDATE)
    return ctx.request(spec, body, patient=patient)


def build_delete_request(
    ctx: RequestContext,
    patient: INS,
    entry_uuid: str,
    *,
    current_status: AvailabilityStatus | str = AvailabilityStatus.APPROVED,
    submission_set: SubmissionSetInfo,
) -> SoapRequest:
    """TD3.3c: delete a document (Approved or Archived → Deleted; its deprecated versions go with it)."""
    return build_update_availability_status_request(
        ctx,
        patient,
        entry_uuid,
        original_status=current_status,
        new_status=AvailabilityStatus.DELETED,
        submission_set=submission_set,
    )


def build_archive_request(
    ctx: RequestContext, patient: INS, entry_uuid: str, *, submission_set: SubmissionSetInfo
) -> SoapRequest:
    """TD3.3d: archive a document (Approved → Archived)."""
    return build_update_availability_status_request(
        ctx,
        patient,
        entry_uuid,
        original_status=AvailabilityStatus.APPROVED,
        new_status=AvailabilityStatus.ARCHIVED,
        submission_set=submission_set,
    )


def build_unarchive_request(
    ctx: RequestContext, patient: INS, entry_uuid: str, *, submission_set: SubmissionSetInfo
) -> SoapRequest:
    """TD3.3d: unarchive a document (Archived → Approved)."""
    return build_update_availability_status_request(
        ctx,
        patient,
        entry_uuid,
        original_status=AvailabilityStatus.ARCHIVED,
        new_status=AvailabilityStatus.APPROVED,
        submission_set=submission_set,
    )


def parse_update_availability_status_response(message: SoapMessage, *, transaction: str = "TD3.3d") -> RegistryResponse:
    """Read a TD3.3c/d answer (``RegistryResponse`` Success, else :class:`~dmpclient.errors.RegistryError`)."""
    return parse_registry_response(message, transaction)


@dataclass(frozen=True)
class StatusChange:
    """One UpdateAvailabilityStatus association: which entry, from which status to which.

    Statuses are :class:`~dmpclient.xds.model.AvailabilityStatus` members, or the raw text when unknown.
    """

    entry_uuid: str
    original_status: AvailabilityStatus | str | None
    new_status: AvailabilityStatus | str | None

    @property
    def spec(self) -> TransactionSpec:
        """TD3.3c for a deletion, TD3.3d otherwise."""
        return TD3_3C if self.new_status == AvailabilityStatus.DELETED else TD3_3D


@dataclass(frozen=True)
class StatusUpdate:
    """Sandbox view of a TD3.3c/d request."""

    submission: SubmissionRequest
    changes: tuple[StatusChange, ...]


def parse_update_availability_status_request(message: SoapMessage) -> StatusUpdate:
    """Sandbox side of TD3.3c/d.

    Raises:
        ProtocolError: not a SubmitObjectsRequest, or no UpdateAvailabilityStatus association.
    """
    submission = _submission(message, TD3_3D.td)
    changes = tuple(
        StatusChange(a.target, a.original_status, a.new_status)
        for a in submission.associations
        if a.type == AssociationType.UPDATE_AVAILABILITY_STATUS
    )
    if not changes:
        raise ProtocolError("TD3.3c/d: no UpdateAvailabilityStatus association")
    return StatusUpdate(submission=submission, changes=changes)


def build_update_availability_status_response(
    result: RegistryResponse | None = None, *, request: SoapMessage
) -> SoapResponse:
    """Sandbox side of TD3.3c/d: a ``RegistryResponse`` (Success by default)."""
    return _reply(ebrim.to_registry_response(result or RegistryResponse(status=ResponseStatus.SUCCESS)), request)


def classify_update(
    message: SoapMessage | SubmissionRequest, *, previous: Mapping[str, DocumentEntry] | None = None
) -> TransactionSpec:
    """Which TD3.3 a ``SubmitObjectsRequest`` is (see the discriminator of the specs).

    A metadata update is TD3.3a unless ``previous`` (current versions by logicalId) shows an ``INVISIBLE_*``
    code removed (TD3.3b). A status update is TD3.3c when its first change is a deletion, else TD3.3d.

    Raises:
        ProtocolError: neither a metadata update nor a status update.
    """
    submission = message if isinstance(message, SubmissionRequest) else _submission(message, "TD3.3")
    updated = [d for d in submission.documents if d.logical_id]
    if updated:
        return _metadata_spec(updated, previous or {})
    for a in submission.associations:
        if a.type == AssociationType.UPDATE_AVAILABILITY_STATUS:
            return StatusChange(a.target, a.original_status, a.new_status).spec
    raise ProtocolError("SubmitObjectsRequest that is neither a metadata update nor an availability status update")
