"""DMP limits: splitting queries (batched) and merging their answers (merge_responses)."""

from __future__ import annotations

import pytest

from dmpclient.errors import InputError, RegistryErrorItem
from dmpclient.xds.model import (
    Association,
    AssociationType,
    DocumentEntry,
    ObjectRef,
    QueryResponse,
    ResponseStatus,
    ReturnType,
    SubmissionSet,
)
from dmpclient.xds.queries import (
    MAX_ENTRY_UUIDS,
    MAX_UNIQUE_IDS,
    MAX_UUIDS,
    FindDocuments,
    GetAssociations,
    GetDocuments,
    GetDocumentsAndAssociations,
    GetSubmissionSets,
    batched,
    chunks,
    merge_responses,
)


def _uuid(i: int) -> str:
    return f"urn:uuid:00000000-0000-0000-0000-{i:012d}"


def test_limits_are_the_dmp_values() -> None:
    assert (MAX_UNIQUE_IDS, MAX_ENTRY_UUIDS, MAX_UUIDS) == (20, 88, 1000)


def test_chunks_keep_order_and_refuse_zero() -> None:
    assert chunks([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    with pytest.raises(InputError):
        chunks([1], 0)


def test_unique_ids_are_split_by_20() -> None:
    query = GetDocuments(unique_ids=[f"1.2.{i}" for i in range(45)], return_type=ReturnType.OBJECT_REF)
    parts = batched(query)
    assert [len(p.unique_ids) for p in parts] == [20, 20, 5]
    assert all(p.return_type == ReturnType.OBJECT_REF for p in parts)
    assert [u for p in parts for u in p.unique_ids] == list(query.unique_ids)
    assert not any(p.exceeds_limits() for p in parts)


def test_entry_uuids_are_split_by_88_or_a_smaller_size() -> None:
    query = GetDocumentsAndAssociations(uuids=[_uuid(i) for i in range(200)])
    assert [len(p.uuids) for p in batched(query)] == [88, 88, 24]
    assert [len(p.uuids) for p in batched(query, size=20)] == [20] * 10
    # a size above the limit is capped by the limit
    assert [len(p.uuids) for p in batched(query, size=500)] == [88, 88, 24]


@pytest.mark.parametrize("cls", [GetAssociations, GetSubmissionSets])
def test_uuid_lists_are_split_by_1000(cls: type[GetAssociations]) -> None:
    parts = batched(cls(uuids=[_uuid(i) for i in range(2500)]))
    assert [len(p.uuids) for p in parts] == [1000, 1000, 500]


def test_queries_within_limits_or_without_id_lists_are_kept_whole() -> None:
    small = GetDocuments(unique_ids=["1.2.3"])
    assert batched(small) == [small]
    find = FindDocuments(patient_id="207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH")
    assert batched(find) == [find]
    assert batched(small, limits=None) == [small]


def _doc(uuid: str, uid: str) -> DocumentEntry:
    return DocumentEntry(entry_uuid=uuid, unique_id=uid)


def test_merge_dedupes_objects_sums_counts_and_keeps_errors() -> None:
    error = RegistryErrorItem(error_code="XDSRegistryError", code_context="trop de résultats")
    warning = RegistryErrorItem(
        error_code="XDSRegistryError",
        code_context="avertissement",
        severity="urn:oasis:names:tc:ebxml-regrep:ErrorSeverityType:Warning",
    )
    assoc = Association(id="a1", type=AssociationType.HAS_MEMBER, source=_uuid(9), target=_uuid(1))
    first = QueryResponse(
        status=ResponseStatus.SUCCESS,
        total_result_count=2,
        documents=(_doc(_uuid(1), "1.1"), _doc(_uuid(2), "1.2")),
        associations=(assoc,),
        object_refs=(ObjectRef(id=_uuid(1)),),
        errors=(warning,),
    )
    second = QueryResponse(
        status=ResponseStatus.SUCCESS,
        total_result_count=2,
        documents=(_doc(_uuid(2), "1.2"), _doc(_uuid(3), "1.3")),
        submission_sets=(SubmissionSet(entry_uuid=_uuid(9)),),
        associations=(assoc,),
        object_refs=(ObjectRef(id=_uuid(1)), ObjectRef(id=_uuid(4))),
        errors=(warning, error),
    )
    merged = merge_responses([first, second])
    assert [d.entry_uuid for d in merged.documents] == [_uuid(1), _uuid(2), _uuid(3)]
    assert [o.id for o in merged.object_refs] == [_uuid(1), _uuid(4)]
    assert len(merged.associations) == 1
    assert len(merged.submission_sets) == 1
    assert merged.total_result_count == 4
    assert merged.errors == (warning, error)
    assert merged.status == ResponseStatus.SUCCESS


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([ResponseStatus.SUCCESS, ResponseStatus.SUCCESS], ResponseStatus.SUCCESS),
        ([ResponseStatus.FAILURE, ResponseStatus.FAILURE], ResponseStatus.FAILURE),
        ([ResponseStatus.SUCCESS, ResponseStatus.FAILURE], ResponseStatus.PARTIAL_SUCCESS),
        ([ResponseStatus.PARTIAL_SUCCESS], ResponseStatus.PARTIAL_SUCCESS),
    ],
)
def test_merged_status(statuses: list[ResponseStatus], expected: ResponseStatus) -> None:
    assert merge_responses([QueryResponse(status=s) for s in statuses]).status == expected


def test_merge_without_counts_or_parts() -> None:
    assert merge_responses([QueryResponse(status=ResponseStatus.SUCCESS)]).total_result_count is None
    empty = merge_responses([])
    assert (empty.status, empty.total_result_count) == (ResponseStatus.SUCCESS, 0)


def test_documents_without_entry_uuid_are_deduped_by_unique_id_and_version() -> None:
    a = DocumentEntry(unique_id="1.2", version="1")
    b = DocumentEntry(unique_id="1.2", version="2")
    merged = merge_responses([QueryResponse(status="x", documents=(a, a, b))])
    assert merged.documents == (a, b)
