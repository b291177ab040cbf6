"""Fixtures of the CDA tests: deterministic ids, demo headers, the kit XSD, and the house skip/fail helpers."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from dmpclient.cda import DocumentHeaderInput
from dmpclient.cda.demo import demo_header
from tests.house import house_fixture  # noqa: F401 - provides the `house` fixture to this folder


@pytest.fixture
def ids() -> Callable[[], str]:
    """A deterministic OID factory: ``1.2.250.1.999.1.1.7898.9.1``, ``.2`` …"""
    counter = itertools.count(1)
    return lambda: f"1.2.250.1.999.1.1.7898.9.{next(counter)}"


@pytest.fixture
def header() -> DocumentHeaderInput:
    """A complete consultation-report header (demo identities, fixed time)."""
    return demo_header()


@pytest.fixture(scope="session")
def kit_xsd(cda_kit: Path) -> etree.XMLSchema:
    """``CDA_extended.xsd`` of the kit.

    The schema is trusted test data whose imports (``schema-for-xslt20.xsd`` → ``XMLSchema.xsd`` with its
    internal DTD subset) the hardened parser rightly refuses, so lxml loads it directly here.
    """
    xsd = cda_kit / "infrastructure" / "cda" / "CDA_extended.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))
