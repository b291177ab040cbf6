"""A minimal in-process fake DMP for the client tests, built only from the sandbox-side transaction functions.

It is **not** the sandbox (another engineer builds that): just enough state to answer every transaction the
client sends (a document store, statuses, versions), plus knobs to inject failures. Used through
``httpx.MockTransport`` (sync and async) and by the mutual-TLS acceptance server (``tls_server.py``).
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from dmpclient.hl7v2 import format_xds_time
from dmpclient.soap import SoapMessage, SoapResponse, aread_message, read_message
from dmpclient.transactions import habilitations, patients, patients_specific, registry, repository
from dmpclient.transactions.patients import AuthorizationStatus, ExistenceResult
from dmpclient.transactions.repository import DocumentContent
from dmpclient.xds.model import (
    Association,
    AssociationType,
    AvailabilityStatus,
    DocumentEntry,
    ObjectRef,
    QueryResponse,
    ResponseStatus,
    SubmissionSet,
)
from dmpclient.xds.queries import FindDocuments, FindSubmissionSets, GetAssociations, GetDocuments

REPOSITORY_ID = "1.2.250.1.213.4.1.1.1.2"


@dataclass
class Stored:
    """One stored version of a document."""

    entry: DocumentEntry
    content: Path | bytes


@dataclass
class FakeDMP:
    """State and dispatch. ``handle(message) -> SoapResponse``; ``seen`` lists (TD, message) handled."""

    spool: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fake-dmp-")))
    documents: list[Stored] = field(default_factory=list)
    submission_sets: list[SubmissionSet] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    authorization: str = AuthorizationStatus.VALIDE.value
    #: called with the TD before answering; may raise or return a replacement response builder.
    interceptor: Callable[[str, SoapMessage], SoapResponse | None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # -- routing

    def transaction_of(self, message: SoapMessage) -> str:
        tag = message.envelope.payload_tag or ""
        local = tag.rpartition("}")[2]
        if local == "PRPA_IN201307UV02":
            return patients.patients_transaction(message).td
        if local == "setAuthorization":
            return "TD0.3"
        if local == "listAuthorizationByPatient":
            return "TD1.6"
        if local == "patientList":
            return "TD0.4"
        if local == "ProvideAndRegisterDocumentSetRequest":
            return "TD2.1"
        if local == "AdhocQueryRequest":
            return registry.parse_registry_stored_query_request(message).spec.td
        if local == "RetrieveDocumentSetRequest":
            return "TD3.2"
        if local == "SubmitObjectsRequest":
            return "TD3.3"
        raise AssertionError(f"fake DMP: unexpected body {tag}")

    def handle(self, message: SoapMessage) -> SoapResponse:
        td = self.transaction_of(message)
        with self.lock:
            self.seen.append(td)
        if self.interceptor is not None:
            replaced = self.interceptor(td, message)
            if replaced is not None:
                return replaced
        return getattr(self, "_" + td.replace(".", "_").lower())(message)

    # -- transactions

    def _td0_2(self, message: SoapMessage) -> SoapResponse:
        patients.parse_test_existence_request(message)
        result = ExistenceResult(exists=True, authorization=self.authorization, treating_physician=False)
        return patients.build_test_existence_response(result, request=message)

    def _td1_3a(self, message: SoapMessage) -> SoapResponse:
        patients.parse_administrative_data_request(message)
        return patients.build_administrative_data_response(
            patients.AdministrativeData(exists=True, deceased=False), request=message
        )

    def _td0_3(self, message: SoapMessage) -> SoapResponse:
        wanted = habilitations.parse_set_authorization_request(message)
        context = f"Action {wanted.action.value} effectuée"
        return habilitations.build_set_authorization_response(
            habilitations.AuthorizationUpdate(context=context), request=message
        )

    def _td1_6(self, message: SoapMessage) -> SoapResponse:
        mode = habilitations.parse_list_authorizations_request(message)
        item = habilitations.AuthorizationListItem(national_id="899900063480", last_name="LIBRE", mode="ACTIVE")
        items = (item,) if mode is not habilitations.AuthorizationListMode.INTERDITE else ()
        return habilitations.build_list_authorizations_response(
            habilitations.AuthorizationList(items=items), request=message
        )

    def _td0_4(self, message: SoapMessage) -> SoapResponse:
        query = patients_specific.parse_patient_list_request(message)
        item = patients_specific.PatientListItem(last_name="PAT-TROIS", first_name="DOMINIQUE")
        return patients_specific.build_patient_list_response(
            patients_specific.PatientList(items=(item,), context=query.date_type.value), request=message
        )

    def _td2_1(self, message: SoapMessage) -> SoapResponse:
        received = repository.parse_provide_and_register_request(message)
        lot = received.submission.submission_set
        lot = lot.replace_fields(entry_uuid=f"urn:uuid:{uuid.uuid4()}", availability_status=AvailabilityStatus.APPROVED)
        with self.lock:
            self.submission_sets.append(lot)
        for doc in [*received.documents, *([received.signature] if received.signature else [])]:
            target = self.spool / f"{uuid.uuid4()}.bin"
            if doc.part is not None:
                doc.part.save(target)
            else:
                target.write_bytes(doc.data or b"")
            entry = doc.entry.replace_fields(
                entry_uuid=f"urn:uuid:{uuid.uuid4()}",
                logical_id=None,
                version="1",
                availability_status=AvailabilityStatus.APPROVED,
                repository_unique_id=REPOSITORY_ID,
            )
            entry = entry.replace_fields(logical_id=entry.entry_uuid)
            with self.lock:
                self.documents.append(Stored(entry, target))
                self.associations.append(
                    Association(
                        id=f"urn:uuid:{uuid.uuid4()}",
                        type=AssociationType.HAS_MEMBER,
                        source=lot.entry_uuid or "",
                        target=entry.entry_uuid or "",
                    )
                )
        return repository.build_provide_and_register_response(request=message)

    def current(self, unique_id: str) -> list[Stored]:
        return [
            s
            for s in self.documents
            if s.entry.unique_id == unique_id and s.entry.availability_status != AvailabilityStatus.DEPRECATED
        ]

    def _query(self, message: SoapMessage) -> SoapResponse:
        received = registry.parse_registry_stored_query_request(message)
        query = received.query
        found: list[DocumentEntry] = []
        if isinstance(query, GetDocuments):
            for uid in query.unique_ids:
                found += [s.entry for s in self.current(uid)]
            for u in query.uuids:
                found += [s.entry for s in self.documents if s.entry.entry_uuid == u]
        elif isinstance(query, FindDocuments):
            wanted = set(query.status)
            found = [s.entry for s in self.documents if str(s.entry.availability_status) in wanted]
        elif isinstance(query, FindSubmissionSets):
            lots = [
                lot
                for lot in self.submission_sets
                if lot.submission_time is not None
                and (
                    query.submission_time_from is None
                    or format_xds_time(lot.submission_time) >= query.submission_time_from
                )
                and (
                    query.submission_time_to is None or format_xds_time(lot.submission_time) < query.submission_time_to
                )
            ]
            refs = tuple(ObjectRef(id=lot.entry_uuid or "") for lot in lots)
            return registry.build_registry_stored_query_response(
                QueryResponse(status=ResponseStatus.SUCCESS, object_refs=refs), request=message
            )
        elif isinstance(query, GetAssociations):
            wanted_ids = set(query.uuids)
            links = tuple(a for a in self.associations if a.source in wanted_ids or a.target in wanted_ids)
            return registry.build_registry_stored_query_response(
                QueryResponse(status=ResponseStatus.SUCCESS, associations=links), request=message
            )
        if str(query.return_type) == "ObjectRef":
            result = QueryResponse(
                status=ResponseStatus.SUCCESS, object_refs=tuple(ObjectRef(id=e.entry_uuid or "") for e in found)
            )
        else:
            result = QueryResponse(status=ResponseStatus.SUCCESS, documents=tuple(found))
        return registry.build_registry_stored_query_response(result, request=message)

    _td3_1 = _query
    _td3_1b = _query

    def _td3_2(self, message: SoapMessage) -> SoapResponse:
        request = repository.parse_retrieve_document_set_request(message)
        docs = []
        for d in request.documents:
            stored = self.current(d.document_unique_id or "")
            if stored:
                docs.append(DocumentContent(d.document_unique_id or "", stored[0].content))
        if not docs:
            return repository.build_retrieve_document_set_fault(
                "XDSDocumentUniqueIdError", "Document inconnu", request=message
            )
        return repository.build_retrieve_document_set_response(docs, request=message)

    def _td3_3(self, message: SoapMessage) -> SoapResponse:
        spec = registry.classify_update(message)
        if spec.td in ("TD3.3c", "TD3.3d"):
            update = registry.parse_update_availability_status_request(message)
            for change in update.changes:
                for s in self.documents:
                    if s.entry.entry_uuid == change.entry_uuid:
                        s.entry = s.entry.replace_fields(availability_status=change.new_status)
            return registry.build_update_availability_status_response(request=message)
        meta = registry.parse_update_document_metadata_request(message)
        for upd in meta.updates:
            for s in list(self.documents):
                if s.entry.logical_id == upd.logical_id and s.entry.availability_status == AvailabilityStatus.APPROVED:
                    s.entry = s.entry.replace_fields(availability_status=AvailabilityStatus.DEPRECATED)
                    version = str(int(s.entry.version or "1") + 1)
                    new = upd.entry.replace_fields(
                        entry_uuid=f"urn:uuid:{uuid.uuid4()}",
                        logical_id=upd.logical_id,
                        version=version,
                        availability_status=AvailabilityStatus.APPROVED,
                        repository_unique_id=REPOSITORY_ID,
                    )
                    self.documents.append(Stored(new, s.content))
        return registry.build_update_document_metadata_response(request=message)

    def close(self) -> None:
        shutil.rmtree(self.spool, ignore_errors=True)

    # -- transports

    def sync_handler(self, request: httpx.Request) -> httpx.Response:
        message = read_message(request.headers["content-type"], request.read())
        return to_httpx(self.handle(message))

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        message = await aread_message(request.headers["content-type"], request.aiter_bytes())
        response = self.handle(message)

        async def stream() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_bytes():
                yield chunk

        return httpx.Response(response.status_code, headers=response.headers, content=stream())


def to_httpx(response: SoapResponse) -> httpx.Response:
    """A SoapResponse as an httpx response streamed from the writer."""

    def stream() -> Iterator[bytes]:
        yield from response.iter_bytes()

    return httpx.Response(response.status_code, headers=response.headers, content=stream())
