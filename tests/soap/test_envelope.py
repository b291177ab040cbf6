"""Envelope building and parsing, WS-Addressing, WS-Security insertion, action table."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS, C14NMethod, canonicalize, q
from dmpclient.errors import InvalidValue, XMLSecurityError
from dmpclient.soap import (
    ACTIONS,
    ANONYMOUS,
    SoapProtocolError,
    SoapVersion,
    build_envelope,
    build_response_envelope,
    canonical_action,
    new_message_id,
    parse_envelope,
    response_action,
)

WSA = NS["wsa"]
SOAP = NS["soap"]
UUID_ANY = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UUID_URN = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def _examples(official_examples: Path, kind: str) -> list[Path]:
    return sorted(official_examples.glob(f"td*.{kind}.xml"))


# --------------------------------------------------------------------------- official examples


@pytest.mark.shared
def test_every_official_request_parses(official_examples: Path) -> None:
    requests = [
        *_examples(official_examples, "request"),
        official_examples / "td2.1-alimentation.request.soap-part.xml",
    ]
    assert len(requests) >= 15
    for path in requests:
        raw = path.read_bytes()
        parsed = parse_envelope(raw)
        text_action = re.search(rb"<Action[^>]*>([^<]+)</Action>", raw)
        assert text_action is not None
        assert parsed.action == text_action.group(1).decode().strip(), path.name
        assert UUID_ANY.match(parsed.message_id or ""), path.name
        assert parsed.to == "", path.name  # empty wsa:To in the GIE examples
        assert parsed.reply_to == ANONYMOUS
        assert parsed.payload is not None
        assert parsed.payload.getparent() is parsed.body
        # VIHF present, untouched
        assert parsed.assertion is not None, path.name
        names = {a.get("Name") for a in parsed.assertion.iter(q("saml2", "Attribute"))}
        assert {"VIHF_Version", "Authentification_mode"} <= names, path.name
        assert (parsed.assertion.get("ID") or "").startswith("_")
        assert parsed.security is not None
        assert parsed.assertion.getparent() is parsed.security
        assert not parsed.is_fault


@pytest.mark.shared
def test_official_request_body_names_and_versions(official_examples: Path) -> None:
    expected = {
        "td0.2-test-existence": (q("hl7", "PRPA_IN201307UV02"), SoapVersion.SOAP12),
        "td0.3-mise-a-jour-autorisation": (q("hab", "setAuthorization"), SoapVersion.SOAP12),
        "td0.4-liste-dmp-autorises": (q("pat", "patientList"), SoapVersion.SOAP12),
        "td3.1-recherche-documents": (q("query", "AdhocQueryRequest"), SoapVersion.SOAP12),
        "td3.2-consultation-document": (q("xdsb", "RetrieveDocumentSetRequest"), SoapVersion.SOAP12),
        "td3.3c-supprimer": (q("lcm", "SubmitObjectsRequest"), SoapVersion.SOAP12),
        # the TD2.1 example's root part is SOAP 1.1 (a defect of that file, tolerated on read)
        "td2.1-alimentation": (q("xdsb", "ProvideAndRegisterDocumentSetRequest"), SoapVersion.SOAP11),
    }
    for stem, (tag, version) in expected.items():
        name = f"{stem}.request.soap-part.xml" if stem.startswith("td2.1") else f"{stem}.request.xml"
        parsed = parse_envelope((official_examples / name).read_bytes())
        assert parsed.payload_tag == tag
        assert parsed.version is version
        assert canonical_action(parsed.action) == canonical_action(None, body_tag=tag)


@pytest.mark.shared
def test_every_official_response_parses(official_examples: Path) -> None:
    responses = _examples(official_examples, "response")
    assert len(responses) >= 15
    for path in responses:
        parsed = parse_envelope(path.read_bytes())
        assert (parsed.action or "").startswith("urn:"), path.name
        assert UUID_ANY.match(parsed.message_id or ""), path.name
        assert UUID_ANY.match(parsed.relates_to or ""), path.name
        assert parsed.to == ANONYMOUS
        assert parsed.assertion is None
        assert parsed.payload is not None
        assert parsed.must_understand == frozenset()
        assert not parsed.is_fault  # td1.5d has a fault *action* on a success body: the body decides


@pytest.mark.shared
def test_unprefixed_must_understand_of_the_examples_is_seen(official_examples: Path) -> None:
    parsed = parse_envelope((official_examples / "td3.2-consultation-document.request.xml").read_bytes())
    assert parsed.must_understand == {f"{{{WSA}}}ReplyTo", f"{{{WSA}}}Action"}
    assert parsed.soap_must_understand == frozenset()  # unprefixed: no SOAP meaning


def test_prefixed_must_understand() -> None:
    env = build_envelope(etree.Element("{urn:x}Body"), action="urn:a", to="https://h/s", must_understand=True)
    parsed = parse_envelope(_xml.to_bytes(env))
    assert parsed.soap_must_understand == {f"{{{WSA}}}ReplyTo", f"{{{WSA}}}Action"}
    assert parsed.must_understand == parsed.soap_must_understand
    plain = parse_envelope(build_envelope(etree.Element("{urn:x}Body"), action="urn:a", to=None))
    assert plain.must_understand == frozenset()


# ------------------------------------------------------------------------------- structure


def _structure(el: etree._Element) -> tuple[object, ...]:
    """Names, attributes and text of a tree; ids and namespace prefixes ignored; mustUnderstand unified."""
    attrs = {}
    for key, value in el.attrib.items():
        name = str(key)
        if name in ("mustUnderstand", f"{{{SOAP}}}mustUnderstand"):
            name = "mustUnderstand"
        attrs[name] = value
    text = (el.text or "").strip()
    if el.tag == f"{{{WSA}}}MessageID":
        text = "<id>"
    children = tuple(_structure(c) for c in el if isinstance(c.tag, str))
    return (el.tag, tuple(sorted(attrs.items())), text, children)


@pytest.mark.shared
def test_built_envelope_equals_official_requests_in_structure(official_examples: Path) -> None:
    for path in _examples(official_examples, "request"):
        official = parse_envelope(path.read_bytes())
        assert official.payload is not None
        assert official.action is not None
        built = build_envelope(
            copy.deepcopy(official.payload),
            action=official.action,
            to=None,
            security=official.assertion,
            must_understand=True,
        )
        assert _structure(built) == _structure(official.envelope), path.name
        # and it parses back to the same header fields
        again = parse_envelope(_xml.to_bytes(built))
        assert (again.action, again.to, again.reply_to) == (official.action, "", ANONYMOUS)
        assert again.message_id != official.message_id
        assert UUID_URN.match(again.message_id or "")


def test_header_order_and_ids() -> None:
    env = build_envelope(etree.Element("{urn:x}Req"), action="urn:a", to="https://dmp/services/registry")
    header = env.find(q("soap", "Header"))
    assert header is not None
    assert [etree.QName(c).localname for c in header] == ["MessageID", "To", "ReplyTo", "Action"]
    assert UUID_URN.match(header[0].text or "")
    assert header[1].text == "https://dmp/services/registry"
    assert env.nsmap == {"soap": SOAP}
    other = build_envelope(etree.Element("{urn:x}Req"), action="urn:a", to=None)
    assert parse_envelope(other).message_id != parse_envelope(env).message_id
    response = build_response_envelope(etree.Element("{urn:x}Resp"), action="urn:aResponse", relates_to="urn:uuid:1")
    header = response.find(q("soap", "Header"))
    assert header is not None
    assert [etree.QName(c).localname for c in header] == ["Action", "MessageID", "To", "RelatesTo"]
    parsed = parse_envelope(response)
    assert (parsed.to, parsed.relates_to, parsed.reply_to) == (ANONYMOUS, "urn:uuid:1", None)


def test_explicit_message_id_and_no_reply_to() -> None:
    env = build_envelope(etree.Element("{urn:x}Req"), action="urn:a", to=None, message_id="urn:uuid:abc", reply_to=None)
    parsed = parse_envelope(env)
    assert parsed.message_id == "urn:uuid:abc"
    assert parsed.reply_to is None
    assert parsed.header_block(f"{{{WSA}}}ReplyTo") is None


@pytest.mark.parametrize("action", ["", "   ", " urn:a"])
def test_build_rejects_bad_action(action: str) -> None:
    with pytest.raises(InvalidValue) as info:
        build_envelope(etree.Element("{urn:x}Req"), action=action, to=None)
    assert info.value.field == "action"


def test_build_rejects_non_element_body_and_security() -> None:
    with pytest.raises(InvalidValue):
        build_envelope("<x/>", action="urn:a", to=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidValue) as info:
        build_envelope(etree.Element("{urn:x}R"), action="urn:a", to=None, security=b"<a/>")  # type: ignore[arg-type]
    assert info.value.field == "security"


def test_body_from_another_tree_is_copied_not_stolen() -> None:
    holder = etree.Element("holder")
    body = etree.SubElement(holder, "{urn:x}Req")
    env = build_envelope(body, action="urn:a", to=None)
    assert body.getparent() is holder
    assert parse_envelope(env).payload_tag == "{urn:x}Req"
    lone = etree.Element("{urn:x}Req")
    env2 = build_envelope(lone, action="urn:a", to=None)
    assert parse_envelope(env2).payload is lone  # a parentless body is moved in


# ------------------------------------------------------------------------------------- VIHF


@pytest.mark.shared
def test_signed_vihf_inserted_byte_for_byte(official_examples: Path) -> None:
    vihf = _xml.parse_bytes((official_examples / "vihf-directe-signe.xml").read_bytes())
    original = _xml.to_bytes(vihf)
    c14n_before = canonicalize(vihf, C14NMethod.EXC_C14N)
    env = build_envelope(etree.Element("{urn:x}Req"), action="urn:a", to="https://x", security=vihf)
    wire = _xml.to_bytes(env)
    assert original in wire  # not re-serialized, re-indented or namespace-cleaned
    parsed = parse_envelope(wire)
    assert parsed.assertion is not None
    assert canonicalize(parsed.assertion, C14NMethod.EXC_C14N) == c14n_before
    # (inclusive c14n would pull in soap/wsse from the envelope: the VIHF is signed with exclusive c14n)
    # the caller's element is untouched and reusable
    assert vihf.getparent() is None
    env2 = build_envelope(etree.Element("{urn:x}Req"), action="urn:a", to=None, security=vihf)
    assert original in _xml.to_bytes(env2)
    assert original in _xml.to_bytes(env)


@pytest.mark.shared
def test_assertion_taken_from_a_parsed_envelope_keeps_its_c14n(official_examples: Path) -> None:
    official = parse_envelope((official_examples / "td0.2-test-existence.request.xml").read_bytes())
    assert official.assertion is not None
    before = canonicalize(official.assertion, C14NMethod.EXC_C14N)
    env = build_envelope(etree.Element("{urn:x}Req"), action="urn:a", to=None, security=official.assertion)
    after = parse_envelope(_xml.to_bytes(env)).assertion
    assert after is not None
    assert canonicalize(after, C14NMethod.EXC_C14N) == before


def test_whole_security_block_is_accepted() -> None:
    security = etree.Element(q("wsse", "Security"), nsmap={"wsse": NS["wsse"]})
    assertion = etree.SubElement(security, q("saml2", "Assertion"), ID="_1")
    env = build_envelope(etree.Element("{urn:x}R"), action="urn:a", to=None, security=security)
    parsed = parse_envelope(env)
    assert parsed.security is not None
    assert len(parsed.security) == 1
    assert parsed.assertion is not None
    assert parsed.assertion.get("ID") == "_1"
    assert assertion.getparent() is security


# ------------------------------------------------------------------------------- bad input


def test_parse_rejects_non_envelopes() -> None:
    with pytest.raises(SoapProtocolError) as info:
        parse_envelope(b"<html><body>Bad gateway</body></html>")
    assert info.value.fault_code == "Sender"
    with pytest.raises(SoapProtocolError) as info:
        parse_envelope(b'<e:Envelope xmlns:e="urn:soap:99"><e:Body/></e:Envelope>')
    assert info.value.fault_code == "VersionMismatch"


@pytest.mark.parametrize(
    "xml",
    [
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header/></s:Envelope>',
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/><s:Body/></s:Envelope>',
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/><s:Header/></s:Envelope>',
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><x/><s:Body/></s:Envelope>',
        b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>'
        b'<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">x</a:Action>'
        b'<a:Action xmlns:a="http://www.w3.org/2005/08/addressing">y</a:Action></s:Header><s:Body/></s:Envelope>',
    ],
)
def test_parse_rejects_malformed_envelopes(xml: bytes) -> None:
    with pytest.raises(SoapProtocolError):
        parse_envelope(xml)


def test_parse_minimal_envelope_and_doctype_refused() -> None:
    parsed = parse_envelope(b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>')
    assert parsed.header is None
    assert parsed.payload is None
    assert parsed.action is None
    assert not parsed.is_fault
    with pytest.raises(XMLSecurityError):
        parse_envelope(b'<!DOCTYPE x [<!ENTITY e "x">]><s:Envelope xmlns:s="urn:x"/>')


# ------------------------------------------------------------------------------- addressing


def test_new_message_id_is_a_random_uuid_urn() -> None:
    ids = {new_message_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(UUID_URN.match(i) for i in ids)


def test_canonical_action_accepts_the_conflicting_spellings() -> None:
    hab = "urn:si-dmp-habilitations:HabilitationsEndPoint:"
    assert canonical_action("urn:hl7-org:v3:setAuthorization") == hab + "setAuthorization"
    assert canonical_action("urn:hl7-org:v3:listAuthorizationByPatient") == hab + "listAuthorizationByPatient"
    assert canonical_action("DocumentRepository_ProvideAndRegisterDocumentSet-b") == ACTIONS["TD2.1"]
    assert canonical_action("urn:ihe:iti:pdqv3:2007:PDQSupplier_Service:findCandidatesQuery") == ACTIONS["TD0.5"]
    assert canonical_action(f" {ACTIONS['TD3.1']} ") == ACTIONS["TD3.1"]
    assert canonical_action("urn:unknown:op") == "urn:unknown:op"
    # PatientsSpecific.wsdl declares an empty soapAction: dispatch on the body
    assert canonical_action("", body_tag=q("pat", "patientList")) == ACTIONS["TD0.4"]
    assert canonical_action(None, body_tag="{urn:x}Other") is None
    assert canonical_action(None) is None


def test_response_action() -> None:
    assert response_action(ACTIONS["TD2.1"]) == "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse"
    assert response_action(ACTIONS["TD3.3c"]) == "urn:ihe:iti:2010:UpdateDocumentSet-Response"
    assert response_action("urn:hl7-org:v3:setAuthorization").endswith(":setAuthorizationResponse")
    assert response_action(ACTIONS["TD0.2"]) == "urn:hl7-org:v3:PRPA_IN201308UV02"
    assert response_action("urn:x:op") == "urn:x:opResponse"
    with pytest.raises(InvalidValue):
        response_action("")


@pytest.mark.shared
def test_action_table_matches_the_official_examples(official_examples: Path) -> None:
    files = {
        "TD0.2": "td0.2-test-existence",
        "TD0.3": "td0.3-mise-a-jour-autorisation",
        "TD0.4": "td0.4-liste-dmp-autorises",
        "TD0.5": "td0.5-recherche-patient-sans-ins",
        "TD1.3a": "td1.3a-consultation-donnees-administratives",
        "TD1.6": "td1.6-liste-ps-autorises-bloques",
        "TD3.1": "td3.1-recherche-documents",
        "TD3.2": "td3.2-consultation-document",
        "TD3.3c": "td3.3c-supprimer",
        "TD3.3d": "td3.3d-archiver",
    }
    for td, stem in files.items():
        request = parse_envelope((official_examples / f"{stem}.request.xml").read_bytes())
        response = parse_envelope((official_examples / f"{stem}.response.xml").read_bytes())
        assert request.action == ACTIONS[td], td
        assert response.action == response_action(ACTIONS[td]), td
