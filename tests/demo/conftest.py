"""Fixtures of the demo tests: one test PKI for the library-level runs (creating one takes a second or two)."""

from __future__ import annotations

import pytest

from dmpclient.security import TestPki, create_test_pki

from ..house import house_fixture

__all__ = ["demo_pki", "house_fixture"]


@pytest.fixture(scope="session")
def demo_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A test PKI shared by the tests that call :func:`dmpclient.demo.run_demo` directly."""
    return create_test_pki(tmp_path_factory.mktemp("demo-pki"))
