"""Our ISO Schematron → XSLT compiler on tiny hand-written schematrons (no kit needed).

Pure-Python tests (loading, expansion, compile notes) always run; the ones that execute the XSLT need
saxonche (extra ``validation``) and skip/fail through the house ``require_module``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import ModuleType

import pytest

from dmpclient import _xml
from dmpclient.cda.schematron import (
    SchematronError,
    clear_cache,
    compile_schematron,
    get_validator,
    load_schematron,
    resolve_path,
    substitute_params,
    svrl_to_findings,
    validate_schematron,
)
from dmpclient.errors import Severity

SCH = 'xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2"'
NS = '<ns prefix="h" uri="urn:hl7-org:v3"/>'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def schema(tmp: Path, body: str, name: str = "main.sch", extra: str = "") -> Path:
    return write(tmp / name, f"<schema {SCH} {extra}>{NS}{body}</schema>")


DOC = b"""<?xml version="1.0"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <code code="11490-0" codeSystem="2.16.840.1.113883.6.1"/>
  <author><time value="2024"/></author>
  <author><time value="bad"/></author>
  <item kind="a" n="1"/><item kind="b" n="2"/><item kind="a" n="3"/>
</ClinicalDocument>"""


@pytest.fixture
def saxon(house: ModuleType) -> None:
    house.require_module("saxonche", "validation")


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    clear_cache()
    return tmp_path / "cache"


def run(sch: Path, cache: Path, doc: bytes = DOC, **kw: object) -> list:  # type: ignore[type-arg]
    return validate_schematron(doc, sch, cache_dir=cache, **kw)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ pure Python


def test_substitute_params_whole_names_longest_first() -> None:
    params = {"p": "'x'", "p1": "'y'", "path-jdv": "$jdv_a"}
    assert substitute_params("$p1 | $p | $p.q | $pp | $path-jdv", params) == "'y' | 'x' | $p.q | $pp | $jdv_a"
    # The substituted value is not substituted again.
    assert substitute_params("$p", {"p": "$p1", "p1": "'no'"}) == "$p1"


def test_case_insensitive_resolver(tmp_path: Path) -> None:
    real = write(tmp_path / "Include" / "Sections" / "S_Thing.sch", "<x/>")
    exact = resolve_path(tmp_path, "Include/Sections/S_Thing.sch")
    assert exact.path == real
    assert not exact.case_fixed
    fuzzy = resolve_path(tmp_path / "sub", "../include/sections/s_thing.SCH")
    assert fuzzy.path == real
    assert fuzzy.case_fixed
    assert resolve_path(tmp_path, "include/sections/s_thing.sch", case_insensitive=False).path is None
    assert resolve_path(tmp_path, "include/other.sch").path is None


def test_ambiguous_case_match_is_not_resolved(tmp_path: Path) -> None:
    write(tmp_path / "A.sch", "<x/>")
    write(tmp_path / "a.SCH", "<x/>")
    if len(os.listdir(tmp_path)) < 2:  # pragma: no cover - case-insensitive file system
        pytest.skip("case-insensitive file system")
    assert resolve_path(tmp_path, "a.sch").path is None


def test_include_with_case_mismatch_is_loaded_and_noted(tmp_path: Path) -> None:
    write(
        tmp_path / "include" / "Entrees" / "E_Rule.sch",
        f'<pattern {SCH} id="inc"><rule context="h:code"><assert test="@code">code</assert></rule></pattern>',
    )
    sch = schema(tmp_path, '<include href="include/entrees/e_rule.sch"/>')
    loaded = load_schematron(sch)
    assert [n.kind for n in loaded.notes] == ["include-case"]
    assert tmp_path / "include" / "Entrees" / "E_Rule.sch" in loaded.dependencies
    compiled = compile_schematron(sch)
    assert compiled.patterns == ["inc"]


def test_missing_include_is_a_clear_error(tmp_path: Path) -> None:
    sch = schema(tmp_path, '<include href="nowhere/x.sch"/>')
    with pytest.raises(SchematronError, match=r"include href='nowhere/x.sch'.*not found"):
        load_schematron(sch)


def test_include_cycle_is_detected(tmp_path: Path) -> None:
    write(tmp_path / "a.sch", f'<pattern {SCH} id="a"><include href="b.sch"/></pattern>')
    write(tmp_path / "b.sch", f'<pattern {SCH} id="b"><include href="a.sch"/></pattern>')
    sch = schema(tmp_path, '<include href="a.sch"/>')
    with pytest.raises(SchematronError, match="cycle"):
        load_schematron(sch)


def test_unknown_abstract_pattern_and_rule(tmp_path: Path) -> None:
    sch = schema(tmp_path, '<pattern id="i" is-a="nope"><param name="x" value="1"/></pattern>')
    with pytest.raises(SchematronError, match="no abstract pattern"):
        load_schematron(sch)
    sch = schema(tmp_path, '<pattern><rule context="*"><extends rule="nope"/></rule></pattern>', name="b.sch")
    with pytest.raises(SchematronError, match="no abstract rule"):
        load_schematron(sch)


def test_abstract_pattern_instances_are_expanded(tmp_path: Path) -> None:
    sch = schema(
        tmp_path,
        """
        <pattern abstract="true" id="inSet">
          <rule context="$elt"><assert test="@code = $codes">[$label] bad <value-of select="@code"/></assert></rule>
        </pattern>
        <pattern id="codes" is-a="inSet">
          <param name="elt" value="h:code"/><param name="codes" value="('11490-0', 'X')"/>
          <param name="label" value="L"/>
        </pattern>""",
    )
    loaded = load_schematron(sch)
    rules = loaded.root.findall(".//{http://purl.oclc.org/dsdl/schematron}rule")
    assert [r.get("context") for r in rules] == ["h:code"]
    assert rules[0][0].get("test") == "@code = ('11490-0', 'X')"
    assert loaded.root.find(".//{http://purl.oclc.org/dsdl/schematron}pattern[@abstract]") is None


def test_unknown_phase_is_an_error(tmp_path: Path) -> None:
    sch = schema(tmp_path, '<pattern id="p"><rule context="*"><assert test="true()">x</assert></rule></pattern>')
    with pytest.raises(SchematronError, match="phase 'nope' is not defined"):
        compile_schematron(sch, phase="nope")


def test_compiled_xslt_sets_base_uri_to_the_schematron(tmp_path: Path) -> None:
    sch = schema(tmp_path, '<pattern id="p"><rule context="*"><assert test="true()">x</assert></rule></pattern>')
    compiled = compile_schematron(sch)
    root = _xml.parse_text(compiled.xslt)
    assert root.get("{http://www.w3.org/XML/1998/namespace}base") == sch.as_uri()
    assert root.get("version") == "3.0"


def test_svrl_without_role_is_error_and_roles_map() -> None:
    svrl = """<svrl:schematron-output xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
        xmlns:dmpsch="urn:dmpclient:schematron">
      <svrl:failed-assert test="a" location="/x" dmpsch:key="p/r/1" dmpsch:pattern="p"><svrl:text> one
        two </svrl:text></svrl:failed-assert>
      <svrl:failed-assert test="b" role="warning" id="A-2" location="/y" dmpsch:key="A-2"><svrl:text>w</svrl:text>
      </svrl:failed-assert>
      <svrl:successful-report test="c" flag="info" location="/z" dmpsch:key="p/r/3"><svrl:text>i</svrl:text>
      </svrl:successful-report>
    </svrl:schematron-output>"""
    findings = svrl_to_findings(svrl, schema="S")
    assert [(f.rule, f.severity, f.code, f.location, f.message) for f in findings] == [
        ("S:p/r/1", Severity.ERROR, "p", "/x", "one two"),
        ("S:A-2", Severity.WARNING, "A-2", "/y", "w"),
        ("S:p/r/3", Severity.INFO, None, "/z", "i"),
    ]


# ------------------------------------------------------------------------------------------ with Saxon


@pytest.mark.saxon
def test_assert_report_value_of_name_and_location(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<pattern id="p">
          <rule context="h:author/h:time">
            <assert id="TS-1" role="error" test="matches(@value, '^\\d{4}')"><name/> "<value-of
              select="@value"/>" bad</assert>
            <report role="warning" test="@value = '2024'">year only in <name path=".."/></report>
          </rule>
        </pattern>""",
    )
    findings = run(sch, cache)
    assert [(f.rule, f.severity, f.location, f.message) for f in findings] == [
        (
            "main:p/rule1/2",
            Severity.WARNING,
            "/hl7:ClinicalDocument[1]/hl7:author[1]/hl7:time[1]",
            "year only in author",
        ),
        ("main:TS-1", Severity.ERROR, "/hl7:ClinicalDocument[1]/hl7:author[2]/hl7:time[1]", 'time "bad" bad'),
    ]
    assert findings[1].code == "TS-1"


