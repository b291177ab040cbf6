"""Splitting queries over the DMP value-count limits, and merging the answers (``transactions.md`` §5).

The DMP refuses (``XDSRegistryError``) a query with more than 20 ``$XDSDocumentEntryUniqueId``, 88
``$XDSDocumentEntryEntryUUID`` or 1000 ``$uuid`` values. :func:`batched` cuts such a query into several
queries within the limits; :func:`merge_responses` merges their answers into one
:class:`~dmpclient.xds.model.QueryResponse` (objects deduplicated by id, counts summed, errors kept).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from dmpclient.errors import InputError, RegistryErrorItem
from dmpclient.xds.model import (
    Association,
    DocumentEntry,
    ObjectRef,
    QueryResponse,
    ResponseStatus,
    SubmissionSet,
)
from dmpclient.xds.queries._builders import DMP_LIMITS, StoredQuery, _Kind

__all__ = ["batched", "chunks", "merge_responses"]

T = TypeVar("T")
Q = TypeVar("Q", bound=StoredQuery)

_SPLITTABLE = (_Kind.UUID_LIST, _Kind.UNIQUE_ID_LIST)


def chunks(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` cut into lists of at most ``size`` (order kept)."""
    if size < 1:
        raise InputError("a batch size is at least 1", field="size", value=size, rule="batching")
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def batched(query: Q, *, size: int | None = None, limits: Mapping[str, int] | None = DMP_LIMITS) -> list[Q]:
    """Split ``query`` on its id-list parameter so that each part respects ``limits`` (and ``size``).

    Only the id lists can be split (``$XDSDocumentEntryUniqueId``, ``$XDSDocumentEntryEntryUUID``,
    ``$uuid``); a query within the limits is returned alone. ``size`` asks for smaller batches than the
    limit (e.g. 20 entryUUIDs, as PDSm4DMP does). Other list parameters over a limit raise
    :class:`~dmpclient.xds.queries.QueryLimitExceeded` when the parts are sent.
    """
    for p in query.PARAMS:
        if p.kind not in _SPLITTABLE:
            continue
        values: tuple[str, ...] = getattr(query, p.attr)
        if not values:
            continue
        limit = (limits or {}).get(p.slot)
        cap = min(x for x in (limit, size) if x is not None) if (limit or size) else None
        if cap is None or len(values) <= cap:
            return [query]
        changes: dict[str, Any] = {}
        out: list[Q] = []
        for part in chunks(values, cap):
            changes[p.attr] = tuple(part)
            out.append(replace(query, **changes))
        return out
    return [query]


def _dedupe(items: Iterable[T], key: Callable[[T], Hashable]) -> tuple[T, ...]:
    seen: set[Hashable] = set()
    out: list[T] = []
    for item in items:
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        out.append(item)
    return tuple(out)


def _doc_key(d: DocumentEntry) -> Hashable:
    return ("id", d.entry_uuid) if d.entry_uuid else ("uid", d.unique_id, d.version)


def _ss_key(s: SubmissionSet) -> Hashable:
    return ("id", s.entry_uuid) if s.entry_uuid else ("uid", s.unique_id)


def _assoc_key(a: Association) -> Hashable:
    return ("id", a.id) if a.id else ("edge", str(a.type), a.source, a.target)


def _ref_key(r: ObjectRef) -> Hashable:
    return r.id


def _error_key(e: RegistryErrorItem) -> Hashable:
    return (e.error_code, e.code_context, e.location, e.severity, e.value)


def merge_responses(responses: Iterable[QueryResponse]) -> QueryResponse:
    """One :class:`QueryResponse` from several (the parts of a batched query or of a recipe).

    * objects are deduplicated by entryUUID / id (first occurrence kept, order kept);
    * ``total_result_count`` is the sum of the counts the registry reported (``None`` when none did);
    * errors are all kept (identical ones once);
    * status: Success when every part succeeded, Failure when every part failed, else PartialSuccess.
    """
    parts = list(responses)
    if not parts:
        return QueryResponse(status=ResponseStatus.SUCCESS, total_result_count=0)
    statuses = {str(r.status) for r in parts}
    if statuses == {ResponseStatus.SUCCESS.value}:
        status: ResponseStatus | str = ResponseStatus.SUCCESS
    elif statuses == {ResponseStatus.FAILURE.value}:
        status = ResponseStatus.FAILURE
    else:
        status = ResponseStatus.PARTIAL_SUCCESS
    counts = [r.total_result_count for r in parts if r.total_result_count is not None]
    return QueryResponse(
        status=status,
        total_result_count=sum(counts) if counts else None,
        start_index=parts[0].start_index,
        documents=_dedupe((d for r in parts for d in r.documents), _doc_key),
        submission_sets=_dedupe((s for r in parts for s in r.submission_sets), _ss_key),
        associations=_dedupe((a for r in parts for a in r.associations), _assoc_key),
        object_refs=_dedupe((o for r in parts for o in r.object_refs), _ref_key),
        errors=_dedupe((e for r in parts for e in r.errors), _error_key),
    )
