"""TD3.1 / TD3.1b (ITI-18): our requests against the official example, the 21-entry example answer, the
sandbox side and the error paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient.errors import InputError, ProtocolError, RegistryError
from dmpclient.security.pki import TestPki
from dmpclient.soap import SoapMessage, read_message
from dmpclient.transactions._base import RequestContext
from dmpclient.transactions.registry import (
    TD3_1,
    TD3_1B,
    build_registry_stored_query_request,
    build_registry_stored_query_response,
    find_document_reference,
    parse_find_document_reference_response,
    parse_registry_stored_query_request,
    parse_registry_stored_query_response,
    query_error,
    query_transaction,
)
from dmpclient.transactions.repository import build_registry_error_response, registry_error
from dmpclient.xds.model import AdhocQueryRequest, AvailabilityStatus, ObjectRef, QueryResponse, ReturnType
from dmpclient.xds.queries import (
    FindDocuments,
    GetAssociations,
    GetDocuments,
    QueryLimitExceeded,
    QueryParameterError,
    td3_1b,
)

from .structural import assert_same_structure
from .xds_support import EXAMPLE_INS, XDS_IGNORES, example_root, make_context, received

UNIQUE_ID = "1.2.250.1.999.1.1.7898.3.1622814651504"


@pytest.fixture
def ctx(pki: TestPki) -> RequestContext:
    return make_context(pki)


def _example(official_examples: Path, name: str) -> SoapMessage:
    return read_message("application/soap+xml", (official_examples / name).read_bytes())


def test_td31_request_has_the_structure_of_the_official_example(ctx: RequestContext, official_examples: Path) -> None:
    request = build_registry_stored_query_request(ctx, EXAMPLE_INS, FindDocuments(patient_id=EXAMPLE_INS))
    example = example_root(official_examples, "td3.1-recherche-documents.request.xml")
    # Whole envelope: volatile ids, the VIHF, the wsa:To URL and the examples' unprefixed mustUnderstand
    # are the only things ignored (XDS_IGNORES explains each rule).
    assert_same_structure(request.envelope, example, ignore=XDS_IGNORES)
    assert request.transaction == "TD3.1"
    assert request.service.value == "registry"
    assert request.action == "urn:ihe:iti:2007:RegistryStoredQuery"
    assert not request.is_mtom


def test_td31_example_response_parses_into_21_documents(official_examples: Path) -> None:
    response = parse_registry_stored_query_response(
        _example(official_examples, "td3.1-recherche-documents.response.xml")
    )
    assert response.ok
    assert response.total_result_count == 21
    assert len(response.documents) == 21
    first = response.documents[0]
    assert first.entry_uuid == first.logical_id == "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    assert first.availability_status is AvailabilityStatus.APPROVED
    assert first.repository_unique_id == "1.2.250.1.213.4.1.1.1.2"
    assert first.hash == "af326fb44feb720121d2c277ce10f87407818089"
    assert first.version is not None
    assert first.unique_id


def test_query_transaction_tells_td31b_apart() -> None:
    assert query_transaction(td3_1b(UNIQUE_ID)) is TD3_1B
    assert query_transaction(GetDocuments.by_unique_ids(UNIQUE_ID)) is TD3_1  # LeafClass: a normal search
    assert (
        query_transaction(
            GetDocuments.by_uuids("urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e", return_type=ReturnType.OBJECT_REF)
        )
        is TD3_1
    )
    assert query_transaction(td3_1b(UNIQUE_ID).to_adhoc_query()) is TD3_1B
    assert TD3_1.request_body == TD3_1B.request_body
    assert TD3_1B.discriminator


def test_td31b_request_and_answer(ctx: RequestContext) -> None:
    request = find_document_reference(ctx, EXAMPLE_INS, UNIQUE_ID)
    assert request.transaction == "TD3.1b"
    got = parse_registry_stored_query_request(received(request))
    assert got.spec is TD3_1B
    assert isinstance(got.query, GetDocuments)
    assert got.query.unique_ids == (UNIQUE_ID,)
    assert got.query.return_type is ReturnType.OBJECT_REF
    uuid = "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
    answer = QueryResponse(
        status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success", object_refs=(ObjectRef(id=uuid),)
    )
    response = build_registry_stored_query_response(answer, request=received(request))
    ref = parse_find_document_reference_response(received(response), UNIQUE_ID)
    assert ref.found
    assert ref.entry_uuid == uuid


def test_td31b_not_found_and_ambiguous(ctx: RequestContext) -> None:
    request = received(find_document_reference(ctx, EXAMPLE_INS, UNIQUE_ID))
    empty = build_registry_stored_query_response(
        QueryResponse(status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success"), request=request
    )
    ref = parse_find_document_reference_response(received(empty), UNIQUE_ID)
    assert not ref.found
    assert ref.entry_uuid is None
    two = QueryResponse(
        status="urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success",
        object_refs=(
            ObjectRef(id="urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"),
            ObjectRef(id="urn:uuid:8953af1a-ba1c-11eb-816f-0050569e422e"),
        ),
    )
    ambiguous = parse_find_document_reference_response(
        received(build_registry_stored_query_response(two, request=request)), UNIQUE_ID
    )
    with pytest.raises(ProtocolError, match="2 entryUUIDs"):
        _ = ambiguous.entry_uuid


def test_td31b_refuses_an_entry_uuid(ctx: RequestContext) -> None:
    with pytest.raises(InputError) as info:
        find_document_reference(ctx, EXAMPLE_INS, "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e")
    assert (info.value.field, info.value.rule) == ("unique_id", "RG_3130")
    with pytest.raises(InputError):
        find_document_reference(ctx, EXAMPLE_INS, "1.2.x")


def test_query_over_the_dmp_limits_is_refused_before_sending(ctx: RequestContext) -> None:
    uuids = [f"urn:uuid:00000000-0000-4000-8000-{i:012d}" for i in range(1001)]
    with pytest.raises(QueryLimitExceeded):
        build_registry_stored_query_request(ctx, EXAMPLE_INS, GetAssociations(uuids=uuids))
    request = build_registry_stored_query_request(ctx, EXAMPLE_INS, GetAssociations(uuids=uuids), limits=None)
    assert request.transaction == "TD3.1"


def test_generic_adhoc_query_is_sent_as_given(ctx: RequestContext) -> None:
    adhoc = AdhocQueryRequest(
        query_id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
        slots={
            "$XDSDocumentEntryPatientId": [f"'{EXAMPLE_INS.to_cx()}'"],
            "$XDSDocumentEntryStatus": ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"],
        },
    )
    got = parse_registry_stored_query_request(received(build_registry_stored_query_request(ctx, EXAMPLE_INS, adhoc)))
    assert got.request == adhoc
    assert isinstance(got.query, FindDocuments)
    assert got.query.patient_id == EXAMPLE_INS.to_cx()


def test_sandbox_round_trip_leaf_class(ctx: RequestContext, official_examples: Path) -> None:
    request = received(build_registry_stored_query_request(ctx, EXAMPLE_INS, FindDocuments(patient_id=EXAMPLE_INS)))
    stored = parse_registry_stored_query_response(_example(official_examples, "td3.1-recherche-documents.response.xml"))
    response = build_registry_stored_query_response(stored, request=request)
    assert response.action == "urn:ihe:iti:2007:RegistryStoredQueryResponse"
    assert response.relates_to == request.envelope.message_id
    again = parse_registry_stored_query_response(received(response))
    assert [d.unique_id for d in again.documents] == [d.unique_id for d in stored.documents]
    assert again.total_result_count == 21


def test_unknown_query_becomes_xds_unknown_stored_query(ctx: RequestContext) -> None:
    adhoc = AdhocQueryRequest(query_id="urn:uuid:00000000-0000-4000-8000-000000000000")
    request = received(build_registry_stored_query_request(ctx, EXAMPLE_INS, adhoc))
    with pytest.raises(QueryParameterError) as info:
        parse_registry_stored_query_request(request)
    item = query_error(info.value)
    assert item.error_code == "XDSUnknownStoredQuery"
    response = build_registry_error_response(item, request=request)
    with pytest.raises(RegistryError) as err:
        parse_registry_stored_query_response(received(response))
    assert err.value.code == "XDSUnknownStoredQuery"
    assert err.value.transaction == "TD3.1"


def test_missing_parameter_becomes_stored_query_missing_param(ctx: RequestContext) -> None:
    adhoc = AdhocQueryRequest(query_id="urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155")  # GetAssociations, no $uuid
    request = received(build_registry_stored_query_request(ctx, EXAMPLE_INS, adhoc))
    with pytest.raises(QueryParameterError) as info:
        parse_registry_stored_query_request(request)
    item = query_error(info.value)
    assert (item.error_code, item.location) == ("XDSStoredQueryMissingParam", "$uuid")


def test_failure_keeps_the_dmp_context_and_partial_success_is_returned(ctx: RequestContext) -> None:
    request = received(build_registry_stored_query_request(ctx, EXAMPLE_INS, FindDocuments(patient_id=EXAMPLE_INS)))
    failure = build_registry_error_response(
        registry_error(
            "XDSRegistryError", "Le format du paramètre est incorrect", location="$XDSDocumentEntryCreationTimeFrom"
        ),
        request=request,
    )
    with pytest.raises(RegistryError) as info:
        parse_registry_stored_query_response(received(failure))
    assert info.value.message_fr == "Le format du paramètre est incorrect"
    assert info.value.location == "$XDSDocumentEntryCreationTimeFrom"
    partial = build_registry_error_response(
        registry_error("XDSTooManyResults", "Trop de résultats", warning=True),
        request=request,
        status="urn:ihe:iti:2007:ResponseStatusType:PartialSuccess",
    )
    kept = parse_registry_stored_query_response(received(partial))
    assert [e.error_code for e in kept.errors] == ["XDSTooManyResults"]