@pytest.mark.saxon
def test_first_matching_rule_of_a_pattern_wins(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<pattern id="p">
          <rule context="h:item[@kind='a']"><report test="true()">A <value-of select="@n"/></report></rule>
          <rule context="h:item"><report test="true()">ANY <value-of select="@n"/></report></rule>
        </pattern>
        <pattern id="q">
          <rule context="h:item"><report test="true()">Q <value-of select="@n"/></report></rule>
        </pattern>""",
    )
    messages = sorted(f.message for f in run(sch, cache))
    # item 1 and 3 are claimed by the first rule of p; item 2 falls to the second; pattern q sees all three.
    assert messages == ["A 1", "A 3", "ANY 2", "Q 1", "Q 2", "Q 3"]


@pytest.mark.saxon
def test_lets_at_schema_pattern_and_rule_level(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<let name="expected" value="'11490-0'"/>
        <pattern id="vars"><let name="count" value="count(//h:item)"/>
          <rule context="/"><assert test="$count = 4">count is <value-of select="$count"/></assert></rule>
        </pattern>
        <pattern id="p">
          <rule context="h:code">
            <let name="c" value="@code"/>
            <assert test="$c != $expected">code <value-of select="$c"/> equals <value-of select="$expected"/></assert>
            <let name="c" value="concat($c, '!')"/>
            <report test="true()">shadowed <value-of select="$c"/></report>
          </rule>
        </pattern>""",
    )
    assert sorted(f.message for f in run(sch, cache)) == [
        "code 11490-0 equals 11490-0",
        "count is 3",
        "shadowed 11490-0!",
    ]


