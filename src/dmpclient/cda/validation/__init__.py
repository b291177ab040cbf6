"""Validate CI-SIS CDA documents: built-in header rules, and with the ANS kit, XSD and schematrons.

* :func:`validate_cda` — the one call: findings of the built-in header rules (pure lxml, no kit needed);
  with ``kit=`` the kit's ``CDA_extended.xsd`` (lxml) and the schematrons the document declares in its
  ``<?oxygen SCHSchema?>`` instructions, else those matching its templateIds (structuration minimale, plus
  the model and profile schematrons for N3), compiled by our own schematron compiler
  (:mod:`dmpclient.cda.schematron`) and run by saxonche (extra ``validation``).
* :func:`validate_cda_report` — the same, as a :class:`CdaValidationReport` that keeps the findings per
  source, the schematrons run and skipped, and the timings.

Reference: ``cda.md`` §1, §2, §6; ``value-sets.md`` §3.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from dmpclient import _xml
from dmpclient.cda.validation._header import ALLOWED_N1_MEDIA_TYPES, HEADER_RULES, HeaderRule, check_header
from dmpclient.cda.validation._kit import (
    KNOWN_SKIPS,
    MODEL_TEMPLATES,
    CdaKit,
    declared_schematrons,
    template_schematrons,
    validate_xsd,
)
from dmpclient.errors import Finding, Severity, errors_only

__all__ = [
    "ALLOWED_N1_MEDIA_TYPES",
    "HEADER_RULES",
    "KNOWN_SKIPS",
    "MODEL_TEMPLATES",
    "CdaKit",
    "CdaValidationReport",
    "HeaderRule",
    "SchematronRun",
    "check_header",
    "declared_schematrons",
    "template_schematrons",
    "validate_cda",
    "validate_cda_report",
    "validate_xsd",
]

DocumentInput = bytes | str | os.PathLike[str] | etree._Element | etree._ElementTree


@dataclass(frozen=True)
class SchematronRun:
    """One schematron applied to the document.

    Attributes:
        path: the ``.sch`` file.
        findings: its findings (empty when it passed).
        seconds: wall time of the run (compilation included on first use).
        skipped: why it was not run (kit defect, compile failure), else ``None``.
    """

    path: Path
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None

    @property
    def name(self) -> str:
        """File name without extension."""
        return self.path.stem

    @property
    def passed(self) -> bool:
        """Run, and no error finding."""
        return self.skipped is None and not errors_only(self.findings)


@dataclass
class CdaValidationReport:
    """Everything :func:`validate_cda_report` found.

    Attributes:
        builtin: findings of the built-in header rules.
        xsd: findings of the XSD validation (empty without a kit).
        schematrons: one :class:`SchematronRun` per schematron considered, in order.
        notes: informational findings about the run itself (declared schematrons not found …).
        kit: the kit used, if any.
        seconds: total wall time.
    """

    builtin: list[Finding] = field(default_factory=list)
    xsd: list[Finding] = field(default_factory=list)
    schematrons: list[SchematronRun] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    kit: Path | None = None
    seconds: float = 0.0

    @property
    def findings(self) -> list[Finding]:
        """All findings: built-in, XSD, schematrons, notes."""
        out = [*self.builtin, *self.xsd]
        for run in self.schematrons:
            out.extend(run.findings)
        out.extend(self.notes)
        return out

    @property
    def errors(self) -> list[Finding]:
        """Error findings only."""
        return errors_only(self.findings)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON output."""
        return {
            "ok": self.ok,
            "kit": str(self.kit) if self.kit else None,
            "seconds": round(self.seconds, 3),
            "errors": len(self.errors),
            "warnings": sum(1 for f in self.findings if f.severity is Severity.WARNING),
            "schematrons": [
                {
                    "path": str(r.path),
                    "passed": r.passed,
                    "skipped": r.skipped,
                    "findings": len(r.findings),
                    "seconds": round(r.seconds, 3),
                }
                for r in self.schematrons
            ],
            "findings": [f.to_dict() for f in self.findings],
        }


def _load(doc: DocumentInput) -> tuple[etree._Element, Path | None]:
    if isinstance(doc, etree._ElementTree):
        return doc.getroot(), None
    if isinstance(doc, etree._Element):
        return doc, None
    if isinstance(doc, bytes | bytearray):
        return _xml.parse_bytes(bytes(doc), huge=True, origin="CDA document"), None
    if isinstance(doc, str) and doc.lstrip().startswith("<"):
        return _xml.parse_bytes(doc.encode("utf-8"), huge=True, origin="CDA document"), None
    path = Path(doc)
    return _xml.parse_file(path, huge=True), path


