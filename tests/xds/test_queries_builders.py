"""Typed stored-query builders: ids, slots, required parameters, AdhocQueryRequest, decoding, schema validity."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.errors import InputError
from dmpclient.ids import INS
from dmpclient.terminology import Code
from dmpclient.xds.ebrim import parse_message, to_adhoc_query_request
from dmpclient.xds.model import AdhocQueryRequest, ReturnType
from dmpclient.xds.queries import (
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
    MissingQueryParameter,
    QueryLimitExceeded,
    QueryParameterError,
    StoredQuery,
    parameter_table,
    parse_stored_query,
    td3_1b,
)

PATIENT = "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH"
UUID1 = "urn:uuid:fe5287a2-ae6a-11eb-8f5d-0050569e422e"
UUID2 = "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e"
APPROVED = "urn:oasis:names:tc:ebxml-regrep:StatusType:Approved"
LOINC = "2.16.840.1.113883.6.1"


def _slots(q: StoredQuery) -> dict[str, list[str]]:
    return dict(q.slots())


#: One typical instance of every query, with the UUID it must carry.
EXAMPLES: dict[str, tuple[StoredQuery, str]] = {
    "FindDocuments": (FindDocuments(patient_id=PATIENT), "urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d"),
    "FindDocumentsByReferenceId": (
        FindDocumentsByReferenceId(
            patient_id=PATIENT, reference_ids=["2021CNDA^^^&1.2.3&ISO^urn:ihe:iti:xds:2016:studyInstanceUID"]
        ),
        "urn:uuid:12941a89-e02e-4be5-967c-ce4bfc8fe492",
    ),
    "FindSubmissionSets": (FindSubmissionSets(patient_id=PATIENT), "urn:uuid:f26abbcb-ac74-4422-8a30-edb644bbc1a9"),
    "GetDocuments": (GetDocuments(unique_ids=["1.2.3"]), "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"),
    "GetSubmissionSetAndContents": (
        GetSubmissionSetAndContents(uuid=UUID1),
        "urn:uuid:e8e3cb2c-e39c-46b9-99e4-c12f57260b83",
    ),
    "GetSubmissionSets": (GetSubmissionSets(uuids=[UUID1]), "urn:uuid:51224314-5390-4169-9b91-b1980040715a"),
    "GetAssociations": (GetAssociations(uuids=[UUID1]), "urn:uuid:a7ae438b-4bc2-4642-93e9-be891f7bb155"),
    "GetDocumentsAndAssociations": (
        GetDocumentsAndAssociations(uuids=[UUID1]),
        "urn:uuid:bab9529a-4a10-40b3-a01f-f68a615d247a",
    ),
    "GetRelatedDocuments": (GetRelatedDocuments(uuid=UUID1), "urn:uuid:d90e5407-b356-4d91-a89f-873917b4b0e6"),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_query_has_its_ihe_uuid(name: str) -> None:
    query, uuid = EXAMPLES[name]
    assert name == query.NAME
    assert query.to_adhoc_query().query_id == uuid
    assert QUERY_CLASSES[uuid] is type(query)


@pytest.mark.shared
def test_find_documents_matches_the_official_td31_request(official_examples: Path) -> None:
    message = parse_message((official_examples / "td3.1-recherche-documents.request.xml").read_bytes())
    assert message.query_request is not None
    built = FindDocuments(patient_id=INS.parse("207058575627097")).to_adhoc_query()
    assert built.query_id == message.query_request.query_id
    assert built.slots == message.query_request.slots
    assert built.return_type == message.query_request.return_type == ReturnType.LEAF_CLASS


def test_find_documents_encodes_every_filter() -> None:
    q = FindDocuments(
        patient_id=PATIENT,
        status=["approved", "archived"],
        class_codes=[Code("10", "1.2.250.1.213.1.1.4.1")],
        type_codes=["11488-4^^" + LOINC, ("34112-3", LOINC)],
        practice_setting_codes=[("AMBULATOIRE", "1.2.250.1.213.1.1.4.9")],
        healthcare_facility_type_codes=[("SA07", "1.2.250.1.71.4.2.4")],
        format_codes=[("urn:ihe:iti:xds-sd:pdf:2008", "1.3.6.1.4.1.19376.1.2.3")],
        event_codes=[[("a", "1.2"), ("b", "1.2")], [("c", "1.2")]],
        confidentiality_codes=[("MASQUE_PS", "1.2.250.1.213.1.1.4.13")],
        creation_time_from=datetime(2024, 1, 1, tzinfo=UTC),
        creation_time_to="20240201",
        service_start_time_from="2022",
        service_start_time_to="2024",
        service_stop_time_from="2022",
        service_stop_time_to="2024",
        author_persons=["899900063480%"],
    )
    slots = _slots(q)
    assert slots["$XDSDocumentEntryStatus"] == [f"('{APPROVED}','urn:asip:ci-sis:2010:StatusType:Archived')"]
    assert slots["$XDSDocumentEntryTypeCode"] == [f"('11488-4^^{LOINC}','34112-3^^{LOINC}')"]
    # AND of OR-groups: one Value per group
    assert slots["$XDSDocumentEntryEventCodeList"] == ["('a^^1.2','b^^1.2')", "('c^^1.2')"]
    assert slots["$XDSDocumentEntryConfidentialityCode"] == ["('MASQUE_PS^^1.2.250.1.213.1.1.4.13')"]
    assert slots["$XDSDocumentEntryCreationTimeFrom"] == ["20240101000000"]
    assert slots["$XDSDocumentEntryCreationTimeTo"] == ["20240201"]
    assert slots["$XDSDocumentEntryAuthorPerson"] == ["('899900063480%')"]
    assert len(slots) == 16


def test_find_documents_requires_the_patient_and_a_status() -> None:
    with pytest.raises(MissingQueryParameter) as err:
        FindDocuments(patient_id=PATIENT, status=())
    assert err.value.field == "$XDSDocumentEntryStatus"
    with pytest.raises(MissingQueryParameter) as err2:
        FindDocuments(patient_id="")
    assert err2.value.field == "$XDSDocumentEntryPatientId"


def test_code_groups_cannot_be_mixed_with_codes() -> None:
    with pytest.raises(QueryParameterError) as err:
        FindDocuments(patient_id=PATIENT, event_codes=[("a", "1.2"), [("b", "1.2")]])  # type: ignore[list-item]
    assert err.value.field == "$XDSDocumentEntryEventCodeList"


def test_find_documents_by_reference_id_requires_reference_ids() -> None:
    with pytest.raises(MissingQueryParameter) as err:
        FindDocumentsByReferenceId(patient_id=PATIENT)
    assert err.value.field == "$XDSDocumentEntryReferenceIdList"


def test_find_submission_sets_by_submission_time() -> None:
    q = FindSubmissionSets(
        patient_id=PATIENT,
        submission_time_from="20250526",
        submission_time_to="20250528",
        source_ids=["1.2.250.1.999.1.1.7898"],
        content_type_codes=[("04", "1.2.250.1.213.2.2")],
        author_person="%LIBRE%",
    )
    slots = _slots(q)
    assert slots["$XDSSubmissionSetSubmissionTimeFrom"] == ["20250526"]
    assert slots["$XDSSubmissionSetSubmissionTimeTo"] == ["20250528"]
    assert slots["$XDSSubmissionSetStatus"] == [f"('{APPROVED}')"]
    assert slots["$XDSSubmissionSetAuthorPerson"] == ["'%LIBRE%'"]
    assert slots["$XDSSubmissionSetContentType"] == ["('04^^1.2.250.1.213.2.2')"]


@pytest.mark.parametrize("cls", [GetDocuments, GetDocumentsAndAssociations])
def test_documents_by_id_take_exactly_one_id_kind(cls: type[GetDocuments]) -> None:
    with pytest.raises(MissingQueryParameter) as none:
        cls()
    assert "$XDSDocumentEntryEntryUUID" in (none.value.field or "")
    assert "$XDSDocumentEntryUniqueId" in (none.value.field or "")
    with pytest.raises(MissingQueryParameter):
        cls(uuids=[UUID1], unique_ids=["1.2.3"])
    assert _slots(cls.by_uuids(UUID1, UUID2)) == {"$XDSDocumentEntryEntryUUID": [f"('{UUID1}','{UUID2}')"]}
    assert _slots(cls.by_unique_ids("1.2.3")) == {"$XDSDocumentEntryUniqueId": ["('1.2.3')"]}


def test_get_documents_refuses_swapped_id_kinds() -> None:
    with pytest.raises(QueryParameterError) as err:
        GetDocuments(uuids=["1.2.250.1.999.1.1.7898.3.1"])
    assert err.value.field == "$XDSDocumentEntryEntryUUID"
    with pytest.raises(QueryParameterError):
        GetDocuments(unique_ids=[UUID1])


def test_td31b_is_get_documents_by_unique_id_in_object_ref_mode() -> None:
    request = td3_1b("1.2.250.1.999.1.1.7898.3.1622814651504").to_adhoc_query()
    assert request.query_id == "urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"
    assert request.return_type == ReturnType.OBJECT_REF
    assert request.slots == {"$XDSDocumentEntryUniqueId": ["('1.2.250.1.999.1.1.7898.3.1622814651504')"]}


def test_duplicate_ids_are_sent_once() -> None:
    assert GetDocuments(unique_ids=["1.2", "1.2", "1.3"]).unique_ids == ("1.2", "1.3")


def test_get_submission_set_and_contents_takes_one_lot() -> None:
    with pytest.raises(MissingQueryParameter):
        GetSubmissionSetAndContents()
    q = GetSubmissionSetAndContents(unique_id="1.2.3", confidentiality_codes=[("N", "2.16.840.1.113883.5.25")])
    assert _slots(q) == {
        "$XDSSubmissionSetUniqueId": ["'1.2.3'"],
        "$XDSDocumentEntryConfidentialityCode": ["('N^^2.16.840.1.113883.5.25')"],
    }


@pytest.mark.parametrize("cls", [GetAssociations, GetSubmissionSets])
def test_uuid_queries_refuse_an_empty_list(cls: type[GetAssociations]) -> None:
    # The DMP answers XDSStoredQueryMissingParam parameterName=$uuid to an empty list (DevBox DMP-146).
    with pytest.raises(MissingQueryParameter) as err:
        cls(uuids=[])
    assert err.value.field == "$uuid"


def test_get_related_documents_defaults_to_rplc_and_requires_types() -> None:
    assert _slots(GetRelatedDocuments(uuid=UUID1)) == {
        "$XDSDocumentEntryEntryUUID": [f"'{UUID1}'"],
        "$AssociationTypes": ["('urn:ihe:iti:2007:AssociationType:RPLC')"],
    }
    with pytest.raises(MissingQueryParameter) as err:
        GetRelatedDocuments(uuid=UUID1, association_types=())
    assert err.value.field == "$AssociationTypes"
    with pytest.raises(MissingQueryParameter):
        GetRelatedDocuments(uuid=UUID1, unique_id="1.2.3")


@pytest.mark.parametrize(
    ("query", "slot", "limit"),
    [
        (GetDocuments(unique_ids=[f"1.2.{i}" for i in range(21)]), "$XDSDocumentEntryUniqueId", 20),
        (
            GetDocumentsAndAssociations(uuids=[f"urn:uuid:00000000-0000-0000-0000-{i:012d}" for i in range(89)]),
            "$XDSDocumentEntryEntryUUID",
            88,
        ),
        (GetAssociations(uuids=[f"urn:uuid:00000000-0000-0000-0000-{i:012d}" for i in range(1001)]), "$uuid", 1000),
    ],
)
def test_dmp_limits_are_enforced_when_writing(query: StoredQuery, slot: str, limit: int) -> None:
    assert query.exceeds_limits()
    with pytest.raises(QueryLimitExceeded) as err:
        query.to_adhoc_query()
    assert err.value.field == slot
    assert str(limit) in str(err.value)
    assert query.to_adhoc_query(limits=None).slots[slot]  # other registries: no limit


def test_queries_at_the_limit_are_accepted() -> None:
    assert not GetDocuments(unique_ids=[f"1.2.{i}" for i in range(20)]).exceeds_limits()


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_decoding_gives_back_the_same_slots(name: str) -> None:
    query, _ = EXAMPLES[name]
    request = query.with_return_type(ReturnType.OBJECT_REF).to_adhoc_query()
    decoded = StoredQuery.from_adhoc_query(request)
    assert type(decoded) is type(query)
    assert decoded.slots() == query.slots()
    assert decoded.return_type == ReturnType.OBJECT_REF


def test_decoding_refuses_unknown_queries_and_parameters() -> None:
    with pytest.raises(QueryParameterError) as err:
        parse_stored_query("urn:uuid:00000000-0000-0000-0000-000000000000", {})
    assert err.value.rule == "XDSUnknownStoredQuery"
    with pytest.raises(QueryParameterError) as err2:
        parse_stored_query(EXAMPLES["GetAssociations"][1], {"$uuid": [f"('{UUID1}')"], "$bogus": ["'x'"]})
    assert err2.value.field == "$bogus"
    lenient = parse_stored_query(
        EXAMPLES["GetAssociations"][1], {"$uuid": [f"('{UUID1}')"], "$bogus": ["'x'"]}, strict=False
    )
    assert isinstance(lenient, GetAssociations)


def test_decoding_a_missing_required_parameter_names_it() -> None:
    with pytest.raises(MissingQueryParameter) as err:
        parse_stored_query(EXAMPLES["FindDocuments"][1], {"$XDSDocumentEntryStatus": [f"('{APPROVED}')"]})
    assert err.value.field == "$XDSDocumentEntryPatientId"
    assert isinstance(err.value, InputError)


def test_parameter_table_lists_every_query() -> None:
    rows = parameter_table()
    assert {r["query"] for r in rows} == set(EXAMPLES)
    assert {"query": "GetAssociations", "parameter": "$uuid", "attribute": "uuids"}.items() <= next(
        r for r in rows if r["query"] == "GetAssociations" and r["parameter"] == "$uuid"
    ).items()


def test_describe_is_json_friendly() -> None:
    described = FindDocuments(patient_id=PATIENT).describe()
    assert described["query"] == "FindDocuments"
    assert described["slots"]["$XDSDocumentEntryPatientId"] == [f"'{PATIENT}'"]


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_written_queries_are_schema_valid_and_parse_back(name: str, fixtures: Path) -> None:
    query, _ = EXAMPLES[name]
    # Trusted fixture schema (xs:import needs the default resolver).
    schema = etree.XMLSchema(etree.parse(str(fixtures / "ebrs30" / "ebRS30" / "query.xsd")))
    written = _xml.to_bytes(to_adhoc_query_request(query.to_adhoc_query()))
    assert schema.validate(_xml.parse_bytes(written)), schema.error_log
    back = parse_message(written)
    assert isinstance(back.query_request, AdhocQueryRequest)
    assert StoredQuery.from_adhoc_query(back.query_request).slots() == query.slots()
