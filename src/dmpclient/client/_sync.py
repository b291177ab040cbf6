"""The synchronous driver: runs the engine's effects with ``httpx.Client`` and the policy's ``sleep``."""

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

__all__ = ["DMPClient", "SyncDriver"]

T = TypeVar("T")


class SyncDriver(ClientBase):
    """Runs operations over one ``httpx.Client`` (one connection pool, keep-alive)."""

    _http: httpx.Client

    def _check_transport(self, transport: Any) -> None:
        if not isinstance(transport, httpx.BaseTransport):
            raise ConfigurationError(
                "the sync client needs an httpx.BaseTransport (use AsyncDMPClient for async transports)",
                field="transport",
                value=type(transport).__name__,
            )

    def _open(self) -> None:
        self._http = httpx.Client(**self._http_options)

    def close(self) -> None:
        """Close the connection pool (and the signer when the client owns it)."""
        self._http.close()
        self._release_signer()

    def __enter__(self) -> SyncDriver:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _run(self, operation: Generator[Effect, Any, T]) -> T:
        stepper = Stepper(operation)
        effect = stepper.resume()
        while effect is not None:
            value: Any = None
            error: Exception | None = None
            try:
                if isinstance(effect, Sleep):
                    self._ops.engine.retries.sleep(effect.seconds)
                else:
                    value = self._send(effect)
            except Exception as exc:  # handed to the operation, which decides (retry, ambiguity check …)
                error = exc
            effect = stepper.resume(value, error)
        return cast("T", stepper.result)

    def _send(self, send: Send) -> Received:
        engine = self._ops.engine
        with engine.http_errors(send):
            request = self._http.build_request("POST", send.url, content=send.body, headers=send.headers)
            response = self._http.send(request, stream=True)
            try:
                with engine.reader(response, send.transaction) as reader:
                    for chunk in response.iter_bytes():
                        reader.feed(chunk)
            finally:
                response.close()
        return engine.received(request, response, reader)


