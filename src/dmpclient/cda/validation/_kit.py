"""The ANS TestContenuCDA kit: layout, XSD validation, schematron selection and the kit-defect workarounds.

Kit defects (``cda.md`` §6) handled here, never by editing the kit:

1. ``voc-1.2.250.1.213.1.1.5.471-DYNAMIC.xml`` (J07 type codes) is missing: generated at run time in the
   cache directory from ``jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml`` and served to the compiler through
   its resource map.
2. Windows-cased include hrefs: the compiler's case-insensitive resolver.
3. ``CI-SIS_BIO-CR-BIO_2023.01.sch`` has empty files where folders are expected: skipped.
4. Missing value-set files: the checks that read them are reported as warnings by the compiler.
5. ``terminologie.sch`` (absent from the copy; silently skips missing code systems): skipped, not counted.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from lxml import etree

from dmpclient import _xml
from dmpclient.cda.schematron._resolve import resolve_path
from dmpclient.cda.validation._header import xpath_of
from dmpclient.errors import ConfigurationError, Finding, Severity

__all__ = [
    "KNOWN_SKIPS",
    "MODEL_TEMPLATES",
    "CdaKit",
    "declared_schematrons",
    "template_schematrons",
    "validate_xsd",
]

_SVS: Final = "urn:ihe:iti:svs:2008"
J07_OID: Final = "1.2.250.1.213.1.1.5.471"
_J07_VOC: Final = f"schematrons/profils/structurationMinimale/include/voc-{J07_OID}-DYNAMIC.xml"
_J07_SOURCE: Final = "jeuxDeValeurs/JDV_J07_XdsTypeCode_CISIS.xml"
STRUCMIN: Final = "schematrons/profils/structurationMinimale/ASIP-STRUCT-MIN-StrucMin.sch"
PROFILE_SCHEMATRONS: Final = (
    "schematrons/profils/CI-SIS_ModelesDeContenusCDA.sch",
    "schematrons/profils/CI-SIS_Modeles_ANS.sch",
)

#: Schematrons never run, by file name (lower case) → why (kit defects #3 and #5).
KNOWN_SKIPS: Final[dict[str, str]] = {
    "ci-sis_bio-cr-bio_2023.01.sch": (
        "kit defect #3: include/specificationsVolets/BIO-CR-BIO_2023.01 and include/jeuxDeValeurs/BIO-CR-BIO_2023.01 "
        "are empty files where folders are expected"
    ),
    "terminologie.sch": (
        "kit defect #5: terminologie.sch silently skips every code system whose RDF file is absent (and is not in "
        "the copied kit); it is not counted as a check"
    ),
}

#: Model templateId (the CI-SIS one, last in the document) → model name of ``CI-SIS_<model>_<version>.sch``
#: [V TC30 examples and their declared schematrons]. The latest version present in the kit is used.
MODEL_TEMPLATES: Final[dict[str, str]] = {
    "1.2.250.1.213.1.1.1.13": "VSM",
    "1.2.250.1.213.1.1.1.51": "IPS-FR",
    "1.2.250.1.213.1.1.1.29": "LDL-SES",
    "1.2.250.1.213.1.1.1.21": "LDL-EES",
    "1.2.250.1.213.1.1.1.55": "BIO-CR-BIO",
    "1.2.250.1.213.1.1.1.59": "BIO-TROD",
    "1.2.250.1.213.1.1.1.45": "IMG-CR-IMG",
    "1.2.250.1.213.1.1.1.47": "IMG-DA-IMG",
    "1.2.250.1.213.1.1.1.39": "EP-MED-DM",
    "1.2.250.1.213.1.1.1.54": "eDISP-MED",
    "1.2.250.1.213.1.1.1.37": "VAC",
    "1.2.250.1.213.1.1.1.46": "VAC-NOTE",
    "1.2.250.1.213.1.1.1.36": "CNAM-HR",
    "1.2.250.1.213.1.1.1.5.1": "CSE-CS8",
    "1.2.250.1.213.1.1.1.5.4": "CSE-MDE",
    "1.2.250.1.213.1.1.1.12.3": "OBP-SNE",
    "1.2.250.1.213.1.1.1.30": "SDM-MR",
    "1.2.250.1.213.1.1.1.38": "TLM-DA",
    "1.2.250.1.213.1.1.1.32": "CANCER-CR-GM",
    "1.2.250.1.213.1.1.1.8": "CANCER-FRCP",
}

_VERSION_RE: Final = re.compile(r"_(\d{4})\.(\d{2})\.sch$", re.IGNORECASE)
_PI_ATTR_RE: Final = re.compile(r"""SCHSchema\s*=\s*(["'])(.*?)\1""")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class CdaKit:
    """An ANS TestContenuCDA-3-0 folder (``ExemplesCDA/``, ``infrastructure/``, ``jeuxDeValeurs/``, ``schematrons/``).

    Build with :meth:`open`, which accepts the kit folder itself or a folder containing
    ``TestContenuCDA-3-0`` (such as ``../shared/fixtures/ans-testcontenucda``).
    """

    root: Path

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> CdaKit:
        """Locate the kit under ``path``.

        Raises:
            ConfigurationError: the folder does not look like the ANS kit.
        """
        base = Path(path).expanduser()
        for candidate in (base, base / "TestContenuCDA-3-0"):
            if (candidate / "schematrons").is_dir() and (candidate / "infrastructure" / "cda").is_dir():
                return cls(Path(os.path.normpath(candidate.absolute())))
        raise ConfigurationError(
            "not an ANS TestContenuCDA kit (expected schematrons/ and infrastructure/cda/ in it)",
            field="kit",
            value=str(path),
            hint="point --kit at the TestContenuCDA-3-0 folder",
        )

    @property
    def xsd(self) -> Path:
        """``infrastructure/cda/CDA_extended.xsd``."""
        return self.root / "infrastructure" / "cda" / "CDA_extended.xsd"

    @property
    def schematrons(self) -> Path:
        """``schematrons/``."""
        return self.root / "schematrons"

    @property
    def value_sets(self) -> Path:
        """``jeuxDeValeurs/``."""
        return self.root / "jeuxDeValeurs"

    @property
    def examples(self) -> Path:
        """``ExemplesCDA/``."""
        return self.root / "ExemplesCDA"

    @property
    def structuration_minimale(self) -> Path:
        """The header schematron, run for every document."""
        return self.root / STRUCMIN

    def model_schematron(self, model: str) -> Path | None:
        """The latest ``CI-SIS_<model>_<yyyy.nn>.sch`` of the kit (``None`` when absent or skipped)."""
        candidates: list[tuple[tuple[int, int], Path]] = []
        prefix = f"ci-sis_{model.lower()}_"
        for path in self.schematrons.glob("CI-SIS_*.sch"):
            name = path.name.lower()
            if not name.startswith(prefix) or name in KNOWN_SKIPS:
                continue
            m = _VERSION_RE.search(path.name)
            if m:
                candidates.append(((int(m.group(1)), int(m.group(2))), path))
        return max(candidates)[1] if candidates else None

    def resource_map(self, cache_dir: Path) -> dict[Path, Path]:
        """Files to substitute for missing kit files (defect #1), generated under ``cache_dir`` when needed."""
        expected = self.root / _J07_VOC
        if expected.exists():
            return {}
        source = self.value_sets / "JDV_J07_XdsTypeCode_CISIS.xml"
        if not source.exists():
            return {}
        digest = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
        target = cache_dir / "kit" / digest / expected.name
        with _LOCK:
            if not target.exists() or target.stat().st_mtime_ns < source.stat().st_mtime_ns:
                _write_voc(source, target)
        return {expected: target}

    def skip_reason(self, schematron: Path) -> str | None:
        """Why a schematron is not run (kit defects), or ``None``."""
        return KNOWN_SKIPS.get(schematron.name.lower())


def _write_voc(source: Path, target: Path) -> None:
    """ART-DECOR ``voc-*.xml`` layout from an IHE SVS file (what the structuration-minimale doc() lookups read)."""
    svs = _xml.parse_file(source)
    value_set = svs.find(f"{{{_SVS}}}ValueSet")
    hl7 = "urn:hl7-org:v3"
    root = etree.Element(f"{{{hl7}}}valueSets", nsmap={None: hl7})  # type: ignore[dict-item]
    vs = etree.SubElement(root, "valueSet", nsmap={None: ""})  # type: ignore[dict-item]
    vs.set("id", J07_OID)
    vs.set("name", "JDV_J07_XdsTypeCode_CISIS")
    vs.set("displayName", "JDV_J07_XdsTypeCode_CISIS")
    if value_set is not None and value_set.get("dateMaj"):
        vs.set("versionLabel", value_set.get("dateMaj", ""))
    vs.set("generatedFrom", source.name)
    concepts = etree.SubElement(vs, "conceptList")
    for concept in svs.iter(f"{{{_SVS}}}Concept"):
        c = etree.SubElement(concepts, "concept")
        for attr in ("code", "codeSystem", "displayName"):
            if concept.get(attr) is not None:
                c.set(attr, concept.get(attr, ""))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".voc", suffix=".xml")
    with os.fdopen(fd, "wb") as handle:
        handle.write(_xml.to_bytes(root, xml_declaration=True))
    os.replace(tmp, target)


