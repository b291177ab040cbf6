"""Fixtures of the transaction tests: a test PKI, request contexts, official examples as SoapMessages."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from dmpclient.context import AccessMode, AuthenticationMode, SoftwareIdentity
from dmpclient.environments import SANDBOX
from dmpclient.security.pki import TestPki, create_test_pki
from dmpclient.soap import SoapMessage, SoapRequest, SoapResponse, read_message
from dmpclient.transactions._base import RequestContext

#: The software identity of the GIE examples (``sender/device`` and message id roots).
EXAMPLE_SOFTWARE = SoftwareIdentity(
    name="LPS GIE-SV", version="1", homologation_number="NumAutorisation", oid_root="1.3.6.1.4.1.48364"
)
FIXED_NOW = dt.datetime(2021, 5, 19, 17, 45, 7, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """One test PKI for the whole session (valid around the real current time)."""
    return create_test_pki(tmp_path_factory.mktemp("pki-transactions"))


@pytest.fixture(scope="session")
def make_ctx(pki: TestPki) -> Callable[..., RequestContext]:
    """Build a RequestContext: ``make_ctx(mode="DIRECTE", access=AccessMode.NORMAL, reason=None)``."""

    def make(
        mode: AuthenticationMode | str = AuthenticationMode.DIRECTE,
        access: AccessMode = AccessMode.NORMAL,
        reason: str | None = None,
        software: SoftwareIdentity = EXAMPLE_SOFTWARE,
    ) -> RequestContext:
        acting = pki.acting_context(mode)
        acting = dataclasses.replace(acting, software=software, access_mode=access, access_reason=reason)
        signer = pki.signer("prof-sign" if AuthenticationMode(mode) is AuthenticationMode.DIRECTE else "ej-sign")
        return RequestContext(acting=acting, environment=SANDBOX, signer=signer)

    return make


@pytest.fixture(scope="session")
def ctx(make_ctx: Callable[..., RequestContext]) -> RequestContext:
    """Direct authentication (CPS), normal access, the GIE examples' software identity."""
    return make_ctx()


#: The type of the :func:`example` fixture.
Example = Callable[[str], SoapMessage]


@pytest.fixture(scope="session")
def example(official_examples: Path) -> Example:
    """An official example file read as a received SoapMessage: ``example("td0.2-test-existence.response.xml")``."""

    def read(name: str) -> SoapMessage:
        return read_message("application/soap+xml", (official_examples / name).read_bytes())

    return read


def received(message: SoapRequest | SoapResponse) -> SoapMessage:
    """What the other side reads from one of our outgoing messages."""
    return read_message(message.content_type, message.body_bytes())
