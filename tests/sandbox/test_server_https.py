"""The sandbox HTTPS server on 127.0.0.1 with mutual TLS, driven by real httpx clients."""

from __future__ import annotations

import asyncio
import hashlib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from platform_support import (
    StubBehaviour,
    call,
    echo,
    fault_of,
    make_config,
    post,
    quick_certificate,
    session_pki,
    url_of,
    vihf,
)

from dmpclient.sandbox import FaultInjector, Sandbox, running_sandbox
from dmpclient.sandbox.server import RunningServer
from dmpclient.security.tls import TlsIdentity, create_ssl_context
from dmpclient.soap import Attachment


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture(scope="module")
def spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spool")


@pytest.fixture(scope="module")
def sandbox(spool: Path) -> Iterator[Sandbox]:
    pki = session_pki()
    config = make_config(spool_dir=spool, memory_threshold=256 * 1024)
    box = Sandbox(
        config,
        StubBehaviour(config),
        server_identity=pki.tls_identity("dmp-server"),
        faults=FaultInjector(seed=1, sleep=Sleeps()),
    )
    yield box
    box.close()


@pytest.fixture(scope="module")
def server(sandbox: Sandbox) -> Iterator[RunningServer]:
    running = sandbox.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _no_faults(sandbox: Sandbox) -> Iterator[None]:
    sandbox.faults.clear()
    sandbox.behaviour.on_call = None  # type: ignore[attr-defined]
    yield
    sandbox.faults.clear()
    sandbox.behaviour.on_call = None  # type: ignore[attr-defined]


def tls(identity: str | None = "ej-auth") -> ssl.SSLContext:
    pki = session_pki()
    return create_ssl_context(identity=pki.tls_identity(identity) if identity else None, trust=pki.trust_store())


def test_mutual_tls_call_completes(server: RunningServer) -> None:
    assert server.soap_base.startswith("https://127.0.0.1:")
    with httpx.Client(verify=tls("ej-auth")) as client:
        response = post(client, call("TD0.2", vihf("INDIRECTE")), server.soap_base)
    assert response.status_code == 200
    assert response.http_version == "HTTP/1.1"
    got = echo(response)
    assert (got.get("td"), got.get("structure"), got.get("tls_structure")) == ("TD0.2", "10B0156832", "11B0062640")
    assert int(response.headers["content-length"]) == len(response.content)


def test_client_certificate_is_checked_against_the_vihf(server: RunningServer) -> None:
    with httpx.Client(verify=tls("prof-auth")) as client:
        refused = post(client, call("TD0.2", vihf("INDIRECTE")), server.soap_base)
        direct = post(client, call("TD0.2", vihf("DIRECTE")), server.soap_base)
    assert fault_of(refused).reason == "Erreur d'authentification de la personne morale"
    assert echo(direct).get("mode") == "DIRECTE"


def test_client_without_certificate_is_refused_at_the_handshake(server: RunningServer) -> None:
    with httpx.Client(verify=tls(None)) as client, pytest.raises(httpx.ConnectError):
        post(client, call("TD0.2"), server.soap_base)


