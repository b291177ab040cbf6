"""Fixtures of the security tests: one test PKI (+ SoftHSM2 token) per session, xmlsec1 helpers."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from dmpclient.security.pki import TestPki, create_test_pki
from tests.house import house_fixture  # noqa: F401 - provides the `house` fixture to this folder

XADES_ID_ATTRS = [
    "--id-attr:Id",
    "http://www.w3.org/2000/09/xmldsig#:Manifest",
    "--id-attr:Id",
    "http://uri.etsi.org/01903/v1.1.1#:SignedProperties",
]
VIHF_ID_ATTRS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"]


def _softhsm_available() -> bool:
    from dmpclient.security.pkcs11 import find_softhsm2_module

    return (
        shutil.which("softhsm2-util") is not None
        and find_softhsm2_module() is not None
        and importlib.util.find_spec("pkcs11") is not None
    )


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """A test PKI; with a SoftHSM2 token when softhsm2-util and python-pkcs11 are installed."""
    directory = tmp_path_factory.mktemp("pki")
    return create_test_pki(directory, softhsm=_softhsm_available())


@pytest.fixture(scope="session")
def softhsm_pki(pki: TestPki, house: ModuleType) -> TestPki:
    """The PKI with its SoftHSM2 token, ``SOFTHSM2_CONF`` exported (skip locally / fail in CI if missing)."""
    house.require_tool("softhsm2-util", "softhsm2")
    house.require_module("pkcs11", "pkcs11")
    house.require(pki.softhsm is not None, "libsofthsm2.so not found")
    assert pki.softhsm is not None
    # Another area may have loaded SoftHSM2 with its own configuration first: Pkcs11Signer.open re-initialises
    # the module when the token is not listed, which makes SoftHSM2 read this SOFTHSM2_CONF.
    os.environ["SOFTHSM2_CONF"] = pki.softhsm.conf
    return pki


@pytest.fixture
def fixed_now() -> dt.datetime:
    """A fixed 'now' inside the PKI's validity (the PKI starts one day before the session)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=123000)


XmlSec = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def xmlsec_verify(xmlsec1: str) -> XmlSec:
    """Run ``xmlsec1 --verify`` on a file; returns the completed process (stderr has the summary)."""

    def run(path: Path, *options: str, extra: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
        cmd = [xmlsec1, "--verify", *options, *extra, str(path)]
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    return run


def xmlsec_counts(stderr: str) -> dict[str, tuple[int, int]]:
    """Parse xmlsec1's 'SignedInfo References (ok/all): 2/2' style summary lines."""
    out: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if "(ok/all):" in line:
            label, _, value = line.partition("(ok/all):")
            ok, _, total = value.strip().partition("/")
            out[label.strip()] = (int(ok), int(total))
    return out


@pytest.fixture(scope="session")
def counts() -> Callable[[str], dict[str, tuple[int, int]]]:
    """:func:`xmlsec_counts` as a fixture (test modules cannot import this conftest)."""
    return xmlsec_counts


@pytest.fixture(scope="session")
def vihf_id_attrs() -> list[str]:
    """xmlsec1 options declaring the SAML ``ID`` attribute."""
    return list(VIHF_ID_ATTRS)


@pytest.fixture(scope="session")
def xades_id_attrs() -> list[str]:
    """xmlsec1 options declaring the ``Id`` attributes of Manifest and SignedProperties."""
    return list(XADES_ID_ATTRS)
