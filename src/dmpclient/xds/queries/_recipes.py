"""Multi-step query recipes, sans-IO (``transactions.md`` §5).

A recipe is a generator: it **yields** a :class:`~dmpclient.xds.queries.StoredQuery`, receives the
:class:`~dmpclient.xds.model.QueryResponse` through ``send()``, and finally **returns** its result. It never
touches the network, so the same recipe is driven by the sync client, the async client, the sandbox or a
test with a fake ``execute``::

    result = run_sync(current_version("1.2.250.1.999.1.1.7898.3.1622814651504"), client.stored_query)
    result = await run_async(documents_submitted_between(ins, start, end), async_client.stored_query)

Every TD3.1 notifies the patient: a recipe is *one group of calls* for one user action, never something to
run automatically (EX_3.1-2030).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from datetime import datetime
from typing import Final, TypeAlias, TypeVar

from dmpclient.errors import ProtocolError, RegistryError
from dmpclient.ids import INS
from dmpclient.xds.model import (
    AssociationType,
    AvailabilityStatus,
    DocumentEntry,
    QueryResponse,
    ResponseStatus,
    ReturnType,
)
from dmpclient.xds.queries._batching import batched, chunks, merge_responses
from dmpclient.xds.queries._builders import (
    MAX_UNIQUE_IDS,
    MAX_UUIDS,
    FindSubmissionSets,
    GetAssociations,
    GetDocuments,
    GetRelatedDocuments,
    StoredQuery,
)
from dmpclient.xds.queries._params import normalize_status

__all__ = [
    "DEFAULT_ENTRY_UUID_BATCH",
    "QueryRecipeError",
    "Recipe",
    "all_batches",
    "current_version",
    "documents_submitted_between",
    "find_by_unique_ids",
    "run_async",
    "run_sync",
]

T = TypeVar("T")

#: A recipe: yields queries, receives responses, returns a ``T``.
Recipe: TypeAlias = Generator[StoredQuery, QueryResponse, T]

#: entryUUIDs per GetDocuments in the recipes. The DMP accepts 88, but the CNDA test book speaks of
#: "20 documents par TD3.1" and PDSm4DMP batches by 20: 20 is the safe default [I] (configurable).
DEFAULT_ENTRY_UUID_BATCH: Final = 20

_TERMINAL: Final = frozenset(
    {AvailabilityStatus.APPROVED.value, AvailabilityStatus.ARCHIVED.value, AvailabilityStatus.DELETED.value}
)
_REPLACEMENTS: Final = frozenset({AssociationType.RPLC.value, AssociationType.XFRM_RPLC.value})


class QueryRecipeError(ProtocolError):
    """The registry's answers do not allow the recipe to finish (broken replacement chain, loop …)."""


# ------------------------------------------------------------------------------------------- drivers


def run_sync(recipe: Generator[StoredQuery, QueryResponse, T], execute: Callable[[StoredQuery], QueryResponse]) -> T:
    """Drive ``recipe`` with a synchronous ``execute(query) -> QueryResponse``; return its result."""
    try:
        query = next(recipe)
        while True:
            response = execute(query)
            query = recipe.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        recipe.close()


async def run_async(
    recipe: Generator[StoredQuery, QueryResponse, T],
    execute: Callable[[StoredQuery], Awaitable[QueryResponse]],
) -> T:
    """Drive ``recipe`` with an asynchronous ``execute``; return its result."""
    try:
        query = next(recipe)
        while True:
            response = await execute(query)
            query = recipe.send(response)
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        recipe.close()


def _checked(response: QueryResponse, query: StoredQuery) -> QueryResponse:
    """Raise :class:`RegistryError` on a Failure answer (PartialSuccess is kept, errors included)."""
    if str(response.status) == ResponseStatus.FAILURE.value:
        raise RegistryError(list(response.errors), status=str(response.status), transaction=f"TD3.1 {query.NAME}")
    return response


def _ask(query: StoredQuery) -> Generator[StoredQuery, QueryResponse, QueryResponse]:
    response = yield query
    return _checked(response, query)


# ------------------------------------------------------------------------------------------- recipes


def all_batches(query: StoredQuery, *, size: int | None = None) -> Recipe[QueryResponse]:
    """Send ``query`` split by :func:`batched` (DMP limits, or ``size``) and return the merged answer."""
    responses = []
    for part in batched(query, size=size):
        responses.append((yield from _ask(part)))
    return merge_responses(responses)


def find_by_unique_ids(
    unique_ids: Iterable[str],
    *,
    return_type: ReturnType | str = ReturnType.LEAF_CLASS,
    batch_size: int = MAX_UNIQUE_IDS,
) -> Recipe[QueryResponse]:
    """GetDocuments by uniqueId, in batches of at most 20 (``ObjectRef`` = TD3.1b for many documents)."""
    ids = tuple(dict.fromkeys(unique_ids))
    if not ids:
        return QueryResponse(status=ResponseStatus.SUCCESS, total_result_count=0)
    query = GetDocuments(unique_ids=ids, return_type=ReturnType(return_type))
    return (yield from all_batches(query, size=batch_size))


