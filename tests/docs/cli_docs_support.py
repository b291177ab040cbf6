"""Helpers shared by the CLI documentation tests: the repository root and ``tools/gen_cli_docs.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_generator() -> ModuleType:
    """``tools/gen_cli_docs.py`` (a script, not a package), loaded by path once per process."""
    name = "dmpclient_tools_gen_cli_docs"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tools" / "gen_cli_docs.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
