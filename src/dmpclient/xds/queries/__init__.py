"""ITI-18 stored queries as the DMP uses them: typed builders, DMP limits and batching, sans-IO recipes.

* builders — :class:`FindDocuments`, :class:`GetDocuments` (``ObjectRef`` by uniqueId = TD3.1b, see
  :func:`td3_1b`), :class:`FindDocumentsByReferenceId`, :class:`FindSubmissionSets`,
  :class:`GetSubmissionSetAndContents`, :class:`GetSubmissionSets`, :class:`GetAssociations`,
  :class:`GetDocumentsAndAssociations`, :class:`GetRelatedDocuments`; each checks its parameters when built
  and gives :meth:`StoredQuery.to_adhoc_query` (the :class:`~dmpclient.xds.model.AdhocQueryRequest` that
  the ebRIM codec writes); :func:`parse_stored_query` decodes a received query (sandbox side);
* limits — :data:`MAX_UNIQUE_IDS` (20), :data:`MAX_ENTRY_UUIDS` (88), :data:`MAX_UUIDS` (1000),
  :func:`batched` and :func:`merge_responses`;
* recipes — generators that yield queries and receive answers (:func:`current_version`,
  :func:`documents_submitted_between`, :func:`find_by_unique_ids`, :func:`all_batches`), driven by
  :func:`run_sync` / :func:`run_async`;
* answers — :func:`parse_query_response` reads an ``AdhocQueryResponse`` into a
  :class:`~dmpclient.xds.model.QueryResponse`.

Reference: ``transactions.md`` §5, ``xds-metadata.md`` §2.2 and §8. Documentation: ``docs/xds/queries.md``.
"""

from __future__ import annotations

from dmpclient.xds.model import ReturnType
from dmpclient.xds.queries._batching import batched, chunks, merge_responses
from dmpclient.xds.queries._builders import (
    DMP_LIMITS,
    MAX_ENTRY_UUIDS,
    MAX_UNIQUE_IDS,
    MAX_UUIDS,
    QUERY_CLASSES,
    FindDocuments,
    FindDocumentsByReferenceId,
    FindSubmissionSets,
    GetAssociations,
    GetDocuments,
    GetDocumentsAndAssociations,
    GetRelatedDocuments,
    GetSubmissionSetAndContents,
    GetSubmissionSets,
    QueryLimitExceeded,
    StoredQuery,
    StoredQueryId,
    parameter_table,
    parse_stored_query,
    td3_1b,
)
from dmpclient.xds.queries._params import (
    ASSOCIATION_TYPES,
    STATUS_URNS,
    CodeLike,
    MissingQueryParameter,
    QueryParameterError,
    decode_code,
    decode_list,
    decode_string,
    decode_time,
    encode_code,
    encode_list,
    encode_string,
    encode_time,
)
from dmpclient.xds.queries._recipes import (
    DEFAULT_ENTRY_UUID_BATCH,
    QueryRecipeError,
    Recipe,
    all_batches,
    current_version,
    documents_submitted_between,
    find_by_unique_ids,
    run_async,
    run_sync,
)
from dmpclient.xds.queries._responses import parse_query_response

__all__ = [
    "ASSOCIATION_TYPES",
    "DEFAULT_ENTRY_UUID_BATCH",
    "DMP_LIMITS",
    "MAX_ENTRY_UUIDS",
    "MAX_UNIQUE_IDS",
    "MAX_UUIDS",
    "QUERY_CLASSES",
    "STATUS_URNS",
    "CodeLike",
    "FindDocuments",
    "FindDocumentsByReferenceId",
    "FindSubmissionSets",
    "GetAssociations",
    "GetDocuments",
    "GetDocumentsAndAssociations",
    "GetRelatedDocuments",
    "GetSubmissionSetAndContents",
    "GetSubmissionSets",
    "MissingQueryParameter",
    "QueryLimitExceeded",
    "QueryParameterError",
    "QueryRecipeError",
    "Recipe",
    "ReturnType",
    "StoredQuery",
    "StoredQueryId",
    "all_batches",
    "batched",
    "chunks",
    "current_version",
    "decode_code",
    "decode_list",
    "decode_string",
    "decode_time",
    "documents_submitted_between",
    "encode_code",
    "encode_list",
    "encode_string",
    "encode_time",
    "find_by_unique_ids",
    "merge_responses",
    "parameter_table",
    "parse_query_response",
    "parse_stored_query",
    "run_async",
    "run_sync",
    "td3_1b",
]
