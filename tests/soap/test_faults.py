"""SOAP faults: build → parse → typed error; SOAP 1.1 tolerated on read."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS
from dmpclient.errors import ErrorChannel, InvalidValue, SoapFaultError
from dmpclient.soap import (
    FAULT_ACTION,
    SoapProtocolError,
    SoapVersion,
    build_fault,
    build_fault_element,
    parse_envelope,
    parse_fault,
    raise_for_fault,
)

REASON = "Le certificat ayant signé le VIHF est invalide : Not a valid signature certificate"


def test_build_parse_raise_round_trip() -> None:
    envelope = build_fault("Sender", "DMPInvalidCertificate", REASON, relates_to="urn:uuid:req-1")
    parsed = parse_envelope(_xml.to_bytes(envelope))
    assert parsed.is_fault
    assert parsed.action == FAULT_ACTION
    assert parsed.relates_to == "urn:uuid:req-1"
    fault = parsed.fault
    assert fault is not None
    assert (fault.version, fault.code, fault.subcodes) == (SoapVersion.SOAP12, "Sender", ("DMPInvalidCertificate",))
    assert fault.reason == REASON
    assert fault.reasons == (("fr", REASON),)
    assert fault.most_specific_code == "DMPInvalidCertificate"
    with pytest.raises(SoapFaultError) as info:
        raise_for_fault(parsed, transaction="TD0.2", http_status=500)
    error = info.value
    assert error.channel is ErrorChannel.SOAP_FAULT
    assert error.code == "DMPInvalidCertificate"
    assert error.message_fr == REASON  # French, verbatim
    assert error.fault_code == "Sender"
    assert error.subcodes == ["DMPInvalidCertificate"]
    assert error.transaction == "TD0.2"
    assert error.http_status == 500
    assert error.message_id == "urn:uuid:req-1"  # the request's id, from RelatesTo
    assert "DMPInvalidCertificate" in str(error)
    assert "« Le certificat" in str(error)


def test_raise_for_fault_passes_non_faults() -> None:
    parsed = parse_envelope(
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
        b'<s:Body><ok xmlns="urn:x"/></s:Body></s:Envelope>'
    )
    raise_for_fault(parsed)  # no error for a non-fault body
    assert parsed.fault is None
    with pytest.raises(SoapProtocolError):
        parse_fault(parsed)


def test_fault_without_subcode_uses_the_code() -> None:
    parsed = parse_envelope(build_fault("Receiver", None, "Erreur interne"))
    with pytest.raises(SoapFaultError) as info:
        raise_for_fault(parsed, message_id="urn:uuid:mine")
    assert info.value.code == "Receiver"
    assert info.value.subcodes == []
    assert info.value.message_id == "urn:uuid:mine"


def test_nested_and_qualified_subcodes() -> None:
    fault = parse_fault(build_fault("Sender", ["{urn:dmp:errors}Authentication", "DMPAccessForbidden"], "Accès refusé"))
    assert fault.subcodes == ("Authentication", "DMPAccessForbidden")
    assert fault.qualified_subcodes == ("{urn:dmp:errors}Authentication", "DMPAccessForbidden")
    assert fault.most_specific_code == "DMPAccessForbidden"


def test_reason_prefers_french_and_detail_is_kept() -> None:
    xml = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
        '<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value xmlns:d="urn:d">d:VIHF</s:Value></s:Subcode></s:Code>'
        '<s:Reason><s:Text xml:lang="en">Expired token</s:Text><s:Text xml:lang="fr-FR">VIHF expiré</s:Text></s:Reason>'
        "<s:Role>urn:r</s:Role>"
        '<s:Detail><e:info xmlns:e="urn:e">  code 42 <e:sub>voir  support</e:sub></e:info></s:Detail>'
        "</s:Fault></s:Body></s:Envelope>"
    ).encode()
    fault = parse_fault(xml)
    assert fault.reason == "VIHF expiré"
    assert fault.qualified_subcodes == ("{urn:d}VIHF",)
    assert fault.role == "urn:r"
    assert fault.detail is not None
    assert etree.QName(fault.detail[0]).localname == "info"
    assert fault.detail_text == "code 42 voir  support"
    error = fault.to_error()
    assert error.detail == "code 42 voir  support"
    assert error.message_fr == "VIHF expiré"


def test_detail_built_from_text_and_element() -> None:
    extra = etree.Element("{urn:x}why")
    extra.text = "structure introuvable"
    fault = parse_fault(build_fault("Sender", "X", "raison", detail=extra))
    assert fault.detail is not None
    assert fault.detail[0].tag == "{urn:x}why"
    assert extra.getparent() is None  # copied
    assert parse_fault(build_fault("Sender", "X", "r", detail="texte")).detail_text == "texte"


def test_soap11_fault_tolerated_on_read() -> None:
    xml = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        "<soapenv:Fault><faultcode>soapenv:Client.DMPAccessForbidden</faultcode>"
        "<faultstring>Accès refusé : opposition du patient</faultstring><faultactor>urn:dmp</faultactor>"
        "<detail>bris de glace</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    ).encode()
    parsed = parse_envelope(xml)
    assert parsed.version is SoapVersion.SOAP11
    assert parsed.is_fault
    fault = parse_fault(parsed)
    assert (fault.code, fault.subcodes, fault.node) == ("Sender", ("DMPAccessForbidden",), "urn:dmp")
    with pytest.raises(SoapFaultError) as info:
        raise_for_fault(parsed)
    assert info.value.code == "DMPAccessForbidden"
    assert info.value.message_fr == "Accès refusé : opposition du patient"
    server = parse_fault(xml.replace(b"soapenv:Client.DMPAccessForbidden", b"soapenv:Server"))
    assert (server.code, server.subcodes) == ("Receiver", ())


def test_soap12_fault_element_in_a_soap11_envelope_is_not_a_fault() -> None:
    xml = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b'<s:Fault xmlns:s="http://www.w3.org/2003/05/soap-envelope"/></e:Body></e:Envelope>'
    )
    assert not parse_envelope(xml).is_fault


def test_fault_without_code_is_a_protocol_error() -> None:
    xml = (
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault>'
        b"<s:Reason><s:Text>x</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
    )
    with pytest.raises(SoapProtocolError):
        parse_fault(xml)


@pytest.mark.parametrize(("code", "subcode"), [("Client", None), ("Sender", "bad name"), ("Sender", "p:x")])
def test_build_fault_rejects_bad_codes(code: str, subcode: str | None) -> None:
    with pytest.raises(InvalidValue):
        build_fault_element(code, subcode, "r")


def test_fault_element_uses_soap12_and_xml_lang() -> None:
    el = build_fault_element("MustUnderstand", None, "Header non compris", lang="fr")
    assert el.tag == f"{{{NS['soap']}}}Fault"
    text = el.find(f"{{{NS['soap']}}}Reason/{{{NS['soap']}}}Text")
    assert text is not None
    assert text.get(f"{{{NS['xml']}}}lang") == "fr"
    assert parse_fault(el).code == "MustUnderstand"


@pytest.mark.shared
def test_official_fault_action_with_success_body(official_examples: Path) -> None:
    parsed = parse_envelope((official_examples / "td1.5d-maj-compte-internet.response.xml").read_bytes())
    assert parsed.action is not None
    assert parsed.action.endswith(":Fault:SoapFault")
    assert not parsed.is_fault
    raise_for_fault(parsed)  # the body decides: no error