@pytest.mark.saxon
def test_abstract_pattern_with_params_runs(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<pattern abstract="true" id="inSet">
          <rule context="$elt"><assert test="@kind = $allowed">[<value-of select="'$label'"/>] kind
            <value-of select="@kind"/> not allowed</assert></rule>
        </pattern>
        <pattern id="kinds" is-a="inSet">
          <param name="elt" value="h:item"/><param name="allowed" value="'a'"/><param name="label" value="KIND"/>
        </pattern>""",
    )
    findings = run(sch, cache)
    assert [(f.message, f.code, f.location) for f in findings] == [
        ("[KIND] kind b not allowed", "kinds", "/hl7:ClinicalDocument[1]/hl7:item[2]")
    ]


@pytest.mark.saxon
def test_extends_abstract_rules_called_and_inlined(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<pattern>
          <rule abstract="true" id="HAS-N"><assert test="@n">no n on <name/></assert></rule>
          <rule abstract="true" id="DEFINES"><let name="k" value="string(@kind)"/></rule>
        </pattern>
        <pattern id="p">
          <rule context="h:item" id="items">
            <extends rule="HAS-N"/>
            <extends rule="DEFINES"/>
            <report test="$k = 'b'">kind <value-of select="$k"/></report>
          </rule>
          <rule context="h:author" id="authors"><extends rule="HAS-N"/></rule>
        </pattern>""",
    )
    compiled = compile_schematron(sch)
    assert compiled.xslt.count('<xsl:template name="dmpsch:abstract1"') == 1  # HAS-N: one shared template
    assert compiled.xslt.count('<xsl:call-template name="dmpsch:abstract1"') == 2
    assert "dmpsch:abstract2" not in compiled.xslt  # DEFINES: its variable is used after, so it is inlined
    findings = run(sch, cache)
    assert sorted((f.rule, f.message) for f in findings) == [
        ("main:p/authors/HAS-N.1", "no n on author"),
        ("main:p/authors/HAS-N.1", "no n on author"),
        ("main:p/items/1", "kind b"),
    ]


