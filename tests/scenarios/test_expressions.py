"""Paths, variables and assertion operators."""

from __future__ import annotations

import pytest

from dmpclient.scenarios import ResultView, check_assertions, resolve_path, substitute
from dmpclient.scenarios.expressions import PathError, VariableError
from dmpclient.transactions.patients import AuthorizationStatus, ExistenceResult
from dmpclient.xds.model import DocumentEntry, QueryResponse

APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
ARCHIVED = "urn:asip:ci-sis:2010:StatusType:Archived"


def _response() -> QueryResponse:
    return QueryResponse(
        status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success",
        documents=(
            DocumentEntry(unique_id="1.2.3", title="A", availability_status=APPROVED),
            DocumentEntry(unique_id="1.2.4", title="B", availability_status=ARCHIVED),
        ),
    )


def test_paths() -> None:
    r = _response()
    assert resolve_path(r, "count") == 2
    assert resolve_path(r, "documents[1].title") == "B"
    assert resolve_path(r, "documents[*].status") == ["approved", "archived"]
    assert resolve_path({"a": [{"b": 1}, {"b": 2}]}, "a[*].b") == [1, 2]
    view = ResultView(r, {"extra": {"x": 1}})
    assert resolve_path(view, "extra.x") == 1
    assert resolve_path(view, "documents[0].unique_id") == "1.2.3"
    with pytest.raises(PathError, match="out of range"):
        resolve_path(r, "documents[5]")
    with pytest.raises(PathError, match="no field 'titel'"):
        resolve_path(r, "documents[0].titel")
    with pytest.raises(PathError, match="malformed"):
        resolve_path(r, "documents..x")


def test_substitution() -> None:
    scope = {"doc": ResultView({"ids": ["1.2", "1.3"]}, {"unique_id": "1.2"}), "n": 3}
    assert substitute("${doc.unique_id}", scope) == "1.2"
    assert substitute("${doc.ids}", scope) == ["1.2", "1.3"]  # a whole reference keeps the type
    assert substitute("id=${doc.ids[1]}, n=${n}", scope) == "id=1.3, n=3"
    assert substitute({"a": ["${n}"]}, scope) == {"a": [3]}
    assert substitute("price $${n}", scope) == "price ${n}"
    with pytest.raises(VariableError, match="no variable 'nope'"):
        substitute("${nope.x}", scope)
    with pytest.raises(VariableError, match="out of range"):
        substitute("${doc.ids[9]}", scope)


def test_equality_normalises_enums_statuses_and_numbers() -> None:
    ex = ExistenceResult(exists=True, query_response_code="OK", authorization=AuthorizationStatus.VALIDE)
    checks = check_assertions(ex, {"authorization": "VALIDE", "exists": True, "query_response_code": "OK"})
    assert all(c.ok for c in checks)
    entry = DocumentEntry(unique_id="1.2", version="2", availability_status=ARCHIVED)
    assert all(c.ok for c in check_assertions(entry, {"availability_status": "archived", "version": 2}))
    assert not check_assertions(entry, {"version": 3})[0].ok


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ({"count": {"ge": 2, "le": 2}}, True),
        ({"count": {"gt": 2}}, False),
        ({"unique_ids": {"contains": "1.2.4", "not_contains": "9"}}, True),
        ({"unique_ids": {"contains": "9"}}, False),
        ({"documents": {"len": 2}}, True),
        ({"documents": {"min_len": 3}}, False),
        ({"statuses": {"each": {"in": ["approved", "archived"]}}}, True),
        ({"statuses": {"each": "approved"}}, False),
        ({"documents": {"any": {"title": "B", "status": "archived"}}}, True),
        ({"documents": {"any": {"title": "B", "status": "approved"}}}, False),
        ({"documents": {"none": {"title": "C"}}}, True),
        ({"documents[0].title": {"matches": "^[A-Z]$"}}, True),
        ({"documents[0].comments": {"exists": False}}, True),
        ({"documents[0].title": {"ne": "A"}}, False),
        ({"documents[2]": {"exists": False}}, True),
        ({"documents[2]": "x"}, False),
    ],
)
def test_operators(spec: dict[str, object], ok: bool) -> None:
    checks = check_assertions(_response(), spec)
    assert all(c.ok for c in checks) is ok, [c.line() for c in checks]


def test_failed_check_line() -> None:
    (check,) = check_assertions(_response(), {"count": 3})
    assert check.line() == "count eq 3: got 2"
    (missing,) = check_assertions(_response(), {"documents[4].title": "x"})
    assert not missing.ok
    assert "out of range" in missing.line()
