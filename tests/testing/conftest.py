"""The plugin under test and pytester, for this folder (until the ``pytest11`` entry point is installed).

Registration is idempotent: once the entry point loads ``dmpclient.testing.plugin`` these lines do nothing.
"""

from __future__ import annotations

import pytest

import dmpclient.testing.plugin as dmp_plugin
from tests.house import house_fixture  # noqa: F401 - provides the `house` fixture to this folder


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.is_registered(dmp_plugin):
        config.pluginmanager.register(dmp_plugin, "dmpclient.testing.plugin")
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