@pytest.mark.saxon
def test_phases_default_explicit_and_all(tmp_path: Path, cache: Path, saxon: None) -> None:
    body = """<phase id="only-a"><active pattern="a"/></phase>
        <pattern id="a"><rule context="/"><report test="true()">A</report></rule></pattern>
        <pattern id="b"><rule context="/"><report test="true()">B</report></rule></pattern>"""
    with_default = schema(tmp_path, body, name="d.sch", extra='defaultPhase="only-a"')
    assert [f.message for f in run(with_default, cache)] == ["A"]
    assert sorted(f.message for f in run(with_default, cache, phase="#ALL")) == ["A", "B"]
    without_default = schema(tmp_path, body, name="n.sch")
    assert sorted(f.message for f in run(without_default, cache)) == ["A", "B"]
    assert [f.message for f in run(without_default, cache, phase="only-a")] == ["A"]


@pytest.mark.saxon
def test_diagnostics_and_xsl_functions(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<xsl:function xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:f="urn:f" name="f:twice">
          <xsl:param name="s"/><xsl:sequence select="concat($s, $s)"/></xsl:function>
        <pattern id="p"><rule context="h:code">
          <assert test="f:twice(@code) = 'x'" diagnostics="d1">twice</assert></rule></pattern>
        <diagnostics><diagnostic id="d1">got <value-of select="f:twice(@code)"/></diagnostic></diagnostics>""",
        extra='xmlns:f="urn:f"',
    )
    (finding,) = run(sch, cache)
    assert finding.message == "twice (got 11490-011490-0)"


@pytest.mark.saxon
def test_value_set_lookup_resolves_against_the_sch(tmp_path: Path, cache: Path, saxon: None) -> None:
    write(
        tmp_path / "jdv" / "JDV_Types.xml",
        '<RetrieveValueSetResponse xmlns="urn:ihe:iti:svs:2008"><ValueSet><ConceptList>'
        '<Concept code="11488-4" codeSystem="2.16.840.1.113883.6.1"/></ConceptList></ValueSet>'
        "</RetrieveValueSetResponse>",
    )
    sch = schema(
        tmp_path / "schematrons",
        """<ns prefix="svs" uri="urn:ihe:iti:svs:2008"/>
        <pattern id="vars"><let name="jdv_types" value="'../JDV/jdv_types.xml'"/></pattern>
        <pattern id="p"><rule context="h:code">
          <assert test="document($jdv_types)//svs:Concept[@code = current()/@code]">code <value-of
            select="@code"/> not in the value set</assert>
          <assert test="doc('../jdv/JDV_Types.xml')//svs:Concept[@code = current()/@code]">literal lookup</assert>
        </rule></pattern>""",
    )
    findings = run(sch, cache)
    # Both lookups read the file (the let through a case-insensitive match) and both asserts fire.
    assert sorted(f.message for f in findings) == ["code 11490-0 not in the value set", "literal lookup"]
    assert all(f.severity is Severity.ERROR for f in findings)
    ok = DOC.replace(b'code="11490-0"', b'code="11488-4"')
    assert run(sch, cache, doc=ok) == []


@pytest.mark.saxon
def test_missing_value_set_makes_dependent_checks_warnings(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<pattern id="vars"><let name="jdv" value="'missing/JDV_None.xml'"/></pattern>
        <pattern id="p"><rule context="h:code">
          <assert test="document($jdv)//*[@code = current()/@code]">not in set</assert>
          <assert test="@code = 'x'">plain check</assert>
        </rule></pattern>""",
    )
    validator = get_validator(sch, cache_dir=cache)
    assert [n.kind for n in validator.notes] == ["resource-missing"]
    findings = validator.validate(DOC)
    by_message = {f.message.split(" — ")[-1]: f for f in findings}
    assert by_message["not in set"].severity is Severity.WARNING
    assert "JDV_None.xml is missing" in findings[0].message
    assert by_message["plain check"].severity is Severity.ERROR