# ------------------------------------------------------------------------------------------ selection


def declared_schematrons(
    root: etree._Element, kit: CdaKit, document_path: Path | None = None
) -> tuple[list[Path], list[str]]:
    """Schematrons named by the document's ``<?oxygen SCHSchema="…"?>`` processing instructions.

    Hrefs are resolved against the document's folder when it is known and the file exists there, else as if
    the document sat in the kit's ``ExemplesCDA/`` (where the hrefs were written), case-insensitively.

    Returns:
        (found files in declaration order, hrefs that could not be resolved).
    """
    found: list[Path] = []
    missing: list[str] = []
    pis = list(reversed(list(root.itersiblings(preceding=True))))
    for node in pis:
        if not isinstance(node, etree._ProcessingInstruction) or node.target != "oxygen":
            continue
        m = _PI_ATTR_RE.search(node.text or "")
        if not m:
            continue
        href = m.group(2)
        bases = ([document_path.parent] if document_path is not None else []) + [kit.examples]
        resolved: Path | None = None
        for base in bases:
            resolution = resolve_path(base, href)
            if resolution.path is not None and _inside(resolution.path, kit.root):
                resolved = resolution.path
                break
        if resolved is None:
            missing.append(href)
        elif resolved not in found:
            found.append(resolved)
    return found, missing


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def template_schematrons(root: etree._Element, kit: CdaKit) -> list[Path]:
    """Schematrons chosen from the document's templateIds: structuration minimale always; for a structured
    (N3) document the model schematron (:data:`MODEL_TEMPLATES`) and the two profile schematrons."""
    chosen = [kit.structuration_minimale]
    hl7 = "{urn:hl7-org:v3}"
    structured = root.find(f"{hl7}component/{hl7}structuredBody") is not None
    if not structured:
        return chosen
    for template in root.iterfind(f"{hl7}templateId"):
        model = MODEL_TEMPLATES.get(template.get("root") or "")
        if model:
            path = kit.model_schematron(model)
            if path is not None and path not in chosen:
                chosen.append(path)
    chosen.extend(kit.root / p for p in PROFILE_SCHEMATRONS)
    return [p for p in chosen if p.exists()]


