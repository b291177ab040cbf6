"""Fixtures of the client tests: a test PKI, acting contexts, a fake DMP, sync/async clients over MockTransport."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from dmpclient.cda import BuiltCda, make_sample_pdf
from dmpclient.cda.demo import demo_header
from dmpclient.client import AsyncDMPClient, DMPClient, Exchange, RetryPolicy
from dmpclient.context import ActingContext, AuthenticationMode
from dmpclient.ids import INS
from dmpclient.security.pki import TestPki, create_test_pki

from .fake_dmp import FakeDMP, to_httpx
from .support import PATIENT, Harness, new_cda

ROOT_CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.fixture(scope="session")
def house(request: pytest.FixtureRequest) -> ModuleType:
    """The root ``tests/conftest.py`` module (``require``, ``require_tool``: skip locally, fail in CI)."""
    for plugin in request.config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if file and Path(file).resolve() == ROOT_CONFTEST:
            assert isinstance(plugin, ModuleType)
            return plugin
    raise RuntimeError("root conftest not loaded")  # pragma: no cover


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """One test PKI for the client tests."""
    return create_test_pki(tmp_path_factory.mktemp("pki-client"))


@pytest.fixture(scope="session")
def acting(pki: TestPki) -> ActingContext:
    """Dr MAX LIBRE in his cabinet, direct authentication (CPS), normal access."""
    return pki.acting_context(AuthenticationMode.DIRECTE)


@pytest.fixture
def ins() -> INS:
    return PATIENT


@pytest.fixture
def fake() -> Iterator[FakeDMP]:
    server = FakeDMP()
    yield server
    server.close()


Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def make_client(pki: TestPki, acting: ActingContext, fake: FakeDMP) -> Iterator[Callable[..., Harness]]:
    """``make_client(mode, handler=None, **client_kwargs) -> Harness`` over the fake DMP (or ``handler``).

    ``handler`` is a sync function ``(request, body: bytes) -> httpx.Response | None``; None lets the fake
    answer. The async harness reads the body asynchronously and calls the same function.
    """
    made: list[Harness] = []

    def make(mode: str, handler: Callable[[httpx.Request, bytes], httpx.Response | None] | None = None,
             **kwargs: Any) -> Harness:  # fmt: skip
        seen: list[httpx.Request] = []
        harness_ref: list[Harness] = []

        def answer(request: httpx.Request, body: bytes) -> httpx.Response:
            seen.append(request)
            if handler is not None:
                custom = handler(request, body)
                if custom is not None:
                    return custom

            from dmpclient.soap import read_message

            return to_httpx(fake.handle(read_message(request.headers["content-type"], body)))

        def sync_handler(request: httpx.Request) -> httpx.Response:
            return answer(request, request.read())

        async def async_handler(request: httpx.Request) -> httpx.Response:
            body = await request.aread()
            response = answer(request, body)
            if isinstance(response.stream, httpx.AsyncByteStream):
                return response
            stream = response.stream
            assert isinstance(stream, httpx.SyncByteStream)

            async def chunks() -> AsyncIterator[bytes]:
                for chunk in stream:
                    yield chunk

            return httpx.Response(response.status_code, headers=response.headers, content=chunks())

        policy = kwargs.pop("retries", None) or RetryPolicy(ambiguous_check_delay=0.0)
        sleeps: list[float] = []

        async def async_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        policy = dataclasses.replace(policy, sleep=sleeps.append, async_sleep=async_sleep)
        hook_list: list[Exchange] = []
        options: dict[str, Any] = {
            "context": acting,
            "signer": pki.signer("prof-sign"),
            "retries": policy,
            "exchange_hook": hook_list.append,
        }
        options.update(kwargs)
        environment = options.pop("environment", "sandbox")
        if mode == "sync":
            client: DMPClient | AsyncDMPClient = DMPClient(
                environment, transport=httpx.MockTransport(sync_handler), **options
            )
        else:
            client = AsyncDMPClient(environment, transport=httpx.MockTransport(async_handler), **options)
        harness = Harness(mode, client, seen)
        harness.exchanges = hook_list
        harness.sleeps = sleeps
        harness_ref.append(harness)
        made.append(harness)
        return harness

    yield make
    for h in made:
        h.close()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Run the test with the sync and the async client."""
    return str(request.param)


@pytest.fixture
def dmp(make_client: Callable[..., Harness], mode: str) -> Harness:
    """A client (sync or async) over the fake DMP, no retry waits."""
    return make_client(mode)


@pytest.fixture
def cda() -> BuiltCda:
    return new_cda()


@pytest.fixture
def cda_file(tmp_path: Path) -> BuiltCda:
    """A CDA written to a file (file-backed MTOM part)."""
    from dmpclient.cda import build_n1_to_file

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_sample_pdf())
    return build_n1_to_file(demo_header(), pdf, tmp_path / "report.cda.xml")
