"""The dmpclient pytest plugin: a sandbox DMP, a test PKI, clients and factories as fixtures.

Registered through the ``pytest11`` entry point (or ``pytest -p dmpclient.testing.plugin``)::

    def test_feed(dmp_client, make_patient, make_document):
        patient = make_patient()
        document = make_document(patient, text="Examen normal.")
        result = dmp_client.submit(patient, document)
        assert dmp_client.retrieve(patient, result.document_unique_ids[0]).read_bytes() == document.content

Fixtures:

========================  =========  ====================================================================
``test_pki``              session    the process's test PKI (:func:`~dmpclient.testing.cached_test_pki`)
``dmp_sandbox``           function   a fresh in-process :class:`~dmpclient.testing.LocalDmp`
``dmp_sandbox_server``    function   a :class:`~dmpclient.testing.LocalDmp` over mutual TLS to a
                                     session-scoped server, its state reset before each test
``dmp``                   function   one of the two, by ``--dmp-mode`` / ``@pytest.mark.dmp_mode``
``dmp_client``            function   ``dmp.client`` (a ``DMPClient``)
``async_dmp_client``      function   an ``AsyncDMPClient`` on ``dmp`` (async fixture run by anyio's plugin)
``softhsm_token``         session    a SoftHSM2 token with the professional's keys (skip, or fail in CI)
``make_patient``          function   ``dmp.new_patient`` → a new patient's INS
``make_document``         function   ``dmp.make_document`` → an N1 CDA ``DocumentToSubmit``
``make_context``          function   an ``ActingContext`` the sandbox authenticates
``make_professional``     function   a ``Professional`` with a random test RPPS
``make_structure``        function   a ``Structure`` with a random test id
========================  =========  ====================================================================

Option ``--dmp-mode inprocess|mtls`` (ini ``dmp_mode``); markers ``dmp_mode(mode)``,
``dmp_context(authentication_mode)``, ``dmp_patients("seeded"|"empty")``. Documentation:
``docs/testing/pytest-plugin.md``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

import pytest

if TYPE_CHECKING:  # the plugin loads with every pytest run: the SDK is imported when a fixture is used
    from dmpclient.client import AsyncDMPClient, DMPClient
    from dmpclient.context import ActingContext, Professional, Structure
    from dmpclient.ids import INS
    from dmpclient.sandbox import Sandbox
    from dmpclient.security import TestPki
    from dmpclient.testing.local import LocalDmp
    from dmpclient.testing.softhsm import SoftHsmTestToken
    from dmpclient.transactions import DocumentToSubmit

__all__ = [
    "MARKERS",
    "async_dmp_client",
    "dmp",
    "dmp_client",
    "dmp_sandbox",
    "dmp_sandbox_server",
    "make_context",
    "make_document",
    "make_patient",
    "make_professional",
    "make_structure",
    "softhsm_token",
    "test_pki_fixture",
]

_MODES: Final = ("inprocess", "mtls")
_AUTH_MODES: Final = ("DIRECTE", "INDIRECTE", "INDIRECTE_RENFORCEE")  # dmpclient.context.AuthenticationMode
_PATIENTS: Final = ("seeded", "empty")

#: The markers this plugin registers (name → help line).
MARKERS: Final = {
    "dmp_mode": "dmp_mode(mode): 'inprocess' or 'mtls' — which sandbox the dmp / dmp_client fixtures use",
    "dmp_context": "dmp_context(mode): 'DIRECTE', 'INDIRECTE' or 'INDIRECTE_RENFORCEE' — the dmp_client's "
    "authentication mode (certificates chosen to match)",
    "dmp_patients": "dmp_patients(profile): 'seeded' (test patients and documents, default) or 'empty' store",
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` — or fail when ``CI=true``: a missing tool is never silently skipped in CI."""
    if _in_ci():
        pytest.fail(f"CI=true and a test requirement is missing: {reason}", pytrace=False)
    pytest.skip(reason)


