"""The README's Python snippet runs as written (a fresh interpreter, no network) and prints what it says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dmpclient.testing import PKI_ENV, cached_test_pki

README = Path(__file__).resolve().parents[2] / "README.md"
_BLOCK = re.compile(r"^```python\n(?P<code>.*?)^```", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text."""
    return [m.group("code") for m in _BLOCK.finditer(text)]


def test_the_extractor_reads_python_blocks_only() -> None:
    text = "x\n```bash\nls\n```\n```python\nprint(1)\n```\n"
    assert python_blocks(text) == ["print(1)\n"]


def test_the_readme_snippet_runs_and_prints_existence_and_authorisation(tmp_path: Path) -> None:
    blocks = [b for b in python_blocks(README.read_text(encoding="utf-8")) if "local_dmp" in b]
    assert len(blocks) == 1, "the README should show one local_dmp() snippet"
    env = {**os.environ, PKI_ENV: str(cached_test_pki().directory)}
    done = subprocess.run(
        [sys.executable, "-c", blocks[0]], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120
    )
    if "cannot import name 'INS' from 'dmpclient'" in done.stderr:
        pytest.fail("dmpclient/__init__.py must re-export INS (the README imports it from there)", pytrace=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "VALIDE"]  # PATB-QUATRE has a DMP; Dr LIBRE is authorised
