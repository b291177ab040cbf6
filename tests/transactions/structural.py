"""Structural comparison of two XML trees, for "our request has the shape of the official example" tests.

Usage::

    from structural import VOLATILE, EXAMPLE_ARTEFACTS, any_value, assert_same_structure

    assert_same_structure(ours_body, example_body)                      # volatile ids/times ignored
    assert_same_structure(ours_env, example_env, ignore=(*VOLATILE, *EXAMPLE_ARTEFACTS, any_value("wsa:To/text()")))

What is compared, element by element and in document order: the element's namespace-aware name (Clark
name — prefixes do not matter), its attribute names and values (``xsi:type`` values are compared as
resolved QNames), and its text and tails stripped of surrounding whitespace. Whitespace-only text,
comments and processing instructions are ignored; namespace declarations are not attributes in lxml and
are ignored too.

What is *not* compared is given by ``ignore``, a sequence of rules. A rule is one of:

* a string pattern (XSLT-like, matched from the end against the element and its ancestors; ``/`` =
  parent, ``//`` = any ancestor; a step is ``prefix:local``, ``*`` or ``prefix:*``, optionally with
  ``[@name='value']`` or ``[@name]`` predicates; prefixes are those of :data:`dmpclient._xml.NS`):

  - ``"wsse:Security"`` — skip the matching elements (and their subtrees) in both trees;
  - ``"hl7:creationTime/@value"`` — the attribute must be present on both sides, its value is not compared;
  - ``"wsa:MessageID/text()"`` — the element's text is not compared (nor whether it has one);
* :func:`skip`, :func:`any_value`, :func:`drop` (attribute removed from both trees before comparing:
  neither presence nor value matter) and :func:`same_if` (two values are equal when both match a regular
  expression, e.g. two UUIDs) — explicit constructors of the same rules;
* :data:`NIL_PLACEHOLDERS` — drop empty ``xsi:nil="true"`` elements (placeholders of the GIE examples);
* any callable ``(element, attribute_name_or_None) -> bool`` returning True when that value (an attribute
  value, or the element's text for None) is volatile.

:data:`VOLATILE` (the default) ignores what changes on every message: the ``wsse:Security`` header (the
VIHF is ours), WS-Addressing ``MessageID`` and ``RelatesTo``, HL7 v3 ``creationTime``, every value that is a
UUID on both sides (``urn:uuid:…`` or bare: message ids, query ids, entryUUIDs), and the XDS
``submissionTime`` / ``creationTime`` slot values. :data:`EXAMPLE_ARTEFACTS` ignores the oddities of the GIE
examples that a correct message does not reproduce (``xsi:nil`` placeholders, the unprefixed
``mustUnderstand`` attribute of the requests' WS-Addressing headers).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from lxml import etree

from dmpclient._xml import NS

__all__ = [
    "EXAMPLE_ARTEFACTS",
    "NIL_PLACEHOLDERS",
    "REQUEST_IGNORES",
    "UUID_VALUE",
    "VOLATILE",
    "Rule",
    "any_value",
    "assert_same_structure",
    "drop",
    "same_if",
    "skip",
    "structural_differences",
]

_XSI_TYPE: Final = f"{{{NS['xsi']}}}type"
_XSI_NIL: Final = f"{{{NS['xsi']}}}nil"
_PREFIX_OF: Final = {uri: prefix for prefix, uri in NS.items() if prefix not in ("soap11",)}

#: A value that is a UUID, bare or as ``urn:uuid:``.
UUID_VALUE: Final = re.compile(
    r"^(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)

# ----------------------------------------------------------------------------------------- patterns

_STEP_RE: Final = re.compile(
    r"^(?P<name>\*|[A-Za-z_][\w.-]*:(?:\*|[A-Za-z_][\w.-]*)|[A-Za-z_][\w.-]*)(?P<preds>(?:\[[^\]]*\])*)$"
)
_PRED_RE: Final = re.compile(r"\[@(?P<attr>[\w:.-]+)(?:=(?P<q>['\"])(?P<value>.*?)(?P=q))?\]")


def _clark(name: str) -> str:
    """``prefix:local`` (prefix of :data:`NS`) or a bare name → Clark name (bare names stay unqualified)."""
    if name.startswith("{") or ":" not in name:
        return name
    prefix, _, local = name.partition(":")
    try:
        return f"{{{NS[prefix]}}}{local}"
    except KeyError:
        raise ValueError(f"unknown namespace prefix {prefix!r} in pattern (known: {', '.join(NS)})") from None


@dataclass(frozen=True)
class _Step:
    namespace: str | None  # None = any namespace (``*``); "" = no namespace
    local: str | None  # None = any local name
    predicates: tuple[tuple[str, str | None], ...]

    def matches(self, el: etree._Element) -> bool:
        qn = etree.QName(el)
        if self.local is not None and qn.localname != self.local:
            return False
        if self.namespace is not None and (qn.namespace or "") != self.namespace:
            return False
        for attr, value in self.predicates:
            got = el.get(attr)
            if got is None or (value is not None and got != value):
                return False
        return True


def _parse_step(text: str) -> _Step:
    m = _STEP_RE.match(text.strip())
    if not m:
        raise ValueError(f"bad pattern step {text!r}")
    name = m.group("name")
    preds = tuple((_clark(p.group("attr")), p.group("value")) for p in _PRED_RE.finditer(m.group("preds") or ""))
    if name == "*":
        return _Step(None, None, preds)
    if ":" in name:
        prefix, _, local = name.partition(":")
        if prefix not in NS:
            raise ValueError(f"unknown namespace prefix {prefix!r} in pattern (known: {', '.join(NS)})")
        return _Step(NS[prefix], None if local == "*" else local, preds)
    return _Step("", name, preds)


@dataclass(frozen=True)
class _Path:
    """A chain of steps matched from the end: ``a/b//c``."""

    steps: tuple[_Step, ...]
    descendant: tuple[bool, ...]  # descendant[i]: the separator before steps[i+1] is ``//``

    @classmethod
    def parse(cls, text: str) -> _Path:
        tokens = re.split(r"(//|/)", text.strip())
        steps: list[_Step] = []
        seps: list[bool] = []
        for index, token in enumerate(tokens):
            if index % 2:
                seps.append(token == "//")
            else:
                steps.append(_parse_step(token))
        return cls(tuple(steps), tuple(seps))

    def matches(self, el: etree._Element) -> bool:
        return self._match(len(self.steps) - 1, el)

    def _match(self, index: int, el: etree._Element | None) -> bool:
        if el is None or not self.steps[index].matches(el):
            return False
        if index == 0:
            return True
        parent = el.getparent()
        if not self.descendant[index - 1]:
            return self._match(index - 1, parent)
        while parent is not None:
            if self._match(index - 1, parent):
                return True
            parent = parent.getparent()
        return False


