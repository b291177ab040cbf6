"""Fixtures of the inspection tests: a test PKI and a TD2.1 captured from our own stack."""

from __future__ import annotations

from pathlib import Path

import pytest

from dmpclient.security.pki import TestPki, create_test_pki

from .inspection_support import OwnCapture, build_own_capture


@pytest.fixture(scope="session")
def inspection_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A test PKI valid around the current time."""
    return create_test_pki(tmp_path_factory.mktemp("pki-inspection"))


@pytest.fixture(scope="session")
def own_capture(inspection_pki: TestPki) -> OwnCapture:
    """A TD2.1 request built by prepare_submission and serialized as it goes on the wire."""
    return build_own_capture(inspection_pki)


@pytest.fixture
def capture_file(tmp_path: Path, own_capture: OwnCapture) -> Path:
    """The own capture as an HTTP request file (start line, headers, body) — the evidence ``request.http`` form."""
    path = tmp_path / "request.http"
    path.write_bytes(own_capture.http_bytes())
    return path