@pytest.mark.saxon
def test_resource_map_substitutes_a_generated_file(tmp_path: Path, cache: Path, saxon: None) -> None:
    generated = write(tmp_path / "gen" / "voc.xml", '<valueSets><concept code="11490-0"/></valueSets>')
    sch = schema(
        tmp_path / "s",
        """<pattern id="p"><rule context="h:code">
          <assert test="@code = doc('include/voc.xml')//concept/@code">not in voc</assert></rule></pattern>""",
    )
    assert [f.severity for f in run(sch, cache)] == [Severity.WARNING]  # missing file → cannot check
    clear_cache()
    mapped = {tmp_path / "s" / "include" / "voc.xml": generated}
    assert run(sch, cache, resource_map=mapped) == []


@pytest.mark.saxon
def test_compiled_form_is_cached_on_disk_and_invalidated(tmp_path: Path, cache: Path, saxon: None) -> None:
    inc = write(
        tmp_path / "inc.sch",
        f'<pattern {SCH} id="p"><rule context="h:code"><report test="true()">v1</report></rule></pattern>',
    )
    sch = schema(tmp_path, '<include href="inc.sch"/>')
    first = get_validator(sch, cache_dir=cache)
    assert not first.from_disk_cache
    assert [f.message for f in first.validate(DOC)] == ["v1"]
    assert len(list((cache / "schematron").glob("*.xsl"))) == 1
    clear_cache()  # memory only
    second = get_validator(sch, cache_dir=cache)
    assert second.from_disk_cache
    assert get_validator(sch, cache_dir=cache) is second  # memory cache
    time.sleep(0.01)
    inc.write_text(inc.read_text().replace("v1", "v2"), encoding="utf-8")
    os.utime(inc, ns=(time.time_ns(), time.time_ns() + 10_000_000))
    third = get_validator(sch, cache_dir=cache)
    assert third is not second
    assert not third.from_disk_cache
    assert [f.message for f in third.validate(DOC)] == ["v2"]


@pytest.mark.saxon
def test_dynamic_error_is_reported_as_schematron_error(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        '<pattern id="p"><rule context="h:code"><assert test="xs:integer(@code) gt 0">x</assert></rule></pattern>',
        extra='xmlns:xs="http://www.w3.org/2001/XMLSchema"',
    )
    with pytest.raises(SchematronError, match="schematron run failed"):
        run(sch, cache)


@pytest.mark.saxon
def test_documents_are_read_from_files_only(tmp_path: Path, cache: Path, saxon: None) -> None:
    sch = schema(
        tmp_path,
        """<pattern id="p"><rule context="/">
          <let name="remote" value="concat('http://', 'example.invalid/jdv.xml')"/>
          <assert test="exists(document($remote))">remote value set not read</assert>
        </rule></pattern>""",
    )
    assert [f.message for f in run(sch, cache)] == ["remote value set not read"]
