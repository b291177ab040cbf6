"""Loaders for official value-set files: IHE SVS XML (the ANS/NOS format), FHIR ValueSet/CodeSystem JSON, and
the normalized JSON that :func:`~dmpclient.terminology.update_from_directory` stores.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from lxml import etree

from dmpclient import _xml
from dmpclient.errors import InvalidValue, XMLError
from dmpclient.terminology._model import Code, ValueSet
from dmpclient.terminology._names import is_oid, short_id, strip_oid
from dmpclient.terminology._oids import LOINC, NOS_CODE_SYSTEMS, oid_for_nos_url

__all__ = [
    "JSON_FORMAT",
    "dump_json",
    "iter_value_set_files",
    "load_directory",
    "load_fhir_valueset",
    "load_file",
    "load_json",
    "load_svs",
    "load_svs_all",
]

JSON_FORMAT: Final = "dmpclient.valueset/1"
_SVS: Final = _xml.NS["svs"]
_MAX_JSON_BYTES: Final = 64 * 1024 * 1024

#: Well-known FHIR code-system URLs → OIDs (the DMP writes OIDs on the wire).
_FHIR_SYSTEMS: Final[dict[str, str]] = {
    "http://loinc.org": LOINC,
    "http://snomed.info/sct": "2.16.840.1.113883.6.96",
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality": "2.16.840.1.113883.5.25",
    "http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender": "2.16.840.1.113883.5.1",
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationFunction": "2.16.840.1.113883.5.88",
    "urn:ietf:rfc:3986": "URN",
}

Source = str | os.PathLike[str] | bytes


# ------------------------------------------------------------------------------------------------ helpers


def _read(source: Source, what: str) -> tuple[bytes, str]:
    """Bytes of ``source`` and a name for messages; a ``str`` is a path."""
    if isinstance(source, bytes | bytearray):
        return bytes(source), f"{what} (bytes)"
    path = Path(source)
    size = path.stat().st_size
    if size > _MAX_JSON_BYTES:
        raise InvalidValue(f"file too large ({size} bytes)", field="file", value=str(path), rule=what)
    return path.read_bytes(), str(path)


def _iso_date(stamp: str | None) -> str | None:
    """``20240927120000`` / ``2024-09-27T12:00:00+01:00`` → ``2024-09-27``; ``None`` when not a date."""
    if not stamp:
        return None
    digits = "".join(ch for ch in stamp.strip()[:10] if ch.isdigit())
    if len(digits) < 8:
        digits = "".join(ch for ch in stamp if ch.isdigit())
    if len(digits) < 8:
        return None
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"


def _dedupe(rows: Iterable[Code]) -> tuple[tuple[Code, ...], int]:
    seen: set[tuple[str, str]] = set()
    kept: list[Code] = []
    dropped = 0
    for code in rows:
        if code.key in seen:
            dropped += 1
            continue
        seen.add(code.key)
        kept.append(code)
    return tuple(kept), dropped


def _with_note(description: str | None, dropped: int, skipped: int) -> str | None:
    notes = []
    if dropped:
        notes.append(f"{dropped} duplicate concept(s) dropped on load")
    if skipped:
        notes.append(f"{skipped} concept(s) without code or code system skipped on load")
    if not notes:
        return description
    return "; ".join([description, *notes] if description else notes)


# ------------------------------------------------------------------------------------------------ SVS


def load_svs_all(source: Source) -> list[ValueSet]:
    """Every value set of an IHE SVS document (``urn:ihe:iti:svs:2008``).

    Accepts ``RetrieveValueSetResponse`` (the ANS/NOS files), ``RetrieveMultipleValueSetsResponse``
    (``DescribedValueSet``) and a bare ``ValueSet`` root. ``source`` is a path or the file's bytes.

    Raises:
        InvalidValue: not an SVS document, or no value set in it.
        XMLError: unsafe or malformed XML (through :mod:`dmpclient._xml`).
    """
    data, origin = _read(source, "SVS")
    root = _xml.parse_bytes(data, origin=origin)
    elements = [
        el
        for el in root.iter()
        if isinstance(el.tag, str) and el.tag in (f"{{{_SVS}}}ValueSet", f"{{{_SVS}}}DescribedValueSet")
    ]
    if not elements:
        raise InvalidValue(f"no svs:ValueSet element (root is {root.tag})", field="file", value=origin, rule="IHE SVS")
    fallback = Path(origin).stem if not isinstance(source, bytes | bytearray) else None
    return [_svs_value_set(el, origin, fallback) for el in elements]


def load_svs(source: Source) -> ValueSet:
    """The (first) value set of an IHE SVS XML file, e.g. a ``jeuxDeValeurs/JDV_*.xml`` file of the ANS kit.

    The name is the NOS name taken from ``urlFichier`` (``JDV_J07-XdsTypeCode-CISIS``), else ``displayName``
    (without ``.tabs``), else the file stem; the version is the date of ``dateMaj`` / ``revisionDate``
    (``YYYY-MM-DD``); the OID is ``@id``. Duplicate concepts are dropped (noted in ``description``).
    """
    return load_svs_all(source)[0]


def _svs_value_set(el: etree._Element, origin: str, fallback: str | None) -> ValueSet:
    url = (el.get("urlFichier") or "").strip()
    display = (el.get("displayName") or "").strip()
    if display.lower().endswith(".tabs"):
        display = display[:-5]
    oid = (el.get("id") or "").strip() or None
    name = url.rstrip("/").rsplit("/", 1)[-1] if url else (display or fallback or oid or "unnamed")
    version = (
        _iso_date(el.get("dateMaj"))
        or _iso_date(el.get("revisionDate"))
        or (el.get("version") or "").strip()
        or _iso_date(el.get("effectiveDate"))
        or "unknown"
    )
    rows: list[Code] = []
    skipped = 0
    for concept in el.iter(f"{{{_SVS}}}Concept"):
        code = (concept.get("code") or "").strip()
        system = (concept.get("codeSystem") or "").strip()
        if not code or not system:
            skipped += 1
            continue
        rows.append(Code(code, strip_oid(system), (concept.get("displayName") or "").strip() or None))
    concepts, dropped = _dedupe(rows)
    return ValueSet(
        name=name,
        oid=strip_oid(oid) if oid else None,
        version=version,
        source=f"IHE SVS {origin}",
        description=_with_note((el.get("description") or "").strip() or None, dropped, skipped),
        concepts=concepts,
    )


# ------------------------------------------------------------------------------------------------ FHIR


def load_fhir_valueset(source: Source) -> ValueSet:
    """A FHIR R4 ``ValueSet`` (``compose.include[].concept[]`` and ``expansion.contains[]``) or ``CodeSystem``
    (``concept[]``, hierarchical) as published by the NOS, from a JSON file path or bytes.

    Code systems are written as OIDs, as on the DMP wire: a concept's NOS designation ``use.code = "OID"``
    (``urn:oid:…``) wins, then an ``urn:oid:`` system, then well-known URLs (LOINC, SNOMED CT, HL7 v3), then the
    OID of a NOS terminology named in the URL when dmpclient knows it; otherwise the URL is kept.

    Raises:
        InvalidValue: not JSON, or not a ValueSet / CodeSystem resource.
    """
    data, origin = _read(source, "FHIR ValueSet")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidValue(f"not JSON: {exc}", field="file", value=origin, rule="FHIR ValueSet") from None
    if not isinstance(doc, dict) or doc.get("resourceType") not in ("ValueSet", "CodeSystem"):
        kind = doc.get("resourceType") if isinstance(doc, dict) else type(doc).__name__
        raise InvalidValue(
            f"expected a FHIR ValueSet or CodeSystem, got {kind!r}", field="file", value=origin, rule="FHIR ValueSet"
        )
    oid = _fhir_oid(doc)
    name = str(doc.get("name") or doc.get("title") or doc.get("id") or oid or Path(origin).stem)
    version = _fhir_version(doc)
    rows: list[Code] = []
    skipped = 0
    if doc["resourceType"] == "CodeSystem":
        # the code system OID the DMP writes on the wire wins over the resource identifier (TRE_R248)
        sid = short_id(name)
        system = (NOS_CODE_SYSTEMS.get(sid) if sid else None) or oid or _system_oid(str(doc.get("url") or ""))
        for code, display, designations in _walk_concepts(doc.get("concept")):
            if not code:
                skipped += 1
                continue
            rows.append(Code(code, _designated_oid(designations) or system, display))
    else:
        compose = doc.get("compose") if isinstance(doc.get("compose"), dict) else {}
        for include in _dicts(compose.get("include") if compose else None):
            system = _system_oid(str(include.get("system") or ""))
            for concept in _dicts(include.get("concept")):
                code = str(concept.get("code") or "").strip()
                if not code or not system:
                    skipped += 1
                    continue
                designated = _designated_oid(concept.get("designation"))
                rows.append(Code(code, designated or system, _text(concept.get("display"))))
        expansion = doc.get("expansion") if isinstance(doc.get("expansion"), dict) else None
        for item in _walk_contains(expansion.get("contains") if expansion else None):
            code = str(item.get("code") or "").strip()
            system = _system_oid(str(item.get("system") or ""))
            if not code or not system:
                skipped += 1
                continue
            rows.append(Code(code, _designated_oid(item.get("designation")) or system, _text(item.get("display"))))
    concepts, dropped = _dedupe(rows)
    return ValueSet(
        name=name,
        oid=oid,
        version=version,
        source=f"FHIR {doc['resourceType']} {origin}",
        description=_with_note(_text(doc.get("description")), dropped, skipped),
        concepts=concepts,
    )


def _dicts(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def _text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _walk_concepts(value: object) -> Iterator[tuple[str, str | None, object]]:
    for concept in _dicts(value):
        yield str(concept.get("code") or "").strip(), _text(concept.get("display")), concept.get("designation")
        yield from _walk_concepts(concept.get("concept"))


def _walk_contains(value: object) -> Iterator[Mapping[str, Any]]:
    for item in _dicts(value):
        if item.get("code"):
            yield item
        yield from _walk_contains(item.get("contains"))


def _designated_oid(designations: object) -> str | None:
    for designation in _dicts(designations):
        use = designation.get("use")
        if isinstance(use, dict) and use.get("code") == "OID" and isinstance(designation.get("value"), str):
            value = strip_oid(designation["value"])
            return value or None
    return None


def _fhir_oid(doc: Mapping[str, Any]) -> str | None:
    identifiers = doc.get("identifier")
    items = [identifiers] if isinstance(identifiers, dict) else list(_dicts(identifiers))
    for ident in items:
        value = ident.get("value")
        if isinstance(value, str) and is_oid(value):
            return strip_oid(value)
    return None


def _fhir_version(doc: Mapping[str, Any]) -> str:
    version = doc.get("version")
    if isinstance(version, str) and version.isdigit() and len(version) >= 8:
        return _iso_date(version) or version
    date = _iso_date(doc.get("date") if isinstance(doc.get("date"), str) else None)
    if date:
        return date
    return str(version) if version else "unknown"


def _system_oid(system: str) -> str:
    system = system.strip()
    if not system:
        return ""
    if system.lower().startswith("urn:oid:"):
        return strip_oid(system)
    if system in _FHIR_SYSTEMS:
        return _FHIR_SYSTEMS[system]
    return oid_for_nos_url(system) or system


# ------------------------------------------------------------------------------------------------ JSON store


def dump_json(value_set: ValueSet) -> str:
    """Normalized JSON of a value set (what the user terminology directory holds)."""
    payload = {"format": JSON_FORMAT, "value_set": value_set.model_dump(mode="json")}
    return json.dumps(payload, ensure_ascii=False, indent=1) + "\n"


def load_json(source: Source) -> ValueSet:
    """Read a value set stored by :func:`dump_json`; also accepts FHIR JSON (delegates to
    :func:`load_fhir_valueset`)."""
    data, origin = _read(source, "value-set JSON")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidValue(f"not JSON: {exc}", field="file", value=origin, rule="value-set JSON") from None
    if isinstance(doc, dict) and doc.get("format") == JSON_FORMAT:
        try:
            return ValueSet.model_validate(doc["value_set"])
        except (KeyError, ValueError) as exc:
            raise InvalidValue(f"invalid stored value set: {exc}", field="file", value=origin) from None
    return load_fhir_valueset(data)


# ------------------------------------------------------------------------------------------------ files


def load_file(path: str | os.PathLike[str]) -> ValueSet:
    """Load one file by its kind: ``.xml`` → SVS, ``.json`` → stored JSON or FHIR."""
    p = Path(path)
    if p.suffix.lower() == ".xml":
        return load_svs(p)
    if p.suffix.lower() == ".json":
        return load_json(p)
    raise InvalidValue("unsupported value-set file (expected .xml or .json)", field="file", value=str(p))


def iter_value_set_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The ``.xml`` and ``.json`` files under ``directory`` (recursive, sorted)."""
    root = Path(directory)
    if not root.is_dir():
        raise InvalidValue("not a directory", field="directory", value=str(root))
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".xml", ".json"))


def load_directory(directory: str | os.PathLike[str]) -> list[ValueSet]:
    """Load every value-set file (SVS XML, FHIR JSON, stored JSON) under ``directory``.

    Files that are not value sets (an XSD, a FHIR resource of another type …) are skipped; use
    :func:`load_directory_report` to know which and why.
    """
    return load_directory_report(directory)[0]


def load_directory_report(directory: str | os.PathLike[str]) -> tuple[list[ValueSet], list[tuple[Path, str]]]:
    """Like :func:`load_directory`, plus the list of ``(file, reason)`` that were skipped."""
    loaded: list[ValueSet] = []
    skipped: list[tuple[Path, str]] = []
    for path in iter_value_set_files(directory):
        try:
            if path.suffix.lower() == ".xml":
                loaded.extend(load_svs_all(path))
            else:
                loaded.append(load_json(path))
        except (InvalidValue, XMLError, OSError) as exc:
            skipped.append((path, str(exc)))
    return loaded, skipped
