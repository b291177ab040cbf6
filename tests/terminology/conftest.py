"""Fixtures of the terminology tests: an isolated user terminology directory for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dmpclient.terminology import reset_default_terminology


@pytest.fixture(autouse=True)
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``$DMPCLIENT_TERMINOLOGY_DIR`` points at an empty temporary directory; the active registry is reset
    before and after the test so that no developer's own updated tables leak in."""
    directory = tmp_path / "user-terminology"
    monkeypatch.setenv("DMPCLIENT_TERMINOLOGY_DIR", str(directory))
    reset_default_terminology()
    yield directory
    reset_default_terminology()


@pytest.fixture(scope="session")
def jdv(cda_kit: Path) -> Path:
    """The kit's ``jeuxDeValeurs`` folder (IHE SVS files)."""
    return cda_kit / "jeuxDeValeurs"
