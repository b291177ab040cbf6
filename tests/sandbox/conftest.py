"""Fixtures of the sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from behaviour_support import Harness


@pytest.fixture
def h() -> Iterator[Harness]:
    """A fresh behaviour :class:`~behaviour_support.Harness` (closed after the test); a module may override it."""
    harness = Harness()
    yield harness
    harness.close()