class DMPClient(SyncDriver):
    """The synchronous DMP client.

    One connection pool per client (keep-alive, HTTP/1.1); use it as a context manager or call
    :meth:`close`. Construction arguments: see :class:`~dmpclient.client._config.ClientBase`. Every
    method takes an optional ``context=`` that overrides the client's acting context for that call.

    Example::

        with DMPClient("dv1", context=ctx, signer=signer, tls=tls, trust=trust) as dmp:
            status = dmp.test_existence(ins)
            if status.can_feed:
                result = dmp.submit(ins, [built_cda])
    """

    def __enter__(self) -> DMPClient:
        return self

    def test_existence(self, ins: INS, *, context: ActingContext | None = None) -> ExistenceResult:
        """TD0.2 — does the patient have a DMP, am I authorised, am I the médecin traitant DMP?

        ``NF`` (no DMP) is not an error: ``result.exists`` is False. The identity traits returned are not
        authoritative (EX_0.2-1020).
        """
        return self._run(self._ops.test_existence(ins, context=context))

    def get_administrative_data(self, ins: INS, *, context: ActingContext | None = None) -> AdministrativeData:
        """TD1.3a — administrative data of the DMP (legal representatives, oppositions …)."""
        return self._run(self._ops.get_administrative_data(ins, context=context))

    def search_patients(
        self, search: PatientSearch | None = None, *, context: ActingContext | None = None, **criteria: Any
    ) -> PatientSearchResult:
        """TD0.5 — search a DMP without INS (régulation / centre 15 access mode only).

        Criteria: ``family``, ``given``, ``birth_date`` (``yyyy[MM[dd]]``), ``gender``, ``postal_code``, ``city``,
        ``approximate``; too many matches raise :class:`~dmpclient.transactions.pdq.TooManyResults`.
        """
        return self._run(self._ops.search_patients(search, context=context, **criteria))

    def set_authorization(
        self,
        ins: INS,
        action: AuthorizationAction | str,
        role: AuthorizationRole | str | None = None,
        *,
        treating_physician: bool | None = None,
        context: ActingContext | None = None,
    ) -> AuthorizationUpdate:
        """TD0.3 — ``AJOUT`` / ``SUPPRESSION`` of one's authorisation (``role=MEDECIN_TRAITANT`` for the MT status)."""
        return self._run(
            self._ops.set_authorization(ins, action, role, treating_physician=treating_physician, context=context)
        )

    def authorize(
        self, ins: INS, *, as_treating_physician: bool = False, context: ActingContext | None = None
    ) -> AuthorizationUpdate:
        """TD0.3 AJOUT — only after the patient's consent and an explicit user action (EX_0.3-1010…1040)."""
        return self._run(self._ops.authorize(ins, as_treating_physician=as_treating_physician, context=context))

    def remove_authorization(
        self, ins: INS, *, treating_physician_role: bool = False, context: ActingContext | None = None
    ) -> AuthorizationUpdate:
        """TD0.3 SUPPRESSION — when the patient withdraws consent (``treating_physician_role=True``: stop being MT)."""
        return self._run(
            self._ops.remove_authorization(ins, treating_physician_role=treating_physician_role, context=context)
        )

    def list_patients(
        self,
        since: dt.datetime | dt.date | str,
        date_type: PatientListDateType | str = PatientListDateType.LASTAUTORIZATION,
        *,
        ps_owner_id: str | None = None,
        context: ActingContext | None = None,
    ) -> PatientList:
        """TD0.4 — the DMPs with a new authorisation (``LASTAUTORIZATION``) or document (``LASTDOC``) since a date."""
        return self._run(self._ops.list_patients(since, date_type, ps_owner_id=ps_owner_id, context=context))

    def list_authorizations(
        self,
        ins: INS,
        mode: AuthorizationListMode | str = AuthorizationListMode.TOUTE,
        *,
        context: ActingContext | None = None,
    ) -> AuthorizationList:
        """TD1.6 — professionals authorised on / blocked from a DMP."""
        return self._run(self._ops.list_authorizations(ins, mode, context=context))

    def submit(
        self,
        ins: INS,
        documents: Sequence[DocumentInput] | DocumentInput,
        *,
        submission_set: SubmissionSetInfo | None = None,
        replaces: Mapping[int, str] | None = None,
        context: ActingContext | None = None,
    ) -> SubmitResult:
        """TD2.1 (TD2.2 under a CPE card) — one signed submission set with one or more documents.

        Documents: :class:`~dmpclient.cda.BuiltCda` (best: hash, size and canonical digest known), a CDA file path
        (streamed, never loaded whole), CDA bytes, or a :class:`~dmpclient.transactions.submission.DocumentToSubmit`.
        A failure after the request was sent is never re-sent: the client checks each uniqueId with TD3.1b and
        raises :class:`~dmpclient.errors.AmbiguousSubmission` with ``found`` True / False / None.
        """
        return self._run(
            self._ops.submit(ins, documents, submission_set=submission_set, replaces=replaces, context=context)
        )

    def replace(
        self,
        ins: INS,
        previous_unique_id: str,
        new_document: DocumentInput,
        *,
        previous_entry: DocumentEntry | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> SubmitResult:
        """TD3.1b just before, then TD2.1 with an RPLC association to the current entryUUID (RG_3130).

        Give ``previous_entry`` (its last known metadata) to check that the new version does not make the
        document invisible again.
        """
        return self._run(
            self._ops.replace(
                ins,
                previous_unique_id,
                new_document,
                previous_entry=previous_entry,
                submission_set=submission_set,
                context=context,
            )
        )

    def query(
        self, ins: INS, stored_query: StoredQuery, *, user_initiated: bool = False, context: ActingContext | None = None
    ) -> QueryResponse:
        """TD3.1 — any stored query of :mod:`dmpclient.xds.queries` (TD3.1b for GetDocuments ObjectRef by uniqueId).

        Queries over the DMP limits are split and merged. Refused within the guard window after a feed of the
        patient (EX_3.1-1090) unless ``user_initiated=True``.
        """
        return self._run(self._ops.query(ins, stored_query, user_initiated=user_initiated, context=context))

    def run_recipe(
        self,
        ins: INS,
        recipe: Generator[StoredQuery, QueryResponse, T],
        *,
        user_initiated: bool = False,
        context: ActingContext | None = None,
    ) -> T:
        """Drive a multi-step recipe of :mod:`dmpclient.xds.queries` (``current_version`` …), one user action."""
        return self._run(self._ops.run_recipe(ins, recipe, user_initiated=user_initiated, context=context))

    def find_documents(
        self,
        ins: INS,
        *,
        submitted_from: dt.datetime | str | None = None,
        submitted_to: dt.datetime | str | None = None,
        user_initiated: bool = False,
        context: ActingContext | None = None,
        **criteria: Any,
    ) -> QueryResponse:
        """TD3.1 FindDocuments (``criteria``: fields of :class:`~dmpclient.xds.queries.FindDocuments` — ``status``,
        ``type_codes``, ``creation_time_from`` …). With ``submitted_from``/``submitted_to``: the lots submitted in
        that window (FindSubmissionSets → GetAssociations → GetDocuments, batched, merged).
        """
        return self._run(
            self._ops.find_documents(
                ins,
                submitted_from=submitted_from,
                submitted_to=submitted_to,
                user_initiated=user_initiated,
                context=context,
                **criteria,
            )
        )

    def get_documents(
        self, ins: INS, unique_ids: Sequence[str], *, user_initiated: bool = False, context: ActingContext | None = None
    ) -> QueryResponse:
        """TD3.1 GetDocuments (LeafClass) by uniqueIds, batched by 20."""
        return self._run(self._ops.get_documents(ins, unique_ids, user_initiated=user_initiated, context=context))

    def get_document_entry(
        self, ins: INS, unique_id: str, *, user_initiated: bool = False, context: ActingContext | None = None
    ) -> DocumentEntry | None:
        """The current DocumentEntry of one document (TD3.1 GetDocuments LeafClass); None when unknown."""
        return self._run(self._ops.get_document_entry(ins, unique_id, user_initiated=user_initiated, context=context))

    def find_document_reference(
        self, ins: INS, unique_id: str, *, context: ActingContext | None = None
    ) -> DocumentReference:
        """TD3.1b — the current entryUUID of a document (GetDocuments ObjectRef; never blocked after a feed)."""
        return self._run(self._ops.find_document_reference(ins, unique_id, context=context))

    def retrieve(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        to: str | os.PathLike[str] | None = None,
        context: ActingContext | None = None,
    ) -> RetrievedDocument:
        """TD3.2 — retrieve a document by uniqueId (or DocumentEntry: its hash and size are then checked).

        With ``to`` the content is streamed to that file (a rename of the spooled part); without, it stays in
        memory or in a temporary file deleted with the result (``doc.read_bytes()``, ``doc.save(path)``).
        """
        return self._run(self._ops.retrieve(ins, document, to=to, context=context))

    def update_confidentiality(
        self,
        ins: INS,
        document: str | DocumentEntry,
        confidentiality: Sequence[Code | str],
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3a / TD3.3b — a new metadata version with these confidentiality codes (current version fetched first
        when a uniqueId is given).
        """
        return self._run(
            self._ops.update_confidentiality(
                ins, document, confidentiality, submission_set=submission_set, context=context
            )
        )

    def hide_from_professionals(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3a — hide a document from professionals (MASQUE_PS); ask the user to confirm first (EX_3.3-1030)."""
        return self._run(
            self._ops.change_visibility(ins, document, masked=True, submission_set=submission_set, context=context)
        )

    def unhide_for_professionals(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3a — show a hidden document to professionals again (remove MASQUE_PS)."""
        return self._run(
            self._ops.change_visibility(ins, document, masked=False, submission_set=submission_set, context=context)
        )

    def make_visible_to_patient(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3b — make a document visible to the patient (remove INVISIBLE_PATIENT; irreversible)."""
        return self._run(
            self._ops.change_visibility(
                ins, document, visible_to_patient=True, submission_set=submission_set, context=context
            )
        )

    def make_visible_to_legal_representatives(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3b — make a document visible to the legal representatives (remove INVISIBLE_REPRESENTANTS_LEGAUX)."""
        return self._run(
            self._ops.change_visibility(
                ins, document, visible_to_legal_representatives=True, submission_set=submission_set, context=context
            )
        )

    def update_status(
        self,
        ins: INS,
        unique_id: str,
        new_status: AvailabilityStatus | str,
        *,
        current_status: AvailabilityStatus | str | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3c / TD3.3d — TD3.1b just before, then UpdateAvailabilityStatus on the current entryUUID."""
        return self._run(
            self._ops.update_status(
                ins,
                unique_id,
                new_status,
                current_status=current_status,
                submission_set=submission_set,
                context=context,
            )
        )

    def archive(
        self,
        ins: INS,
        unique_id: str,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3d — archive a document (TD3.1b first; ask the user to confirm)."""
        return self._run(self._ops.archive(ins, unique_id, submission_set=submission_set, context=context))

    def unarchive(
        self,
        ins: INS,
        unique_id: str,
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3d — unarchive a document (TD3.1b first)."""
        return self._run(self._ops.unarchive(ins, unique_id, submission_set=submission_set, context=context))

    def delete(
        self,
        ins: INS,
        unique_id: str,
        *,
        current_status: AvailabilityStatus | str | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> RegistryResponse:
        """TD3.3c — delete a document (TD3.1b first; ``current_status=Archived`` for an archived one; confirm first)."""
        return self._run(
            self._ops.delete(
                ins, unique_id, current_status=current_status, submission_set=submission_set, context=context
            )
        )