def validate_cda_report(
    doc: DocumentInput,
    kit: str | os.PathLike[str] | CdaKit | None = None,
    *,
    schematrons: Sequence[str | os.PathLike[str]] | None = None,
    builtin: bool = True,
    xsd: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> CdaValidationReport:
    """Validate a CDA document; see :func:`validate_cda` for the arguments.

    Raises:
        XMLError: the document is not well-formed or unsafe.
        ConfigurationError: ``kit`` is not a kit folder.
        ValidationEngineMissing: schematrons must run and saxonche is not installed.
        SchematronError: an explicitly requested schematron does not compile or run.
    """
    started = time.perf_counter()
    root, path = _load(doc)
    report = CdaValidationReport()
    if builtin:
        report.builtin = check_header(root)
    the_kit = kit if isinstance(kit, CdaKit) else (CdaKit.open(kit) if kit is not None else None)
    if the_kit is not None:
        report.kit = the_kit.root
        if xsd:
            report.xsd = validate_xsd(root, the_kit.xsd)

    explicit = schematrons is not None
    if explicit:
        chosen = [Path(p) for p in schematrons or ()]
    elif the_kit is not None:
        declared, unresolved = declared_schematrons(root, the_kit, path)
        for href in unresolved:
            skip = KNOWN_SKIPS.get(href.replace("\\", "/").rsplit("/", 1)[-1].lower())
            if skip is not None:
                report.schematrons.append(SchematronRun(path=Path(href), skipped=skip))
                continue
            report.notes.append(
                Finding(
                    rule="cda.kit.declared-schematron",
                    message=f"the document declares schematron {href!r}, which is not in the kit",
                    severity=Severity.INFO,
                    value=href,
                )
            )
        chosen = declared if (declared or unresolved) else template_schematrons(root, the_kit)
        if the_kit.structuration_minimale not in chosen:
            chosen.insert(0, the_kit.structuration_minimale)
    else:
        chosen = []

    if chosen:
        _run_schematrons(report, root, chosen, the_kit, explicit=explicit, cache_dir=cache_dir)
    report.seconds = time.perf_counter() - started
    return report


def _run_schematrons(
    report: CdaValidationReport,
    root: etree._Element,
    chosen: list[Path],
    kit: CdaKit | None,
    *,
    explicit: bool,
    cache_dir: str | os.PathLike[str] | None,
) -> None:
    from dmpclient.cda.schematron import SchematronError, cache_directory, get_validator, prepare_document

    base_cache = Path(cache_dir) if cache_dir is not None else cache_directory()
    resource_map = kit.resource_map(base_cache) if kit is not None else {}
    prepared = prepare_document(root)
    for sch in chosen:
        reason = kit.skip_reason(sch) if kit is not None else None
        if reason is not None and not explicit:
            report.schematrons.append(SchematronRun(path=sch, skipped=reason))
            continue
        started = time.perf_counter()
        try:
            validator = get_validator(sch, resource_map=resource_map, cache_dir=base_cache)
            findings = validator.validate_prepared(prepared)
        except SchematronError as exc:
            if explicit:
                raise
            report.schematrons.append(
                SchematronRun(
                    path=sch, skipped=f"could not be compiled or run: {exc}", seconds=time.perf_counter() - started
                )
            )
            report.notes.append(
                Finding(
                    rule="cda.kit.schematron-unavailable",
                    message=f"schematron {sch.name} could not be used: {exc}",
                    severity=Severity.WARNING,
                    value=str(sch),
                )
            )
            continue
        report.schematrons.append(SchematronRun(path=sch, findings=findings, seconds=time.perf_counter() - started))


def validate_cda(
    doc: DocumentInput,
    kit: str | os.PathLike[str] | CdaKit | None = None,
    *,
    schematrons: Sequence[str | os.PathLike[str]] | None = None,
    builtin: bool = True,
    xsd: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
) -> list[Finding]:
    """Validate a CI-SIS CDA document and return every finding.

    Args:
        doc: the document: bytes, XML text, a path, or a parsed element/tree.
        kit: the ANS TestContenuCDA-3-0 folder (or a folder containing it). Without it only the built-in
            header rules run (and ``schematrons`` if given).
        schematrons: run exactly these ``.sch`` files instead of the declared/matching ones (needs saxonche).
        builtin: run the built-in header rules (default).
        xsd: with a kit, validate against ``infrastructure/cda/CDA_extended.xsd`` (default).
        cache_dir: where compiled schematrons and generated kit files are kept (default
            ``$DMPCLIENT_CACHE_DIR`` or ``~/.cache/dmpclient``).

    Returns:
        Findings; errors make the document unacceptable (``errors_only(findings)``).
    """
    return validate_cda_report(
        doc, kit, schematrons=schematrons, builtin=builtin, xsd=xsd, cache_dir=cache_dir
    ).findings
