"""Fixtures of the scenario tests: one test PKI and one in-process sandbox target for the session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dmpclient.scenarios import SandboxTarget
from dmpclient.security.pki import TestPki, create_test_pki


@pytest.fixture(scope="session")
def scenario_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """One test PKI for every scenario test (creating one takes seconds)."""
    return create_test_pki(tmp_path_factory.mktemp("scenario-pki") / "pki")


@pytest.fixture(scope="session")
def sandbox_target(scenario_pki: TestPki) -> Iterator[SandboxTarget]:
    """An in-process sandbox; the runner resets its store before each scenario."""
    with SandboxTarget(scenario_pki) as target:
        yield target


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write a YAML scenario file and return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
