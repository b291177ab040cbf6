"""Test-suite plumbing: where ``../shared`` is, and the skip-or-fail policy for missing tools.

Tests that need a system tool (xmlsec1, SoftHSM2, Chromium) or the shared fixtures call
:func:`require_tool` / use the ``shared`` fixture. Locally they are skipped with a clear reason when the
thing is missing; with ``CI=true`` a missing tool or fixture is a failure, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DMPCLIENT_SHARED", REPO.parent / "shared")).resolve()
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when ``condition`` is false."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and a test requirement is missing: {reason}", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, package: str | None = None) -> str:
    """Path of a command-line tool, or skip/fail naming the Debian package to install."""
    path = shutil.which(name)
    require(path is not None, f"'{name}' not found on PATH (apt-get install {package or name})")
    assert path is not None
    return path


def require_module(name: str, extra: str) -> None:
    """Skip/fail when an optional Python module (from a dmpclient extra) is missing."""
    import importlib.util

    require(
        importlib.util.find_spec(name) is not None, f"Python module '{name}' missing (pip install dmpclient[{extra}])"
    )


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ``../shared`` folder (reference, fixtures); skip/fail when absent."""
    require((SHARED / "fixtures").is_dir(), f"../shared not found at {SHARED} (set DMPCLIENT_SHARED)")
    return SHARED


@pytest.fixture(scope="session")
def fixtures(shared: Path) -> Path:
    """``../shared/fixtures``."""
    return shared / "fixtures"


@pytest.fixture(scope="session")
def official_examples(fixtures: Path) -> Path:
    """``../shared/fixtures/dmp-official-examples``."""
    return fixtures / "dmp-official-examples"


@pytest.fixture(scope="session")
def cda_kit(fixtures: Path) -> Path:
    """The ANS TestContenuCDA-3-0 kit folder."""
    return fixtures / "ans-testcontenucda" / "TestContenuCDA-3-0"


@pytest.fixture(scope="session")
def xmlsec1() -> str:
    """Path of the xmlsec1 command (Debian package xmlsec1)."""
    return require_tool("xmlsec1")


@pytest.fixture(scope="session")
def softhsm2_util() -> str:
    """Path of softhsm2-util (Debian package softhsm2)."""
    return require_tool("softhsm2-util", "softhsm2")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep a developer's own updated value sets and caches out of the tests."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("DMPCLIENT_TERMINOLOGY_DIR", str(base / "user-terminology"))
    monkeypatch.setenv("DMPCLIENT_CACHE_DIR", str(base / "user-cache"))
