"""Sans-IO recipes driven by a fake registry: current version, documents by submission date, batched lookups."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from dmpclient.errors import RegistryError, RegistryErrorItem
from dmpclient.xds.model import (
    Association,
    AssociationType,
    AvailabilityStatus,
    DocumentEntry,
    ObjectRef,
    QueryResponse,
    ResponseStatus,
    ReturnType,
    SubmissionSet,
)
from dmpclient.xds.queries import (
    FindSubmissionSets,
    GetAssociations,
    GetDocuments,
    GetRelatedDocuments,
    QueryRecipeError,
    StoredQuery,
    all_batches,
    current_version,
    documents_submitted_between,
    find_by_unique_ids,
    run_async,
    run_sync,
)

PATIENT = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
A = AvailabilityStatus


def _uuid(i: int) -> str:
    return f"urn:uuid:00000000-0000-0000-0000-{i:012d}"


@dataclass
class FakeRegistry:
    """A tiny in-memory registry answering the stored queries the recipes use."""

    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    lots: dict[str, SubmissionSet] = field(default_factory=dict)
    associations: list[Association] = field(default_factory=list)
    calls: list[StoredQuery] = field(default_factory=list)
    related_supported: bool = True
    fail_on: type[StoredQuery] | None = None

    def doc(self, n: int, status: AvailabilityStatus = A.APPROVED, uid: str | None = None) -> DocumentEntry:
        entry = DocumentEntry(
            entry_uuid=_uuid(n), logical_id=_uuid(n), unique_id=uid or f"1.2.3.{n}", availability_status=status
        )
        self.documents[entry.entry_uuid or ""] = entry
        return entry

    def link(self, kind: AssociationType, source: int, target: int) -> None:
        self.associations.append(
            Association(
                id=_uuid(10_000 + len(self.associations)), type=kind, source=_uuid(source), target=_uuid(target)
            )
        )

    def lot(self, n: int, when: datetime, members: list[int]) -> None:
        self.lots[_uuid(n)] = SubmissionSet(entry_uuid=_uuid(n), submission_time=when, patient_id=PATIENT)
        for m in members:
            self.link(AssociationType.HAS_MEMBER, n, m)

    def execute(self, query: StoredQuery) -> QueryResponse:
        self.calls.append(query)
        if query.exceeds_limits() or (self.fail_on is not None and isinstance(query, self.fail_on)):
            error = RegistryErrorItem(error_code="XDSRegistryError", code_context="refused")
            return QueryResponse(status=ResponseStatus.FAILURE, errors=(error,))
        docs: list[DocumentEntry] = []
        lots: list[SubmissionSet] = []
        assocs: list[Association] = []
        if isinstance(query, GetDocuments):
            if query.uuids:
                docs = [self.documents[u] for u in query.uuids if u in self.documents]
            else:
                docs = [d for d in self.documents.values() if d.unique_id in query.unique_ids]
        elif isinstance(query, GetRelatedDocuments):
            if self.related_supported:
                assert query.uuid is not None
                kinds = set(query.association_types)
                assocs = [a for a in self.associations if str(a.type) in kinds and query.uuid in (a.source, a.target)]
                ends = {a.source for a in assocs} | {a.target for a in assocs}
                docs = [self.documents[e] for e in ends if e in self.documents]
        elif isinstance(query, GetAssociations):
            assocs = [a for a in self.associations if a.source in query.uuids or a.target in query.uuids]
        elif isinstance(query, FindSubmissionSets):
            lo = str(query.submission_time_from or "")
            hi = str(query.submission_time_to or "99999999999999")
            for ss in self.lots.values():
                assert ss.submission_time is not None
                stamp = ss.submission_time.strftime("%Y%m%d%H%M%S")
                if lo <= stamp[: len(lo)] and stamp[: len(hi)] < hi:
                    lots.append(ss)
        else:  # pragma: no cover - not used by the recipes
            raise AssertionError(query)
        if query.return_type == ReturnType.OBJECT_REF:
            refs = [ObjectRef(id=o.entry_uuid or "") for o in (*docs, *lots)]
            return QueryResponse(status=ResponseStatus.SUCCESS, total_result_count=len(refs), object_refs=tuple(refs))
        return QueryResponse(
            status=ResponseStatus.SUCCESS,
            total_result_count=len(docs) + len(lots),
            documents=tuple(docs),
            submission_sets=tuple(lots),
            associations=tuple(assocs),
        )


# -------------------------------------------------------------------------------- current_version


def test_current_version_of_an_approved_document_is_one_call() -> None:
    reg = FakeRegistry()
    reg.doc(1, uid="1.2.250.1.999.3.1")
    found = run_sync(current_version("1.2.250.1.999.3.1"), reg.execute)
    assert found is not None
    assert found.entry_uuid == _uuid(1)
    assert len(reg.calls) == 1
    assert isinstance(reg.calls[0], GetDocuments)
    assert reg.calls[0].unique_ids == ("1.2.250.1.999.3.1",)


def test_current_version_follows_the_rplc_chain() -> None:
    reg = FakeRegistry()
    reg.doc(1, A.DEPRECATED, uid="1.1")
    reg.doc(2, A.DEPRECATED, uid="1.2")
    reg.doc(3, A.ARCHIVED, uid="1.3")
    reg.link(AssociationType.RPLC, 2, 1)
    reg.link(AssociationType.RPLC, 3, 2)
    found = run_sync(current_version("1.1"), reg.execute)
    assert found is not None
    assert found.unique_id == "1.3"
    assert [type(c).__name__ for c in reg.calls] == ["GetDocuments", "GetRelatedDocuments", "GetRelatedDocuments"]


def test_current_version_falls_back_on_get_associations() -> None:
    reg = FakeRegistry(related_supported=False)
    reg.doc(1, A.DEPRECATED, uid="1.1")
    reg.doc(2, A.APPROVED, uid="1.2")
    reg.link(AssociationType.RPLC, 2, 1)
    found = run_sync(current_version("1.1"), reg.execute)
    assert found is not None
    assert found.unique_id == "1.2"
    names = [type(c).__name__ for c in reg.calls]
    assert names == ["GetDocuments", "GetRelatedDocuments", "GetAssociations", "GetDocuments"]


def test_current_version_of_an_unknown_document_is_none() -> None:
    reg = FakeRegistry()
    assert run_sync(current_version("9.9.9"), reg.execute) is None


def test_broken_or_looping_chains_raise() -> None:
    reg = FakeRegistry()
    reg.doc(1, A.DEPRECATED, uid="1.1")
    with pytest.raises(QueryRecipeError):
        run_sync(current_version("1.1"), reg.execute)
    loop = FakeRegistry()
    loop.doc(1, A.DEPRECATED, uid="1.1")
    loop.doc(2, A.DEPRECATED, uid="1.2")
    loop.link(AssociationType.RPLC, 2, 1)
    loop.link(AssociationType.RPLC, 1, 2)
    with pytest.raises(QueryRecipeError):
        run_sync(current_version("1.1"), loop.execute)


def test_a_failure_answer_raises_a_registry_error() -> None:
    reg = FakeRegistry(fail_on=GetDocuments)
    with pytest.raises(RegistryError) as err:
        run_sync(current_version("1.1"), reg.execute)
    assert err.value.code == "XDSRegistryError"
    assert "GetDocuments" in (err.value.transaction or "")


# -------------------------------------------------------------------- documents_submitted_between


def _calendar() -> FakeRegistry:
    reg = FakeRegistry()
    for n in range(1, 51):
        reg.doc(n)
    reg.doc(99)
    inside = datetime(2025, 5, 26, 10, tzinfo=UTC)
    reg.lot(1001, inside, list(range(1, 21)))
    reg.lot(1002, inside.replace(hour=15), list(range(21, 41)))
    reg.lot(1003, datetime(2025, 5, 27, 9, tzinfo=UTC), list(range(41, 51)))
    reg.lot(1004, datetime(2024, 1, 1, tzinfo=UTC), [99])
    reg.link(AssociationType.RPLC, 2, 1)  # not a HasMember: ignored
    return reg


def test_documents_submitted_between_uses_lots_then_associations_then_documents() -> None:
    reg = _calendar()
    start, end = datetime(2025, 5, 26, tzinfo=UTC), datetime(2025, 5, 28, tzinfo=UTC)
    result = run_sync(documents_submitted_between(PATIENT, start, end), reg.execute)
    assert sorted(int(d.entry_uuid[-12:]) for d in result.documents if d.entry_uuid) == list(range(1, 51))
    assert result.total_result_count == 50
    find = reg.calls[0]
    assert isinstance(find, FindSubmissionSets)
    assert find.return_type == ReturnType.OBJECT_REF
    assert dict(find.slots())["$XDSSubmissionSetSubmissionTimeFrom"] == ["20250526000000"]
    kinds = [type(c).__name__ for c in reg.calls]
    assert kinds == ["FindSubmissionSets", "GetAssociations", "GetDocuments", "GetDocuments", "GetDocuments"]
    assert all(len(c.uuids) <= 20 for c in reg.calls if isinstance(c, GetDocuments))


def test_documents_submitted_between_batches_lots_and_filters_statuses() -> None:
    reg = _calendar()
    reg.documents[_uuid(5)] = reg.documents[_uuid(5)].replace_fields(availability_status=A.ARCHIVED)
    recipe = documents_submitted_between(
        PATIENT, "20250526", "20250528", uuid_batch=2, entry_uuid_batch=88, document_status=["archived"]
    )
    result = run_sync(recipe, reg.execute)
    assert [d.entry_uuid for d in result.documents] == [_uuid(5)]
    kinds = [type(c).__name__ for c in reg.calls]
    assert kinds == ["FindSubmissionSets", "GetAssociations", "GetAssociations", "GetDocuments"]


def test_no_lot_means_one_call_and_an_empty_answer() -> None:
    reg = _calendar()
    result = run_sync(documents_submitted_between(PATIENT, "2030", "2031"), reg.execute)
    assert result.documents == ()
    assert result.total_result_count == 0
    assert len(reg.calls) == 1


# ------------------------------------------------------------------------------------ batches


def test_find_by_unique_ids_batches_by_20_and_merges() -> None:
    reg = FakeRegistry()
    for n in range(45):
        reg.doc(n)
    result = run_sync(find_by_unique_ids([f"1.2.3.{n}" for n in range(45)]), reg.execute)
    assert len(result.documents) == 45
    assert [len(c.unique_ids) for c in reg.calls if isinstance(c, GetDocuments)] == [20, 20, 5]


def test_find_by_unique_ids_in_object_ref_mode_is_td31b() -> None:
    reg = FakeRegistry()
    reg.doc(1)
    result = run_sync(find_by_unique_ids(["1.2.3.1"], return_type=ReturnType.OBJECT_REF), reg.execute)
    assert [r.id for r in result.object_refs] == [_uuid(1)]
    assert reg.calls[0].return_type == ReturnType.OBJECT_REF


def test_find_by_no_unique_id_sends_nothing() -> None:
    reg = FakeRegistry()
    assert run_sync(find_by_unique_ids([]), reg.execute).total_result_count == 0
    assert reg.calls == []


def test_all_batches_never_sends_over_the_limit() -> None:
    reg = FakeRegistry()
    query = GetAssociations(uuids=[_uuid(i) for i in range(2100)])
    run_sync(all_batches(query), reg.execute)
    assert [len(c.uuids) for c in reg.calls if isinstance(c, GetAssociations)] == [1000, 1000, 100]


def test_run_async_drives_the_same_recipe() -> None:
    reg = FakeRegistry()
    reg.doc(1, A.DEPRECATED, uid="1.1")
    reg.doc(2, A.APPROVED, uid="1.2")
    reg.link(AssociationType.RPLC, 2, 1)

    async def execute(query: StoredQuery) -> QueryResponse:
        await asyncio.sleep(0)
        return reg.execute(query)

    found = asyncio.run(run_async(current_version("1.1"), execute))
    assert found is not None
    assert found.unique_id == "1.2"


def test_an_exception_of_the_transport_propagates_and_closes_the_recipe() -> None:
    recipe = find_by_unique_ids(["1.2"])

    def broken(query: StoredQuery) -> QueryResponse:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError):
        run_sync(recipe, broken)
    assert recipe.gi_frame is None  # closed