# ------------------------------------------------------------------------------------------------ hooks


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--dmp-mode`` and the ``dmp_mode`` ini value."""
    group = parser.getgroup("dmpclient", "dmpclient DMP sandbox")
    group.addoption(
        "--dmp-mode",
        dest="dmp_mode",
        choices=_MODES,
        default=None,
        help="how the dmp / dmp_client fixtures reach the sandbox: inprocess (default, no socket) or mtls "
        "(real HTTPS with mutual TLS on a loopback port)",
    )
    parser.addini("dmp_mode", "default of --dmp-mode (inprocess or mtls)", default="inprocess")


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers."""
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)


def pytest_report_header(config: pytest.Config) -> str:
    """Say which sandbox mode the session uses."""
    return f"dmpclient: sandbox mode {_configured_mode(config)} (--dmp-mode)"


def _configured_mode(config: pytest.Config) -> str:
    option = config.getoption("dmp_mode", default=None)
    mode = str(option or config.getini("dmp_mode") or "inprocess")
    if mode not in _MODES:
        raise pytest.UsageError(f"dmp_mode must be inprocess or mtls, not {mode!r}")
    return mode


def _marker_value(request: pytest.FixtureRequest, name: str, allowed: tuple[str, ...]) -> str | None:
    marker = request.node.get_closest_marker(name)
    if marker is None:
        return None
    if len(marker.args) != 1 or str(marker.args[0]) not in allowed:
        raise pytest.UsageError(f"@pytest.mark.{name} takes one of {', '.join(allowed)}; got {marker.args!r}")
    return str(marker.args[0])


def _mode(request: pytest.FixtureRequest) -> str:
    return _marker_value(request, "dmp_mode", _MODES) or _configured_mode(request.config)


def _context(request: pytest.FixtureRequest) -> str | None:
    return _marker_value(request, "dmp_context", _AUTH_MODES)


def _patients(request: pytest.FixtureRequest) -> Literal["seeded", "empty"]:
    return "empty" if _marker_value(request, "dmp_patients", _PATIENTS) == "empty" else "seeded"


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session", name="test_pki")
def test_pki_fixture() -> TestPki:
    """The test PKI (created once per process; ``DMPCLIENT_TEST_PKI`` names a folder to share it)."""
    from dmpclient.testing.local import cached_test_pki

    return cached_test_pki()


@pytest.fixture
def dmp_sandbox(request: pytest.FixtureRequest, test_pki: TestPki) -> Iterator[LocalDmp]:
    """A fresh in-process sandbox (in-memory store, seeded) and a ``DMPClient`` wired to it, for one test."""
    from dmpclient.testing.local import local_dmp

    with local_dmp(pki=test_pki, context=_context(request), patients=_patients(request)) as local:
        yield local


@dataclass(frozen=True)
class _SessionServer:
    sandbox: Sandbox
    url: str
    parameters: dict[str, Any]


@pytest.fixture(scope="session")
def _dmp_session_server(test_pki: TestPki) -> Iterator[_SessionServer]:
    """One HTTPS + mutual TLS sandbox server for the whole session."""
    from dmpclient.sandbox import Sandbox

    with Sandbox.from_pki(test_pki) as sandbox, sandbox.run() as url:
        yield _SessionServer(sandbox, url, dict(sandbox.admin.get_parameters()))


@pytest.fixture
def dmp_sandbox_server(
    request: pytest.FixtureRequest, _dmp_session_server: _SessionServer, test_pki: TestPki
) -> Iterator[LocalDmp]:
    """The session's mutual-TLS sandbox server, reset for this test, and a ``DMPClient`` talking to it."""
    from dmpclient.testing.local import LocalDmp

    server = _dmp_session_server
    local = LocalDmp.connect(server.sandbox, test_pki, url=server.url, context=_context(request))
    try:
        local.reset(seed=_patients(request) == "seeded", parameters=server.parameters)
        yield local
    finally:
        local.close()


