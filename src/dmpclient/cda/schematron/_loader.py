"""Load an ISO Schematron file into one self-contained, expanded tree.

Three preprocessing steps, in the order of the ISO reference pipeline (include → abstract expansion):

1. ``sch:include`` is replaced, recursively, by the root element of the referenced file; hrefs are relative
   to the *including* file and resolved case-insensitively when the exact name does not exist
   (kit defect #2). ``sch:extends/@href`` (ISO 2016 external rule) is handled the same way.
2. Abstract patterns (``pattern[@abstract='true']``) are removed and each ``pattern[@is-a]`` instance is
   replaced by a copy of its abstract pattern in which every ``$param`` reference of every attribute is
   substituted textually by the instance's ``sch:param/@value`` (longest names first, whole names only).
3. Abstract rules (``rule[@abstract='true']``, looked up by id across the whole schema as ART-DECOR files
   require) are taken out of the tree into :attr:`LoadedSchema.abstract_rules`; the compiler expands each
   ``sch:extends rule="id"``.

The result keeps the schematron namespace; :mod:`._compiler` turns it into XSLT.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from dmpclient import _xml
from dmpclient.cda.schematron._model import DMP_NS, SCH_NS, CompileNote, SchematronError, is_element
from dmpclient.cda.schematron._resolve import Resolution, resolve_path
from dmpclient.errors import XMLError

__all__ = ["LoadedSchema", "load_schematron", "substitute_params"]

_INCLUDE = f"{{{SCH_NS}}}include"
_PATTERN = f"{{{SCH_NS}}}pattern"
_RULE = f"{{{SCH_NS}}}rule"
_EXTENDS = f"{{{SCH_NS}}}extends"
_PARAM = f"{{{SCH_NS}}}param"
_SCHEMA = f"{{{SCH_NS}}}schema"
#: Attribute recording which file an included element came from (error messages only).
SOURCE_ATTR = f"{{{DMP_NS}}}source"
_MAX_INCLUDE_DEPTH = 64

Resolver = Callable[[Path, str], Resolution]


@dataclass
class LoadedSchema:
    """An expanded schematron.

    Attributes:
        path: the main ``.sch`` file.
        root: the ``sch:schema`` element with includes, abstract patterns and abstract rules expanded.
        dependencies: every file read (the main file first), for cache invalidation.
        notes: what the loader worked around.
        abstract_rules: abstract rules by id, removed from the tree; ``sch:extends`` elements stay in place
            and are resolved by the compiler (a shared named template, or inlined when variables cross).
    """

    path: Path
    root: etree._Element
    dependencies: list[Path] = field(default_factory=list)
    notes: list[CompileNote] = field(default_factory=list)
    abstract_rules: dict[str, etree._Element] = field(default_factory=dict)


def _default_resolver(base: Path, href: str) -> Resolution:
    return resolve_path(base, href, case_insensitive=True)


def load_schematron(path: str | os.PathLike[str], *, resolver: Resolver | None = None) -> LoadedSchema:
    """Read ``path`` and expand includes, abstract patterns and abstract rules.

    Raises:
        SchematronError: unreadable file, missing include, unknown abstract pattern or rule, cycles.
    """
    main = Path(os.path.normpath(Path(path).absolute()))
    resolve = resolver or _default_resolver
    root = _parse(main, main)
    if root.tag != _SCHEMA:
        raise SchematronError(f"root element is {root.tag!r}, expected sch:schema", path=str(main))
    loaded = LoadedSchema(path=main, root=root, dependencies=[main])
    _expand_includes(root, main, [main], loaded, resolve, depth=0)
    _instantiate_abstract_patterns(root, main)
    loaded.abstract_rules = _collect_abstract_rules(root, main)
    return loaded


def _parse(file: Path, main: Path) -> etree._Element:
    try:
        return _xml.parse_file(file)
    except XMLError as exc:
        raise SchematronError(f"cannot read {file}: {exc}", path=str(main)) from None
    except OSError as exc:  # pragma: no cover - parse_file wraps most OS errors
        raise SchematronError(f"cannot read {file}: {exc}", path=str(main)) from None


def _load_referenced(
    href: str, current: Path, loaded: LoadedSchema, resolve: Resolver, what: str
) -> tuple[Path, etree._Element]:
    resolution = resolve(current.parent, href)
    if resolution.path is None:
        raise SchematronError(
            f"{what} href={href!r} in {current} not found (looked for {resolution.requested})",
            path=str(loaded.path),
        )
    target = resolution.path
    if resolution.case_fixed:
        loaded.notes.append(
            CompileNote(
                kind="include-case",
                message=f"{what} href {href!r} in {current.name} matched {target.name!r} only case-insensitively",
                subject=href,
            )
        )
    if target not in loaded.dependencies:
        loaded.dependencies.append(target)
    element = _parse(target, loaded.path)
    element.set(SOURCE_ATTR, str(target))
    return target, element


def _expand_includes(
    element: etree._Element,
    current: Path,
    stack: list[Path],
    loaded: LoadedSchema,
    resolve: Resolver,
    *,
    depth: int,
) -> None:
    if depth > _MAX_INCLUDE_DEPTH:
        raise SchematronError("includes nested too deeply", path=str(loaded.path))
    for child in list(element):
        if not is_element(child):
            continue
        is_include = child.tag == _INCLUDE
        is_external_extends = child.tag == _EXTENDS and child.get("href") and not child.get("rule")
        if not (is_include or is_external_extends):
            _expand_includes(child, current, stack, loaded, resolve, depth=depth)
            continue
        href = child.get("href") or ""
        target, included = _load_referenced(href, current, loaded, resolve, "include" if is_include else "extends")
        if target in stack:
            raise SchematronError(f"include cycle through {target}", path=str(loaded.path))
        _expand_includes(included, target, [*stack, target], loaded, resolve, depth=depth + 1)
        if is_external_extends:
            # An external abstract rule: its children take the place of the extends element.
            replacement: list[etree._Element] = [c for c in included if is_element(c)]
        elif included.tag == _SCHEMA:
            # Lenient: including a whole schema inlines its top-level content.
            replacement = [c for c in included if is_element(c)]
        else:
            replacement = [included]
        _replace(child, replacement)


def _replace(old: etree._Element, new: list[etree._Element]) -> None:
    parent = old.getparent()
    assert parent is not None
    index = parent.index(old)
    tail = old.tail
    parent.remove(old)
    for offset, node in enumerate(new):
        node.tail = None
        parent.insert(index + offset, node)
    if new:
        new[-1].tail = tail


# ------------------------------------------------------------------------------------ abstract patterns

_NAME_CHARS = r"[\w.\-]"


def substitute_params(text: str, params: dict[str, str]) -> str:
    """Replace each ``$name`` whose name is a key of ``params`` by its value (whole names only, one pass).

    >>> substitute_params("document($path_jdv1) | $path_jdv", {"path_jdv": "'a.xml'", "path_jdv1": "'b.xml'"})
    "document('b.xml') | 'a.xml'"
    """
    if not params or "$" not in text:
        return text
    names = sorted(params, key=len, reverse=True)
    pattern = re.compile(r"\$(" + "|".join(re.escape(n) for n in names) + rf")(?!{_NAME_CHARS})")
    return pattern.sub(lambda m: params[m.group(1)], text)


def _instantiate_abstract_patterns(root: etree._Element, main: Path) -> None:
    abstracts: dict[str, etree._Element] = {}
    for pattern in list(root.iter(_PATTERN)):
        if pattern.get("abstract") == "true":
            pid = pattern.get("id")
            if not pid:
                raise SchematronError("abstract pattern without id", path=str(main))
            abstracts[pid] = pattern
            parent = pattern.getparent()
            if parent is not None:
                _replace(pattern, [])
    for instance in list(root.iter(_PATTERN)):
        base_id = instance.get("is-a")
        if not base_id:
            continue
        template = abstracts.get(base_id)
        if template is None:
            raise SchematronError(
                f"pattern {instance.get('id')!r} is-a {base_id!r}, but no abstract pattern has that id", path=str(main)
            )
        params = {p.get("name", ""): p.get("value", "") for p in instance if p.tag == _PARAM}
        new = etree.Element(_PATTERN, nsmap=template.nsmap)  # type: ignore[arg-type]  # lxml-stubs: None prefix
        for name, value in template.attrib.items():
            if name not in ("abstract", "id"):
                new.set(name, value)
        for name, value in instance.attrib.items():
            if name != "is-a":
                new.set(name, value)
        for child in instance:
            if is_element(child) and child.tag != _PARAM:
                new.append(copy.deepcopy(child))
        for child in template:
            if not is_element(child):
                continue
            clone = copy.deepcopy(child)
            for node in clone.iter():
                if not is_element(node):
                    continue
                for attr, value in node.attrib.items():
                    if isinstance(value, str) and "$" in value:
                        node.set(attr, substitute_params(value, params))
            new.append(clone)
        _replace(instance, [new])


# --------------------------------------------------------------------------------------- abstract rules


def _collect_abstract_rules(root: etree._Element, main: Path) -> dict[str, etree._Element]:
    abstract_rules: dict[str, etree._Element] = {}
    for rule in list(root.iter(_RULE)):
        if rule.get("abstract") == "true":
            rid = rule.get("id")
            if not rid:
                raise SchematronError("abstract rule without id", path=str(main))
            abstract_rules.setdefault(rid, rule)
            _replace(rule, [])
    for rule in root.iter(_RULE):
        for ext in rule.iter(_EXTENDS):
            if ext.get("rule") not in abstract_rules:
                raise SchematronError(f"extends rule={ext.get('rule')!r}: no abstract rule has that id", path=str(main))
    for rule in abstract_rules.values():
        for ext in rule.iter(_EXTENDS):
            if ext.get("rule") not in abstract_rules:
                raise SchematronError(f"extends rule={ext.get('rule')!r}: no abstract rule has that id", path=str(main))
    return abstract_rules
