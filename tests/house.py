"""The ``house`` fixture shared by the test folders that need the root conftest's skip/fail helpers.

Import it into a folder's ``conftest.py`` (``from tests.house import house_fixture``) to make the ``house``
fixture available there.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

__all__ = ["ROOT_CONFTEST", "house_fixture"]

ROOT_CONFTEST = Path(__file__).resolve().parent / "conftest.py"


@pytest.fixture(scope="session", name="house")
def house_fixture(request: pytest.FixtureRequest) -> ModuleType:
    """The root ``tests/conftest.py`` module (``require``, ``require_tool``, ``require_module``).

    Several test folders have their own ``conftest.py``, so ``import conftest`` would be ambiguous; the root
    one is taken from pytest's plugin manager instead.
    """
    for plugin in request.config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file and Path(file).resolve() == ROOT_CONFTEST:
            assert isinstance(plugin, ModuleType)
            return plugin
    raise RuntimeError("root conftest not loaded")  # pragma: no cover