@pytest.fixture
def dmp(request: pytest.FixtureRequest) -> LocalDmp:
    """The sandbox of this test: ``dmp_sandbox`` (in-process) or ``dmp_sandbox_server`` (mTLS) by mode."""
    name = "dmp_sandbox_server" if _mode(request) == "mtls" else "dmp_sandbox"
    local: LocalDmp = request.getfixturevalue(name)
    return local


@pytest.fixture
def dmp_client(dmp: LocalDmp) -> DMPClient:
    """A ``DMPClient`` wired to the test's sandbox (Dr Max LIBRE in DIRECTE mode unless ``dmp_context``)."""
    from dmpclient.client import DMPClient

    client = dmp.client
    if not isinstance(client, DMPClient):  # pragma: no cover - the fixtures build sync clients
        raise TypeError(f"dmp.client is a {type(client).__name__}, not a DMPClient")
    return client


@pytest.fixture
async def async_dmp_client(dmp: LocalDmp, anyio_backend: Any) -> AsyncIterator[AsyncDMPClient]:
    """An ``AsyncDMPClient`` on the test's sandbox, same acting context as ``dmp_client``.

    An async fixture run by anyio's pytest plugin (installed with anyio): use it from an ``async def`` test
    (mark it ``@pytest.mark.anyio``); no pytest-asyncio needed.
    """
    from dmpclient.client import AsyncDMPClient

    client = dmp.new_client(context=dmp.context, async_=True, managed=False)
    assert isinstance(client, AsyncDMPClient)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def softhsm_token(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsmTestToken]:
    """A SoftHSM2 token with the professional's keys, ``SOFTHSM2_CONF`` exported.

    Skips with the reason when SoftHSM2 or python-pkcs11 is missing (fails when ``CI=true``).
    """
    from dmpclient.errors import TokenError
    from dmpclient.testing.softhsm import activate_softhsm_token, create_softhsm_token, softhsm_missing

    missing = softhsm_missing()
    if missing is not None:
        _skip_or_fail(missing)
    previous = os.environ.get("SOFTHSM2_CONF")
    token = create_softhsm_token(test_pki, tmp_path_factory.mktemp("softhsm"))
    try:
        activate_softhsm_token(token)
    except TokenError as exc:
        _skip_or_fail(str(exc))
    try:
        yield token
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def make_patient(dmp: LocalDmp) -> Callable[..., INS]:
    """``make_patient(**traits) -> INS``: a new patient with an active DMP in the test's sandbox (authorised
    for the client's professional; see :meth:`LocalDmp.new_patient <dmpclient.testing.LocalDmp.new_patient>`)."""
    return dmp.new_patient


@pytest.fixture
def make_document(dmp: LocalDmp) -> Callable[..., DocumentToSubmit]:
    """``make_document(ins, text=… | pdf=…, **options) -> DocumentToSubmit``: an N1 CDA by the client's acting
    context (see :meth:`LocalDmp.make_document <dmpclient.testing.LocalDmp.make_document>`)."""
    return dmp.make_document


@pytest.fixture
def make_context(test_pki: TestPki) -> Callable[..., ActingContext]:
    """``make_context(mode="DIRECTE", **options) -> ActingContext`` the sandbox authenticates."""
    from dmpclient.testing import factories

    return functools.partial(factories.make_context, test_pki)


@pytest.fixture
def make_professional() -> Callable[..., Professional]:
    """``make_professional(**options) -> Professional`` with a random valid test RPPS."""
    from dmpclient.testing import factories

    return factories.make_professional


@pytest.fixture
def make_structure() -> Callable[..., Structure]:
    """``make_structure(name=None, kind="cabinet"|"etablissement", **options) -> Structure``."""
    from dmpclient.testing import factories

    return factories.make_structure
