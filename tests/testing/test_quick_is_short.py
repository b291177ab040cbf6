"""Meta-test of ``test_plugin_quick.py``: the submit-and-retrieve test uses only the plugin's fixtures and
fits in under 15 lines (issue 8 acceptance)."""

from __future__ import annotations

import ast
from pathlib import Path

QUICK = Path(__file__).with_name("test_plugin_quick.py")
#: The fixtures of the plugin (``test_plugin.py`` checks that ``--fixtures`` lists them all).
PLUGIN_FIXTURES = {
    "dmp",
    "dmp_sandbox",
    "dmp_sandbox_server",
    "dmp_client",
    "async_dmp_client",
    "test_pki",
    "softhsm_token",
    "make_patient",
    "make_document",
    "make_context",
    "make_professional",
    "make_structure",
}


def _quick_module() -> ast.Module:
    return ast.parse(QUICK.read_text(encoding="utf-8"))


def _test_functions(module: ast.Module) -> list[ast.FunctionDef]:
    return [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]


def body_lines(function: ast.FunctionDef) -> int:
    """Source lines of a function body (docstring included)."""
    first = function.body[0].lineno
    last = function.body[-1].end_lineno or function.body[-1].lineno
    return last - first + 1


def test_the_quick_test_is_under_15_lines_and_uses_only_plugin_fixtures() -> None:
    module = _quick_module()
    (function,) = _test_functions(module)
    assert body_lines(function) < 15
    arguments = {a.arg for a in function.args.args}
    assert arguments <= PLUGIN_FIXTURES
    assert {"dmp_client", "make_document"} <= arguments
    imports = [n for n in ast.walk(module) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports == []  # nothing but fixtures
    calls = {n.func.attr for n in ast.walk(function) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert {"submit", "retrieve"} <= calls


def test_the_line_counter_counts_multi_line_statements() -> None:
    function = ast.parse("def test_x():\n    a = f(\n        1,\n    )\n    assert a\n").body[0]
    assert isinstance(function, ast.FunctionDef)
    assert body_lines(function) == 4
