"""The client operations, written once as effect generators (see :mod:`dmpclient.client._core`).

Each public method of :class:`~dmpclient.client.DMPClient` / :class:`~dmpclient.client.AsyncDMPClient` is
``return self._run(self._ops.<name>(…))`` — the body of every operation is here: guards first (before any
request is built), then the floor-3 builder, then :meth:`Engine.execute`, then the result.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

from dmpclient.cda import BuiltCda
from dmpclient.client._core import Call, Effect, Engine, Sleep
from dmpclient.client._guards import (
    FeedJournal,
    GuardSettings,
    check_confidentiality_change,
    check_document_sizes,
    check_not_after_feed,
    check_patient,
    check_vaccination_notes,
)
from dmpclient.client._results import SubmitResult
from dmpclient.client._retry import IDEMPOTENT_TRANSACTIONS
from dmpclient.context import ActingContext
from dmpclient.environments import Environment
from dmpclient.errors import (
    AmbiguousSubmission,
    DMPClientError,
    InputError,
    ProtocolError,
    RuleViolation,
    TransportError,
)
from dmpclient.ids import INS, OidGenerator
from dmpclient.security.signers import Signer
from dmpclient.security.vihf import VihfOptions
from dmpclient.soap import SoapMessage, SoapRequest
from dmpclient.terminology import (
    CONFIDENTIALITY_NORMAL,
    INVISIBLE_PATIENT,
    INVISIBLE_REPRESENTANTS_LEGAUX,
    MASQUE_PS,
    TRE_R209,
    value_set,
)
from dmpclient.transactions import (
    habilitations,
    patients,
    patients_specific,
    pdq,
    registry,
    repository,
    rights,
    webps,
)
from dmpclient.transactions._base import RequestContext, TransactionSpec
from dmpclient.transactions.registry import DocumentReference
from dmpclient.transactions.repository import RetrievedDocument, RetrieveResult
from dmpclient.transactions.submission import DocumentToSubmit, SubmissionSetInfo, prepare_submission
from dmpclient.xds.model import AvailabilityStatus, Code, DocumentEntry, QueryResponse, RegistryResponse, ReturnType
from dmpclient.xds.queries import (
    DMP_LIMITS,
    FindDocuments,
    GetDocuments,
    StoredQuery,
    all_batches,
    documents_submitted_between,
    find_by_unique_ids,
)
from dmpclient.xds.validation import DmpParameters

__all__ = ["DocumentInput", "Op", "Operations"]

T = TypeVar("T")
#: An operation: a generator of effects returning a ``T``.
Op: TypeAlias = Generator[Effect, Any, T]
#: What :meth:`Operations.submit` accepts as a document.
DocumentInput: TypeAlias = DocumentToSubmit | BuiltCda | Path | str | bytes

_RA = rights.RightsAction
_APPROVED = AvailabilityStatus.APPROVED
_ARCHIVED = AvailabilityStatus.ARCHIVED
_DELETED = AvailabilityStatus.DELETED
_DEPRECATED = AvailabilityStatus.DEPRECATED
#: contentTypeCode used when neither the call nor the client gives one and the structure's secteur
#: d'activité is not a JDV_J59 value [I]: TRE_R209 ``07`` "Consultations, soins externes".
FALLBACK_CONTENT_TYPE = Code("07", TRE_R209, "Consultations, soins externes")


def _as_document(doc: DocumentInput, index: int) -> DocumentToSubmit:
    if isinstance(doc, DocumentToSubmit):
        return doc
    if isinstance(doc, BuiltCda):
        return DocumentToSubmit.from_cda(doc)
    if isinstance(doc, bytes):
        return DocumentToSubmit.from_bytes(doc)
    if isinstance(doc, str | os.PathLike):
        return DocumentToSubmit.from_file(doc)
    raise InputError(
        "a document is a DocumentToSubmit, a BuiltCda, a CDA file path or CDA bytes",
        field=f"documents[{index}]",
        value=type(doc).__name__,
    )


_CONFIDENTIALITY_BY_NAME = {
    c.code: c for c in (CONFIDENTIALITY_NORMAL, MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)
}


def _confidentiality_codes(values: Sequence[Code | str]) -> tuple[Code, ...]:
    """Codes, or their names (``"N"``, ``"MASQUE_PS"``, ``"INVISIBLE_PATIENT"`` …), as :class:`Code`."""
    out: list[Code] = []
    for index, value in enumerate(values):
        code = value if isinstance(value, Code) else _CONFIDENTIALITY_BY_NAME.get(value)
        if code is not None:
            if all(code.key != c.key for c in out):
                out.append(code)
        else:
            raise InputError(
                "a confidentiality code is a Code or one of N, MASQUE_PS, INVISIBLE_PATIENT, "
                "INVISIBLE_REPRESENTANTS_LEGAUX",
                field=f"confidentiality[{index}]",
                value=value,
                rule="TRE_A07 / HL7 Confidentiality",
            )
    return tuple(out)


def _current(entries: Iterable[DocumentEntry], unique_id: str) -> DocumentEntry | None:
    """The current version among the entries with this uniqueId (not Deprecated, highest version)."""
    mine = [e for e in entries if e.unique_id in (None, unique_id)]
    live = [e for e in mine if str(e.availability_status) != _DEPRECATED.value]
    if not live:
        if mine:
            raise RuleViolation(
                "this document was replaced (its versions are all Deprecated); act on the current version",
                field="unique_id",
                value=unique_id,
                rule="RG_3130",
            )
        return None

    def version(e: DocumentEntry) -> int:
        return int(e.version) if e.version and e.version.isdigit() else 0

    return max(live, key=version)


class Operations:
    """Everything a client does, as effect generators; shared by the sync and async clients."""

    def __init__(
        self,
        *,
        environment: Environment,
        context: ActingContext,
        signer: Signer,
        engine: Engine,
        guards: GuardSettings,
        parameters: DmpParameters,
        max_document_size: int | None,
        clock: Callable[[], dt.datetime],
        vihf_version: str,
        vihf_options: VihfOptions | None,
        oid_generator: OidGenerator | None,
        content_type_code: Code | None = None,
    ) -> None:
        self.environment = environment
        self.context = context
        self.signer = signer
        self.engine = engine
        self.guards = guards
        self.parameters = parameters
        self.max_document_size = max_document_size
        self.clock = clock
        self.vihf_version = vihf_version
        self.vihf_options = vihf_options
        self.content_type_code = content_type_code
        self.journal = FeedJournal()
        self._generators: dict[str, OidGenerator] = {}
        if oid_generator is not None:
            self._generators[context.software.oid_root] = oid_generator

    # ------------------------------------------------------------------------------------ plumbing

    def request_context(self, context: ActingContext | None = None) -> RequestContext:
        """The floor-3 :class:`~dmpclient.transactions._base.RequestContext` of one call."""
        acting = context or self.context
        if not isinstance(acting, ActingContext):
            raise InputError("context must be an ActingContext", field="context", value=type(acting).__name__)
        root = acting.software.oid_root
        generator = self._generators.get(root)
        if generator is None:
            generator = OidGenerator(root, clock=lambda: self.clock().timestamp())
            self._generators[root] = generator
        return RequestContext(
            acting=acting,
            environment=self.environment,
            signer=self.signer,
            clock=self.clock,
            vihf_version=self.vihf_version,
            vihf_options=self.vihf_options,
            oid_generator=generator,
            check_patients=self.guards.nia,
            check_rights=self.guards.rights,
            check_confidentiality=self.guards.confidentiality,
        )

    def _patient(self, ins: INS) -> INS:
        if self.guards.nia:
            return check_patient(ins, self.environment)
        if not isinstance(ins, INS):
            raise InputError("the patient must be an INS", field="ins", value=ins)
        return ins

    def _right(
        self, action: rights.RightsAction, ctx: RequestContext, *, treating_physician: bool | None = None
    ) -> None:
        if self.guards.rights:
            rights.require_right(action, ctx.acting, treating_physician=treating_physician)

    def _exec(
        self,
        spec: TransactionSpec,
        request: SoapRequest | Callable[[], SoapRequest],
        parse: Callable[[SoapMessage], T],
        ctx: RequestContext,
        *,
        submission: bool = False,
        finish: Callable[[T, SoapMessage], T] | None = None,
        keep_message: bool = False,
    ) -> Op[T]:
        """Run one transaction. ``request`` may be a builder: a retry then sends a **new** message (fresh
        MessageID and VIHF — an AIR token is single use and lives 30 s)."""
        idempotent = spec.td in IDEMPOTENT_TRANSACTIONS
        build = request if callable(request) else None
        first = build() if build is not None else request
        assert isinstance(first, SoapRequest)
        call = Call(
            transaction=spec.td,
            request=first,
            url=first.url(self.environment),
            parse=parse,
            idempotent=idempotent,
            submission=submission,
            finish=finish,
            keep_message=keep_message,
            homologation_number=ctx.acting.software.homologation_number,
            rebuild=build if idempotent else None,
        )
        return (yield from self.engine.execute(call))

    def submission_set_info(self, info: SubmissionSetInfo | None, ctx: RequestContext) -> SubmissionSetInfo:
        """The lot's contentTypeCode/title: as given, else the client's code, else the structure's secteur
        d'activité when JDV_J59 lists it, else :data:`FALLBACK_CONTENT_TYPE` [I]."""
        if info is not None:
            return info
        if self.content_type_code is not None:
            return SubmissionSetInfo(self.content_type_code)
        secteur = ctx.acting.structure.secteur_activite
        known = value_set("J59").lookup(secteur.code)
        if known is not None and known.code_system == secteur.code_system:
            return SubmissionSetInfo(known)
        return SubmissionSetInfo(FALLBACK_CONTENT_TYPE)

    # --------------------------------------------------------------------------------- TD0.2 / TD1.3a

    def test_existence(self, ins: INS, *, context: ActingContext | None = None) -> Op[patients.ExistenceResult]:
        """TD0.2."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD0_2_EXISTENCE, ctx)
        request = functools.partial(patients.build_test_existence_request, ctx, ins)
        return (yield from self._exec(patients.TD0_2, request, patients.parse_test_existence_response, ctx))

    def get_administrative_data(
        self, ins: INS, *, context: ActingContext | None = None
    ) -> Op[patients.AdministrativeData]:
        """TD1.3a."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD1_3A_ADMINISTRATIVE_DATA, ctx)
        request = functools.partial(patients.build_administrative_data_request, ctx, ins)
        return (yield from self._exec(patients.TD1_3A, request, patients.parse_administrative_data_response, ctx))

    # --------------------------------------------------------------------------------- TD0.3 / TD1.6

    def set_authorization(
        self,
        ins: INS,
        action: habilitations.AuthorizationAction | str,
        role: habilitations.AuthorizationRole | str | None = None,
        *,
        treating_physician: bool | None = None,
        context: ActingContext | None = None,
    ) -> Op[habilitations.AuthorizationUpdate]:
        """TD0.3."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        wanted = habilitations.SetAuthorizationInput(
            action=habilitations.AuthorizationAction(action),
            role=habilitations.AuthorizationRole(role) if role is not None else None,
        )
        self._right(wanted.rights_action, ctx, treating_physician=treating_physician)
        request = habilitations.build_set_authorization_request(
            ctx, ins, wanted.action, wanted.role, treating_physician=treating_physician
        )
        return (
            yield from self._exec(habilitations.TD0_3, request, habilitations.parse_set_authorization_response, ctx)
        )

    def list_authorizations(
        self,
        ins: INS,
        mode: habilitations.AuthorizationListMode | str = habilitations.AuthorizationListMode.TOUTE,
        *,
        context: ActingContext | None = None,
    ) -> Op[habilitations.AuthorizationList]:
        """TD1.6."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD1_6_LIST_AUTHORIZATIONS, ctx)
        request = functools.partial(habilitations.build_list_authorizations_request, ctx, ins, mode)
        return (
            yield from self._exec(habilitations.TD1_6, request, habilitations.parse_list_authorizations_response, ctx)
        )

    def authorize(
        self, ins: INS, *, as_treating_physician: bool = False, context: ActingContext | None = None
    ) -> Op[habilitations.AuthorizationUpdate]:
        """TD0.3 AJOUT (after the patient's consent and an explicit user action, EX_0.3-1010)."""
        role = habilitations.AuthorizationRole.MEDECIN_TRAITANT if as_treating_physician else None
        return (yield from self.set_authorization(ins, habilitations.AuthorizationAction.AJOUT, role, context=context))

    def remove_authorization(
        self, ins: INS, *, treating_physician_role: bool = False, context: ActingContext | None = None
    ) -> Op[habilitations.AuthorizationUpdate]:
        """TD0.3 SUPPRESSION (consent withdrawn); ``treating_physician_role=True`` only stops being the MT."""
        role = habilitations.AuthorizationRole.MEDECIN_TRAITANT if treating_physician_role else None
        return (
            yield from self.set_authorization(
                ins,
                habilitations.AuthorizationAction.SUPPRESSION,
                role,
                treating_physician=True if treating_physician_role else None,
                context=context,
            )
        )

    # ------------------------------------------------------------------------------------------ TD0.4

    def list_patients(
        self,
        since: dt.datetime | dt.date | str,
        date_type: patients_specific.PatientListDateType | str = patients_specific.PatientListDateType.LASTAUTORIZATION,
        *,
        ps_owner_id: str | None = None,
        context: ActingContext | None = None,
    ) -> Op[patients_specific.PatientList]:
        """TD0.4."""
        ctx = self.request_context(context)
        self._right(_RA.TD0_4_PATIENT_LIST, ctx)
        request = functools.partial(
            patients_specific.build_patient_list_request, ctx, since, date_type, ps_owner_id=ps_owner_id
        )
        return (
            yield from self._exec(patients_specific.TD0_4, request, patients_specific.parse_patient_list_response, ctx)
        )

    # ---------------------------------------------------------------------------------- TD2.1 / TD2.2

    def submit(
        self,
        ins: INS,
        documents: Sequence[DocumentInput] | DocumentInput,
        *,
        submission_set: SubmissionSetInfo | None = None,
        replaces: Mapping[int, str] | None = None,
        context: ActingContext | None = None,
    ) -> Op[SubmitResult]:
        """TD2.1 (TD2.2 under a CPE card); ambiguous failures are checked with TD3.1b, never re-sent."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD2_2_FEED_CPE if ctx.acting.is_cpe else _RA.TD2_1_FEED, ctx)
        items = documents if isinstance(documents, Sequence) and not isinstance(documents, str | bytes) else [documents]
        docs = [_as_document(d, i) for i, d in enumerate(items)]
        prepared = prepare_submission(
            ctx,
            ins,
            docs,
            submission_set=self.submission_set_info(submission_set, ctx),
            replaces=replaces,
            params=self.parameters,
            validate=self.guards.metadata,
        )
        entries = prepared.documents
        if self.guards.document_size:
            check_document_sizes(entries, self.max_document_size)
        if self.guards.vaccination:
            check_vaccination_notes(entries, ctx.acting)
        self.journal.record(ins, self.clock())
        parse = functools.partial(repository.parse_provide_and_register_response, transaction=prepared.transaction)
        try:
            result = yield from self._exec(prepared.spec, prepared.request, parse, ctx, submission=True)
        except TransportError as exc:
            if not exc.sent:
                raise
            yield from self._ambiguous(ctx, ins, prepared.transaction, prepared.unique_ids, exc)
            raise  # pragma: no cover - _ambiguous always raises
        return SubmitResult(
            transaction=prepared.transaction,
            submission_set_unique_id=prepared.submission_set_unique_id,
            document_unique_ids=prepared.document_unique_ids,
            signature_unique_id=prepared.signature_unique_id,
            response=result.response,
            replaced=dict(prepared.replaced),
            findings=prepared.findings,
            message_id=prepared.request.message_id,
        )

    def _ambiguous(
        self, ctx: RequestContext, ins: INS, td: str, unique_ids: Sequence[str], failure: TransportError
    ) -> Op[None]:
        """After an ambiguous TD2.1 failure: TD3.1b on each uniqueId, then raise :class:`AmbiguousSubmission`."""
        delay = self.engine.retries.ambiguous_check_delay
        if delay > 0:
            yield Sleep(delay)
        stored: list[str] = []
        missing: list[str] = []
        check_error: DMPClientError | None = None
        for uid in unique_ids:
            try:
                ref = yield from self._reference(ctx, ins, uid)
            except DMPClientError as exc:
                check_error = exc
                break
            (stored if ref.found else missing).append(uid)
        if check_error is not None:
            found: bool | None = None
            what = f"the TD3.1b check failed too ({check_error})"
        elif stored and not missing:
            found, what = True, f"TD3.1b found all {len(stored)} document(s): the DMP stored the submission"
        elif missing and not stored:
            found, what = False, f"TD3.1b found none of the {len(missing)} document(s): the DMP did not store it"
        else:
            found = None
            what = f"TD3.1b found {', '.join(stored)} but not {', '.join(missing)}"
        raise AmbiguousSubmission(
            f"{td}: the submission failed after it was sent ({failure}); {what}. Nothing was re-sent.",
            unique_ids=unique_ids,
            found=found,
            url=failure.url,
            transaction=td,
        ) from failure

    def replace(
        self,
        ins: INS,
        previous_unique_id: str,
        new_document: DocumentInput,
        *,
        previous_entry: DocumentEntry | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> Op[SubmitResult]:
        """TD3.1b just before, then TD2.1 with an RPLC association to the current entryUUID (RG_3130)."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD2_2_FEED_CPE if ctx.acting.is_cpe else _RA.TD2_1_FEED, ctx)
        doc = _as_document(new_document, 0)
        if previous_entry is not None and self.guards.confidentiality:
            check_confidentiality_change(previous_entry, doc.metadata().confidentiality_codes, self.parameters)
        ref = yield from self._reference(ctx, ins, previous_unique_id)
        entry_uuid = ref.entry_uuid
        if entry_uuid is None:
            raise RuleViolation(
                "the document to replace is unknown to the DMP (TD3.1b found nothing)",
                field="previous_unique_id",
                value=previous_unique_id,
                rule="RG_3130",
            )
        return (
            yield from self.submit(ins, [doc], submission_set=submission_set, replaces={0: entry_uuid}, context=context)
        )

    # ------------------------------------------------------------------------------- TD3.1 / TD3.1b

    def _reference(self, ctx: RequestContext, ins: INS, unique_id: str) -> Op[DocumentReference]:
        request = functools.partial(registry.find_document_reference, ctx, ins, unique_id)
        parse = functools.partial(registry.parse_find_document_reference_response, unique_id=unique_id)
        return (yield from self._exec(registry.TD3_1B, request, parse, ctx))

    def find_document_reference(
        self, ins: INS, unique_id: str, *, context: ActingContext | None = None
    ) -> Op[DocumentReference]:
        """TD3.1b."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD3_1B_SEARCH_REFERENCE, ctx)
        return (yield from self._reference(ctx, ins, unique_id))

    def _one_query(self, ctx: RequestContext, ins: INS, query: StoredQuery) -> Op[QueryResponse]:
        spec = registry.query_transaction(query)
        limits = DMP_LIMITS if self.guards.query_limits else None
        request = functools.partial(registry.build_registry_stored_query_request, ctx, ins, query, limits=limits)
        parse = functools.partial(registry.parse_registry_stored_query_response, transaction=spec.td)
        return (yield from self._exec(spec, request, parse, ctx))

    def _drive(self, recipe: Generator[StoredQuery, QueryResponse, T], ctx: RequestContext, ins: INS) -> Op[T]:
        """Drive an :mod:`dmpclient.xds.queries` recipe (yields queries, receives answers)."""
        try:
            query = next(recipe)
            while True:
                response = yield from self._one_query(ctx, ins, query)
                query = recipe.send(response)
        except StopIteration as stop:
            result: T = stop.value
            return result
        finally:
            recipe.close()

    def _search_guards(self, ctx: RequestContext, ins: INS, *, user_initiated: bool, what: str) -> None:
        self._right(_RA.TD3_1_SEARCH_METADATA, ctx)
        if self.guards.query_after_feed and not user_initiated:
            check_not_after_feed(self.journal, ins, self.clock(), self.guards, what=what)

    def query(
        self,
        ins: INS,
        stored_query: StoredQuery,
        *,
        user_initiated: bool = False,
        context: ActingContext | None = None,
    ) -> Op[QueryResponse]:
        """TD3.1 (any stored query; TD3.1b for GetDocuments ObjectRef by uniqueId), batched over the limits."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        if not isinstance(stored_query, StoredQuery):
            raise InputError(
                "a typed stored query of dmpclient.xds.queries is expected",
                field="stored_query",
                value=type(stored_query).__name__,
            )
        if registry.query_transaction(stored_query) is registry.TD3_1B:
            self._right(_RA.TD3_1B_SEARCH_REFERENCE, ctx)
        else:
            self._search_guards(ctx, ins, user_initiated=user_initiated, what=f"TD3.1 {stored_query.NAME}")
        if self.guards.query_limits and stored_query.exceeds_limits():
            return (yield from self._drive(all_batches(stored_query), ctx, ins))
        return (yield from self._one_query(ctx, ins, stored_query))

    def run_recipe(
        self,
        ins: INS,
        recipe: Generator[StoredQuery, QueryResponse, T],
        *,
        user_initiated: bool = False,
        context: ActingContext | None = None,
    ) -> Op[T]:
        """Drive a multi-step recipe of :mod:`dmpclient.xds.queries` (one group of TD3.1 for one user action)."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._search_guards(ctx, ins, user_initiated=user_initiated, what="TD3.1 recipe")
        return (yield from self._drive(recipe, ctx, ins))

    def find_documents(
        self,
        ins: INS,
        *,
        submitted_from: dt.datetime | str | None = None,
        submitted_to: dt.datetime | str | None = None,
        user_initiated: bool = False,
        context: ActingContext | None = None,
        **criteria: Any,
    ) -> Op[QueryResponse]:
        """FindDocuments (criteria = :class:`~dmpclient.xds.queries.FindDocuments` fields); with
        ``submitted_from``/``submitted_to`` the FindSubmissionSets → GetAssociations → GetDocuments recipe
        (batched under the DMP limits, merged)."""
        if submitted_from is not None or submitted_to is not None:
            status = criteria.pop("status", None)
            if criteria:
                raise InputError(
                    "with submitted_from/submitted_to only 'status' may be given",
                    field="criteria",
                    value=sorted(criteria),
                )
            statuses = [status] if isinstance(status, str) else status
            recipe = documents_submitted_between(ins, submitted_from, submitted_to, document_status=statuses)
            return (yield from self.run_recipe(ins, recipe, user_initiated=user_initiated, context=context))
        query = FindDocuments(patient_id=ins, **criteria)
        return (yield from self.query(ins, query, user_initiated=user_initiated, context=context))

    def get_documents(
        self,
        ins: INS,
        unique_ids: Sequence[str],
        *,
        user_initiated: bool = False,
        context: ActingContext | None = None,
    ) -> Op[QueryResponse]:
        """GetDocuments (LeafClass) by uniqueIds, batched by 20."""
        recipe = find_by_unique_ids(unique_ids, return_type=ReturnType.LEAF_CLASS)
        return (yield from self.run_recipe(ins, recipe, user_initiated=user_initiated, context=context))

    def get_document_entry(
        self,
        ins: INS,
        unique_id: str,
        *,
        user_initiated: bool = False,
        context: ActingContext | None = None,
    ) -> Op[DocumentEntry | None]:
        """The current DocumentEntry of a document (GetDocuments LeafClass by uniqueId); None when unknown."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._search_guards(ctx, ins, user_initiated=user_initiated, what="TD3.1 GetDocuments")
        return (yield from self._entry(ctx, ins, unique_id))

    def _entry(self, ctx: RequestContext, ins: INS, unique_id: str) -> Op[DocumentEntry | None]:
        response = yield from self._one_query(ctx, ins, GetDocuments(unique_ids=(unique_id,)))
        return _current(response.documents, unique_id)

    # ------------------------------------------------------------------------------------------ TD3.2

    def retrieve(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        to: str | os.PathLike[str] | None = None,
        context: ActingContext | None = None,
    ) -> Op[RetrievedDocument]:
        """TD3.2 by uniqueId; streamed to ``to`` when given; hash/size checked against a given entry."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        self._right(_RA.TD3_2_NOT_MASKED, ctx)
        entry = document if isinstance(document, DocumentEntry) else None
        unique_id = entry.unique_id if entry is not None else document
        if not isinstance(unique_id, str) or not unique_id:
            raise InputError("the document's uniqueId is needed", field="document", value=unique_id)
        request = functools.partial(repository.build_retrieve_document_set_request, ctx, ins, unique_id)

        def parse(message: SoapMessage) -> RetrieveResult:
            result = repository.parse_retrieve_document_set_response(message)
            try:
                doc = result.document(unique_id)
            except KeyError:
                raise ProtocolError(f"TD3.2: the answer does not hold document {unique_id}") from None
            if entry is not None and entry.hash and doc.sha1 != entry.hash.lower():
                raise ProtocolError(
                    f"TD3.2: document {unique_id} has SHA-1 {doc.sha1}, its metadata says {entry.hash} "
                    "(XDSNonIdenticalHash)"
                )
            if entry is not None and entry.size is not None and doc.size != entry.size:
                raise ProtocolError(f"TD3.2: document {unique_id} has {doc.size} bytes, its metadata says {entry.size}")
            return result

        def finish(result: RetrieveResult, message: SoapMessage) -> RetrieveResult:
            if to is not None:
                result.document(unique_id).move_to(to)
            return result

        result = yield from self._exec(repository.TD3_2, request, parse, ctx, finish=finish, keep_message=to is None)
        return result.document(unique_id)

    # ------------------------------------------------------------------------------------- TD3.3a/b

    def update_confidentiality(
        self,
        ins: INS,
        document: str | DocumentEntry,
        confidentiality: Sequence[Code | str],
        *,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> Op[RegistryResponse]:
        """TD3.3a / TD3.3b: a new metadata version whose only change is the confidentiality codes."""
        ctx = self.request_context(context)
        ins = self._patient(ins)
        entry = yield from self._target_entry(ctx, ins, document)
        new_codes = _confidentiality_codes(confidentiality)
        spec = registry.metadata_update_transaction(entry.confidentiality_codes, new_codes)
        self._right(self._update_right(entry.confidentiality_codes, new_codes), ctx)
        if self.guards.confidentiality:
            check_confidentiality_change(entry, new_codes, self.parameters, vaccination=self.guards.vaccination)
        request = registry.build_update_document_metadata_request(
            ctx,
            entry,
            new_codes,
            submission_set=self.submission_set_info(submission_set, ctx),
            patient=ins,
            params=self.parameters,
            validate=self.guards.metadata,
        )
        parse = functools.partial(registry.parse_update_document_metadata_response, transaction=spec.td)
        return (yield from self._exec(spec, request, parse, ctx))

    @staticmethod
    def _update_right(old: Sequence[Code], new: Sequence[Code]) -> rights.RightsAction:
        if registry.metadata_update_transaction(old, new) is registry.TD3_3B:
            return _RA.TD3_3B_MAKE_VISIBLE
        masked_before = any(c.code == "MASQUE_PS" for c in old)
        masked_after = any(c.code == "MASQUE_PS" for c in new)
        return _RA.TD3_3A_UNMASK if masked_before and not masked_after else _RA.TD3_3A_MASK

    def _target_entry(self, ctx: RequestContext, ins: INS, document: str | DocumentEntry) -> Op[DocumentEntry]:
        if isinstance(document, DocumentEntry):
            return document
        # The current version, fetched just before the update (a user action, not an automatic search).
        self._right(_RA.TD3_1_SEARCH_METADATA, ctx)
        entry = yield from self._entry(ctx, ins, document)
        if entry is None:
            raise RuleViolation(
                "the DMP knows no document with this uniqueId (or you may not see it)",
                field="unique_id",
                value=document,
                rule="RG_3130",
            )
        return entry

    def change_visibility(
        self,
        ins: INS,
        document: str | DocumentEntry,
        *,
        masked: bool | None = None,
        visible_to_patient: bool | None = None,
        visible_to_legal_representatives: bool | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> Op[RegistryResponse]:
        """TD3.3a / TD3.3b: the current codes changed by :func:`~dmpclient.transactions.registry.new_confidentiality`.

        ``masked=True/False`` adds/removes MASQUE_PS (TD3.3a); ``visible_to_patient=True`` /
        ``visible_to_legal_representatives=True`` removes INVISIBLE_PATIENT / INVISIBLE_REPRESENTANTS_LEGAUX
        (TD3.3b, irreversible). The public ``hide_from_professionals`` … ``make_visible_to_legal_representatives``
        of both clients are this operation with one flag set.
        """
        ctx = self.request_context(context)
        ins = self._patient(ins)
        entry = yield from self._target_entry(ctx, ins, document)
        codes = registry.new_confidentiality(
            entry.confidentiality_codes,
            masked=masked,
            visible_to_patient=visible_to_patient,
            visible_to_legal_representatives=visible_to_legal_representatives,
        )
        return (
            yield from self.update_confidentiality(ins, entry, codes, submission_set=submission_set, context=context)
        )

    # ------------------------------------------------------------------------------------- TD3.3c/d

    def update_status(
        self,
        ins: INS,
        unique_id: str,
        new_status: AvailabilityStatus | str,
        *,
        current_status: AvailabilityStatus | str | None = None,
        submission_set: SubmissionSetInfo | None = None,
        context: ActingContext | None = None,
    ) -> Op[RegistryResponse]:
        """TD3.3c/d: TD3.1b just before (RG_3130), then UpdateAvailabilityStatus on the current entryUUID.

        ``current_status`` defaults to Approved (Archived to unarchive); TD3.1b does not return the status,
        so deleting an archived document needs ``current_status=Archived``.
        """
        ctx = self.request_context(context)
        ins = self._patient(ins)
        new = AvailabilityStatus.parse(new_status, field="new_status")
        if current_status is not None:
            old = AvailabilityStatus.parse(current_status, field="current_status")
        else:
            old = _ARCHIVED if new is _APPROVED else _APPROVED
        action = {_DELETED: _RA.TD3_3C_DELETE, _ARCHIVED: _RA.TD3_3D_ARCHIVE}.get(new, _RA.TD3_3D_UNARCHIVE)
        self._right(action, ctx)
        self._right(_RA.TD3_1B_SEARCH_REFERENCE, ctx)
        ref = yield from self._reference(ctx, ins, unique_id)
        if ref.entry_uuid is None:
            raise RuleViolation(
                "the DMP knows no document with this uniqueId (TD3.1b found nothing)",
                field="unique_id",
                value=unique_id,
                rule="RG_3130",
            )
        request = registry.build_update_availability_status_request(
            ctx,
            ins,
            ref.entry_uuid,
            original_status=old,
            new_status=new,
            submission_set=self.submission_set_info(submission_set, ctx),
            params=self.parameters,
            validate=self.guards.metadata,
        )
        spec = registry.TD3_3C if new is _DELETED else registry.TD3_3D
        parse = functools.partial(registry.parse_update_availability_status_response, transaction=spec.td)
        return (yield from self._exec(spec, request, parse, ctx))

    def archive(self, ins: INS, unique_id: str, **kwargs: Any) -> Op[RegistryResponse]:
        """TD3.3d: Approved → Archived."""
        return (yield from self.update_status(ins, unique_id, _ARCHIVED, **kwargs))

    def unarchive(self, ins: INS, unique_id: str, **kwargs: Any) -> Op[RegistryResponse]:
        """TD3.3d: Archived → Approved."""
        return (yield from self.update_status(ins, unique_id, _APPROVED, **kwargs))

    def delete(self, ins: INS, unique_id: str, **kwargs: Any) -> Op[RegistryResponse]:
        """TD3.3c: → Deleted."""
        return (yield from self.update_status(ins, unique_id, _DELETED, **kwargs))

    # ------------------------------------------------------------------------------------------ TD0.5

    def search_patients(
        self, search: pdq.PatientSearch | None = None, *, context: ActingContext | None = None, **criteria: Any
    ) -> Op[pdq.PatientSearchResult]:
        """TD0.5 (régulation / centre 15 only)."""
        ctx = self.request_context(context)
        if search is None:
            try:
                search = pdq.PatientSearch(**criteria)
            except ValueError as exc:
                raise InputError(
                    str(exc).splitlines()[-1].strip(), field="criteria", value=sorted(criteria), rule="TD0.5"
                ) from None
        elif criteria:
            raise InputError("give a PatientSearch or criteria, not both", field="criteria", value=sorted(criteria))
        self._right(_RA.TD0_5_SEARCH_WITHOUT_INS, ctx)
        request = functools.partial(pdq.build_patient_search_request, ctx, search)
        return (yield from self._exec(pdq.TD0_5, request, pdq.parse_patient_search_response, ctx))

    # ------------------------------------------------------------------------------------------ TD0.9

    def webps_url(
        self, page: webps.WebPsPage | str, ins: INS | None = None, *, context: ActingContext | None = None
    ) -> str:
        """TD0.9 URL (no network I/O)."""
        acting = context or self.context
        if ins is not None:
            ins = self._patient(ins)
        return webps.webps_url(page, ins, environment=self.environment, acting=acting if self.guards.rights else None)
