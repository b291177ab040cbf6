"""Our ISO Schematron → XSLT 3.0 compiler and its saxonche runner (for the ANS CI-SIS schematrons).

No third-party XSLT (ISO skeleton, SchXslt) is used: :mod:`._loader` expands includes (case-insensitive
for the kit's Windows-cased hrefs), abstract patterns (``is-a`` + ``param``) and abstract rules
(``extends``); :mod:`._compiler` writes XSLT 3.0 that emits SVRL; :mod:`._engine` runs it with
SaxonC-HE (extra ``validation``) and caches compiled forms in memory and on disk.

Typical use::

    from dmpclient.cda.schematron import validate_schematron
    findings = validate_schematron(Path("doc.xml"), Path("kit/schematrons/CI-SIS_VSM_1.4_2022.01.sch"))
"""

from dmpclient.cda.schematron._compiler import COMPILER_VERSION, CompiledXslt, compile_loaded
from dmpclient.cda.schematron._engine import (
    PreparedDocument,
    SchematronValidator,
    cache_directory,
    clear_cache,
    compile_schematron,
    get_validator,
    prepare_document,
    svrl_to_findings,
    validate_schematron,
)
from dmpclient.cda.schematron._loader import LoadedSchema, load_schematron, substitute_params
from dmpclient.cda.schematron._model import CompileNote, SchematronError, ValidationEngineMissing
from dmpclient.cda.schematron._resolve import Resolution, resolve_path

__all__ = [
    "COMPILER_VERSION",
    "CompileNote",
    "CompiledXslt",
    "LoadedSchema",
    "PreparedDocument",
    "Resolution",
    "SchematronError",
    "SchematronValidator",
    "ValidationEngineMissing",
    "cache_directory",
    "clear_cache",
    "compile_loaded",
    "compile_schematron",
    "get_validator",
    "load_schematron",
    "prepare_document",
    "resolve_path",
    "substitute_params",
    "svrl_to_findings",
    "validate_schematron",
]
