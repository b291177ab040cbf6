"""Fault injection, observed from httpx clients (in-process; the HTTPS server is covered in test_server_https)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from platform_support import StubBehaviour, call, echo, fault_of, make_config, post, url_of

from dmpclient.errors import InvalidValue
from dmpclient.sandbox import FaultInjector, FaultRule, create_app, make_transport
from dmpclient.sandbox.app import SandboxApp
from dmpclient.sandbox.faults import FaultKind


class Sleeps:
    """An injected async sleep that records instead of sleeping (no timing assertions)."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def app(sleeps: Sleeps) -> SandboxApp:
    config = make_config()
    return create_app(StubBehaviour(config), config, faults=FaultInjector(seed=7, sleep=sleeps))


@pytest.fixture
def client(app: SandboxApp) -> Iterator[httpx.Client]:
    transport = make_transport(app)
    with httpx.Client(transport=transport) as c:
        yield c
    transport.close()


def calls(app: SandboxApp) -> int:
    return len(app.behaviour.calls)  # type: ignore[attr-defined]


def test_latency_per_transaction(app: SandboxApp, client: httpx.Client, sleeps: Sleeps) -> None:
    app.faults.add_latency(2.5, transaction="TD3.1")
    assert echo(post(client, call("TD3.2"))).get("td") == "TD3.2"
    assert sleeps.calls == []
    assert echo(post(client, call("TD3.1"))).get("td") == "TD3.1"
    assert sleeps.calls == [2.5]


def test_http_500_with_soap_body_does_not_run_the_transaction(app: SandboxApp, client: httpx.Client) -> None:
    app.faults.add_http_error(500, count=1)
    response = post(client, call("TD3.2"))
    assert response.status_code == 500
    fault = fault_of(response)
    assert (fault.code, fault.subcodes) == ("Receiver", ("DMP_SERVER_ERROR",))
    assert calls(app) == 0
    assert echo(post(client, call("TD3.2"))).get("td") == "TD3.2"  # count spent


def test_http_503_without_soap_body(app: SandboxApp, client: httpx.Client) -> None:
    app.faults.add_http_error(503, soap_body=False)
    response = post(client, call("TD3.2"))
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/html")
    assert "503 Service Unavailable" in response.text


def test_http_503_after_processing(app: SandboxApp, client: httpx.Client) -> None:
    app.faults.add_http_error(503, process=True)
    response = post(client, call("TD3.2"))
    assert response.status_code == 503
    assert fault_of(response).reason == "Service temporairement indisponible"
    assert calls(app) == 1


@pytest.mark.parametrize("process", [False, True])
def test_connection_drop_after_the_request(app: SandboxApp, client: httpx.Client, process: bool) -> None:
    app.faults.add_drop(process=process, count=1)
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        post(client, call("TD2.1", mode="DIRECTE"))
    assert calls(app) == (1 if process else 0)
    assert echo(post(client, call("TD2.1", mode="DIRECTE"))).get("td") == "TD2.1"


def test_truncated_response(app: SandboxApp, client: httpx.Client) -> None:
    app.faults.add_truncate(keep_bytes=100)
    request = call("TD3.2")
    received = bytearray()

    def read_all(response: httpx.Response) -> None:
        for chunk in response.iter_raw():
            received.extend(chunk)

    with client.stream("POST", url_of(request), content=request.iter_bytes(), headers=request.headers) as response:
        assert response.status_code == 200
        declared = int(response.headers["content-length"])
        with pytest.raises(httpx.RemoteProtocolError, match=r"complete message body"):
            read_all(response)
    assert len(received) == 100 < declared
    assert calls(app) == 1


def test_count_then_normal(app: SandboxApp, client: httpx.Client) -> None:
    rule = app.faults.add_http_error(500, count=2)
    statuses = [post(client, call("TD3.2")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert rule not in app.faults.rules


def test_probability_is_reproducible_with_a_seed() -> None:
    def draw(seed: int) -> list[bool]:
        injector = FaultInjector(seed=seed)
        injector.add(FaultRule(FaultKind.HTTP_ERROR, probability=0.5))
        return [injector.plan(["TD3.2"]).terminal is not None for _ in range(40)]

    first, again, other = draw(1), draw(1), draw(2)
    assert first == again
    assert first != other
    assert 0 < sum(first) < 40


def test_probability_bounds() -> None:
    never = FaultInjector(seed=3)
    never.add(FaultRule(FaultKind.DROP, probability=0.0))
    always = FaultInjector(seed=3)
    always.add(FaultRule(FaultKind.DROP, probability=1.0))
    assert all(never.plan(["TD0.2"]).empty for _ in range(20))
    assert all(always.plan(["TD0.2"]).terminal is not None for _ in range(20))


def test_rules_validate_their_fields() -> None:
    with pytest.raises(InvalidValue):
        FaultRule(FaultKind.HTTP_ERROR, status=200)
    with pytest.raises(InvalidValue):
        FaultRule(FaultKind.LATENCY, probability=1.5)
    with pytest.raises(InvalidValue):
        FaultRule.from_dict({"kind": "meteor"})
    with pytest.raises(InvalidValue):
        FaultRule.from_dict({"kind": "drop", "colour": "red"})
    assert FaultRule(FaultKind.TRUNCATE).process  # truncation always runs the transaction


def test_remove_and_clear() -> None:
    injector = FaultInjector()
    a = injector.add_latency(1)
    injector.add_drop()
    assert injector.remove(a.id)
    assert not injector.remove(a.id)
    injector.clear()
    assert injector.rules == []


def test_async_client_sees_the_same_faults(app: SandboxApp) -> None:
    app.faults.add_drop(count=1)
    transport = make_transport(app)

    async def main() -> tuple[str, str]:
        async with httpx.AsyncClient(transport=transport) as aclient:
            request = call("TD3.2")
            try:
                await aclient.post(url_of(request), content=request.body_bytes(), headers=request.headers)
            except httpx.RemoteProtocolError as exc:
                first = type(exc).__name__
            else:  # pragma: no cover - the fault must fire
                first = "no error"
            response = await aclient.post(url_of(request), content=request.body_bytes(), headers=request.headers)
            return first, echo(response).get("td") or ""

    result = asyncio.run(main())
    transport.close()
    assert result == ("RemoteProtocolError", "TD3.2")
