"""Checks on the ebRIM XML itself, for what the simplified model cannot show once read: single-valued slots
and identifiers given several times, and ``classifiedObject`` / ``registryObject`` attributes naming another
object. (Times and codes given twice are reported by the reader as issues, see :mod:`._ihe`.)"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any, Final

from lxml import etree

from dmpclient.xds.constants import Slot
from dmpclient.xds.validation._base import Collector

__all__ = ["check_raw"]

#: Single-valued slots the reader takes the first value of without saying so.
_DE_SINGLE_SLOTS: Final = frozenset(
    {
        Slot.HASH,
        Slot.LANGUAGE_CODE,
        Slot.LEGAL_AUTHENTICATOR,
        Slot.REPOSITORY_UNIQUE_ID,
        Slot.SIZE,
        Slot.SOURCE_PATIENT_ID,
    }
)
_SS_CONTENT_TYPE: Final = "urn:uuid:aa543740-bdda-424e-8c96-df4873be8500"


def _local(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def _kids(el: etree._Element, name: str) -> Iterator[etree._Element]:
    return (c for c in el if _local(c) == name)


def _object_lists(root: etree._Element) -> Iterator[etree._Element]:
    for el in root.iter():
        if _local(el) == "RegistryObjectList":
            yield el


def check_raw(root: etree._Element, collector: Collector) -> None:
    """Run the XML-level checks on every ``RegistryObjectList`` under ``root``."""
    for holder in _object_lists(root):
        _check_nested_ids(holder, collector)
        for obj in holder:
            kind = _local(obj)
            if kind not in ("ExtrinsicObject", "RegistryPackage"):
                continue
            oid = obj.get("id") or kind
            _check_slots(obj, oid, kind, collector)
            _check_children(obj, oid, collector)


def _check_nested_ids(holder: etree._Element, collector: Collector) -> None:
    """Ids of Classifications / ExternalIdentifiers are unique too (top-level ids are checked on the model)."""
    nested: Counter[str] = Counter()
    top: set[str] = set()
    for obj in holder:
        if obj.get("id"):
            top.add(obj.get("id") or "")
        for child in obj:
            if _local(child) in ("Classification", "ExternalIdentifier") and child.get("id"):
                nested[child.get("id") or ""] += 1
    for oid, count in nested.items():
        if count > 1 or oid in top:
            collector.add(
                "ihe.id.duplicate",
                f"id {oid!r} is used by {count + (oid in top)} elements",
                location=oid,
                value=oid,
            )


def _check_slots(obj: etree._Element, oid: str, kind: str, collector: Collector) -> None:
    slots = list(_kids(obj, "Slot"))
    names = Counter(s.get("name") or "" for s in slots)
    for name, count in names.items():
        if count > 1:
            collector.add(
                "ihe.cardinality",
                f"slot {name!r} appears {count} times on {oid}",
                location=f"{oid}.{name}",
                value=count,
            )
    if kind != "ExtrinsicObject":
        return
    for slot in slots:
        name = slot.get("name") or ""
        if name not in _DE_SINGLE_SLOTS:
            continue
        values = [v.text or "" for vl in _kids(slot, "ValueList") for v in _kids(vl, "Value")]
        if len(values) > 1:
            collector.add(
                "ihe.cardinality",
                f"single-valued slot {name!r} has {len(values)} values",
                location=f"{oid}.{name}",
                value=" | ".join(values),
            )


def _check_owner(child: etree._Element, kind: str, attribute: str, oid: str, collector: Collector) -> None:
    """A Classification / ExternalIdentifier must name its parent object (``classifiedObject`` /
    ``registryObject``) when it names one."""
    owner = child.get(attribute)
    if owner is not None and owner != oid:
        collector.add(
            "ihe.classification.owner",
            f"{kind} {child.get('id')!r} of {oid} names {attribute} {owner!r}",
            location=f"{oid}.{child.get('id') or kind}",
            value=owner,
        )


def _check_children(obj: etree._Element, oid: str, collector: Collector) -> None:
    schemes: Counter[str] = Counter()
    for ei in _kids(obj, "ExternalIdentifier"):
        scheme = ei.get("identificationScheme") or ""
        schemes[scheme] += 1
        _check_owner(ei, "ExternalIdentifier", "registryObject", oid, collector)
    for scheme, count in schemes.items():
        if count > 1:
            collector.add(
                "ihe.cardinality",
                f"external identifier {scheme} given {count} times on {oid}",
                location=f"{oid}.ExternalIdentifier",
                value=scheme,
            )
    content_types = 0
    for cl in _kids(obj, "Classification"):
        if cl.get("classificationScheme") == _SS_CONTENT_TYPE:
            content_types += 1
        _check_owner(cl, "Classification", "classifiedObject", oid, collector)
    if content_types > 1:
        collector.add(
            "ihe.cardinality",
            f"contentTypeCode given {content_types} times on {oid}",
            location=f"{oid}.contentTypeCode",
            value=content_types,
        )
