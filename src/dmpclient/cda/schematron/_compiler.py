"""Compile an expanded schematron (see :mod:`._loader`) into an XSLT 3.0 stylesheet that emits SVRL.

Shape of the generated stylesheet:

* the root template writes ``svrl:schematron-output`` and, for each active pattern, ``svrl:active-pattern``
  followed by one ``xsl:call-template`` per rule;
* each rule's **context is evaluated once as an expression** over the document
  (``/descendant-or-self::node()/(context)``, or the context itself when absolute), in a global variable,
  **minus the nodes claimed by the earlier rules of the same pattern** — ISO's "first matching rule wins";
  the rule's named template runs the body for each remaining node in document order. (Matching templates
  in one mode per pattern, the skeleton's way, spent 0.4 s per document on the 148 wildcard contexts of
  the structuration-minimale "closed" pattern; one template holding the chained variables made Saxon's
  compile time quadratic. Globals and a template per rule avoid both.);
* ``sch:let``: at rule level a local ``xsl:variable`` in document order; at schema, phase and pattern level a
  global variable (pattern lets are global as in the ISO skeleton: the ANS files read one pattern's
  variables from another; the first definition of a duplicated name wins, with a note);
* ``sch:extends rule=…`` (abstract rules, ART-DECOR's ``DTr1_*``): a named template per abstract rule
  called with the pattern and rule ids, or — when variables cross the boundary — the abstract rule's body
  inlined in place;
* ``sch:assert`` → ``xsl:if test="not(…)"`` writing ``svrl:failed-assert``; ``sch:report`` →
  ``svrl:successful-report``; both carry ``id``, ``role``, ``flag``, ``see``, ``location`` (an XPath built by
  ``dmpsch:location``, ``hl7:`` prefix for the CDA namespace) and ``dmpsch:key`` (a stable id: the assert
  id, else ``pattern/rule/position``); ``sch:value-of``, ``sch:name``, ``sch:emph``/``dir``/``span`` and
  ``diagnostics`` are supported;
* every ``doc()`` / ``document()`` call goes through ``dmpsch:doc``, which resolves against the static base
  URI — set with ``xml:base`` to the ``.sch`` location, so relative value-set paths work although the
  stylesheet is compiled from memory or the cache — and returns the empty sequence for an unavailable file
  instead of aborting (only ``file:`` URIs are read: a schematron never makes the validator fetch from the
  network). String literals naming ``.xml`` files (lets, ``doc('…')``) are resolved at compile
  time: exact name, then the caller's ``resource_map`` (generated substitutes for missing files), then a
  case-insensitive match; checks that depend on a still-missing file are marked ``dmpsch:missing`` and
  reported as warnings;
* ``xsl:function`` / ``xsl:key`` / ``xsl:variable`` / ``xsl:param`` elements placed in the schema are copied.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from lxml import etree

from dmpclient import _xml
from dmpclient.cda.schematron._loader import SOURCE_ATTR, LoadedSchema
from dmpclient.cda.schematron._model import (
    DMP_NS,
    SCH_NS,
    SVRL_NS,
    XSL_NS,
    CompileNote,
    SchematronError,
    is_element,
    text_of,
)
from dmpclient.cda.schematron._resolve import resolve_path
from dmpclient.errors import Severity

__all__ = ["COMPILER_VERSION", "CompiledXslt", "compile_loaded"]

#: Bumped whenever the generated XSLT changes shape (invalidates disk caches).
COMPILER_VERSION: Final = "2"

_S = f"{{{SCH_NS}}}"
_X = f"{{{XSL_NS}}}"
_V = f"{{{SVRL_NS}}}"
_XS = "http://www.w3.org/2001/XMLSchema"
_RESERVED_PREFIXES: Final = {"xsl": XSL_NS, "svrl": SVRL_NS, "dmpsch": DMP_NS, "xs": _XS}
_XML_LITERAL = re.compile(r"""^\s*(['"])([^'"]+\.xml)\1\s*$""")
_DOC_LITERAL = re.compile(r"""(?<![\w:.\-])(?:fn:)?(doc|document)\s*\(\s*(['"])([^'"]*)\2\s*\)""")
_DOC_CALL = re.compile(r"""(?<![\w:.\-])(?:fn:)?(doc|document)\s*\(""")
_VAR_REF = re.compile(r"\$([\w.\-]+(?::[\w.\-]+)?)")


@dataclass
class CompiledXslt:
    """The output of the compiler.

    Attributes:
        xslt: the stylesheet text (UTF-8 XML, XSLT 3.0).
        phase: the phase compiled (``#ALL`` or a phase id).
        patterns: ids of the active patterns, in order.
        notes: loader and compiler notes.
        dependencies: the files read.
    """

    xslt: str
    phase: str
    patterns: list[str]
    notes: list[CompileNote] = field(default_factory=list)
    dependencies: list[Path] = field(default_factory=list)


@dataclass
class _Scope:
    """Where a rule body is being written: key prefix, pattern id, variables in scope."""

    key_base: str  # AVT text ending with "/"
    pattern_avt: str
    pattern: str
    pattern_expr: str
    rule_expr: str
    chain: tuple[str, ...] = ()
    defined: set[str] = field(default_factory=set)
    missing: dict[str, str] = field(default_factory=dict)


def _xpath_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_ATTRS_WITH_XPATH: Final = ("test", "select", "value", "context", "path")


def _variables_used(element: etree._Element) -> set[str]:
    names: set[str] = set()
    for node in element.iter():
        if not is_element(node):
            continue
        for attr in _ATTRS_WITH_XPATH:
            value = node.get(attr)
            if value and "$" in value:
                names.update(m.group(1) for m in _VAR_REF.finditer(value))
    return names


def _children(element: etree._Element, local: str) -> list[etree._Element]:
    return [c for c in element if c.tag == _S + local]


def _norm(path: Path) -> Path:
    return Path(os.path.normpath(Path(path).absolute()))


def _context_expression(context: str) -> str:
    """The nodes a rule context (an XSLT pattern) matches, as an expression evaluated at the document node.

    A pattern ``P`` matches node ``N`` iff ``N`` is selected by ``/descendant-or-self::node()/(P)`` — or by
    ``P`` itself when it is absolute (``/``, ``/…``, ``//…``).
    """
    stripped = context.strip()
    if stripped.startswith("/") and "|" not in stripped:
        return stripped
    return f"/descendant-or-self::node()/({stripped})"


def _avt_escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


class _Compiler:
    def __init__(
        self,
        loaded: LoadedSchema,
        *,
        phase: str | None,
        resource_map: Mapping[Path, Path],
        fired_rules: bool,
    ) -> None:
        self.loaded = loaded
        self.root = loaded.root
        self.main = loaded.path
        self.base_dir = loaded.path.parent
        self.resource_map = {_norm(k): _norm(v) for k, v in resource_map.items()}
        self.fired_rules = fired_rules
        self.notes: list[CompileNote] = list(loaded.notes)
        self.missing_uris: set[str] = set()
        self.missing_vars: dict[str, str] = {}
        self.requested_phase = phase
        self.namespaces: dict[str, str] = {}
        self._noted: set[tuple[str, str]] = set()
        self.abstract_rules = loaded.abstract_rules
        self._analysis: dict[str, tuple[set[str], set[str]]] = {}
        self._abstract_names: dict[str, str] = {}
        self._sheet: etree._Element | None = None

    # ----------------------------------------------------------------------------------------- helpers

    def note(self, kind: str, message: str, subject: str, severity: Severity = Severity.INFO) -> None:
        if (kind, subject) in self._noted:
            return
        self._noted.add((kind, subject))
        self.notes.append(CompileNote(kind=kind, message=message, severity=severity, subject=subject))

    def resolve_resource(self, literal: str) -> str:
        """Absolute URI for a value-set path written relative to the main schematron."""
        resolution = resolve_path(self.base_dir, literal, case_insensitive=False)
        requested = resolution.requested
        mapped = self.resource_map.get(requested)
        if mapped is not None:
            self.note("resource-mapped", f"{literal!r} is served from {mapped}", literal)
            return mapped.as_uri()
        if resolution.path is not None:
            return resolution.path.as_uri()
        fuzzy = resolve_path(self.base_dir, literal, case_insensitive=True)
        if fuzzy.path is not None:
            self.note("resource-case", f"{literal!r} matched {fuzzy.path.name!r} only case-insensitively", literal)
            return fuzzy.path.as_uri()
        uri = requested.as_uri()
        self.missing_uris.add(uri)
        self.note(
            "resource-missing",
            f"value-set file {literal!r} is missing ({requested}); checks that read it are reported as warnings",
            literal,
            Severity.WARNING,
        )
        return uri

    def rewrite_expr(self, expr: str) -> str:
        """Route doc()/document() through dmpsch:doc and resolve literal file names."""
        if "doc" not in expr:
            return expr

        def literal(m: re.Match[str]) -> str:
            uri = self.resolve_resource(m.group(3))
            return f"dmpsch:doc('{uri}')"

        expr = _DOC_LITERAL.sub(literal, expr)
        return _DOC_CALL.sub("dmpsch:doc(", expr)

    def global_value(self, name: str, value: str) -> str:
        m = _XML_LITERAL.match(value)
        if m:
            uri = self.resolve_resource(m.group(2))
            if uri in self.missing_uris:
                self.missing_vars[name] = m.group(2)
            return f"'{uri}'"
        rewritten = self.rewrite_expr(value)
        missing = self.missing_in(rewritten, {})
        if missing:
            self.missing_vars[name] = missing
        return rewritten

    def missing_in(self, expr: str, local_missing: Mapping[str, str]) -> str | None:
        for uri in self.missing_uris:
            if uri in expr:
                return uri.rsplit("/", 1)[-1]
        for m in _VAR_REF.finditer(expr):
            name = m.group(1)
            if name in local_missing:
                return local_missing[name]
            if name in self.missing_vars:
                return self.missing_vars[name]
        return None

    def element(self, parent: etree._Element, local: str, source: etree._Element | None = None) -> etree._Element:
        """An xsl: element carrying the namespace declarations in scope on ``source`` (XPath static context)."""
        extra: dict[str | None, str] = {}
        if source is not None:
            for prefix, uri in source.nsmap.items():
                if prefix and uri != SCH_NS and self.namespaces.get(prefix) != uri and prefix not in _RESERVED_PREFIXES:
                    extra[prefix] = uri
        return etree.SubElement(parent, _X + local, nsmap=extra or None)  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------------------ phases

    def select_patterns(self, patterns: list[etree._Element]) -> tuple[str, list[etree._Element], list[etree._Element]]:
        phase = self.requested_phase
        if phase is None:
            phase = self.root.get("defaultPhase") or "#ALL"
        if phase == "#DEFAULT":
            phase = self.root.get("defaultPhase") or "#ALL"
        if phase == "#ALL":
            return phase, patterns, []
        phases = {p.get("id"): p for p in self.root.iter(_S + "phase")}
        chosen = phases.get(phase)
        if chosen is None:
            raise SchematronError(
                f"phase {phase!r} is not defined (phases: {sorted(map(str, phases))})", path=str(self.main)
            )
        active_ids = [a.get("pattern") for a in _children(chosen, "active")]
        by_id = {p.get("id"): p for p in patterns}
        selected: list[etree._Element] = []
        for pid in active_ids:
            found = by_id.get(pid)
            if found is None:
                self.note("phase-pattern", f"phase {phase!r} activates unknown pattern {pid!r}", str(pid))
                continue
            if found not in selected:
                selected.append(found)
        return phase, selected, _children(chosen, "let")

    # ----------------------------------------------------------------------------------------- compile

    def compile(self) -> CompiledXslt:
        root = self.root
        for ns in root.iter(_S + "ns"):
            prefix, uri = ns.get("prefix"), ns.get("uri")
            if not prefix or uri is None:
                continue
            if prefix in _RESERVED_PREFIXES and _RESERVED_PREFIXES[prefix] != uri:
                raise SchematronError(f"namespace prefix {prefix!r} is reserved by the compiler", path=str(self.main))
            self.namespaces.setdefault(prefix, uri)
        binding = (root.get("queryBinding") or "xslt").lower()
        if binding not in ("xslt2", "xslt3", "xpath2", "xpath3", "xpath31", "xslt"):
            self.note("query-binding", f"queryBinding {binding!r} is run as XSLT 3.0", binding)

        all_patterns = [p for p in root.iter(_S + "pattern") if p.get("abstract") != "true"]
        phase, active, phase_lets = self.select_patterns(all_patterns)

        nsmap: dict[str | None, str] = {"xsl": XSL_NS, "svrl": SVRL_NS, "dmpsch": DMP_NS, "xs": _XS}
        nsmap.update(self.namespaces)
        sheet = etree.Element(_X + "stylesheet", nsmap=nsmap)  # type: ignore[arg-type]
        sheet.set("version", "3.0")
        sheet.set("exclude-result-prefixes", "#all")
        sheet.set("{http://www.w3.org/XML/1998/namespace}base", self.main.as_uri())
        self._sheet = sheet
        out = etree.SubElement(sheet, _X + "output")
        out.set("method", "xml")
        out.set("indent", "no")
        out.set("encoding", "UTF-8")

        self._helpers(sheet)
        for foreign in root:
            if (
                is_element(foreign)
                and foreign.tag.startswith(_X)
                and etree.QName(foreign).localname
                in (
                    "function",
                    "key",
                    "variable",
                    "param",
                )
            ):
                sheet.append(_copy_foreign(foreign))

        # Global variables: schema lets, phase lets, then every pattern's lets (first definition wins).
        declared: dict[str, str] = {}
        globals_: list[etree._Element] = [*_children(root, "let"), *phase_lets]
        for pattern in all_patterns:
            globals_.extend(_children(pattern, "let"))
        for let in globals_:
            name = let.get("name", "")
            value = let.get("value")
            if name in declared:
                if declared[name] != (value or ""):
                    self.note("duplicate-variable", f"variable ${name} is defined twice; the first value is used", name)
                continue
            declared[name] = value or ""
            var = self.element(sheet, "variable", let)
            var.set("name", name)
            if let.get("as"):
                var.set("as", let.get("as", ""))
            if value is not None:
                var.set("select", self.global_value(name, value))
            else:
                _copy_content(let, var)

        diagnostics = {d.get("id"): d for d in root.iter(_S + "diagnostic")}

        top = etree.SubElement(sheet, _X + "template")
        top.set("match", "/")
        output = etree.SubElement(top, _V + "schematron-output")
        title = root.find(_S + "title")
        if title is not None:
            output.set("title", _avt_escape(" ".join(text_of(title).split())))
        if root.get("schemaVersion"):
            output.set("schemaVersion", _avt_escape(root.get("schemaVersion", "")))
        output.set("phase", _avt_escape(phase))
        for prefix, uri in sorted(self.namespaces.items()):
            decl = etree.SubElement(output, _V + "ns-prefix-in-attribute-values")
            decl.set("prefix", prefix)
            decl.set("uri", uri)

        pattern_ids: list[str] = []
        for index, pattern in enumerate(all_patterns):
            if pattern not in active:
                continue
            rules = [r for r in _children(pattern, "rule") if r.get("context")]
            pid = pattern.get("id") or f"pattern{index + 1}"
            pattern_ids.append(pid)
            ap = etree.SubElement(output, _V + "active-pattern")
            ap.set("id", _avt_escape(pid))
            ptitle = pattern.find(_S + "title")
            if ptitle is not None:
                ap.set("name", _avt_escape(" ".join(text_of(ptitle).split())))
            if not rules:
                continue
            self._pattern(sheet, output, pid, index + 1, rules, diagnostics)

        text = etree.tostring(sheet, encoding="unicode")
        return CompiledXslt(
            xslt='<?xml version="1.0" encoding="UTF-8"?>\n' + text,
            phase=phase,
            patterns=pattern_ids,
            notes=self.notes,
            dependencies=list(self.loaded.dependencies),
        )

    def _helpers(self, sheet: etree._Element) -> None:
        helpers = _xml.parse_text(_HELPERS, origin="compiler helpers")
        for child in helpers:
            sheet.append(child)

    def _pattern(
        self,
        sheet: etree._Element,
        output: etree._Element,
        pid: str,
        number: int,
        rules: list[etree._Element],
        diagnostics: Mapping[str | None, etree._Element],
    ) -> None:
        """Compile one pattern.

        Each rule's context is evaluated once, as a global variable, as an expression over the whole
        document, minus the nodes claimed by the earlier rules of the pattern (ISO: the first matching rule
        wins); a named template per rule runs the body for each of its nodes in document order. Globals and
        one template per rule keep Saxon's compile time linear (one template holding hundreds of chained
        variables made it quadratic).
        """
        claimed: str | None = None
        for position, rule in enumerate(rules):
            context = " ".join(rule.get("context", "").split())
            rid = rule.get("id") or f"rule{position + 1}"
            stem = f"dmpsch:p{number}r{position + 1}"
            nodes = self.element(sheet, "variable", rule)
            nodes.set("name", stem)
            nodes.set("as", "node()*")
            expr = _context_expression(self.rewrite_expr(context))
            nodes.set("select", f"({expr}) except ${claimed}" if claimed else expr)
            if position + 1 < len(rules):
                union = etree.SubElement(sheet, _X + "variable")
                union_name = f"dmpsch:p{number}c{position + 1}"
                union.set("name", union_name)
                union.set("as", "node()*")
                union.set("select", f"${claimed} | ${stem}" if claimed else f"${stem}")
                claimed = union_name
            template = etree.SubElement(sheet, _X + "template")
            template.set("name", stem)
            loop = etree.SubElement(template, _X + "for-each")
            loop.set("select", f"${stem}")
            if self.fired_rules:
                fired = etree.SubElement(loop, _V + "fired-rule")
                fired.set("context", _avt_escape(context))
                fired.set("id", _avt_escape(rid))
                fired.set("{" + DMP_NS + "}pattern", _avt_escape(pid))
            self._body(
                loop,
                rule,
                _Scope(
                    key_base=_avt_escape(f"{pid}/{rid}/"),
                    pattern_avt=_avt_escape(pid),
                    pattern=pid,
                    pattern_expr=_xpath_string(pid),
                    rule_expr=_xpath_string(rid),
                ),
                diagnostics,
            )
            call = etree.SubElement(output, _X + "call-template")
            call.set("name", stem)

    # ------------------------------------------------------------------------------------- rule bodies

    def _body(
        self,
        target: etree._Element,
        rule: etree._Element,
        scope: _Scope,
        diagnostics: Mapping[str | None, etree._Element],
        *,
        abstract_id: str | None = None,
    ) -> None:
        """Write the lets, checks and extends of ``rule`` (concrete or abstract) into ``target``."""
        items = [i for i in rule if is_element(i) and i.tag.startswith(_S)]
        check_index = 0
        for position, item in enumerate(items):
            local = item.tag[len(_S) :]
            if local == "let":
                name = item.get("name", "")
                var = self.element(target, "variable", item)
                var.set("name", name)
                if item.get("as"):
                    var.set("as", item.get("as", ""))
                value = item.get("value")
                if value is not None:
                    m = _XML_LITERAL.match(value)
                    rewritten = f"'{self.resolve_resource(m.group(2))}'" if m else self.rewrite_expr(value)
                    var.set("select", rewritten)
                    missing = self.missing_in(rewritten, scope.missing)
                    if missing:
                        scope.missing[name] = missing
                else:
                    _copy_content(item, var)
                scope.defined.add(name)
            elif local in ("assert", "report"):
                check_index += 1
                if item.get("id"):
                    key_avt = _avt_escape(item.get("id", ""))
                else:
                    prefix = f"{abstract_id}." if abstract_id else ""
                    key_avt = scope.key_base + _avt_escape(f"{prefix}{check_index}")
                self._check(target, item, local, key_avt, scope, diagnostics)
            elif local == "extends":
                base_id = item.get("rule", "")
                if base_id in scope.chain:
                    raise SchematronError(f"extends cycle: {' -> '.join([*scope.chain, base_id])}", path=str(self.main))
                defined, used = self._analyze(base_id, ())
                later: set[str] = set()
                for rest in items[position + 1 :]:
                    later |= _variables_used(rest)
                inline = bool((used - defined) & scope.defined) or bool(later & defined)
                if inline:  # variables cross the boundary: expand in place, sharing the scope (ISO semantics)
                    saved = scope.chain
                    scope.chain = (*saved, base_id)
                    self._body(target, self.abstract_rules[base_id], scope, diagnostics, abstract_id=base_id)
                    scope.chain = saved
                else:
                    call = etree.SubElement(target, _X + "call-template")
                    call.set("name", self._abstract_template(base_id, diagnostics))
                    for param, select in (("pattern", scope.pattern_expr), ("rule", scope.rule_expr)):
                        arg = etree.SubElement(call, _X + "with-param")
                        arg.set("name", f"dmpsch:{param}")
                        arg.set("select", select)

    def _analyze(self, rule_id: str, chain: tuple[str, ...]) -> tuple[set[str], set[str]]:
        """(variables defined, variables referenced) by the full expansion of an abstract rule."""
        cached = self._analysis.get(rule_id)
        if cached is not None:
            return cached
        if rule_id in chain:
            raise SchematronError(f"extends cycle: {' -> '.join([*chain, rule_id])}", path=str(self.main))
        defined: set[str] = set()
        used: set[str] = set()
        for item in self.abstract_rules[rule_id]:
            if item.tag == _S + "let":
                defined.add(item.get("name", ""))
                used |= _variables_used(item)
            elif item.tag == _S + "extends":
                d, u = self._analyze(item.get("rule", ""), (*chain, rule_id))
                defined |= d
                used |= u
            elif is_element(item):
                used |= _variables_used(item)
        self._analysis[rule_id] = (defined, used)
        return defined, used

    def _abstract_template(self, rule_id: str, diagnostics: Mapping[str | None, etree._Element]) -> str:
        """Name of the named template of an abstract rule (written on first use)."""
        name = self._abstract_names.get(rule_id)
        if name is not None:
            return name
        name = f"dmpsch:abstract{len(self._abstract_names) + 1}"
        self._abstract_names[rule_id] = name
        assert self._sheet is not None
        template = self.element(self._sheet, "template", self.abstract_rules[rule_id])
        template.set("name", name)
        for param in ("pattern", "rule"):
            decl = etree.SubElement(template, _X + "param")
            decl.set("name", f"dmpsch:{param}")
            decl.set("as", "xs:string")
        scope = _Scope(
            key_base="{$dmpsch:pattern}/{$dmpsch:rule}/",
            pattern_avt="{$dmpsch:pattern}",
            pattern=f"abstract rule {rule_id}",
            pattern_expr="$dmpsch:pattern",
            rule_expr="$dmpsch:rule",
            chain=(rule_id,),
        )
        self._body(template, self.abstract_rules[rule_id], scope, diagnostics, abstract_id=rule_id)
        return name

    def _check(
        self,
        template: etree._Element,
        item: etree._Element,
        kind: str,
        key_avt: str,
        scope: _Scope,
        diagnostics: Mapping[str | None, etree._Element],
    ) -> None:
        test = item.get("test")
        if test is None:
            raise SchematronError(f"{kind} without test in pattern {scope.pattern!r}", path=str(self.main))
        rewritten = self.rewrite_expr(test)
        condition = self.element(template, "if", item)
        condition.set("test", f"not({rewritten})" if kind == "assert" else f"boolean({rewritten})")
        record = etree.SubElement(condition, _V + ("failed-assert" if kind == "assert" else "successful-report"))
        record.set("test", _avt_escape(test))
        for attr in ("id", "role", "flag", "see"):
            if item.get(attr):
                record.set(attr, _avt_escape(item.get(attr, "")))
        record.set("location", "{dmpsch:location(.)}")
        record.set(f"{{{DMP_NS}}}key", key_avt)
        record.set(f"{{{DMP_NS}}}pattern", scope.pattern_avt)
        missing = self.missing_in(rewritten, scope.missing)
        if missing:
            record.set(f"{{{DMP_NS}}}missing", _avt_escape(missing))
        text = etree.SubElement(record, _V + "text")
        self._message(text, item)
        for ref in (item.get("diagnostics") or "").split():
            diag = diagnostics.get(ref)
            if diag is None:
                self.note("diagnostic", f"diagnostic {ref!r} referenced in pattern {scope.pattern} is not defined", ref)
                continue
            holder = etree.SubElement(record, _V + "diagnostic-reference")
            holder.set("diagnostic", _avt_escape(ref))
            self._message(holder, diag)

    def _message(self, target: etree._Element, source: etree._Element) -> None:
        """Convert the mixed content of an assert/report/diagnostic into XSLT that writes text."""
        self._text(target, source.text)
        for child in source:
            if is_element(child):
                local = child.tag[len(_S) :] if child.tag.startswith(_S) else None
                if local == "value-of":
                    value = self.element(target, "value-of", child)
                    value.set("select", self.rewrite_expr(child.get("select", "''")))
                elif local == "name":
                    value = self.element(target, "value-of", child)
                    path = child.get("path")
                    value.set("select", f"name({self.rewrite_expr(path)})" if path else "name(.)")
                else:  # emph, dir, span, foreign elements: keep their text
                    self._message(target, child)
            self._text(target, child.tail)

    @staticmethod
    def _text(target: etree._Element, text: str | None) -> None:
        if text:
            node = etree.SubElement(target, _X + "text")
            node.text = text


def _copy_foreign(element: etree._Element) -> etree._Element:
    clone = copy.deepcopy(element)
    clone.tail = None
    for attr in list(clone.attrib):
        if attr == SOURCE_ATTR:
            del clone.attrib[attr]
    return clone


def _copy_content(source: etree._Element, target: etree._Element) -> None:
    target.text = source.text
    for child in source:
        target.append(copy.deepcopy(child))


_HELPERS: Final = f"""<helpers xmlns:xsl="{XSL_NS}" xmlns:xs="{_XS}" xmlns:dmpsch="{DMP_NS}">
  <xsl:function name="dmpsch:doc" as="document-node()*">
    <xsl:param name="href" as="item()*"/>
    <xsl:for-each select="$href">
      <xsl:variable name="uri" select="resolve-uri(string(.), static-base-uri())"/>
      <xsl:if test="starts-with(string($uri), 'file:') and doc-available($uri)">
        <xsl:sequence select="doc($uri)"/>
      </xsl:if>
    </xsl:for-each>
  </xsl:function>
  <xsl:function name="dmpsch:step" as="xs:string">
    <xsl:param name="n" as="node()"/>
    <xsl:choose>
      <xsl:when test="$n instance of element()">
        <xsl:variable name="uri" select="namespace-uri($n)"/>
        <xsl:variable name="prefix" select="if ($uri = 'urn:hl7-org:v3') then 'hl7:'
            else if ($uri = '') then '' else concat('Q{{', $uri, '}}')"/>
        <xsl:sequence select="concat('/', $prefix, local-name($n), '[',
            count($n/preceding-sibling::*[node-name(.) eq node-name($n)]) + 1, ']')"/>
      </xsl:when>
      <xsl:when test="$n instance of attribute()">
        <xsl:sequence select="concat('/@', name($n))"/>
      </xsl:when>
      <xsl:when test="$n instance of text()">
        <xsl:sequence select="concat('/text()[', count($n/preceding-sibling::text()) + 1, ']')"/>
      </xsl:when>
      <xsl:when test="$n instance of comment()">
        <xsl:sequence select="concat('/comment()[', count($n/preceding-sibling::comment()) + 1, ']')"/>
      </xsl:when>
      <xsl:when test="$n instance of processing-instruction()">
        <xsl:sequence select="concat('/processing-instruction()[',
            count($n/preceding-sibling::processing-instruction()) + 1, ']')"/>
      </xsl:when>
      <xsl:otherwise><xsl:sequence select="''"/></xsl:otherwise>
    </xsl:choose>
  </xsl:function>
  <xsl:function name="dmpsch:location" as="xs:string">
    <xsl:param name="node" as="node()"/>
    <xsl:variable name="path" select="string-join(for $n in $node/ancestor-or-self::node()[parent::node()]
        return dmpsch:step($n), '')"/>
    <xsl:sequence select="if ($path = '') then '/' else $path"/>
  </xsl:function>
</helpers>"""


def compile_loaded(
    loaded: LoadedSchema,
    *,
    phase: str | None = None,
    resource_map: Mapping[Path, Path] | None = None,
    fired_rules: bool = False,
) -> CompiledXslt:
    """Compile an expanded schematron to XSLT 3.0 text.

    Args:
        loaded: the output of :func:`~dmpclient.cda.schematron._loader.load_schematron`.
        phase: ``None`` (the schema's ``defaultPhase``, else all patterns), ``"#ALL"``, ``"#DEFAULT"`` or a
            phase id.
        resource_map: value-set files to substitute: requested path (as written, resolved against the
            ``.sch`` directory) → file to read instead.
        fired_rules: also emit ``svrl:fired-rule`` for every rule that matched a node (debugging, tests).
    """
    return _Compiler(loaded, phase=phase, resource_map=resource_map or {}, fired_rules=fired_rules).compile()
