"""The HTTP admin API: token and loopback checks, mapping onto the behaviour's Python admin API, the clock and
fault injection."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from platform_support import StubBehaviour, call, echo, make_config, post

from dmpclient.sandbox import create_app, make_transport
from dmpclient.sandbox.admin_http import is_loopback, to_jsonable
from dmpclient.sandbox.app import SandboxApp
from dmpclient.sandbox.transport import SandboxTransport

ADMIN = "https://sandbox.test/_sandbox/admin"
INS = "277076322082910"


@pytest.fixture
def app() -> SandboxApp:
    config = make_config(admin=True, admin_token="s3cret-token")
    return create_app(StubBehaviour(config), config)


@pytest.fixture
def client(app: SandboxApp) -> Iterator[httpx.Client]:
    transport = make_transport(app)
    with httpx.Client(transport=transport, headers={"Authorization": "Bearer s3cret-token"}) as c:
        yield c
    transport.close()


def test_token_is_required(app: SandboxApp) -> None:
    transport = make_transport(app)
    with httpx.Client(transport=transport) as anonymous:
        assert anonymous.get(f"{ADMIN}/patients").status_code == 401
        wrong = anonymous.get(f"{ADMIN}/patients", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = anonymous.get(f"{ADMIN}/patients", headers={"X-Sandbox-Token": "s3cret-token"})
        assert right.status_code == 200
    transport.close()


def test_loopback_only(app: SandboxApp) -> None:
    transport = SandboxTransport(app, client=("192.0.2.10", 40000))
    with httpx.Client(transport=transport, headers={"Authorization": "Bearer s3cret-token"}) as remote:
        assert remote.get(f"{ADMIN}/patients").status_code == 403
    transport.close()
    assert is_loopback(("127.0.0.1", 1))
    assert is_loopback(("::1", 1))
    assert is_loopback(None)
    assert not is_loopback(("192.0.2.10", 1))


def test_generated_token_when_none_is_given() -> None:
    config = make_config(admin=True)
    app = create_app(StubBehaviour(config), config)
    assert app.admin_token
    assert len(app.admin_token) >= 24
    other = create_app(StubBehaviour(config), config)
    assert other.admin_token != app.admin_token


def test_patients(client: httpx.Client, app: SandboxApp) -> None:
    created = client.post(f"{ADMIN}/patients", json={"ins": INS, "family": "MAX"})
    assert created.status_code == 201
    assert created.json()["result"]["ins"] == INS
    assert [p["ins"] for p in client.get(f"{ADMIN}/patients").json()["result"]] == [INS]
    changed = client.patch(f"{ADMIN}/patients/{INS}", json={"state": "closed"})
    assert changed.json()["result"]["state"] == "closed"
    assert client.post(f"{ADMIN}/patients/{INS}/state", json={"state": "active"}).json()["result"]["state"] == "active"
    assert client.get(f"{ADMIN}/patients/{INS}").json()["result"]["family"] == "MAX"
    assert client.get(f"{ADMIN}/patients/111111111111111").status_code == 404
    bad = client.post(f"{ADMIN}/patients", json={"ins": "123"})
    assert bad.status_code == 400
    assert "15 characters" in bad.json()["error"]
    assert client.post(f"{ADMIN}/patients", content=b"[1]").status_code == 400
    assert client.post(f"{ADMIN}/patients", content=b"{nope").status_code == 400
    assert client.delete(f"{ADMIN}/patients").status_code == 405


def test_documents_and_logs(client: httpx.Client) -> None:
    listed = client.get(f"{ADMIN}/documents", params={"ins": INS, "status": "Approved"}).json()["result"]
    assert listed == [{"ins": INS, "filters": {"status": "Approved"}}]
    document = client.get(f"{ADMIN}/documents/1.2.3").json()["result"]
    assert document == {"uniqueId": "1.2.3", "created": "2024-01-02T00:00:00+00:00"}
    assert client.get(f"{ADMIN}/documents/9.9").status_code == 404
    content = client.get(f"{ADMIN}/documents/1.2.3/content")
    assert (content.headers["content-type"], content.content) == ("application/octet-stream", b"%PDF-1.4 stub")
    assert client.get(f"{ADMIN}/logs", params={"ins": INS}).json()["result"] == [{"ins": INS}]


def test_reset_clears_the_store_and_the_replay_cache(client: httpx.Client, app: SandboxApp) -> None:
    from platform_support import vihf

    token = vihf("INDIRECTE_RENFORCEE")
    assert post(client, call("TD3.2", token)).status_code == 200
    assert post(client, call("TD3.2", token)).status_code == 500  # replay
    assert client.post(f"{ADMIN}/reset", json={"seed": False}).json()["ok"] is True
    assert app.behaviour.admin.resets == 1  # type: ignore[attr-defined]
    assert post(client, call("TD3.2", token)).status_code == 200


def test_clock(client: httpx.Client, app: SandboxApp) -> None:
    result = client.post(f"{ADMIN}/clock", json={"now": "2019-06-26T08:08:55Z", "frozen": True}).json()["result"]
    assert (result["now"], result["frozen"]) == ("2019-06-26T08:08:55+00:00", True)
    assert app.clock.now() == dt.datetime(2019, 6, 26, 8, 8, 55, tzinfo=dt.UTC)
    advanced = client.post(f"{ADMIN}/clock", json={"advance": 3600}).json()["result"]
    assert advanced["now"] == "2019-06-26T09:08:55+00:00"
    assert client.get(f"{ADMIN}/clock").json()["result"]["frozen"] is True
    reset = client.post(f"{ADMIN}/clock", json={"reset": True}).json()["result"]
    assert reset["frozen"] is False
    assert reset["offset_seconds"] == 0
    assert client.post(f"{ADMIN}/clock", json={}).status_code == 400
    assert client.post(f"{ADMIN}/clock", json={"now": "tomorrow"}).status_code == 400


def test_faults_over_http(client: httpx.Client) -> None:
    added = client.post(f"{ADMIN}/faults", json={"kind": "http-error", "status": 503, "transaction": "TD3.2"})
    assert added.status_code == 201
    rule_id = added.json()["result"]["id"]
    assert post(client, call("TD3.2")).status_code == 503
    assert echo(post(client, call("TD3.1"))).get("td") == "TD3.1"  # other transactions untouched
    state = client.get(f"{ADMIN}/faults").json()["result"]
    assert [(r["id"], r["hits"]) for r in state["rules"]] == [(rule_id, 1)]
    assert client.delete(f"{ADMIN}/faults/{rule_id}").status_code == 200
    assert client.delete(f"{ADMIN}/faults/{rule_id}").status_code == 404
    assert post(client, call("TD3.2")).status_code == 200
    assert client.post(f"{ADMIN}/faults", json={"kind": "teleport"}).status_code == 400
    client.post(f"{ADMIN}/faults", json={"kind": "drop"})
    assert client.delete(f"{ADMIN}/faults").status_code == 200
    assert client.get(f"{ADMIN}/faults").json()["result"]["rules"] == []
    assert client.post(f"{ADMIN}/faults/seed", json={"seed": 42}).json()["result"]["seed"] == 42


def test_behaviour_extensions(client: httpx.Client, app: SandboxApp) -> None:
    admin = app.behaviour.admin  # type: ignore[attr-defined]
    admin.get_parameters = lambda: {"age-majorite": 18}
    admin.set_parameters = lambda **changes: {"age-majorite": 18, **changes}
    assert client.get(f"{ADMIN}/parameters").json()["result"] == {"age-majorite": 18}
    assert client.patch(f"{ADMIN}/parameters", json={"age-majorite": 16}).json()["result"] == {"age-majorite": 16}
    assert client.get(f"{ADMIN}/stats").status_code == 501  # the stub offers no stats
    assert client.get(f"{ADMIN}/documents/1.2.3/history").status_code == 501


def test_missing_admin_operation_is_501() -> None:
    config = make_config(admin=True, admin_token="t" * 24)
    behaviour = StubBehaviour(config)

    class Partial:
        def list_patients(self) -> list[Any]:
            return []

    behaviour._admin = Partial()  # type: ignore[assignment]
    transport = make_transport(create_app(behaviour, config))
    with httpx.Client(transport=transport, headers={"Authorization": "Bearer " + "t" * 24}) as client:
        assert client.get(f"{ADMIN}/patients").status_code == 200
        assert client.get(f"{ADMIN}/logs").status_code == 501
        assert client.get(f"{ADMIN}/nowhere").status_code == 404
    transport.close()


def test_to_jsonable() -> None:
    from dataclasses import dataclass
    from enum import Enum
    from pathlib import Path

    class Colour(Enum):
        RED = "red"

    @dataclass
    class Row:
        when: dt.date
        colour: Colour
        data: bytes

    out = to_jsonable({"rows": (Row(dt.date(2024, 5, 1), Colour.RED, b"\x00\x01"),), "p": Path("/tmp/x")})
    assert out == {
        "rows": [{"when": "2024-05-01", "colour": "red", "data": base64.b64encode(b"\x00\x01").decode()}],
        "p": "/tmp/x",
    }
