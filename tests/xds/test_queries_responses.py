"""Reading stored-query answers into QueryResponse (official TD3.1 response, ObjectRef answers, failures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient import _xml
from dmpclient.errors import ProtocolError, RegistryError, RegistryErrorItem
from dmpclient.xds.ebrim import to_adhoc_query_response
from dmpclient.xds.model import AvailabilityStatus, ObjectRef, QueryResponse, ResponseStatus
from dmpclient.xds.queries import FindDocuments, batched, merge_responses, parse_query_response, td3_1b

PATIENT = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"


@pytest.mark.shared
def test_official_td31_response_reads_21_entries(official_examples: Path) -> None:
    data = (official_examples / "td3.1-recherche-documents.response.xml").read_bytes()
    response = FindDocuments(patient_id=PATIENT).parse_response(data)
    assert response.ok
    assert len(response.documents) == 21
    assert all(d.availability_status == AvailabilityStatus.APPROVED for d in response.documents)
    # the same answer twice merges into itself (dedupe by entryUUID)
    merged = merge_responses([response, response])
    assert len(merged.documents) == 21


@pytest.mark.shared
def test_a_request_is_not_a_response(official_examples: Path) -> None:
    with pytest.raises(ProtocolError):
        parse_query_response((official_examples / "td3.1-recherche-documents.request.xml").read_bytes())


def test_object_ref_answer_of_td31b() -> None:
    uuid = "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e"
    written = _xml.to_bytes(
        to_adhoc_query_response(QueryResponse(status=ResponseStatus.SUCCESS, object_refs=(ObjectRef(id=uuid),)))
    )
    response = td3_1b("1.2.3").parse_response(written)
    assert [r.id for r in response.object_refs] == [uuid]


def test_failure_raises_on_request() -> None:
    failure = QueryResponse(
        status=ResponseStatus.FAILURE,
        errors=(RegistryErrorItem(error_code="XDSRegistryError", code_context="Trop de valeurs"),),
    )
    written = _xml.to_bytes(to_adhoc_query_response(failure))
    assert parse_query_response(written).status == ResponseStatus.FAILURE
    with pytest.raises(RegistryError) as err:
        parse_query_response(written, raise_for_status=True)
    assert err.value.code == "XDSRegistryError"
    assert err.value.message_fr == "Trop de valeurs"


def test_batched_parts_merge_back() -> None:
    query = td3_1b(*[f"1.2.{i}" for i in range(30)])
    parts = batched(query)
    answers = [
        QueryResponse(status=ResponseStatus.SUCCESS, total_result_count=len(p.unique_ids), object_refs=())
        for p in parts
    ]
    assert merge_responses(answers).total_result_count == 30
