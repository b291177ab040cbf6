"""Run compiled schematrons with saxonche (SaxonC-HE), with an in-memory and an on-disk cache.

* Compilation ``.sch`` → XSLT is pure Python (:mod:`._compiler`); the XSLT text is cached on disk under
  ``$DMPCLIENT_CACHE_DIR/schematron/`` (default ``~/.cache/dmpclient/schematron/``), keyed by the
  ``.sch`` path, its mtime, the phase, the resource map and the compiler version, and revalidated against the
  size and mtime of every file the schematron includes.
* The XSLT is compiled by Saxon once per process and kept in memory (SaxonC-HE cannot export compiled
  stylesheets). One ``PySaxonProcessor`` per process; calls are serialized by a lock because SaxonC objects
  are not thread-safe.
* ``saxonche`` is imported only when a schematron is run (extra ``validation``); without it
  :class:`~dmpclient.cda.schematron.ValidationEngineMissing` explains what to install.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from lxml import etree

from dmpclient import _xml
from dmpclient.cda.schematron._compiler import COMPILER_VERSION, CompiledXslt, compile_loaded
from dmpclient.cda.schematron._loader import load_schematron
from dmpclient.cda.schematron._model import (
    DMP_NS,
    SVRL_NS,
    CompileNote,
    SchematronError,
    ValidationEngineMissing,
    text_of,
)
from dmpclient.errors import Finding, Severity

__all__ = [
    "PreparedDocument",
    "SchematronValidator",
    "cache_directory",
    "clear_cache",
    "compile_schematron",
    "get_validator",
    "prepare_document",
    "svrl_to_findings",
    "validate_schematron",
]

_LOCK = threading.RLock()
_PROCESSOR: Any = None
_XSLT: Any = None
_MEMORY: dict[str, SchematronValidator] = {}
_SEVERITIES: Final = {
    "fatal": Severity.ERROR,
    "error": Severity.ERROR,
    "err": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "info": Severity.INFO,
    "information": Severity.INFO,
    "hint": Severity.INFO,
    "note": Severity.INFO,
}

DocumentInput = bytes | str | os.PathLike[str] | etree._Element | etree._ElementTree


def cache_directory() -> Path:
    """``$DMPCLIENT_CACHE_DIR`` when set, else ``~/.cache/dmpclient`` (not created here)."""
    env = os.environ.get("DMPCLIENT_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "dmpclient"


def _saxon() -> tuple[Any, Any]:
    global _PROCESSOR, _XSLT
    if _PROCESSOR is None:
        try:
            import saxonche
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ValidationEngineMissing(
                "running the ANS schematrons needs saxonche (SaxonC-HE)",
                field="kit",
                rule="extra 'validation'",
                hint="pip install 'dmpclient[validation]'",
            ) from exc
        _PROCESSOR = saxonche.PySaxonProcessor(license=False)
        _XSLT = _PROCESSOR.new_xslt30_processor()
    return _PROCESSOR, _XSLT


# ------------------------------------------------------------------------------------------- compiling


def compile_schematron(
    path: str | os.PathLike[str],
    *,
    phase: str | None = None,
    resource_map: Mapping[Path, Path] | None = None,
    fired_rules: bool = False,
) -> CompiledXslt:
    """Compile a ``.sch`` file to XSLT 3.0 text (pure Python; no cache, no saxonche needed).

    Args:
        path: the schematron.
        phase: ``None`` = the schema's ``defaultPhase`` (all patterns when it has none), ``"#ALL"``,
            or a phase id.
        resource_map: files to read instead of missing or wrong value-set files (requested absolute path →
            replacement), see :mod:`._compiler`.
        fired_rules: emit ``svrl:fired-rule`` elements (debugging).
    """
    return compile_loaded(load_schematron(path), phase=phase, resource_map=resource_map, fired_rules=fired_rules)


def _fingerprint(files: list[Path]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for f in files:
        try:
            st = f.stat()
            rows.append([str(f), st.st_mtime_ns, st.st_size])
        except OSError:
            rows.append([str(f), None, None])
    return rows


def _cache_key(path: Path, phase: str | None, resource_map: Mapping[Path, Path], fired_rules: bool) -> str:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = None
    material = json.dumps(
        [
            COMPILER_VERSION,
            str(path),
            mtime,
            phase or "",
            sorted((str(k), str(v)) for k, v in resource_map.items()),
            fired_rules,
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _read_disk(directory: Path, key: str) -> CompiledXslt | None:
    meta_file = directory / f"{key}.json"
    xsl_file = directory / f"{key}.xsl"
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        deps = [Path(p) for p, _, _ in meta["dependencies"]]
        if _fingerprint(deps) != meta["dependencies"] or meta.get("compiler") != COMPILER_VERSION:
            return None
        return CompiledXslt(
            xslt=xsl_file.read_text(encoding="utf-8"),
            phase=meta["phase"],
            patterns=list(meta["patterns"]),
            notes=[CompileNote.from_dict(n) for n in meta["notes"]],
            dependencies=deps,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_disk(directory: Path, key: str, compiled: CompiledXslt) -> None:
    meta = {
        "compiler": COMPILER_VERSION,
        "phase": compiled.phase,
        "patterns": compiled.patterns,
        "notes": [n.to_dict() for n in compiled.notes],
        "dependencies": _fingerprint(compiled.dependencies),
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for suffix, content in ((".xsl", compiled.xslt), (".json", json.dumps(meta, indent=1))):
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{key}", suffix=suffix)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.replace(tmp, directory / f"{key}{suffix}")
    except OSError:  # a read-only home must not break validation
        return


# -------------------------------------------------------------------------------------------- running


@dataclass
class SchematronValidator:
    """A schematron compiled by our compiler and by Saxon, ready to validate documents.

    Obtain one with :func:`get_validator` (cached). Attributes mirror :class:`CompiledXslt`.
    """

    path: Path
    compiled: CompiledXslt
    from_disk_cache: bool = False
    fingerprint: list[list[Any]] = field(default_factory=list, repr=False)
    _executable: Any = field(default=None, repr=False)

    @property
    def notes(self) -> list[CompileNote]:
        """What the loader and compiler worked around."""
        return self.compiled.notes

    @property
    def name(self) -> str:
        """The schematron file name without extension (used in finding rule ids)."""
        return self.path.stem

    def _ensure_executable(self) -> Any:
        if self._executable is None:
            _, xslt = _saxon()
            try:
                self._executable = xslt.compile_stylesheet(stylesheet_text=self.compiled.xslt, encoding="UTF-8")
            except Exception as exc:  # saxonche raises PySaxonApiError
                raise SchematronError(f"Saxon refused the compiled stylesheet: {exc}", path=str(self.path)) from None
        return self._executable

    def svrl(self, document: DocumentInput | PreparedDocument) -> str:
        """Run the schematron on ``document`` and return the SVRL report text."""
        prepared = document if isinstance(document, PreparedDocument) else prepare_document(document)
        with _LOCK:
            executable = self._ensure_executable()
            node = prepared.node()
            try:
                result = executable.transform_to_string(xdm_node=node)
            except Exception as exc:  # PySaxonApiError: a dynamic error in the schematron's XPath
                raise SchematronError(f"schematron run failed: {exc}", path=str(self.path)) from None
        return str(result or "")

    def validate(self, document: DocumentInput | PreparedDocument) -> list[Finding]:
        """Run the schematron and return one finding per failed assert / successful report."""
        return svrl_to_findings(self.svrl(document), schema=self.name)

    def validate_prepared(self, prepared: PreparedDocument) -> list[Finding]:
        """Same as :meth:`validate` for a document already handed to Saxon (several schematrons, one parse)."""
        return self.validate(prepared)


@dataclass
class PreparedDocument:
    """A document serialized once and parsed once by Saxon, reusable across schematrons."""

    text: str
    _node: Any = field(default=None, repr=False)

    def node(self) -> Any:
        """The Saxon ``PyXdmNode`` (parsed on first use)."""
        if self._node is None:
            with _LOCK:
                processor, _ = _saxon()
                try:
                    self._node = processor.parse_xml(xml_text=self.text)
                except Exception as exc:  # pragma: no cover - the text comes from lxml, so it is well-formed
                    raise SchematronError(f"Saxon could not parse the document: {exc}") from None
        return self._node


def prepare_document(document: DocumentInput) -> PreparedDocument:
    """Parse (safely, with :mod:`dmpclient._xml`) and serialize ``document`` for Saxon."""
    return PreparedDocument(text=_document_text(document))


def _document_text(document: DocumentInput) -> str:
    if isinstance(document, etree._ElementTree):
        return etree.tostring(document, encoding="unicode")
    if isinstance(document, etree._Element):
        return etree.tostring(document.getroottree(), encoding="unicode")
    if isinstance(document, bytes | bytearray):
        root = _xml.parse_bytes(bytes(document), huge=True, origin="CDA document")
    else:
        root = _xml.parse_file(document, huge=True)
    return etree.tostring(root.getroottree(), encoding="unicode")


def get_validator(
    path: str | os.PathLike[str],
    *,
    phase: str | None = None,
    resource_map: Mapping[Path, Path] | None = None,
    fired_rules: bool = False,
    cache_dir: str | os.PathLike[str] | bool | None = None,
) -> SchematronValidator:
    """A (cached) validator for ``path``.

    Args:
        cache_dir: where compiled XSLT is kept on disk; ``None`` = :func:`cache_directory`, ``False`` =
            memory only.
        phase: see :func:`compile_schematron`.
        resource_map: see :func:`compile_schematron`.
        fired_rules: see :func:`compile_schematron`.

    The returned validator compiles with Saxon lazily, on its first run.
    """
    sch = Path(os.path.normpath(Path(path).absolute()))
    mapping = dict(resource_map or {})
    key = _cache_key(sch, phase, mapping, fired_rules)
    with _LOCK:
        cached = _MEMORY.get(key)
        if cached is not None and _fingerprint(cached.compiled.dependencies) == cached.fingerprint:
            return cached
        directory = (
            None
            if cache_dir is False
            else Path(cache_dir if isinstance(cache_dir, str | os.PathLike) else cache_directory()) / "schematron"
        )
        compiled = _read_disk(directory, key) if directory is not None else None
        from_disk = compiled is not None
        if compiled is None:
            compiled = compile_loaded(load_schematron(sch), phase=phase, resource_map=mapping, fired_rules=fired_rules)
            if directory is not None:
                _write_disk(directory, key, compiled)
        validator = SchematronValidator(
            path=sch, compiled=compiled, from_disk_cache=from_disk, fingerprint=_fingerprint(compiled.dependencies)
        )
        _MEMORY[key] = validator
        return validator


def clear_cache(*, memory: bool = True, disk: bool = False, cache_dir: str | os.PathLike[str] | None = None) -> None:
    """Forget compiled schematrons (in memory, and on disk when ``disk`` is true)."""
    with _LOCK:
        if memory:
            _MEMORY.clear()
        if disk:
            directory = Path(cache_dir or cache_directory()) / "schematron"
            for f in directory.glob("*.xsl"):
                with contextlib.suppress(OSError):
                    f.unlink()
            for f in directory.glob("*.json"):
                with contextlib.suppress(OSError):
                    f.unlink()


def validate_schematron(
    document: DocumentInput,
    path: str | os.PathLike[str],
    *,
    phase: str | None = None,
    resource_map: Mapping[Path, Path] | None = None,
    cache_dir: str | os.PathLike[str] | bool | None = None,
) -> list[Finding]:
    """Validate ``document`` with the schematron ``path`` (compiled and cached on first use)."""
    return get_validator(path, phase=phase, resource_map=resource_map, cache_dir=cache_dir).validate(document)


# ---------------------------------------------------------------------------------------------- SVRL

_FAILED = f"{{{SVRL_NS}}}failed-assert"
_REPORT = f"{{{SVRL_NS}}}successful-report"


def svrl_to_findings(svrl: str, *, schema: str = "schematron") -> list[Finding]:
    """Turn an SVRL report into findings.

    Each failed assert / successful report gives ``Finding(rule="<schema>:<key>", code=<assert id or
    pattern id>, location=<XPath>, severity=<role/flag>)``. An assert without role is an error; a check
    that depends on a value-set file missing from the kit becomes a warning saying so.
    """
    if not svrl.strip():
        return []
    root = _xml.parse_text(svrl, origin="SVRL report")
    findings: list[Finding] = []
    for el in root.iter(_FAILED, _REPORT):
        role = (el.get("role") or el.get("flag") or "").strip().lower()
        severity = _SEVERITIES.get(role, Severity.ERROR)
        key = el.get(f"{{{DMP_NS}}}key") or el.get("id") or "unknown"
        text_el = el.find(f"{{{SVRL_NS}}}text")
        text = " ".join(text_of(text_el).split()) if text_el is not None else ""
        diags = [" ".join(text_of(d).split()) for d in el.iter(f"{{{SVRL_NS}}}diagnostic-reference")]
        if diags:
            text = f"{text} ({'; '.join(diags)})"
        missing = el.get(f"{{{DMP_NS}}}missing")
        if missing:
            severity = Severity.WARNING if severity is Severity.ERROR else severity
            text = f"cannot be checked: value-set file {missing} is missing from the kit — {text}"
        kind = "report" if el.tag == _REPORT else "assert"
        if not text:
            text = f"schematron {kind} failed: {el.get('test', '')}"
        findings.append(
            Finding(
                rule=f"{schema}:{key}",
                message=text,
                severity=severity,
                location=el.get("location"),
                code=el.get("id") or el.get(f"{{{DMP_NS}}}pattern"),
            )
        )
    return findings
