"""Fixtures of the end-to-end tests.

* ``kit`` (session): one test PKI (``create_test_pki``) with signers / TLS identities loaded once;
* ``mtls_server`` (session): one sandbox served over HTTPS + mutual TLS on 127.0.0.1 (HTTP admin API on);
  every test using it starts from a freshly seeded store — reset through the HTTP admin API (store, faults,
  clock, parameters) before the test;
* ``mode`` × ``flavour``: every test taking ``world`` runs ``inprocess``/``mtls`` × ``sync``/``async``
  (override with ``@pytest.mark.parametrize("mode", ["mtls"])``);
* ``world``: a :class:`~tests.integration.support.World` — in-process: a new in-memory seeded sandbox per
  test, with a fault injector whose latency sleep is recorded, not slept; over mTLS: the session server.

With ``-v`` (or ``DMPCLIENT_COVERAGE_MATRIX=1``) the terminal summary prints which client method was called
in which transport and flavour.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from dmpclient.sandbox import FaultInjector, Sandbox, SandboxConfig
from dmpclient.security.pki import create_test_pki

from .support import FLAVOURS, TRANSPORTS, Kit, World, admin_http, iter_matrix

ADMIN_TOKEN = "integration-tests-admin-token"
_CALLS: Counter[tuple[str, str, str]] = Counter()


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Kit:
    """The session's test PKI (IGC-Santé-like), certificates valid now."""
    return Kit(create_test_pki(tmp_path_factory.mktemp("integration-pki")))


@dataclass
class MtlsServer:
    """The session's sandbox and its running HTTPS server."""

    sandbox: Sandbox
    base_url: str
    soap_base: str
    admin: httpx.Client
    default_sleep: Callable[[float], Awaitable[None]]
    default_parameters: dict[str, object]


@pytest.fixture(scope="session")
def mtls_server(kit: Kit) -> Iterator[MtlsServer]:
    """One sandbox over real mutual TLS for the whole session (reset before each test that uses it)."""
    config = SandboxConfig.from_pki(kit.pki, admin=True, admin_token=ADMIN_TOKEN)
    sandbox = Sandbox(config, server_identity=kit.tls("dmp-server"))
    server = sandbox.start()
    admin = admin_http(server.base_url, kit, ADMIN_TOKEN)  # one keep-alive connection for every reset
    try:
        yield MtlsServer(
            sandbox=sandbox,
            base_url=server.base_url,
            soap_base=server.soap_base,
            admin=admin,
            default_sleep=sandbox.faults.sleep,
            default_parameters=sandbox.admin.get_parameters(),
        )
    finally:
        admin.close()
        sandbox.close()


def reset_over_admin_api(server: MtlsServer) -> None:
    """Back to the seeded state through the HTTP admin API: faults, clock, parameters, store (and AIR replays)."""
    server.sandbox.faults.sleep = server.default_sleep  # a Python object: not reachable over HTTP
    for method, path, body in (
        ("DELETE", "/faults", None),
        ("POST", "/clock", {"reset": True}),
        ("PATCH", "/parameters", server.default_parameters),
        ("POST", "/reset", {"seed": True}),
    ):
        response = server.admin.request(method, path, json=body)
        assert response.status_code == 200, f"admin {method} {path}: {response.status_code} {response.text}"
        assert response.json()["ok"] is True


@pytest.fixture(params=TRANSPORTS)
def mode(request: pytest.FixtureRequest) -> str:
    """``inprocess`` (ASGI app called in-process) or ``mtls`` (HTTPS + mutual TLS on 127.0.0.1)."""
    return str(request.param)


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    """``sync`` (DMPClient) or ``async`` (AsyncDMPClient)."""
    return str(request.param)


@pytest.fixture
def world(mode: str, flavour: str, kit: Kit, request: pytest.FixtureRequest) -> Iterator[World]:
    """A freshly seeded sandbox reached in ``mode`` by ``flavour`` clients."""
    if mode == "inprocess":
        recorded: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            recorded.append(seconds)

        config = SandboxConfig.from_pki(kit.pki)
        sandbox = Sandbox(config, faults=FaultInjector(seed=7, sleep=fake_sleep))
        made = World(mode, flavour, kit, sandbox, _CALLS, fault_sleeps=recorded)
        try:
            yield made
        finally:
            made.close()
            sandbox.close()
    else:
        server: MtlsServer = request.getfixturevalue("mtls_server")
        reset_over_admin_api(server)
        made = World(mode, flavour, kit, server.sandbox, _CALLS, soap_base=server.soap_base)
        try:
            yield made
        finally:
            made.close()
            server.sandbox.faults.clear()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Print the coverage matrix of the client methods (``-v`` or ``DMPCLIENT_COVERAGE_MATRIX=1``)."""
    if not _CALLS or not (config.option.verbose > 0 or os.environ.get("DMPCLIENT_COVERAGE_MATRIX")):
        return
    terminalreporter.section("dmpclient integration: client method × transport × flavour (calls)")
    for line in iter_matrix(_CALLS):
        terminalreporter.write_line(line)
