"""The sandbox's HTTPS server (HTTP/1.1 + mutual TLS, asyncio + h11) and the :class:`Sandbox` assembly.

Why our own server: uvicorn and hypercorn do not hand the **client certificate** to the application, and the
sandbox must check it against the VIHF ("Erreur d'authentification de la personne morale"). This server is
small on purpose: HTTP/1.1 with keep-alive, request and response bodies streamed (with backpressure),
``TCP_NODELAY`` (the Nagle + delayed-ACK trap of ``library-notes.md``), exact ``Content-Length``, and the
ASGI TLS extension (``scope["extensions"]["tls"]["client_cert_chain"]``, PEM, leaf first).

* :class:`SandboxServer` — the asyncio server around any ASGI app;
* :class:`RunningServer` — the same, in a background thread (tests, ``dmpclient demo``);
* :class:`Sandbox` — config + behaviour + app + faults; ``sandbox.run()`` serves over mTLS in the
  background, ``sandbox.transport()`` serves in-process;
* :func:`running_sandbox` — ``with running_sandbox(pki=…) as base_url:`` in one line;
* :func:`serve` — foreground server (the CLI), clean shutdown on Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import importlib
import logging
import os
import signal
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import h11
from cryptography.hazmat.primitives import serialization

from dmpclient.errors import ConfigurationError
from dmpclient.sandbox._interfaces import DmpBehaviour
from dmpclient.sandbox.app import SandboxApp, create_app
from dmpclient.sandbox.config import DEFAULT_BEHAVIOUR_FACTORY, SandboxConfig
from dmpclient.sandbox.faults import FaultInjector, InjectedDisconnect
from dmpclient.sandbox.transport import SandboxTransport, make_transport
from dmpclient.security.tls import TlsIdentity, create_server_ssl_context

if TYPE_CHECKING:
    from cryptography import x509

    from dmpclient.security.pki import TestPki

__all__ = [
    "RunningServer",
    "Sandbox",
    "SandboxServer",
    "load_behaviour",
    "running_sandbox",
    "serve",
]

log = logging.getLogger("dmpclient.sandbox.server")

ASGIApp = Any
_READ_SIZE: Final = 64 * 1024
_TLS_VERSIONS: Final = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304, "TLSv1.1": 0x0302, "TLSv1": 0x0301}
_SERVER_HEADER: Final = b"dmpclient-sandbox"


class _Abort(Exception):
    """Close the connection now."""


def _tls_scope(writer: asyncio.StreamWriter) -> dict[str, Any] | None:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    chain: list[str] = []
    get_chain = getattr(ssl_object, "get_verified_chain", None)  # Python ≥ 3.13: DER bytes, leaf to anchor
    if get_chain is not None:
        with contextlib.suppress(Exception):
            chain = [ssl.DER_cert_to_PEM_cert(bytes(der)) for der in get_chain()]
            chain = chain[:-1] if len(chain) > 1 else chain  # leaf + intermediates, not the anchor
    if not chain:
        der = ssl_object.getpeercert(binary_form=True)
        if der:
            chain = [ssl.DER_cert_to_PEM_cert(der)]
    cipher = ssl_object.cipher()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": cipher[0] if cipher else None,
    }


class _Connection:
    """One HTTP/1.1 connection: h11 state machine between an asyncio stream and the ASGI app."""

    def __init__(
        self,
        server: SandboxServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.reader = reader
        self.writer = writer
        self.conn = h11.Connection(h11.SERVER, max_incomplete_event_size=server.max_header_bytes)
        sock = writer.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peer = writer.get_extra_info("peername")
        self.client = (str(peer[0]), int(peer[1])) if peer else None
        local = writer.get_extra_info("sockname")
        self.local = (str(local[0]), int(local[1])) if local else None
        self.tls = _tls_scope(writer)
        self.requests = 0

    async def _next_event(self, *, timeout: float | None = None) -> Any:
        while True:
            event = self.conn.next_event()
            if event is not h11.NEED_DATA:
                return event
            if timeout is not None:
                data = await asyncio.wait_for(self.reader.read(_READ_SIZE), timeout)
            else:
                data = await self.reader.read(_READ_SIZE)
            self.conn.receive_data(data)

    async def _write(self, event: Any) -> None:
        data = self.conn.send(event)
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def run(self) -> None:
        try:
            while True:
                try:
                    event = await self._next_event(timeout=self.server.keep_alive_timeout)
                except TimeoutError:
                    return
                if isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                    return
                if not isinstance(event, h11.Request):
                    return
                self.requests += 1
                keep_going = await self._handle(event)
                if not keep_going:
                    return
                if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
                    self.conn.start_next_cycle()
                else:
                    return
        except h11.RemoteProtocolError as exc:
            await self._reject(exc)
        except (ConnectionError, _Abort, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            await self._close()

    async def _reject(self, exc: h11.RemoteProtocolError) -> None:
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            with contextlib.suppress(Exception):
                body = f"bad request: {exc}\n".encode()
                await self._write(
                    h11.Response(
                        status_code=exc.error_status_hint,
                        headers=[
                            ("content-type", "text/plain"),
                            ("content-length", str(len(body))),
                            ("connection", "close"),
                        ],
                    )
                )
                await self._write(h11.Data(data=body))
                await self._write(h11.EndOfMessage())

    async def _close(self) -> None:
        with contextlib.suppress(Exception):
            if self.writer.can_write_eof() and not self.writer.is_closing() and self.tls is None:
                self.writer.write_eof()
        self.writer.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), 2)

    def _abort(self) -> None:
        transport = self.writer.transport
        transport.abort()

    async def _handle(self, request: h11.Request) -> bool:
        target = request.target
        raw_path, _, query = target.partition(b"?")
        from urllib.parse import unquote_to_bytes

        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.http_version.decode("ascii"),
            "method": request.method.decode("ascii"),
            "scheme": "https" if self.tls is not None else "http",
            "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
            "raw_path": raw_path,
            "query_string": query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers],
            "client": self.client,
            "server": self.local,
            "extensions": {"tls": self.tls} if self.tls is not None else {},
        }
        state = {"started": False, "finished": False, "body_done": False}

        async def receive() -> MutableMapping[str, Any]:
            if state["body_done"]:
                if not state["finished"]:
                    await self.server.stopping.wait()
                return {"type": "http.disconnect"}
            if self.conn.they_are_waiting_for_100_continue:  # curl sends Expect: 100-continue for big bodies
                await self._write(h11.InformationalResponse(status_code=100, headers=[]))
            event = await self._next_event()
            if isinstance(event, h11.Data):
                return {"type": "http.request", "body": bytes(event.data), "more_body": True}
            if isinstance(event, h11.EndOfMessage):
                state["body_done"] = True
                return {"type": "http.request", "body": b"", "more_body": False}
            state["body_done"] = True
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                headers = [(bytes(n).lower(), bytes(v)) for n, v in message.get("headers") or ()]
                names = {n for n, _ in headers}
                if b"date" not in names:
                    headers.append((b"date", email.utils.formatdate(usegmt=True).encode("ascii")))
                if b"server" not in names:
                    headers.append((b"server", _SERVER_HEADER))
                if self.server.stopping.is_set():
                    headers.append((b"connection", b"close"))
                await self._write(h11.Response(status_code=int(message["status"]), headers=headers))
                state["started"] = True
            elif kind == "http.response.body":
                if not state["started"]:
                    raise RuntimeError("http.response.body before http.response.start")
                body = message.get("body") or b""
                if body:
                    await self._write(h11.Data(data=body))
                if not message.get("more_body", False):
                    await self._write(h11.EndOfMessage())
                    state["finished"] = True

        try:
            await self.server.app(scope, receive, send)
        except InjectedDisconnect:
            self._abort()
            return False
        except (ConnectionError, asyncio.IncompleteReadError):
            return False
        except h11.LocalProtocolError:
            log.exception("the application broke HTTP/1.1 framing")
            self._abort()
            return False
        except Exception:
            log.exception("unhandled error in the ASGI application")
            if not state["started"]:
                body = b"internal server error\n"
                await self._write(
                    h11.Response(
                        status_code=500,
                        headers=[
                            ("content-type", "text/plain"),
                            ("content-length", str(len(body))),
                            ("connection", "close"),
                        ],
                    )
                )
                await self._write(h11.Data(data=body))
                await self._write(h11.EndOfMessage())
                return False
            self._abort()
            return False
        if not state["finished"]:
            if not state["started"]:
                body = b"no response\n"
                await self._write(
                    h11.Response(
                        status_code=500,
                        headers=[("content-type", "text/plain"), ("content-length", str(len(body)))],
                    )
                )
                await self._write(h11.Data(data=body))
                await self._write(h11.EndOfMessage())
            else:
                self._abort()
                return False
        if self.conn.their_state is not h11.DONE and not await self._drain():
            return False
        return not self.server.stopping.is_set()

    async def _drain(self, budget: int = 1024 * 1024) -> bool:
        """Read the rest of a request body the app ignored (GET, 405 …), to keep the connection; False when
        it is larger than ``budget`` (413: the connection is closed instead)."""
        try:
            while self.conn.their_state is h11.SEND_BODY:
                event = await self._next_event(timeout=5.0)
                if isinstance(event, h11.Data):
                    budget -= len(event.data)
                    if budget < 0:
                        return False
                elif not isinstance(event, h11.EndOfMessage):
                    return False
        except (TimeoutError, h11.RemoteProtocolError):
            return False
        return self.conn.their_state is h11.DONE


def _quiet_ssl_errors(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    if isinstance(exc, ssl.SSLError | ConnectionResetError | BrokenPipeError):
        log.debug("TLS/connection error: %s", exc)
        return
    loop.default_exception_handler(context)


class SandboxServer:
    """An HTTP/1.1 server (HTTPS when given an ``ssl_context``) for an ASGI application.

    Args:
        app: the ASGI application.
        host: address to bind (loopback by default).
        port: port (0: a free one, see :attr:`port` after :meth:`start`).
        ssl_context: server context (:func:`~dmpclient.security.create_server_ssl_context`); None: plain HTTP.
        keep_alive_timeout: idle seconds before an idle keep-alive connection is closed.
        max_header_bytes: largest request head accepted.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        keep_alive_timeout: float = 30.0,
        max_header_bytes: int = 64 * 1024,
    ) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self.ssl_context = ssl_context
        self.keep_alive_timeout = keep_alive_timeout
        self.max_header_bytes = max_header_bytes
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.connections_accepted = 0
        self.stopping = asyncio.Event()

    @property
    def port(self) -> int:
        """The bound port (after :meth:`start`)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>`` (or ``http://`` without TLS); IPv6 hosts bracketed."""
        scheme = "https" if self.ssl_context is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> None:
        """Bind and start accepting connections."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_ssl_errors)
        self.stopping = asyncio.Event()
        self._server = await asyncio.start_server(
            self._accept,
            self.host,
            self.requested_port,
            ssl=self.ssl_context,
            ssl_handshake_timeout=10.0 if self.ssl_context is not None else None,
            limit=_READ_SIZE * 2,
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections_accepted += 1
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await _Connection(self, reader, writer).run()
        except Exception:
            log.exception("connection error")
        finally:
            if task is not None:
                self._connections.discard(task)

    async def serve_forever(self) -> None:
        """Serve until cancelled or :meth:`close`."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        with contextlib.suppress(asyncio.CancelledError):
            await self._server.serve_forever()

    async def close(self, *, grace: float = 2.0) -> None:
        """Stop accepting, let running requests finish for ``grace`` seconds, then cut the rest."""
        self.stopping.set()
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=1.0)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)