# --------------------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class _Skip:
    path: _Path


@dataclass(frozen=True)
class _AnyValue:
    path: _Path
    attr: str | None  # None = text


@dataclass(frozen=True)
class _Drop:
    path: _Path
    attr: str


@dataclass(frozen=True)
class _SameIf:
    pattern: re.Pattern[str]
    path: _Path | None
    attr: str | None  # with path: None = text; "*" = any attribute or text


@dataclass(frozen=True)
class _NilPlaceholders:
    pass


Rule = str | _Skip | _AnyValue | _Drop | _SameIf | _NilPlaceholders | Callable[[etree._Element, str | None], bool]


def _split_target(pattern: str) -> tuple[str, str | None, bool]:
    """``path/@attr`` → (path, attr, False); ``path/text()`` → (path, None, True); ``path`` → (path, None, False)."""
    if pattern.endswith("/text()"):
        return pattern[: -len("/text()")], None, True
    head, sep, tail = pattern.rpartition("/@")
    if sep:
        return head, _clark(tail), False
    if pattern.startswith("@"):
        return "*", _clark(pattern[1:]), False
    return pattern, None, False


def skip(pattern: str) -> _Skip:
    """Skip matching elements (with their subtrees) in both trees."""
    return _Skip(_Path.parse(pattern))


def any_value(pattern: str) -> _AnyValue:
    """``path/@attr``: presence compared, value not; ``path/text()``: text not compared at all."""
    path, attr, is_text = _split_target(pattern)
    if attr is None and not is_text:
        raise ValueError(f"any_value needs /@attr or /text(): {pattern!r}")
    return _AnyValue(_Path.parse(path), attr)


def drop(pattern: str) -> _Drop:
    """``path/@attr`` (or ``@attr``): remove the attribute from both trees before comparing."""
    path, attr, _ = _split_target(pattern)
    if attr is None:
        raise ValueError(f"drop needs an attribute: {pattern!r}")
    return _Drop(_Path.parse(path), attr)