def test_client_certificate_outside_the_pki_is_refused(server: RunningServer, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509.oid import NameOID

    cert, signer = quick_certificate([(NameOID.ORGANIZATIONAL_UNIT_NAME, "11B0062640"), (NameOID.COMMON_NAME, "x")])
    key = signer._key  # test material
    identity = TlsIdentity(cert, key)
    context = create_ssl_context(identity=identity, trust=session_pki().trust_store())
    assert cert.public_bytes(serialization.Encoding.PEM)
    with httpx.Client(verify=context) as client, pytest.raises(httpx.ConnectError):
        post(client, call("TD0.2"), server.soap_base)


def test_keep_alive_reuses_one_connection(sandbox: Sandbox) -> None:
    with sandbox.start() as running, httpx.Client(verify=tls()) as client:
        tds = [echo(post(client, call(td), running.soap_base)).get("td") for td in ("TD0.2", "TD3.1", "TD3.2", "TD0.2")]
        assert tds == ["TD0.2", "TD3.1", "TD3.2", "TD0.2"]
        # requests whose body the app does not read (GET, 405) keep the connection too
        assert client.get(running.base_url + "/_sandbox/health").status_code == 200
        assert client.get(running.soap_base + "/registry").status_code == 405
        assert echo(post(client, call("TD3.2"), running.soap_base)).get("td") == "TD3.2"
        assert running.connections_accepted == 1


def test_async_client_over_mutual_tls(server: RunningServer) -> None:
    async def main() -> list[str]:
        async with httpx.AsyncClient(verify=tls()) as client:
            requests = [call("TD0.2"), call("TD3.1"), call("TD3.2")]
            responses = await asyncio.gather(
                *(
                    client.post(url_of(r, server.soap_base), content=r.aiter_bytes(), headers=r.headers)
                    for r in requests
                )
            )
        return [echo(r).get("td") or "" for r in responses]

    assert asyncio.run(main()) == ["TD0.2", "TD3.1", "TD3.2"]


@pytest.mark.slow
def test_50_mib_request_is_streamed_to_a_spool_file(
    server: RunningServer, sandbox: Sandbox, spool: Path, tmp_path: Path
) -> None:
    document = tmp_path / "big.bin"
    size = 50 * 1024 * 1024
    with document.open("wb") as handle:
        handle.write(os.urandom(1024))
        handle.truncate(size)
    expected_sha1 = hashlib.sha1(document.read_bytes()).hexdigest()
    seen: dict[str, object] = {}

    def look(request):  # type: ignore[no-untyped-def]
        seen["spooled"] = sorted(p.name for p in spool.iterdir())
        return

    sandbox.behaviour.on_call = look  # type: ignore[attr-defined]
    attachment = Attachment.from_file(document, content_id="big@dmpclient", content_type="application/octet-stream")
    request = call("TD2.1", vihf("DIRECTE"), attachments=[attachment])
    assert request.content_length > size
    with httpx.Client(verify=tls("prof-auth"), timeout=120) as client:
        response = post(client, request, server.soap_base)
    got = echo(response)
    part = got.find("{urn:test:dmpclient:sandbox-echo}Part")
    assert part is not None
    assert (part.get("size"), part.get("in_memory"), part.get("exists")) == (str(size), "false", "true")
    assert part.get("sha1") == expected_sha1
    assert Path(part.get("path") or "").parent == spool
    assert seen["spooled"] == [Path(part.get("path") or "").name]
    assert list(spool.iterdir()) == []  # deleted once the response was sent


# ---------------------------------------------------------------------------------- faults on the wire


def test_drop_over_the_network(server: RunningServer, sandbox: Sandbox) -> None:
    sandbox.faults.add_drop(count=1)
    with httpx.Client(verify=tls()) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            post(client, call("TD3.2"), server.soap_base)
        assert echo(post(client, call("TD3.2"), server.soap_base)).get("td") == "TD3.2"


def test_truncated_response_over_the_network(server: RunningServer, sandbox: Sandbox) -> None:
    sandbox.faults.add_truncate(keep_bytes=200, count=1)
    with httpx.Client(verify=tls()) as client:
        request = call("TD3.2")
        with pytest.raises(httpx.RemoteProtocolError, match=r"complete message body|incomplete"):
            post(client, request, server.soap_base)
        assert echo(post(client, call("TD3.2"), server.soap_base)).get("td") == "TD3.2"


def test_latency_and_503_over_the_network(server: RunningServer, sandbox: Sandbox) -> None:
    sandbox.faults.add_latency(1.5, count=1)
    sandbox.faults.add_http_error(503, soap_body=False, count=1)
    with httpx.Client(verify=tls()) as client:
        response = post(client, call("TD3.2"), server.soap_base)
    assert response.status_code == 503
    assert sandbox.faults.sleep.calls[-1] == 1.5  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------- assemblies


def test_running_sandbox_one_liner() -> None:
    config = make_config()  # from the PKI: trust, EJ/EG map and server certificate
    with running_sandbox(config, StubBehaviour(config)) as base_url:
        assert base_url.endswith("/si-dmp-server/v2/services")
        with httpx.Client(verify=tls()) as client:
            assert echo(post(client, call("TD0.2"), base_url)).get("td") == "TD0.2"
    with httpx.Client(verify=tls()) as client, pytest.raises(httpx.ConnectError):
        post(client, call("TD0.2"), base_url)


def test_sandbox_builds_its_behaviour_from_the_factory() -> None:
    config = make_config(behaviour_factory="platform_support:create_stub_behaviour")
    with Sandbox(config) as box:
        assert isinstance(box.behaviour, StubBehaviour)
        behaviour = box.behaviour
    assert behaviour.closed  # the sandbox built it, so it closes it


def test_server_certificate_is_needed_to_serve_tls() -> None:
    from dmpclient.errors import ConfigurationError
    from dmpclient.sandbox import SandboxConfig

    config = SandboxConfig(trust=session_pki().trust_store())  # not from a PKI folder
    with Sandbox(config, StubBehaviour(config)) as box, pytest.raises(ConfigurationError, match="server certificate"):
        box.start()


def test_unknown_behaviour_factory_is_a_configuration_error() -> None:
    from dmpclient.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="behaviour"):
        Sandbox(make_config(behaviour_factory="no_such_module:make"))


def test_server_sockets_disable_nagle(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio.trsock
    import socket

    calls: list[tuple[int, int, int]] = []
    original = asyncio.trsock.TransportSocket.setsockopt

    def record(self, *args):  # type: ignore[no-untyped-def]
        calls.append(args)
        return original(self, *args)

    monkeypatch.setattr(asyncio.trsock.TransportSocket, "setsockopt", record)
    with sandbox.start() as running, httpx.Client(verify=tls()) as client:
        assert echo(post(client, call("TD3.2"), running.soap_base)).get("td") == "TD3.2"
    assert (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) in calls


def _raw_tls(server: RunningServer) -> ssl.SSLSocket:
    """A raw TLS socket presenting only the ej-auth leaf (as `curl --cert leaf.pem` does)."""
    import socket

    pki = session_pki()
    context = ssl.create_default_context(cafile=str(pki.path("trust-anchors.pem")))
    entry = pki.entry("ej-auth")
    context.load_cert_chain(pki.path(entry.cert), pki.path(entry.key))
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def _read_head(sock: ssl.SSLSocket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def test_leaf_only_client_and_malformed_http(server: RunningServer) -> None:
    with _raw_tls(server) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        assert _read_head(sock).startswith(b"HTTP/1.1 400")


def test_expect_100_continue(server: RunningServer) -> None:
    request = call("TD0.2")
    body = request.body_bytes()
    head = (
        f"POST /si-dmp-server/v2/services/patients HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: {request.content_type}\r\nContent-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    with _raw_tls(server) as sock:
        sock.sendall(head)
        assert _read_head(sock).startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        assert _read_head(sock).startswith(b"HTTP/1.1 200")
