"""Tests of the structural comparison helper used by every "same shape as the official example" test."""

from __future__ import annotations

import pytest
from lxml import etree

from dmpclient import _xml

from .structural import (
    EXAMPLE_ARTEFACTS,
    VOLATILE,
    any_value,
    assert_same_structure,
    drop,
    same_if,
    skip,
    structural_differences,
)


def x(text: str) -> etree._Element:
    return _xml.parse_bytes(text.encode())


def test_prefixes_whitespace_and_comments_do_not_matter() -> None:
    a = x('<a:r xmlns:a="urn:hl7-org:v3"><a:id root="1.2"/>\n  <!-- c --><a:t>  v </a:t></a:r>')
    b = x('<r xmlns="urn:hl7-org:v3"><id root="1.2"/><t>v</t></r>')
    assert structural_differences(a, b) == []


def test_namespace_is_part_of_the_name() -> None:
    a = x('<r xmlns="urn:hl7-org:v3"><id/></r>')
    b = x('<r xmlns="urn:hl7-org:v3"><id xmlns="urn:other"/></r>')
    diffs = structural_differences(a, b)
    assert len(diffs) == 2  # one extra, one missing
    assert any("extra element" in d for d in diffs)
    assert any("missing in ours" in d for d in diffs)


def test_attribute_value_presence_and_text_differences_are_reported_with_paths() -> None:
    a = x('<r><e k="1" extra="y">t</e><e k="2"/></r>')
    b = x('<r><e k="1">u</e><e k="3" need="z"/></r>')
    diffs = structural_differences(a, b)
    assert "/r/e[1]/@extra: extra attribute in ours (= 'y')" in diffs
    assert "/r/e[1]/text(): 't' (ours) != 'u' (example)" in diffs
    assert "/r/e[2]/@k: '2' (ours) != '3' (example)" in diffs
    assert "/r/e[2]/@need: missing in ours (example has 'z')" in diffs
    with pytest.raises(AssertionError, match="4 structural difference"):
        assert_same_structure(a, b)


def test_child_order_matters() -> None:
    a = x("<r><a/><b/></r>")
    b = x("<r><b/><a/></r>")
    assert structural_differences(a, b)


def test_volatile_defaults_ignore_uuids_creation_time_and_security() -> None:
    a = x(
        '<r xmlns="urn:hl7-org:v3"><id root="1.2" extension="1633a409-3d61-4869-aed8-74d92ae20272"/>'
        '<creationTime value="20210519174507"/></r>'
    )
    b = x(
        '<r xmlns="urn:hl7-org:v3"><id root="1.2" extension="87d5fd8f-72b2-43bf-938c-0402bf850d25"/>'
        '<creationTime value="20250101000000"/></r>'
    )
    assert structural_differences(a, b) == []
    assert structural_differences(a, b, ignore=()) != []


def test_uuid_equivalence_needs_both_sides_to_be_uuids() -> None:
    a = x('<r id="urn:uuid:1633a409-3d61-4869-aed8-74d92ae20272"/>')
    b = x('<r id="SubmissionSet01"/>')
    assert structural_differences(a, b) == [
        "/r/@id: 'urn:uuid:1633a409-3d61-4869-aed8-74d92ae20272' (ours) != 'SubmissionSet01' (example)"
    ]


def test_skip_and_string_rules() -> None:
    a = x(
        '<e xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        "<wsse:Security><a/></wsse:Security><t>1</t></e>"
    )
    b = x(
        '<e xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        "<wsse:Security><b/><c/></wsse:Security><t>2</t></e>"
    )
    assert structural_differences(a, b) == ["/e/t[1]/text(): '1' (ours) != '2' (example)"]
    assert structural_differences(a, b, ignore=("wsse:Security", "t/text()")) == []
    assert structural_differences(a, b, ignore=(skip("wsse:Security"), any_value("e/t/text()"))) == []
    assert structural_differences(a, b, ignore=(any_value("other/t/text()"), "wsse:Security")) != []


def test_any_value_still_checks_presence_of_attributes() -> None:
    a = x('<r xmlns="urn:hl7-org:v3"><creationTime/></r>')
    b = x('<r xmlns="urn:hl7-org:v3"><creationTime value="20210519174507"/></r>')
    assert structural_differences(a, b) == [
        "/hl7:r/hl7:creationTime[1]/@value: missing in ours (example has '20210519174507')"
    ]


def test_drop_removes_an_attribute_entirely() -> None:
    a = x('<Action xmlns="http://www.w3.org/2005/08/addressing">u</Action>')
    b = x('<Action xmlns="http://www.w3.org/2005/08/addressing" mustUnderstand="true">u</Action>')
    assert structural_differences(a, b) != []
    assert structural_differences(a, b, ignore=(drop("wsa:Action/@mustUnderstand"),)) == []
    assert structural_differences(a, b, ignore=EXAMPLE_ARTEFACTS) == []


def test_nil_placeholders_are_dropped_only_on_request() -> None:
    a = x('<r xmlns="urn:hl7-org:v3"><id/></r>')
    b = x(
        '<r xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<attentionLine xsi:nil="true"/><id/></r>'
    )
    assert structural_differences(a, b)
    assert structural_differences(a, b, ignore=(*VOLATILE, *EXAMPLE_ARTEFACTS)) == []


def test_xsi_type_values_are_compared_as_qnames() -> None:
    xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    a = x(f'<r xmlns="urn:hl7-org:v3" {xsi}><value xsi:type="CV"/></r>')
    b = x(f'<h:r xmlns:h="urn:hl7-org:v3" {xsi}><h:value xsi:type="h:CV"/></h:r>')
    c = x(f'<h:r xmlns:h="urn:hl7-org:v3" {xsi}><h:value xsi:type="h:BL"/></h:r>')
    assert structural_differences(a, b) == []
    assert structural_differences(a, c) != []


def test_predicates_and_descendant_steps() -> None:
    rim = 'xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"'
    a = x(
        f'<o {rim}><Slot name="submissionTime"><ValueList><Value>1</Value></ValueList></Slot>'
        '<Slot name="x"><ValueList><Value>1</Value></ValueList></Slot></o>'
    )
    b = x(
        f'<o {rim}><Slot name="submissionTime"><ValueList><Value>2</Value></ValueList></Slot>'
        '<Slot name="x"><ValueList><Value>2</Value></ValueList></Slot></o>'
    )
    diffs = structural_differences(a, b)
    assert len(diffs) == 1
    assert "rim:Slot[2]" in diffs[0]


def test_same_if_and_callables() -> None:
    a = x('<r v="1.2.3.1700000000001"/>')
    b = x('<r v="1.2.3.1600000000000"/>')
    assert structural_differences(a, b) != []
    assert structural_differences(a, b, ignore=(same_if(r"^1\.2\.3\.\d+$", "r/@v"),)) == []
    assert structural_differences(a, b, ignore=(lambda el, attr: attr == "v",)) == []


def test_bad_patterns_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown namespace prefix"):
        skip("nope:thing")
    with pytest.raises(ValueError, match="needs"):
        any_value("hl7:id")