class RunningServer:
    """A :class:`SandboxServer` running on its own event loop in a background (daemon) thread.

    Use as a context manager, or call :meth:`stop`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        services_root: str = "",
        keep_alive_timeout: float = 30.0,
    ) -> None:
        self.server = SandboxServer(
            app, host=host, port=port, ssl_context=ssl_context, keep_alive_timeout=keep_alive_timeout
        )
        self.services_root = services_root
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._main, name="dmpclient-sandbox-server", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():  # pragma: no cover - the loop never started
            raise RuntimeError("the sandbox server did not start")

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self.server.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    @property
    def port(self) -> int:
        """The bound port."""
        return self.server.port

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return self.server.base_url

    @property
    def soap_base(self) -> str:
        """The SOAP base URL (``https://127.0.0.1:<port>/si-dmp-server/v2/services``) for an Environment."""
        return self.base_url + self.services_root

    @property
    def connections_accepted(self) -> int:
        """TCP connections accepted so far (keep-alive tests)."""
        return self.server.connections_accepted

    def stop(self) -> None:
        """Close the server and stop the thread."""
        if self._stopped:
            return
        self._stopped = True
        future = asyncio.run_coroutine_threadsafe(self.server.close(), self._loop)
        with contextlib.suppress(Exception):
            future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---------------------------------------------------------------------------------------- assembly


def _load_pki(pki: TestPki | str | os.PathLike[str]) -> TestPki:
    """A test PKI, loaded from its folder unless it is one already."""
    from dmpclient.security.pki import TestPki

    return pki if isinstance(pki, TestPki) else TestPki.load(Path(pki))


def _server_identity(pki: TestPki) -> TlsIdentity:
    """The sandbox's TLS server certificate: the PKI's ``dmp-server``."""
    return pki.tls_identity("dmp-server")


def load_behaviour(config: SandboxConfig) -> DmpBehaviour:
    """Build the DMP behaviour with ``config.behaviour_factory`` (default
    :data:`~dmpclient.sandbox.config.DEFAULT_BEHAVIOUR_FACTORY`).

    Raises:
        ConfigurationError: the factory cannot be imported.
    """
    factory = config.behaviour_factory or DEFAULT_BEHAVIOUR_FACTORY
    if isinstance(factory, str):
        module_name, _, attribute = factory.partition(":")
        try:
            module = importlib.import_module(module_name)
            factory = getattr(module, attribute or "create_behaviour")
        except (ImportError, AttributeError) as exc:
            raise ConfigurationError(
                f"cannot load the sandbox DMP behaviour: {exc}",
                field="behaviour_factory",
                value=config.behaviour_factory or DEFAULT_BEHAVIOUR_FACTORY,
            ) from None
    assert callable(factory)
    behaviour: DmpBehaviour = factory(config)
    return behaviour


class Sandbox:
    """The assembled sandbox: configuration, DMP behaviour, ASGI app, fault injector, servers.

    Args:
        config: the configuration (:meth:`SandboxConfig.from_pki` is the usual start).
        behaviour: the DMP behaviour; built with ``config.behaviour_factory`` when None.
        server_identity: the TLS server certificate for :meth:`run`/:meth:`start` (``dmp-server`` of the PKI).
        faults: a fault injector (default: a new one seeded with ``config.fault_seed``).
    """

    def __init__(
        self,
        config: SandboxConfig,
        behaviour: DmpBehaviour | None = None,
        *,
        server_identity: TlsIdentity | None = None,
        faults: FaultInjector | None = None,
    ) -> None:
        self.config = config
        self._owns_behaviour = behaviour is None
        self.behaviour = behaviour if behaviour is not None else load_behaviour(config)
        self.app: SandboxApp = create_app(self.behaviour, config, faults=faults)
        self.server_identity = server_identity
        self._servers: list[RunningServer] = []
        self._transports: list[SandboxTransport] = []

    @classmethod
    def from_pki(
        cls,
        pki: TestPki | str | os.PathLike[str],
        behaviour: DmpBehaviour | None = None,
        **overrides: Any,
    ) -> Sandbox:
        """A sandbox trusting a test PKI and presenting its ``dmp-server`` certificate."""
        loaded = _load_pki(pki)
        config = SandboxConfig.from_pki(loaded, **overrides)
        return cls(config, behaviour, server_identity=_server_identity(loaded))

    # -- views

    @property
    def faults(self) -> FaultInjector:
        """The fault injector."""
        return self.app.faults

    @property
    def admin(self) -> Any:
        """The behaviour's Python admin API."""
        return self.behaviour.admin

    @property
    def clock(self) -> Any:
        """The sandbox clock."""
        return self.app.clock

    @property
    def admin_token(self) -> str | None:
        """Token of the HTTP admin API (None when off)."""
        return self.app.admin_token

    # -- in-process

    def transport(
        self,
        *,
        client_certificate: x509.Certificate | None = None,
        client_chain: tuple[x509.Certificate, ...] = (),
    ) -> SandboxTransport:
        """An in-process httpx transport (sync and async clients); optionally as if over mTLS."""
        transport = make_transport(self.app, client_certificate=client_certificate, client_chain=client_chain)
        self._transports.append(transport)
        return transport

    # -- network

    def ssl_context(self) -> ssl.SSLContext:
        """The server TLS context: presents :attr:`server_identity` (default: the ``dmp-server`` certificate of
        ``config.pki``) and requires client certificates."""
        if self.server_identity is None and self.config.pki is not None:
            self.server_identity = _server_identity(_load_pki(self.config.pki))
        if self.server_identity is None:
            raise ConfigurationError(
                "a server certificate is needed to serve over TLS (Sandbox.from_pki sets the PKI's dmp-server)",
                field="server_identity",
                value=None,
            )
        trust = self.config.tls_client_trust
        context = create_server_ssl_context(
            identity=self.server_identity,
            client_trust=trust,
            require_client_certificate=self.config.require_client_certificate,
        )
        if trust is not None and trust.intermediates:
            # Clients that send only their leaf (curl --cert leaf.pem) are still verified up to the anchor.
            pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in trust.intermediates)
            context.load_verify_locations(cadata=pem)
        return context

    def start(self, *, host: str = "127.0.0.1", port: int = 0, tls: bool = True) -> RunningServer:
        """Serve over HTTPS + mTLS in a background thread (``tls=False``: plain HTTP, for diagnostics)."""
        server = RunningServer(
            self.app,
            host=host,
            port=port,
            ssl_context=self.ssl_context() if tls else None,
            services_root=self.config.services_root,
        )
        self._servers.append(server)
        return server

    @contextlib.contextmanager
    def run(self, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve in the background for the ``with`` block; yields the SOAP base URL."""
        server = self.start(host=host, port=port)
        try:
            yield server.soap_base
        finally:
            server.stop()
            with contextlib.suppress(ValueError):
                self._servers.remove(server)

    def close(self) -> None:
        """Stop servers and transports; close the behaviour when the sandbox built it."""
        for server in self._servers:
            server.stop()
        self._servers.clear()
        for transport in self._transports:
            transport.close()
        self._transports.clear()
        if self._owns_behaviour:
            self.behaviour.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def running_sandbox(
    config: SandboxConfig | None = None,
    behaviour: DmpBehaviour | None = None,
    *,
    pki: TestPki | str | os.PathLike[str] | None = None,
    server_identity: TlsIdentity | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[str]:
    """Run a sandbox over HTTPS + mTLS in a background thread; yields its SOAP base URL.

    ``with running_sandbox(pki=pki_dir) as base_url:`` is enough: the PKI gives the trust anchors, the EJ/EG
    map and the server certificate. A ``config`` made by :meth:`SandboxConfig.from_pki` knows its PKI too;
    otherwise give ``server_identity`` (or ``pki``).
    """
    loaded = _load_pki(pki) if pki is not None else None
    if config is None:
        if loaded is None:
            raise ConfigurationError("give a config or a pki", field="config", value=None)
        config = SandboxConfig.from_pki(loaded)
    if server_identity is None and loaded is not None:
        server_identity = _server_identity(loaded)
    sandbox = Sandbox(config, behaviour, server_identity=server_identity)
    try:
        with sandbox.run(host=host, port=port) as url:
            yield url
    finally:
        sandbox.close()


def serve(
    sandbox: Sandbox,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[SandboxServer], None] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C / SIGTERM (clean shutdown: running requests may finish)."""

    async def main() -> None:
        server = SandboxServer(sandbox.app, host=host, port=port, ssl_context=sandbox.ssl_context())
        await server.start()
        if on_ready is not None:
            on_ready(server)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        serving = asyncio.create_task(server.serve_forever())
        try:
            await stop.wait()
        finally:
            await server.close()
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
