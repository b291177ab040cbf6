"""The official GIE example messages: parse into the model, round-trip, and schema validity of what we write."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.xds import AssociationType, AvailabilityStatus, MessageKind, ResponseStatus
from dmpclient.xds.ebrim import parse_message, serialize, to_provide_and_register
from dmpclient.xds.model import ParsedMessage

pytestmark = pytest.mark.shared

XDS_FILES = {
    "td2.1-alimentation.request.soap-part.xml": MessageKind.PROVIDE_AND_REGISTER_REQUEST,
    "td2.1-alimentation.response.xml": MessageKind.REGISTRY_RESPONSE,
    "td3.1-recherche-documents.request.xml": MessageKind.ADHOC_QUERY_REQUEST,
    "td3.1-recherche-documents.response.xml": MessageKind.ADHOC_QUERY_RESPONSE,
    "td3.2-consultation-document.request.xml": MessageKind.RETRIEVE_REQUEST,
    "td3.2-consultation-document.response.xml": MessageKind.RETRIEVE_RESPONSE,
    "td3.3c-supprimer.request.xml": MessageKind.SUBMIT_OBJECTS_REQUEST,
    "td3.3c-supprimer.response.xml": MessageKind.REGISTRY_RESPONSE,
    "td3.3d-archiver.request.xml": MessageKind.SUBMIT_OBJECTS_REQUEST,
    "td3.3d-archiver.response.xml": MessageKind.REGISTRY_RESPONSE,
    "kit-templates/td3.3a-masquage.kit-template.xml": MessageKind.SUBMIT_OBJECTS_REQUEST,
}


def _parse(official_examples: Path, name: str) -> ParsedMessage:
    return parse_message((official_examples / name).read_bytes(), origin=name)


def _schema(fixtures: Path, relative: str) -> etree.XMLSchema:
    # Trusted fixture schemas (xs:include / xs:import need the default resolver).
    return etree.XMLSchema(etree.parse(str(fixtures / "ebrs30" / relative)))


@pytest.mark.parametrize("name", sorted(XDS_FILES))
def test_official_message_parses_into_its_kind(official_examples: Path, name: str) -> None:
    message = _parse(official_examples, name)
    assert message.kind is XDS_FILES[name]


@pytest.mark.parametrize("name", sorted(XDS_FILES))
def test_official_message_round_trips(official_examples: Path, name: str) -> None:
    first = _parse(official_examples, name)
    written = _xml.to_bytes(serialize(first))
    second = parse_message(written)
    assert second == first.model_copy(update={"soap_action": None})


def test_td21_submission_content(official_examples: Path) -> None:
    message = _parse(official_examples, "td2.1-alimentation.request.soap-part.xml")
    assert message.soap_action == "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-b"
    sub = message.submission
    assert sub is not None
    ss = sub.submission_set
    assert ss.unique_id == "1.2.250.1.999.1.1.7898.1.1622814651504"
    assert ss.source_id == "1.2.250.1.999.1.1.7898"
    assert ss.content_type_code is not None
    assert ss.content_type_code.key == ("1.2.250.1.213.2.2", "04")
    assert ss.submission_time is not None
    assert ss.submission_time.isoformat() == "2021-06-04T13:50:51+00:00"
    doc, sig = sub.documents
    assert doc.entry_uuid == "DocumentME2"
    # the example's xdsb:Document id differs by case from the ExtrinsicObject id: kept, not lost
    assert doc.document_id == "documentME2"
    assert doc.content_id == "documentME2"
    assert {p.id: p.content_id for p in message.documents} == {
        "documentME2": "WS_DMP_TD2.1-DocumentME2.xml",
        "Signature01": "WS_DMP_TD2.1-SignatureXades.xml",
    }
    assert doc.type_code is not None
    assert doc.type_code.code == "27899-4"
    assert doc.source_patient_info is not None
    assert doc.source_patient_info.birth_family_name == "patb-quatre"
    assert doc.source_patient_info.birth_date == "19070525"
    assert doc.legal_authenticator is not None
    assert doc.legal_authenticator.id == "899900063480"
    assert doc.authors[0].institutions[0].id == "499900063480001"
    assert doc.authors[0].specialties[0].code == "G15_10/SM26"
    assert doc.ins.matricule == "207058575627097"
    assert [c.code for c in sig.confidentiality_codes] == ["N", "MASQUE_PS", "INVISIBLE_PATIENT"]
    assert sig.source_patient_info is None  # the official example predates the 2026 rule
    kinds = [a.type for a in sub.associations]
    assert kinds == [AssociationType.HAS_MEMBER, AssociationType.HAS_MEMBER, AssociationType.SIGNS]
    assert all(not d.issues for d in sub.documents)


def test_td31_response_has_21_registry_entries(official_examples: Path) -> None:
    message = _parse(official_examples, "td3.1-recherche-documents.response.xml")
    response = message.query_response
    assert response is not None
    assert response.status is ResponseStatus.SUCCESS
    assert response.total_result_count == 21
    assert len(response.documents) == 21
    for entry in response.documents:
        assert entry.entry_uuid is not None
        assert entry.entry_uuid.startswith("urn:uuid:")
        assert entry.logical_id == entry.entry_uuid
        assert entry.version == "1"
        assert entry.repository_unique_id == "1.2.250.1.213.4.1.1.1.2"
        assert entry.hash is not None
        assert len(entry.hash) == 40
        assert entry.size is not None
        assert entry.size > 0
        assert entry.creation_time is not None
        assert entry.creation_time.utcoffset() is not None
        assert not entry.issues
    invisible = [e for e in response.documents if e.has_confidentiality("INVISIBLE_PATIENT")]
    assert len(invisible) == 3
    assert response.documents[0].availability_status is AvailabilityStatus.APPROVED


def test_td33_requests_without_classified_object_are_read(official_examples: Path) -> None:
    for name, new_status in (
        ("td3.3c-supprimer.request.xml", AvailabilityStatus.DELETED),
        ("td3.3d-archiver.request.xml", AvailabilityStatus.ARCHIVED),
    ):
        sub = _parse(official_examples, name).submission
        assert sub is not None
        (assoc,) = sub.associations
        assert assoc.type is AssociationType.UPDATE_AVAILABILITY_STATUS
        assert assoc.new_status is new_status
        assert assoc.target.startswith("urn:uuid:")
        assert sub.submission_set.patient_id is not None


def test_kit_template_without_namespace_is_read(official_examples: Path) -> None:
    sub = _parse(official_examples, "kit-templates/td3.3a-masquage.kit-template.xml").submission
    assert sub is not None
    (entry,) = sub.documents
    assert entry.logical_id == "urn:uuid:4f196ae8-5549-11e9-9478-0050569e422e"
    assert entry.source_patient_info is not None
    assert entry.source_patient_info.birth_family_name == "PAT-TROIS"
    (assoc,) = sub.associations
    assert assoc.previous_version == "5"
    assert assoc.submission_set_status == "Original"


def test_written_provide_and_register_is_schema_valid(official_examples: Path, fixtures: Path) -> None:
    schema = _schema(fixtures, "IHE/XDSB-wrapper.xsd")
    message = _parse(official_examples, "td2.1-alimentation.request.soap-part.xml")
    assert message.submission is not None
    # schema type base64Binary: validate the XOP-decoded form (inline bytes)
    contents: dict[str, str | bytes] = {d.content_id or "": b"<doc/>" for d in message.submission.documents}
    doc = _xml.parse_bytes(_xml.to_bytes(to_provide_and_register(message.submission, contents)))
    assert schema.validate(doc), schema.error_log


@pytest.mark.parametrize(
    ("name", "schema_file"),
    [
        ("td3.3c-supprimer.request.xml", "ebRS30/lcm.xsd"),
        ("td3.3d-archiver.request.xml", "ebRS30/lcm.xsd"),
        ("kit-templates/td3.3a-masquage.kit-template.xml", "ebRS30/lcm.xsd"),
        ("td3.1-recherche-documents.request.xml", "ebRS30/query.xsd"),
        ("td3.1-recherche-documents.response.xml", "ebRS30/query.xsd"),
        ("td2.1-alimentation.response.xml", "ebRS30/rs.xsd"),
        ("td3.2-consultation-document.request.xml", "IHE/XDSB-wrapper.xsd"),
    ],
)
def test_written_messages_are_schema_valid(
    official_examples: Path, fixtures: Path, name: str, schema_file: str
) -> None:
    schema = _schema(fixtures, schema_file)
    # the TD3.3 and kit inputs are themselves invalid (no classifiedObject/registryObject, no namespace):
    original = _xml.parse_bytes((official_examples / name).read_bytes())
    written = _xml.parse_bytes(_xml.to_bytes(serialize(_parse(official_examples, name))))
    assert schema.validate(written), schema.error_log
    if name.startswith(("td3.3", "kit")):
        body = original if "kit" in name else _xml.parse_bytes(_xml.to_bytes(original.find(".//{*}Body")[0]))
        assert not schema.validate(body)
