"""The ebRIM 3.0 codec on messages built here: strict writing, tolerant reading."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.errors import InputError, InvalidValue, ProtocolError, RegistryError, RegistryErrorItem, XMLError
from dmpclient.hl7v2 import Precision
from dmpclient.terminology._model import ValueSet
from dmpclient.xds import (
    AdhocQueryRequest,
    Code,
    DocumentEntry,
    MessageKind,
    PatientInfo,
    QueryResponse,
    RegistryResponse,
    ResponseStatus,
    ReturnType,
    ebrim,
)
from dmpclient.xds import constants as xc
from dmpclient.xds.ebrim import (
    document_entry_from_element,
    document_entry_to_element,
    parse_message,
    serialize,
    to_adhoc_query_request,
    to_provide_and_register,
    to_registry_response,
    to_submit_objects_request,
)
from dmpclient.xds.model import DocumentPart, ProvideAndRegisterRequest, RetrievedDocument, RetrieveDocumentSetResponse

from .xds_core_factories import INS_CX, entry, submission

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _roundtrip_entry(e: DocumentEntry) -> DocumentEntry:
    return document_entry_from_element(_xml.parse_bytes(_xml.to_bytes(document_entry_to_element(e))))


def _slot(el: etree._Element, name: str) -> list[str]:
    for slot in el.iter(f"{RIM}Slot"):
        if slot.get("name") == name and slot.getparent() is el:
            return [v.text or "" for v in slot.iter(f"{RIM}Value")]
    return []


def _entry_xml(**slots: str) -> bytes:
    """A minimal namespaced ExtrinsicObject with given slot values (one value each)."""
    body = "".join(
        f'<rim:Slot name="{k}"><rim:ValueList><rim:Value>{v}</rim:Value></rim:ValueList></rim:Slot>'
        for k, v in slots.items()
    )
    return (
        f'<rim:ExtrinsicObject xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0" id="Doc" mimeType="text/xml" '
        f'objectType="{xc.DE_OBJECT_TYPE_STABLE}">{body}'
        f'<rim:ExternalIdentifier id="e1" identificationScheme="{xc.DE_UNIQUE_ID}" value="1.2.3"/>'
        f"</rim:ExtrinsicObject>"
    ).encode()


# --------------------------------------------------------------------------------------- writing


def test_submission_round_trips_through_xml() -> None:
    request = submission(documents=3)
    again = parse_message(_xml.to_bytes(to_submit_objects_request(request)))
    assert again.kind is MessageKind.SUBMIT_OBJECTS_REQUEST
    assert again.submission == request


def test_written_entry_uses_the_ihe_constants_and_dmp_conventions() -> None:
    el = document_entry_to_element(entry(1, entry_uuid="Document01"))
    assert el.get("objectType") == xc.DE_OBJECT_TYPE_STABLE
    schemes = [c.get("classificationScheme") for c in el.iter(f"{RIM}Classification")]
    assert schemes[0] == xc.DE_AUTHOR
    assert set(schemes) >= {xc.DE_CLASS_CODE, xc.DE_TYPE_CODE, xc.DE_CONFIDENTIALITY_CODE, xc.DE_FORMAT_CODE}
    for cl in el.iter(f"{RIM}Classification"):
        assert cl.get("classifiedObject") == "Document01"
    author_cl = next(el.iter(f"{RIM}Classification"))
    assert author_cl.get("nodeRepresentation") == ""
    for ei in el.iter(f"{RIM}ExternalIdentifier"):
        assert ei.get("registryObject") == "Document01"
    ls = el.find(f"{RIM}Name/{RIM}LocalizedString")
    assert ls is not None
    assert (ls.get("charset"), ls.get(XML_LANG), ls.get("value")) == ("UTF8", "FR", "Document 1")
    assert _slot(el, "creationTime") == ["20240612083000"]
    assert _slot(el, "sourcePatientInfo")[0] == "PID-5|DUPONT^MARIE^^^^^L"
    ids = [e.get("identificationScheme") for e in el.iter(f"{RIM}ExternalIdentifier")]
    assert ids == [xc.DE_PATIENT_ID, xc.DE_UNIQUE_ID]


def test_times_are_written_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    e = entry(1, entry_uuid="D", creation_time=datetime(2023, 9, 19, 8, 58, 23, tzinfo=paris))
    assert _slot(document_entry_to_element(e), "creationTime") == ["20230919065823"]


def test_naive_time_smuggled_past_validation_is_refused_on_write() -> None:
    e = DocumentEntry.model_construct(**{**entry(1, entry_uuid="D").__dict__, "creation_time": datetime(2024, 1, 1)})
    with pytest.raises(InvalidValue):
        document_entry_to_element(e)


def test_required_fields_are_checked_on_write() -> None:
    with pytest.raises(InputError, match="uniqueId"):
        document_entry_to_element(entry(1, entry_uuid="D", unique_id=None))
    with pytest.raises(InputError, match="patientId"):
        document_entry_to_element(entry(1, entry_uuid="D", patient_id=None))
    with pytest.raises(InputError, match="entry id"):
        document_entry_to_element(entry(1))
    request = submission()
    request.submission_set = request.submission_set.replace_fields(content_type_code=None)
    with pytest.raises(InputError, match="contentTypeCode"):
        to_submit_objects_request(request)


def test_empty_source_patient_info_is_refused_on_write() -> None:
    with pytest.raises(InputError) as err:
        document_entry_to_element(entry(1, entry_uuid="D", source_patient_info=PatientInfo()))
    assert err.value.field == "DocumentEntry[D].sourcePatientInfo.PID-5"


def test_malformed_cx_is_refused_on_write() -> None:
    with pytest.raises(InvalidValue):
        document_entry_to_element(entry(1, entry_uuid="D", patient_id="^^^&1.2.250.1.213.1.4.10&ISO^NH"))


def test_provide_and_register_with_content_ids_and_inline_bytes() -> None:
    request = submission(documents=2)
    el = to_provide_and_register(request, {"Document01": "part1@example", "Document02": b"%PDF-1.4"})
    again = parse_message(_xml.to_bytes(el))
    assert again.kind is MessageKind.PROVIDE_AND_REGISTER_REQUEST
    assert again.documents == (
        DocumentPart(id="Document01", content_id="part1@example"),
        DocumentPart(id="Document02", data=b"%PDF-1.4"),
    )
    include = el.find(".//{http://www.w3.org/2004/08/xop/include}Include")
    assert include is not None
    assert include.get("href") == "cid:part1@example"
    assert again.submission == request
    rewritten = to_provide_and_register(ProvideAndRegisterRequest(submission=request, documents=list(again.documents)))
    assert parse_message(_xml.to_bytes(rewritten)).documents == again.documents


def test_provide_and_register_needs_exactly_the_contents_of_its_entries() -> None:
    request = submission(documents=2)
    with pytest.raises(InputError, match="content"):
        to_provide_and_register(request, {"Document01": "a"})
    with pytest.raises(InputError, match="no DocumentEntry"):
        to_provide_and_register(request, {"Document01": "a", "Document02": "b", "Other": "c"})


def test_adhoc_query_request_slots_are_written_verbatim() -> None:
    query = AdhocQueryRequest(
        query_id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d",
        slots={
            "$XDSDocumentEntryPatientId": [f"'{INS_CX}'"],
            "$XDSDocumentEntryStatus": ["('urn:oasis:names:tc:ebxml-regrep:StatusType:Approved')"],
        },
        return_type=ReturnType.OBJECT_REF,
    )
    el = to_adhoc_query_request(query)
    assert el.find("{*}ResponseOption").get("returnType") == "ObjectRef"  # type: ignore[union-attr]
    again = parse_message(_xml.to_bytes(el)).query_request
    assert again == query


def test_registry_response_errors_round_trip_and_raise() -> None:
    item = RegistryErrorItem(
        "XDSRegistryMetadataError", "Les données d'un auteur ne peuvent pas être modifiées", location="Document01"
    )
    response = RegistryResponse(status=ResponseStatus.FAILURE, errors=(item,))
    el = to_registry_response(response)
    assert el.find("{*}RegistryErrorList").get("highestSeverity") == xc.SEVERITY_ERROR  # type: ignore[union-attr]
    again = parse_message(_xml.to_bytes(el)).registry_response
    assert again is not None
    assert again.errors == (item,)
    with pytest.raises(RegistryError) as err:
        again.raise_for_status()
    assert err.value.location == "Document01"


def test_query_response_round_trip_with_object_refs() -> None:
    response = QueryResponse(
        status=ResponseStatus.SUCCESS,
        total_result_count=1,
        start_index=0,
        documents=(entry(1, entry_uuid="urn:uuid:1", logical_id="urn:uuid:1", version="1"),),
    )
    assert parse_message(_xml.to_bytes(serialize(response))).query_response == response


def test_retrieve_response_inline_and_url_encoded_cid() -> None:
    response = RetrieveDocumentSetResponse(
        response=RegistryResponse(status=ResponseStatus.SUCCESS),
        documents=(
            RetrievedDocument(repository_unique_id="1.2", document_unique_id="1.3", mime_type="text/xml", data=b"<a/>"),
        ),
    )
    assert parse_message(_xml.to_bytes(serialize(response))).retrieve_response == response
    encoded = (
        b'<x:RetrieveDocumentSetResponse xmlns:x="urn:ihe:iti:xds-b:2007" '
        b'xmlns:rs="urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0"><rs:RegistryResponse status="s"/>'
        b"<x:DocumentResponse><x:RepositoryUniqueId>1</x:RepositoryUniqueId><x:DocumentUniqueId>2</x:DocumentUniqueId>"
        b'<x:mimeType>text/xml</x:mimeType><x:Document><i:Include xmlns:i="http://www.w3.org/2004/08/xop/include" '
        b'href="cid:abc-2@urn%3Aihe%3Aiti%3Axds-b%3A2007"/></x:Document></x:DocumentResponse>'
        b"</x:RetrieveDocumentSetResponse>"
    )
    parsed = parse_message(encoded).retrieve_response
    assert parsed is not None
    assert parsed.documents[0].content_id == "abc-2@urn:ihe:iti:xds-b:2007"


# --------------------------------------------------------------------------------------- reading


def test_soap_envelope_and_bare_body_give_the_same_model() -> None:
    body = _xml.to_bytes(to_submit_objects_request(submission()))
    envelope = (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>'
        b'<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">urn:ihe:iti:2010:UpdateDocumentSet</a:Action>'
        b"</s:Header><s:Body>" + body + b"</s:Body></s:Envelope>"
    )
    from_env = parse_message(envelope)
    assert from_env.soap_action == "urn:ihe:iti:2010:UpdateDocumentSet"
    assert from_env.submission == parse_message(body).submission


def test_unknown_slots_are_kept_and_written_back() -> None:
    e = document_entry_from_element(_xml.parse_bytes(_entry_xml(documentAvailability="urn:ihe:iti:2010:Online")))
    assert e.extra_slots == {"documentAvailability": ["urn:ihe:iti:2010:Online"]}
    e = e.replace_fields(patient_id=INS_CX)
    assert _roundtrip_entry(e).extra_slots == e.extra_slots


def test_time_precision_below_seconds_is_kept() -> None:
    e = document_entry_from_element(_xml.parse_bytes(_entry_xml(serviceStartTime="20100319")))
    assert e.service_start_time is not None
    assert e.service_start_time.day == 19
    assert e.time_precisions == {"serviceStartTime": Precision.DAY}
    out = document_entry_to_element(e.replace_fields(patient_id=INS_CX))
    assert _slot(out, "serviceStartTime") == ["20100319"]


def test_malformed_values_are_flagged_not_raised() -> None:
    xml = _entry_xml(creationTime="0240206000000", size="big", legalAuthenticator="^^^")
    e = document_entry_from_element(_xml.parse_bytes(xml))
    fields = {i.field for i in e.issues}
    assert fields == {"creationTime", "size", "legalAuthenticator"}
    assert e.creation_time is None
    assert e.size is None
    assert e.legal_authenticator is None
    # the raw values are kept and written back as they were
    assert e.extra_slots["creationTime"] == ["0240206000000"]
    assert _slot(document_entry_to_element(e.replace_fields(patient_id=INS_CX)), "size") == ["big"]


def test_malformed_or_invalid_patient_cx_is_flagged() -> None:
    template = (
        '<ExtrinsicObject id="D"><ExternalIdentifier identificationScheme="{scheme}" value="{value}"/>'
        "</ExtrinsicObject>"
    )
    for value, fragment in (
        ("^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH", "malformed CX"),
        (
            "277076322082911^^^&amp;1.2.250.1.213.1.4.10&amp;ISO^NH",
            "not a valid INS",
        ),
    ):
        xml = template.format(scheme=xc.DE_PATIENT_ID, value=value).encode()
        e = document_entry_from_element(_xml.parse_bytes(xml))
        assert e.patient_id is not None  # kept as received
        (issue,) = e.issues
        assert issue.field == "patientId"
        assert fragment in issue.message


def test_unknown_classifications_and_identifiers_are_flagged() -> None:
    xml = (
        b'<ExtrinsicObject id="D"><Classification classificationScheme="urn:uuid:0000" nodeRepresentation="x"/>'
        b'<Classification classificationScheme="' + xc.DE_CLASS_CODE.encode() + b'" nodeRepresentation="10"/>'
        b'<ExternalIdentifier identificationScheme="urn:uuid:1111" value="v"/></ExtrinsicObject>'
    )
    e = document_entry_from_element(_xml.parse_bytes(xml))
    assert e.class_code is None  # no codingScheme: not a usable code
    assert {i.field for i in e.issues} == {"Classification", "classCode", "ExternalIdentifier"}


def test_codes_outside_the_value_set_are_flagged(monkeypatch: pytest.MonkeyPatch) -> None:
    j57 = ValueSet.of(
        "JDV_J57-ClassCode-DMP", [("10", "1.2.250.1.213.1.1.4.1", "CR")], oid=None, version="x", source="t"
    )
    monkeypatch.setattr(ebrim, "find_value_set", lambda name: j57 if name == "J57" else None)
    known = _roundtrip_entry(entry(1, entry_uuid="D"))
    assert known.unknown_codes == ()
    odd = _roundtrip_entry(entry(1, entry_uuid="D").replace_fields(class_code=known.type_code))
    (flag,) = odd.unknown_codes
    assert (flag.field, flag.value_set, flag.code.code) == ("classCode", "JDV_J57-ClassCode-DMP", "11488-4")


def test_builtin_value_sets_flag_an_unknown_type_code() -> None:
    odd = entry(1, entry_uuid="D").replace_fields(type_code=Code("ZZZ-9", "2.16.840.1.113883.6.1", "?"))
    flags = _roundtrip_entry(odd).unknown_codes
    assert [(f.field, f.code.code) for f in flags] == [("typeCode", "ZZZ-9")]
    assert _roundtrip_entry(entry(1, entry_uuid="D")).unknown_codes == ()


def test_author_with_unparseable_values_keeps_them() -> None:
    xml = (
        '<ExtrinsicObject id="D"><Classification classificationScheme="' + xc.DE_AUTHOR + '" nodeRepresentation="">'
        '<Slot name="authorPerson"><ValueList><Value>^</Value></ValueList></Slot>'
        '<Slot name="authorSpecialty"><ValueList><Value>Cardiologie</Value></ValueList></Slot>'
        '<Slot name="authorRole"><ValueList><Value>Rédacteur</Value></ValueList></Slot>'
        "</Classification></ExtrinsicObject>"
    )
    e = document_entry_from_element(_xml.parse_bytes(xml.encode()))
    (author,) = e.authors
    assert author.person is None
    assert author.roles == ("Rédacteur",)
    assert author.extra_slots == {"authorPerson": ["^"], "authorSpecialty": ["Cardiologie"]}
    assert len(e.issues) == 2


def test_inline_base64_document_is_decoded() -> None:
    request = submission()
    el = to_provide_and_register(request, {"Document01": b"hello"})
    doc = el.find("{urn:ihe:iti:xds-b:2007}Document")
    assert doc is not None
    assert doc.text == base64.b64encode(b"hello").decode()


def test_non_xds_and_non_xml_inputs_raise() -> None:
    with pytest.raises(ProtocolError):
        parse_message(b"<root/>")
    with pytest.raises(ProtocolError, match="Fault"):
        parse_message(
            b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault/></s:Body></s:Envelope>'
        )
    with pytest.raises(XMLError):
        parse_message(b"<not xml")
    with pytest.raises(XMLError):
        parse_message(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')


def test_submit_objects_request_without_submission_set_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        parse_message(b"<SubmitObjectsRequest><RegistryObjectList/></SubmitObjectsRequest>")


# --------------------------------------------------------------------------- schema validity


@pytest.mark.shared
def test_fresh_messages_are_schema_valid(fixtures: Path) -> None:
    def schema(rel: str) -> etree.XMLSchema:
        return etree.XMLSchema(etree.parse(str(fixtures / "ebrs30" / rel)))

    request = submission(documents=2)
    request.replace(entry(3), "urn:uuid:7953af1a-ba1c-11eb-816f-0050569e422e")
    lcm, xdsb, query = schema("ebRS30/lcm.xsd"), schema("IHE/XDSB-wrapper.xsd"), schema("ebRS30/query.xsd")
    sor = _xml.parse_bytes(_xml.to_bytes(to_submit_objects_request(request)))
    assert lcm.validate(sor), lcm.error_log
    contents: dict[str, str | bytes] = {d.content_id or "": b"x" for d in request.documents}
    pnr = _xml.parse_bytes(_xml.to_bytes(to_provide_and_register(request, contents)))
    assert xdsb.validate(pnr), xdsb.error_log
    q = AdhocQueryRequest(query_id="urn:uuid:14d4debf-8f97-4251-9a74-a90016b0af0d", slots={"$a": ["'b'"]})
    assert query.validate(_xml.parse_bytes(_xml.to_bytes(to_adhoc_query_request(q)))), query.error_log
