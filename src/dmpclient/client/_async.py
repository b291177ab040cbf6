"""The asynchronous driver: runs the engine's effects with ``httpx.AsyncClient`` and the policy's ``async_sleep``."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Generator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from dmpclient.client._config import ClientBase
from dmpclient.client._core import Effect, Received, Send, Sleep, Stepper
from dmpclient.client._ops import DocumentInput
from dmpclient.client._results import SubmitResult
from dmpclient.context import ActingContext
from dmpclient.errors import ConfigurationError
from dmpclient.ids import INS
from dmpclient.transactions.habilitations import (
    AuthorizationAction,
    AuthorizationList,
    AuthorizationListMode,
    AuthorizationRole,
    AuthorizationUpdate,
)
from dmpclient.transactions.patients import AdministrativeData, ExistenceResult
from dmpclient.transactions.patients_specific import PatientList, PatientListDateType
from dmpclient.transactions.pdq import PatientSearch, PatientSearchResult
from dmpclient.transactions.registry import DocumentReference
from dmpclient.transactions.repository import RetrievedDocument
from dmpclient.transactions.submission import SubmissionSetInfo
from dmpclient.xds.model import AvailabilityStatus, Code, DocumentEntry, QueryResponse, RegistryResponse
from dmpclient.xds.queries import StoredQuery

__all__ = ["AsyncDMPClient", "AsyncDriver"]

T = TypeVar("T")


class AsyncDriver(ClientBase):
    """Runs operations over one ``httpx.AsyncClient`` (one connection pool, keep-alive)."""

    _http: httpx.AsyncClient

    def _check_transport(self, transport: Any) -> None:
        if not isinstance(transport, httpx.AsyncBaseTransport):
            raise ConfigurationError(
                "the async client needs an httpx.AsyncBaseTransport (use DMPClient for sync transports)",
                field="transport",
                value=type(transport).__name__,
            )

    def _open(self) -> None:
        self._http = httpx.AsyncClient(**self._http_options)

    async def aclose(self) -> None:
        """Close the connection pool (and the signer when the client owns it)."""
        await self._http.aclose()
        self._release_signer()

    async def __aenter__(self) -> AsyncDriver:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _run(self, operation: Generator[Effect, Any, T]) -> T:
        stepper = Stepper(operation)
        effect = stepper.resume()
        while effect is not None:
            value: Any = None
            error: Exception | None = None
            try:
                if isinstance(effect, Sleep):
                    await self._ops.engine.retries.async_sleep(effect.seconds)
                else:
                    value = await self._send(effect)
            except Exception as exc:  # handed to the operation, which decides (retry, ambiguity check …)
                error = exc
            effect = stepper.resume(value, error)
        return cast("T", stepper.result)

    async def _send(self, send: Send) -> Received:
        engine = self._ops.engine
        with engine.http_errors(send):
            request = self._http.build_request("POST", send.url, content=send.body.aiter(), headers=send.headers)
            response = await self._http.send(request, stream=True)
            try:
                with engine.reader(response, send.transaction) as reader:
                    async for chunk in response.aiter_bytes():
                        reader.feed(chunk)
            finally:
                await response.aclose()
        return engine.received(request, response, reader)


class AsyncDMPClient(AsyncDriver):
    """The asynchronous DMP client: same methods as :class:`DMPClient`, awaitable.

    Use ``async with AsyncDMPClient(...) as dmp:`` or call :meth:`aclose`. Pass an
    ``httpx.AsyncBaseTransport`` (e.g. ``httpx.ASGITransport(app)``) as ``transport=`` to talk to an
    in-process server.
    """

    async def __aenter__(self) -> AsyncDMPClient:
        return self

    async def test_existence(self, ins: INS, *, context: ActingContext | None = None) -> ExistenceResult:
        """Async variant of :meth:`DMPClient.test_existence`."""
        return await self._run(self._ops.test_existence(ins, context=context))

    async def get_administrative_data(self, ins: INS, *, context: ActingContext | None = None) -> AdministrativeData:
        """Async variant of :meth:`DMPClient.get_administrative_data`."""
        return await self._run(self._ops.get_administrative_data(ins, context=context))

    async def search_patients(
        self, search: PatientSearch | None = None, *, context: ActingContext | None = None, **criteria: Any
    ) -> PatientSearchResult:
        """Async variant of :meth:`DMPClient.search_patients`."""
        return await self._run(self._ops.search_patients(search, context=context, **criteria))

    async def set_authorization(
        self,
        ins: INS,
        action: AuthorizationAction | str,
        role: AuthorizationRole | str | None = None,
        *,
        treating_physician: bool | None = None,
        context: ActingContext | None = None,
    ) -> AuthorizationUpdate:
        """Async variant of :meth:`DMPClient.set_authorization`."""
        return await self._run(
            self._ops.set_authorization(ins, action, role, treating_physician=treating_physician, context=context)
        )

    async def authorize(
        self, ins: INS, *, as_treating_physician: bool = False, context: ActingContext | None = None
    ) -> AuthorizationUpdate:
        """Async variant of :meth:`DMPClient.authorize`."""
        return await self._run(self._ops.authorize(ins, as_treating_physician=as_treating_physician, context=context))

    async def remove_authorization(
        self, ins: INS, *, treating_physician_role: bool = False, context: ActingContext | None = None
    ) -> AuthorizationUpdate:
        """Async variant of :meth:`DMPClient.remove_authorization`."""
        return await self._run(
            self._ops.remove_authorization(ins, treating_physician_role=treating_physician_role, context=context)
        )

    async def list_patients(
        self,
        since: dt.datetime | dt.date | str,
        date_type: PatientListDateType | str = PatientListDateType.LASTAUTORIZATION,
        *,
        ps_owner_id: str | None = None,
        context: ActingContext | None = None,
    ) -> PatientList:
        """Async variant of :meth:`DMPClient.list_patients`."""
        return await self._run(self._ops.list_patients(since, date_type, ps_owner_id=ps_owner_id, context=context))

    async def list_authorizations(
        self,
        ins: INS,
        mode: AuthorizationListMode | str = AuthorizationListMode.TOUTE,
        *,
        context: ActingContext | None = None,
    ) -> AuthorizationList:
        """Async variant of :meth:`DMPClient.list_authorizations`."""
        return await self._run(self._ops.list_authorizations(ins, mode, context=context))

    async def submit(
        self,
        ins: INS,
        documents: Sequence[DocumentInput] | DocumentInput,
        *,
        submission_set: SubmissionSetInfo | None = None,
        replaces: Mapping[int, str] | None = None,
        context: ActingContext | None = None,
    ) -> SubmitResult:
        """Async variant of :meth:`DMPClient.submit`."""
        return await self._run(
            self._ops.submit(ins, documents, submission_set=submission_set, replaces=replaces, context=context)
        )

    async def replace(
        self,
        ins: INS,
        previous_unique_id: str,
        new_document: DocumentInput,
        *,
        previous_entry: DocumentEntry | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> SubmitResult:
        """Async variant of :meth:`DMPClient.replace`."""
        return await self._run(
            self._ops.replace(
                ins,
                previous_unique_id,
                new_document,
                previous_entry=previous_entry,
                submission_set=submission_set,
                context=context,
            )
        )

    async def query(
        self, ins: INS, stored_query: StoredQuery, *, user_initiated: bool = False, context: ActingContext | None = None
    ) -> QueryResponse:
        """Async variant of :meth:`DMPClient.query`."""
        return await self._run(self._ops.query(ins, stored_query, user_initiated=user_initiated, context=context))

    async def run_recipe(
        self,
        ins: INS,
        recipe: Generator[StoredQuery, QueryResponse, T],
        *,
        user_initiated: bool = False,
        context: ActingContext | None = None,
    ) -> T:
        """Async variant of :meth:`DMPClient.run_recipe`."""
        return await self._run(self._ops.run_recipe(ins, recipe, user_initiated=user_initiated, context=context))

    async def find_documents(
        self,
        ins: INS,
        *,
        submitted_from: dt.datetime | str | None = None,
        submitted_to: dt.datetime | str | None = None,
        user_initiated: bool = False,
        context: ActingContext | None = None,
        **criteria: Any,
    ) -> QueryResponse:
        """Async variant of :meth:`DMPClient.find_documents`."""
        return await self._run(
            self._ops.find_documents(
                ins,
                submitted_from=submitted_from,
                submitted_to=submitted_to,
                user_initiated=user_initiated,
                context=context,
                **criteria,
            )
        )

    async def get_documents(
        self, ins: INS, unique_ids: Sequence[str], *, user_initiated: bool = False, context: ActingContext | None = None
    ) -> QueryResponse:
        """Async variant of :meth:`DMPClient.get_documents`."""
        return await self._run(self._ops.get_documents(ins, unique_ids, user_initiated=user_initiated, context=context))

    async def get_document_entry(
        self, ins: INS, unique_id: str, *, user_initiated: bool = False, context: ActingContext | None = None
    ) -> DocumentEntry | None:
        """Async variant of :meth:`DMPClient.get_document_entry`."""
        return await self._run(
            self._ops.get_document_entry(ins, unique_id, user_initiated=user_initiated, context=context)
        )

    async def find_document_reference(
        self, ins: INS, unique_id: str, *, context: ActingContext | None = None
    ) -> DocumentReference:
        """Async variant of :meth:`DMPClient.find_document_reference`."""
        return await self._run(self._ops.find_document_reference(ins, unique_id, context=context))

    async def retrieve(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        to: str | os.PathLike[str] | None = None,
        context: ActingContext | None = None,
    ) -> RetrievedDocument:
        """Async variant of :meth:`DMPClient.retrieve`."""
        return await self._run(self._ops.retrieve(ins, document, to=to, context=context))

    async def update_confidentiality(
        self,
        ins: INS,
        document: str | DocumentEntry,
        confidentiality: Sequence[Code | str],
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.update_confidentiality`."""
        return await self._run(
            self._ops.update_confidentiality(
                ins, document, confidentiality, submission_set=submission_set, context=context
            )
        )

    async def hide_from_professionals(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.hide_from_professionals`."""
        return await self._run(
            self._ops.change_visibility(ins, document, masked=True, submission_set=submission_set, context=context)
        )

    async def unhide_for_professionals(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.unhide_for_professionals`."""
        return await self._run(
            self._ops.change_visibility(ins, document, masked=False, submission_set=submission_set, context=context)
        )

    async def make_visible_to_patient(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.make_visible_to_patient`."""
        return await self._run(
            self._ops.change_visibility(
                ins, document, visible_to_patient=True, submission_set=submission_set, context=context
            )
        )

    async def make_visible_to_legal_representatives(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.make_visible_to_legal_representatives`."""
        return await self._run(
            self._ops.change_visibility(
                ins, document, visible_to_legal_representatives=True, submission_set=submission_set, context=context
            )
        )

    async def update_status(
        self,
        ins: INS,
        unique_id: str,
        new_status: AvailabilityStatus | str,
        *,
        current_status: AvailabilityStatus | str | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.update_status`."""
        return await self._run(
            self._ops.update_status(
                ins,
                unique_id,
                new_status,
                current_status=current_status,
                submission_set=submission_set,
                context=context,
            )
        )

    async def archive(
        self,
        ins: INS,
        unique_id: str,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.archive`."""
        return await self._run(self._ops.archive(ins, unique_id, submission_set=submission_set, context=context))

    async def unarchive(
        self,
        ins: INS,
        unique_id: str,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.unarchive`."""
        return await self._run(self._ops.unarchive(ins, unique_id, submission_set=submission_set, context=context))

    async def delete(
        self,
        ins: INS,
        unique_id: str,
        *,
        current_status: AvailabilityStatus | str | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """Async variant of :meth:`DMPClient.delete`."""
        return await self._run(
            self._ops.delete(
                ins, unique_id, current_status=current_status, submission_set=submission_set, context=context
            )
        )