def same_if(regex: str | re.Pattern[str], pattern: str | None = None) -> _SameIf:
    """Two values are equal when both match ``regex`` (anywhere, or only at ``path/@attr`` / ``path/text()``)."""
    compiled = re.compile(regex) if isinstance(regex, str) else regex
    if pattern is None:
        return _SameIf(compiled, None, "*")
    path, attr, is_text = _split_target(pattern)
    if attr is None and not is_text:
        return _SameIf(compiled, _Path.parse(path), "*")
    return _SameIf(compiled, _Path.parse(path), attr)


def _compile(rule: Rule) -> Rule:
    if isinstance(rule, str):
        path, attr, is_text = _split_target(rule)
        if attr is None and not is_text:
            return _Skip(_Path.parse(path))
        return _AnyValue(_Path.parse(path), attr)
    return rule


#: Drop the ``xsi:nil="true"`` empty placeholder elements (GIE examples).
NIL_PLACEHOLDERS: Final = _NilPlaceholders()

#: What changes on every message.
VOLATILE: Final[tuple[Rule, ...]] = (
    skip("wsse:Security"),
    any_value("wsa:MessageID/text()"),
    any_value("wsa:RelatesTo/text()"),
    any_value("hl7:creationTime/@value"),
    same_if(UUID_VALUE),
    any_value("rim:Slot[@name='submissionTime']//rim:Value/text()"),
    any_value("rim:Slot[@name='creationTime']//rim:Value/text()"),
)

#: Oddities of the GIE examples that a correct message does not reproduce.
EXAMPLE_ARTEFACTS: Final[tuple[Rule, ...]] = (
    NIL_PLACEHOLDERS,
    drop("wsa:ReplyTo/@mustUnderstand"),
    drop("wsa:Action/@mustUnderstand"),
)

#: A request of ours against the official example: volatile values, example artefacts and ``wsa:To`` (the
#: environment's URL) ignored.
REQUEST_IGNORES: Final[tuple[Rule, ...]] = (*VOLATILE, *EXAMPLE_ARTEFACTS, any_value("wsa:To/text()"))


# ------------------------------------------------------------------------------------------- compare


def _label(el: etree._Element) -> str:
    qn = etree.QName(el)
    if not qn.namespace:
        return qn.localname
    prefix = _PREFIX_OF.get(qn.namespace)
    return f"{prefix}:{qn.localname}" if prefix else f"{{{qn.namespace}}}{qn.localname}"


def _attr_label(name: str) -> str:
    if name.startswith("{"):
        uri, _, local = name[1:].partition("}")
        prefix = _PREFIX_OF.get(uri)
        return f"@{prefix}:{local}" if prefix else f"@{name}"
    return f"@{name}"


def _resolve_qname_value(el: etree._Element, value: str) -> str:
    prefix, sep, local = value.strip().rpartition(":")
    uri = el.nsmap.get(prefix if sep else None)
    return f"{{{uri}}}{local}" if uri else value.strip()


def _text(value: str | None) -> str:
    return (value or "").strip()


