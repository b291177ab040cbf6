"""Built-in CI-SIS header rules: each rule fires on a targeted defect and stays silent on a good document.

The good document is the N1 text document built by :mod:`dmpclient.cda` from its demo inputs (no kit
needed); each case applies one mutation with lxml and checks that exactly the expected rule(s) appear.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from dmpclient import _xml
from dmpclient.cda import build_n1, build_n3, ldl_ses_body
from dmpclient.cda.demo import demo_header, demo_ldl_ses
from dmpclient.cda.validation import HEADER_RULES, check_header, validate_cda
from dmpclient.errors import Finding, Severity

H = "urn:hl7-org:v3"
NS = {"h": H}


def _h(local: str) -> str:
    return f"{{{H}}}{local}"


@pytest.fixture(scope="module")
def n1() -> etree._Element:
    data = build_n1(demo_header(), b"Compte rendu de consultation", media_type="text/plain").data
    assert data is not None
    return _xml.parse_bytes(data)


@pytest.fixture(scope="module")
def n3() -> etree._Element:
    built = build_n3(demo_header(type_code="11490-0", title="Lettre de liaison"), ldl_ses_body(demo_ldl_ses()))
    assert built.data is not None
    return _xml.parse_bytes(built.data)


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=NS)
    assert isinstance(found, list), path
    assert found, path
    el = found[0]
    assert isinstance(el, etree._Element)
    return el


def remove(path: str) -> Callable[[etree._Element], None]:
    def action(root: etree._Element) -> None:
        found = root.xpath(path, namespaces=NS)
        assert isinstance(found, list), path
        assert found, path
        for el in found:
            assert isinstance(el, etree._Element)
            parent = el.getparent()
            assert parent is not None
            parent.remove(el)

    return action


def set_attr(path: str, **values: str) -> Callable[[etree._Element], None]:
    def action(root: etree._Element) -> None:
        el = one(root, path)
        for name, value in values.items():
            el.set(name.rstrip("_"), value)

    return action


def set_text(path: str, text: str) -> Callable[[etree._Element], None]:
    def action(root: etree._Element) -> None:
        one(root, path).text = text

    return action


def duplicate(path: str) -> Callable[[etree._Element], None]:
    def action(root: etree._Element) -> None:
        el = one(root, path)
        el.addnext(copy.deepcopy(el))

    return action


def add_after(path: str, xml: str) -> Callable[[etree._Element], None]:
    def action(root: etree._Element) -> None:
        one(root, path).addnext(_xml.parse_text(f'<x xmlns="{H}">{xml}</x>')[0])

    return action


def chain(*actions: Callable[[etree._Element], None]) -> Callable[[etree._Element], None]:
    def action(root: etree._Element) -> None:
        for a in actions:
            a(root)

    return action


def swap_patient_ids(root: etree._Element) -> None:
    first = one(root, "h:recordTarget/h:patientRole/h:id[1]")
    second = one(root, "h:recordTarget/h:patientRole/h:id[2]")
    first.addprevious(second)  # lxml moves the element


def rename_root(root: etree._Element) -> None:
    root.tag = _h("Document")


@dataclass(frozen=True)
class Case:
    rule: str
    mutate: Callable[[etree._Element], None]
    severity: Severity = Severity.ERROR
    body: str = "n1"
    value: str | None = None


INS_ID = "h:recordTarget/h:patientRole/h:id[1]"
PATIENT = "h:recordTarget/h:patientRole/h:patient"
AUTHOR = "h:author/h:assignedAuthor"
PERFORMER = "h:documentationOf/h:serviceEvent/h:performer"
SETTING = f"{PERFORMER}/h:assignedEntity/h:representedOrganization/h:standardIndustryClassCode"
ENCOUNTER = "h:componentOf/h:encompassingEncounter"
RELATED_RPLC = '<relatedDocument typeCode="{t}"><parentDocument><id root="{r}"/></parentDocument></relatedDocument>'

CASES = [
    Case("cda.root", rename_root),
    Case("cda.realmCode", set_attr("h:realmCode", code="BE")),
    Case("cda.typeId", set_attr("h:typeId", extension="POCD_HD000041")),
    Case("cda.templateId.hl7france", remove("h:templateId[@root='2.16.840.1.113883.2.8.2.1']")),
    Case("cda.templateId.cisis", duplicate("h:templateId[@root='1.2.250.1.213.1.1.1.1']")),
    Case("cda.templateId.model", remove("h:templateId[@root='1.2.250.1.213.1.1.1.29']"), body="n3"),
    Case("cda.templateId.n1", add_after("h:templateId[last()]", '<templateId root="1.2.250.1.213.1.1.1.29"/>')),
    Case(
        "cda.templateId.xds-sd",
        add_after("h:templateId[last()]", '<templateId root="1.3.6.1.4.1.19376.1.2.20"/>'),
        Severity.WARNING,
        body="n3",
    ),
    Case("cda.id", set_attr("h:id", nullFlavor="UNK")),
    Case("cda.id", chain(duplicate("h:id"), set_attr("h:id[2]", root="1.2.3"))),
    Case("cda.id.extension", set_attr("h:id", extension="42"), value="42"),
    Case("cda.code", set_attr("h:code", codeSystem="")),
    Case("cda.code.j07", set_attr("h:code", code="99999-9"), value="99999-9"),
    Case("cda.code.j07", set_attr("h:code", code="27899-4"), Severity.WARNING, value="27899-4"),
    Case("cda.code.lps-forbidden", set_attr("h:code", code="11369-6"), value="11369-6"),
    Case("cda.title", set_text("h:title", "  ")),
    Case("cda.effectiveTime", set_attr("h:effectiveTime", value="20240612135423"), value="20240612135423"),
    Case("cda.effectiveTime", set_attr("h:effectiveTime", value="20241312"), value="20241312"),
    Case("cda.time.offset", set_attr("h:author/h:time", value="202406121354"), Severity.WARNING),
    Case("cda.confidentialityCode", set_attr("h:confidentialityCode", code="X"), value="X"),
    Case("cda.languageCode", set_attr("h:languageCode", code="en-US"), Severity.WARNING, value="en-US"),
    Case("cda.languageCode", remove("h:languageCode")),
    Case("cda.setId", remove("h:setId")),
    Case("cda.versionNumber", set_attr("h:versionNumber", value="0")),
    Case("cda.recordTarget", remove("h:recordTarget/h:patientRole/h:id")),
    Case("cda.ins.missing", set_attr(INS_ID, root="1.2.250.1.999.1"), Severity.WARNING),
    Case("cda.ins.first", swap_patient_ids, Severity.WARNING),
    Case("cda.ins.key", set_attr(INS_ID, extension="279035121518988"), Severity.WARNING, value="279035121518988"),
    Case("cda.ins.birthName", remove(f"{PATIENT}/h:name/h:family[@qualifier='BR']")),
    Case("cda.ins.firstBirthGiven", remove(f"{PATIENT}/h:name/h:given[@qualifier='BR']")),
    Case("cda.ins.birthGivens", remove(f"{PATIENT}/h:name/h:given[not(@qualifier)]")),
    Case("cda.ins.sex", set_attr(f"{PATIENT}/h:administrativeGenderCode", code="X"), value="X"),
    Case("cda.ins.birthDate", remove(f"{PATIENT}/h:birthTime")),
    Case("cda.ins.birthplace", remove(f"{PATIENT}/h:birthplace/h:place/h:addr/h:county")),
    Case("cda.ins.birthplace", set_text(f"{PATIENT}/h:birthplace/h:place/h:addr/h:county", "PARIS"), Severity.WARNING),
    Case("cda.name.qualifier", set_attr(f"{PATIENT}/h:name/h:family[@qualifier='CL']", qualifier="SP"), value="SP"),
    Case("cda.author", remove("h:author")),
    Case("cda.author.id", set_attr(f"{AUTHOR}/h:id", root="1.2.250.1.999.9"), value="1.2.250.1.999.9"),
    Case("cda.author.organization", set_attr(f"{AUTHOR}/h:representedOrganization/h:id", root="1.2.3")),
    Case("cda.author.code", set_attr(f"{AUTHOR}/h:code", code="G15_10/SCH16"), Severity.WARNING),
    Case(
        "cda.author.functionCode",
        add_after("h:author/h:time", '<functionCode code="NOPE" codeSystem="2.16.840.1.113883.5.88"/>'),
        Severity.WARNING,
    ),
    Case("cda.custodian", set_attr("h:custodian//h:representedCustodianOrganization/h:id", root="1.2.3")),
    Case("cda.legalAuthenticator", remove("h:legalAuthenticator")),
    Case("cda.legalAuthenticator", remove("h:legalAuthenticator/h:time")),
    Case("cda.legalAuthenticator.signatureCode", set_attr("h:legalAuthenticator/h:signatureCode", code="X")),
    Case("cda.legalAuthenticator.id", set_attr("h:legalAuthenticator/h:assignedEntity/h:id", root="1.2.3")),
    Case("cda.documentationOf", remove("h:documentationOf")),
    Case("cda.serviceEvent.performer", duplicate(PERFORMER)),
    Case("cda.serviceEvent.effectiveTime", remove("h:documentationOf/h:serviceEvent/h:effectiveTime")),
    Case("cda.practiceSetting", set_attr(SETTING, code="CABINET"), value="CABINET"),
    Case("cda.practiceSetting", remove(SETTING)),
    Case("cda.componentOf", remove("h:componentOf")),
    Case("cda.componentOf", remove(f"{ENCOUNTER}/h:effectiveTime")),
    Case("cda.healthCareFacility", set_attr(f"{ENCOUNTER}/h:location/h:healthCareFacility/h:code", code="SA99")),
    Case("cda.encounter.participant", remove(f"{ENCOUNTER}/h:responsibleParty"), Severity.WARNING),
    Case("cda.relatedDocument", add_after("h:setId", RELATED_RPLC.format(t="APND", r="1.2.3.4")), value="APND"),
    Case("cda.relatedDocument", add_after("h:setId", RELATED_RPLC.format(t="XFRM", r="1.2.3.4")), Severity.WARNING),
    Case("cda.component", remove("h:component")),
    Case("cda.n1.mediaType", set_attr("h:component/h:nonXMLBody/h:text", mediaType="application/zip")),
    Case("cda.n1.representation", set_attr("h:component/h:nonXMLBody/h:text", representation="TXT")),
    Case("cda.n1.representation", set_text("h:component/h:nonXMLBody/h:text", "not*base64!")),
]


def test_every_rule_has_a_case_and_a_code() -> None:
    assert {c.rule for c in CASES} == set(HEADER_RULES)
    assert all(rule.code for rule in HEADER_RULES.values())


def test_good_documents_have_no_findings(n1: etree._Element, n3: etree._Element) -> None:
    assert check_header(n1) == []
    assert check_header(n3) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.rule}-{c.severity.value}")
def test_rule_fires(case: Case, n1: etree._Element, n3: etree._Element) -> None:
    doc = copy.deepcopy(n1 if case.body == "n1" else n3)
    case.mutate(doc)
    findings = check_header(doc)
    hits = [f for f in findings if f.rule == case.rule]
    assert hits, f"{case.rule} did not fire; got {[str(f) for f in findings]}"
    assert {f.severity for f in hits} == {case.severity}
    assert all(f.code == HEADER_RULES[case.rule].code and f.location for f in hits)
    if case.value is not None:
        assert any(f.value == case.value and case.value in f.message for f in hits)


def test_broken_document_lists_the_three_defects(n1: etree._Element) -> None:
    """Missing INS birth name, typeCode outside J07 and no legal authenticator: one finding each."""
    doc = copy.deepcopy(n1)
    remove(f"{PATIENT}/h:name/h:family[@qualifier='BR']")(doc)
    set_attr("h:code", code="00000-0")(doc)
    remove("h:legalAuthenticator")(doc)
    errors = [f for f in validate_cda(doc) if f.is_error]
    assert sorted(f.rule for f in errors) == ["cda.code.j07", "cda.ins.birthName", "cda.legalAuthenticator"]
    by_rule: dict[str, Finding] = {f.rule: f for f in errors}
    assert by_rule["cda.ins.birthName"].message_fr
    assert "traits de l'INS" in by_rule["cda.ins.birthName"].message_fr
    assert by_rule["cda.legalAuthenticator"].location == "/hl7:ClinicalDocument[1]/hl7:legalAuthenticator"
    assert by_rule["cda.code.j07"].location == "/hl7:ClinicalDocument[1]/hl7:code[1]"


def test_inputs_bytes_text_path_and_element(n1: etree._Element, tmp_path: Path) -> None:
    doc = copy.deepcopy(n1)
    remove("h:legalAuthenticator")(doc)
    data = _xml.to_bytes(doc, xml_declaration=True)
    path = tmp_path / "doc.xml"
    path.write_bytes(data)
    expected = [f.rule for f in check_header(doc)]
    for given in (data, data.decode(), path, str(path), doc, doc.getroottree()):
        assert [f.rule for f in validate_cda(given)] == expected  # type: ignore[arg-type]


def test_unsafe_document_is_refused() -> None:
    from dmpclient.errors import XMLSecurityError

    with pytest.raises(XMLSecurityError):
        validate_cda(b'<!DOCTYPE x [<!ENTITY e "e">]><ClinicalDocument xmlns="urn:hl7-org:v3"/>')
