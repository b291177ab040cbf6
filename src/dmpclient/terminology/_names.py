"""Naming helpers: the same value set is called ``JDV_J07-XdsTypeCode-CISIS`` (NOS name),
``JDV_J07_XdsTypeCode_CISIS`` (kit file stem), ``JDV-J07-XdsTypeCode-CISIS`` (FHIR id), ``J07`` (short id) or
``1.2.250.1.213.1.1.5.471`` / ``urn:oid:1.2.250.1.213.1.1.5.471`` (OID).
"""

from __future__ import annotations

import re

__all__ = ["normalize_name", "short_id", "strip_oid"]

_SUFFIXES = (".xml", ".json", ".tabs")
_SHORT = re.compile(r"^(JDV|TRE|ASS)_?([A-Z]\d+)(?:$|_)")
_OID = re.compile(r"^[0-2](\.(0|[1-9]\d*))+$")


def strip_oid(value: str) -> str:
    """``urn:oid:1.2.3`` → ``1.2.3``; anything else unchanged (stripped of blanks)."""
    text = value.strip()
    return text[8:] if text.lower().startswith("urn:oid:") else text


def is_oid(value: str) -> bool:
    """True for a dotted OID (``1.2.250.1.213.1.1.5.471``), with or without ``urn:oid:``."""
    return bool(_OID.match(strip_oid(value)))


def normalize_name(name: str) -> str:
    """Case-, hyphen- and extension-insensitive key.

    ``jdv-j07-xdsTypeCode-cisis.xml`` → ``JDV_J07_XDSTYPECODE_CISIS``; ``urn:oid:1.2.3`` → ``1.2.3``.
    """
    text = strip_oid(name)
    lowered = text.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            text = text[: -len(suffix)]
            lowered = lowered[: -len(suffix)]
    return re.sub(r"[\s\-]+", "_", text).upper()


def short_id(name: str) -> str | None:
    """Short id of a NOS name: ``JDV_J57-ClassCode-DMP`` → ``J57``; ``TRE_R248_ModeAcces`` → ``TRE_R248``;
    ``ASS_X04-…`` → ``ASS_X04``; ``None`` when the name does not follow the NOS pattern."""
    match = _SHORT.match(normalize_name(name))
    if match is None:
        return None
    kind, number = match.groups()
    return number if kind == "JDV" else f"{kind}_{number}"