# ------------------------------------------------------------------------------------------------ XSD

_SCHEMAS: dict[tuple[str, int], etree.XMLSchema] = {}


def _schema(path: Path) -> etree.XMLSchema:
    key = (str(path), path.stat().st_mtime_ns)
    with _LOCK:
        schema = _SCHEMAS.get(key)
        if schema is None:
            # The kit's XSD is trusted configuration that xs:imports a dozen files: libxml2 must load them with
            # its own loader, which the hardened parser of dmpclient._xml refuses on purpose (no external
            # resources). The *documents* validated are still parsed by dmpclient._xml only.
            try:
                schema = etree.XMLSchema(file=str(path))
            except etree.XMLSchemaParseError as exc:
                raise ConfigurationError(
                    f"the XSD does not load: {exc}", field="kit", value=str(path), rule="CDA_extended.xsd"
                ) from None
            _SCHEMAS[key] = schema
    return schema


def validate_xsd(root: etree._Element, xsd: Path) -> list[Finding]:
    """Validate a parsed CDA against ``xsd`` (compiled once per path and mtime) with lxml.

    Findings: rule ``cda.xsd``, code ``XSD``, location the XPath lxml reports, message with the line number.
    """
    schema = _schema(xsd)
    findings: list[Finding] = []
    if schema.validate(root.getroottree()):
        return findings
    tree = root.getroottree()
    for error in cast("Iterable[etree._LogEntry]", schema.error_log):
        line = f"line {error.line}: " if error.line else ""
        location = error.path or None
        if location:
            try:
                found = tree.xpath(location)
            except etree.XPathError:  # pragma: no cover - libxml2 paths are plain XPath 1.0
                found = None
            if isinstance(found, list) and found and isinstance(found[0], etree._Element):
                location = xpath_of(found[0])
        findings.append(
            Finding(
                rule="cda.xsd",
                message=f"{line}{error.message}",
                severity=Severity.ERROR,
                location=location,
                code="XSD",
            )
        )
    return findings