def _pick(documents: Sequence[DocumentEntry]) -> DocumentEntry | None:
    """The most relevant entry when several come back: a non-deprecated one, else the highest version."""
    if not documents:
        return None

    def rank(d: DocumentEntry) -> tuple[int, int]:
        current = 1 if str(d.availability_status) in _TERMINAL else 0
        version = int(d.version) if d.version and d.version.isdigit() else 0
        return (current, version)

    return max(documents, key=rank)


def current_version(unique_id: str, *, max_hops: int = 50) -> Recipe[DocumentEntry | None]:
    """Resolve the current version of the document whose uniqueId is given.

    GetDocuments by uniqueId; while the entry is Deprecated, follow the RPLC association whose target is it
    (GetRelatedDocuments, falling back to GetAssociations + GetDocuments) until an Approved, Archived or
    Deleted entry. Returns ``None`` when the uniqueId is unknown; raises :class:`QueryRecipeError` when the
    chain is broken or loops.
    """
    response = yield from _ask(GetDocuments(unique_ids=(unique_id,)))
    entry = _pick([d for d in response.documents if d.unique_id in (None, unique_id)])
    if entry is None:
        return None
    seen: set[str] = set()
    for _ in range(max_hops):
        if str(entry.availability_status) != AvailabilityStatus.DEPRECATED.value:
            return entry
        current_id = entry.entry_uuid
        if not current_id or current_id in seen:
            raise QueryRecipeError(f"replacement chain loops or lacks an entryUUID at {current_id!r}")
        seen.add(current_id)
        related = yield from _ask(GetRelatedDocuments(uuid=current_id))
        newer_id = _replacement_of(current_id, related)
        if newer_id is None:
            assocs = yield from _ask(GetAssociations(uuids=(current_id,)))
            newer_id = _replacement_of(current_id, assocs)
            related = merge_responses([related, assocs])
        if newer_id is None:
            raise QueryRecipeError(f"deprecated entry {current_id} has no RPLC association pointing at it")
        found = [d for d in related.documents if d.entry_uuid == newer_id]
        if not found:
            got = yield from _ask(GetDocuments(uuids=(newer_id,)))
            found = [d for d in got.documents if d.entry_uuid == newer_id]
        if not found:
            raise QueryRecipeError(f"the replacement {newer_id} of {current_id} is not returned by the registry")
        entry = found[0]
    raise QueryRecipeError(f"replacement chain longer than {max_hops} versions")


def _replacement_of(entry_uuid: str, response: QueryResponse) -> str | None:
    for a in response.associations:
        if str(a.type) in _REPLACEMENTS and a.target == entry_uuid and a.source != entry_uuid:
            return a.source
    return None


def documents_submitted_between(
    patient_id: str | INS,
    start: datetime | str | None,
    end: datetime | str | None,
    *,
    submission_set_status: Sequence[str] = (AvailabilityStatus.APPROVED.value,),
    document_status: Sequence[str] | None = None,
    uuid_batch: int = MAX_UUIDS,
    entry_uuid_batch: int = DEFAULT_ENTRY_UUID_BATCH,
) -> Recipe[QueryResponse]:
    """Documents whose lot was submitted in ``[start, end)`` — there is no stored query by submission time.

    FindSubmissionSets (ObjectRef, submissionTime bounds) → GetAssociations on the lots, in batches of at
    most 1000, keeping the ``HasMember`` targets → GetDocuments by entryUUID (LeafClass) in batches of
    ``entry_uuid_batch`` (≤ 88). Returns the merged answer of the GetDocuments calls plus the errors of the
    earlier steps; ``document_status`` (URNs) filters the entries when given.
    """
    find = FindSubmissionSets(
        patient_id=patient_id,
        submission_time_from=start,
        submission_time_to=end,
        status=tuple(submission_set_status),
        return_type=ReturnType.OBJECT_REF,
    )
    lots_answer = yield from _ask(find)
    lots = list(
        dict.fromkeys(
            [r.id for r in lots_answer.object_refs] + [s.entry_uuid or "" for s in lots_answer.submission_sets]
        )
    )
    lots = [x for x in lots if x]
    earlier = [lots_answer]
    if not lots:
        return merge_responses(
            [QueryResponse(status=lots_answer.status, errors=lots_answer.errors, total_result_count=0)]
        )
    lot_set = set(lots)
    targets: list[str] = []
    for part in chunks(lots, min(uuid_batch, MAX_UUIDS)):
        answer = yield from _ask(GetAssociations(uuids=tuple(part)))
        earlier.append(answer)
        targets.extend(
            a.target
            for a in answer.associations
            if str(a.type) == AssociationType.HAS_MEMBER.value and a.source in lot_set
        )
    targets = [t for t in dict.fromkeys(targets) if t.startswith("urn:uuid:") and t not in lot_set]
    documents: list[QueryResponse] = []
    for part in chunks(targets, entry_uuid_batch):
        documents.append((yield from _ask(GetDocuments(uuids=tuple(part)))))
    merged = merge_responses(documents)
    errors = merged.errors + tuple(e for r in earlier for e in r.errors if e not in merged.errors)
    docs = merged.documents
    if document_status is not None:
        wanted = {normalize_status(s, param="document_status") for s in document_status}
        docs = tuple(d for d in docs if str(d.availability_status) in wanted)
    return merged.model_copy(update={"documents": docs, "errors": errors, "total_result_count": len(docs)})