class _Comparer:
    def __init__(self, rules: Iterable[Rule], limit: int) -> None:
        self.rules = [_compile(r) for r in rules]
        self.skips = [r.path for r in self.rules if isinstance(r, _Skip)]
        self.drops = [r for r in self.rules if isinstance(r, _Drop)]
        self.any_values = [r for r in self.rules if isinstance(r, _AnyValue)]
        self.same_ifs = [r for r in self.rules if isinstance(r, _SameIf)]
        self.callables = [r for r in self.rules if callable(r) and not isinstance(r, type)]
        self.drop_nil = any(isinstance(r, _NilPlaceholders) for r in self.rules)
        self.limit = limit
        self.diffs: list[str] = []

    def add(self, message: str) -> None:
        if len(self.diffs) < self.limit:
            self.diffs.append(message)

    # -- filtering
    def kept(self, el: etree._Element) -> bool:
        if not isinstance(el.tag, str):  # comments, PIs, entities
            return False
        if any(p.matches(el) for p in self.skips):
            return False
        placeholder = el.get(_XSI_NIL) == "true" and len(el) == 0 and not _text(el.text)
        return not (self.drop_nil and placeholder)

    def children(self, el: etree._Element) -> list[etree._Element]:
        return [c for c in el if self.kept(c)]

    def attributes(self, el: etree._Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in el.attrib.items():
            key = str(name)
            if any(d.attr == key and d.path.matches(el) for d in self.drops):
                continue
            out[key] = _resolve_qname_value(el, str(value)) if key == _XSI_TYPE else str(value)
        return out

    def volatile(self, el: etree._Element, attr: str | None) -> bool:
        if any(r.attr == attr and r.path.matches(el) for r in self.any_values):
            return True
        return any(fn(el, attr) for fn in self.callables)  # type: ignore[operator]

    def equivalent(self, el: etree._Element, attr: str | None, a: str, b: str) -> bool:
        if a == b:
            return True
        for rule in self.same_ifs:
            if rule.path is not None and not rule.path.matches(el):
                continue
            if rule.attr not in ("*", attr):
                continue
            if rule.pattern.search(a) and rule.pattern.search(b):
                return True
        return False

    # -- walk
    def compare(self, ours: etree._Element, example: etree._Element, path: str) -> None:
        if ours.tag != example.tag:
            self.add(f"{path}: element {_label(ours)} (ours) != {_label(example)} (example)")
            return
        a_ours, a_ex = self.attributes(ours), self.attributes(example)
        for name in sorted(set(a_ours) | set(a_ex)):
            where = f"{path}/{_attr_label(name)}"
            if name not in a_ex:
                self.add(f"{where}: extra attribute in ours (= {a_ours[name]!r})")
            elif name not in a_ours:
                self.add(f"{where}: missing in ours (example has {a_ex[name]!r})")
            elif not self.volatile(ours, name) and not self.equivalent(ours, name, a_ours[name], a_ex[name]):
                self.add(f"{where}: {a_ours[name]!r} (ours) != {a_ex[name]!r} (example)")
        if not self.volatile(ours, None):
            t_ours, t_ex = _text(ours.text), _text(example.text)
            if not self.equivalent(ours, None, t_ours, t_ex):
                self.add(f"{path}/text(): {t_ours!r} (ours) != {t_ex!r} (example)")
        self.compare_children(ours, example, path)

    def compare_children(self, ours: etree._Element, example: etree._Element, path: str) -> None:
        c_ours, c_ex = self.children(ours), self.children(example)
        tags_ours, tags_ex = [c.tag for c in c_ours], [c.tag for c in c_ex]
        counter: dict[str, int] = {}

        def child_path(el: etree._Element) -> str:
            label = _label(el)
            counter[label] = counter.get(label, 0) + 1
            return f"{path}/{label}[{counter[label]}]"

        matcher = difflib.SequenceMatcher(a=tags_ours, b=tags_ex, autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                for o, e in zip(c_ours[i1:i2], c_ex[j1:j2], strict=True):
                    self.compare(o, e, child_path(o))
                    self.compare_tails(o, e, path)
                continue
            for o in c_ours[i1:i2]:
                self.add(f"{child_path(o)}: extra element in ours")
            for e in c_ex[j1:j2]:
                self.add(f"{path}/{_label(e)}: missing in ours (example position {j1 + 1})")

    def compare_tails(self, ours: etree._Element, example: etree._Element, path: str) -> None:
        t_ours, t_ex = _text(ours.tail), _text(example.tail)
        if t_ours != t_ex:
            self.add(f"{path}: mixed-content text after {_label(ours)}: {t_ours!r} (ours) != {t_ex!r} (example)")


def structural_differences(
    ours: etree._Element,
    example: etree._Element,
    *,
    ignore: Sequence[Rule] = VOLATILE,
    limit: int = 200,
) -> list[str]:
    """Every structural difference between two trees (empty list = same structure). See the module docstring."""
    comparer = _Comparer(ignore, limit)
    comparer.compare(ours, example, f"/{_label(ours)}")
    return comparer.diffs


def assert_same_structure(
    ours: etree._Element,
    example: etree._Element,
    *,
    ignore: Sequence[Rule] = VOLATILE,
) -> None:
    """Fail (AssertionError listing every difference with its path) unless both trees have the same structure."""
    diffs = structural_differences(ours, example, ignore=ignore)
    if diffs:
        listing = "\n  ".join(diffs)
        raise AssertionError(f"{len(diffs)} structural difference(s) (ours vs example):\n  {listing}")
