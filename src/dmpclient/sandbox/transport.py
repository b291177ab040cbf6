"""In-process httpx transports for the sandbox (no socket): one object for ``httpx.Client`` **and**
``httpx.AsyncClient``.

``httpx.ASGITransport`` serves async clients only; :class:`SandboxTransport` also serves sync clients by
running the ASGI application on a private event loop in a daemon thread. Both paths stream the request body
into the application (a 50 MiB upload is not copied in memory) and spool the response to a temporary file
above 1 MiB. Injected faults behave as over a socket: a dropped connection or a truncated body raises
``httpx.RemoteProtocolError``.

Optionally the transport pretends the request came over mutual TLS with a given client certificate (the ASGI
TLS extension), so the certificate ⇄ VIHF checks can be exercised without sockets::

    transport = make_transport(app, client_certificate=pki.certificate("ej-auth"))
    with httpx.Client(transport=transport) as client: ...
    async with httpx.AsyncClient(transport=transport) as client: ...
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import weakref
from collections.abc import AsyncIterator, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Final
from urllib.parse import unquote

import anyio.to_thread
import httpx
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dmpclient.sandbox.faults import InjectedDisconnect

__all__ = ["SandboxTransport", "SyncASGITransport", "make_transport", "tls_extension"]

_SPOOL_MEMORY: Final = 1024 * 1024
_CHUNK: Final = 64 * 1024

ASGIApp = Any  # Callable[[Scope, Receive, Send], Awaitable[None]]


def tls_extension(certificate: x509.Certificate | None, chain: Sequence[x509.Certificate] = ()) -> dict[str, Any]:
    """The ASGI TLS extension dict for a client certificate (PEM strings, leaf first)."""
    certs = [certificate, *chain] if certificate is not None else []
    return {
        "server_cert": None,
        "client_cert_chain": [c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in certs],
        "client_cert_name": certificate.subject.rfc4514_string() if certificate is not None else None,
        "client_cert_error": None,
        "tls_version": 0x0303,
        "cipher_suite": None,
    }


@dataclass
class _Outcome:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    started: bool = False
    complete: bool = False
    disconnected: bool = False
    spool: IO[bytes] = field(default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=_SPOOL_MEMORY))  # noqa: SIM115
    size: int = 0

    @property
    def declared_length(self) -> int | None:
        for name, value in self.headers:
            if name.lower() == b"content-length" and value.isdigit():
                return int(value)
        return None


def _scope(request: httpx.Request, client: tuple[str, int], tls: dict[str, Any] | None) -> dict[str, Any]:
    url = request.url
    port = url.port or (443 if url.scheme == "https" else 80)
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": url.scheme,
        "path": unquote(url.path),
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "query_string": url.query,
        "root_path": "",
        "headers": [(name.lower(), value) for name, value in request.headers.raw],
        "client": client,
        "server": (url.host, port),
        "extensions": {},
    }
    if tls is not None:
        scope["extensions"]["tls"] = tls
    return scope


async def _run(
    app: ASGIApp,
    scope: dict[str, Any],
    body: AsyncIterator[bytes],
) -> _Outcome:
    outcome = _Outcome()
    body_done = False
    iterator = body.__aiter__()

    async def receive() -> MutableMapping[str, Any]:
        nonlocal body_done
        if not body_done:
            try:
                chunk = await iterator.__anext__()
            except StopAsyncIteration:
                body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": bytes(chunk), "more_body": True}
        if not outcome.complete:
            await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            outcome.status = int(message["status"])
            outcome.headers = list(message.get("headers") or [])
            outcome.started = True
        elif message["type"] == "http.response.body":
            chunk = message.get("body") or b""
            if chunk:
                outcome.spool.write(chunk)
                outcome.size += len(chunk)
            if not message.get("more_body", False):
                outcome.complete = True

    try:
        await app(scope, receive, send)
    except InjectedDisconnect:
        outcome.disconnected = True
    outcome.spool.seek(0)
    return outcome


def _raise_if_dropped(outcome: _Outcome, request: httpx.Request) -> None:
    if not outcome.started:
        outcome.spool.close()
        if outcome.disconnected:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        raise httpx.RemoteProtocolError("the ASGI application returned without a response", request=request)


def _truncation_error(outcome: _Outcome, request: httpx.Request) -> httpx.RemoteProtocolError:
    expected = outcome.declared_length
    return httpx.RemoteProtocolError(
        f"peer closed connection without sending complete message body: received {outcome.size} bytes, "
        f"expected {expected}",
        request=request,
    )


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, outcome: _Outcome, request: httpx.Request) -> None:
        self._outcome = outcome
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        spool = self._outcome.spool
        while chunk := spool.read(_CHUNK):
            yield chunk
        if self._outcome.disconnected or not self._outcome.complete:
            raise _truncation_error(self._outcome, self._request)

    def close(self) -> None:
        self._outcome.spool.close()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, outcome: _Outcome, request: httpx.Request) -> None:
        self._outcome = outcome
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        spool = self._outcome.spool
        while chunk := spool.read(_CHUNK):
            yield chunk
        if self._outcome.disconnected or not self._outcome.complete:
            raise _truncation_error(self._outcome, self._request)

    async def aclose(self) -> None:
        self._outcome.spool.close()


async def _async_request_body(request: httpx.Request) -> AsyncIterator[bytes]:
    stream = request.stream
    if isinstance(stream, httpx.AsyncByteStream):
        async for chunk in stream:
            yield chunk
    else:  # a sync body given to an async client: read it off the event loop
        iterator: Iterator[bytes] = iter(stream)

        def pull() -> bytes | None:
            return next(iterator, None)

        while True:
            piece = await anyio.to_thread.run_sync(pull)
            if piece is None:
                return
            yield piece


class _LoopThread:
    """A private asyncio event loop in a daemon thread (runs the app for sync clients)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._main, name="dmpclient-sandbox-transport", daemon=True)
        self.thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


def _stop_loop(holder: list[_LoopThread]) -> None:
    for item in holder:
        item.stop()
    holder.clear()


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport calling an ASGI app in-process, for sync and async clients.

    Args:
        app: the ASGI application (a :class:`~dmpclient.sandbox.app.SandboxApp`).
        client: the client address the app sees.
        client_certificate: pretend the request came over mutual TLS with this client certificate.
        client_chain: certificates sent after it.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: tuple[str, int] = ("127.0.0.1", 50000),
        client_certificate: x509.Certificate | None = None,
        client_chain: Sequence[x509.Certificate] = (),
    ) -> None:
        self.app = app
        self.client = client
        self.tls = tls_extension(client_certificate, client_chain) if client_certificate is not None else None
        self._loop_holder: list[_LoopThread] = []
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _stop_loop, self._loop_holder)

    # -- async clients

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        outcome = await _run(self.app, _scope(request, self.client, self.tls), _async_request_body(request))
        _raise_if_dropped(outcome, request)
        return httpx.Response(outcome.status, headers=outcome.headers, stream=_AsyncBody(outcome, request))

    async def aclose(self) -> None:
        self.close()

    # -- sync clients

    def _loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if not self._loop_holder:
                self._loop_holder.append(_LoopThread())
            return self._loop_holder[0].loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        loop = self._loop()
        body = _async_request_body(request)
        future = asyncio.run_coroutine_threadsafe(_run(self.app, _scope(request, self.client, self.tls), body), loop)
        outcome = future.result()
        _raise_if_dropped(outcome, request)
        return httpx.Response(outcome.status, headers=outcome.headers, stream=_SyncBody(outcome, request))

    def close(self) -> None:
        """Stop the private event loop (sync clients), if it was started (a later request restarts one)."""
        with self._lock:
            _stop_loop(self._loop_holder)


#: The name used in the issue for the sync-capable transport.
SyncASGITransport = SandboxTransport


def make_transport(
    app: ASGIApp,
    *,
    client_certificate: x509.Certificate | None = None,
    client_chain: Sequence[x509.Certificate] = (),
) -> SandboxTransport:
    """A transport for ``httpx.Client(transport=…)`` and ``httpx.AsyncClient(transport=…)`` over ``app``."""
    return SandboxTransport(app, client_certificate=client_certificate, client_chain=client_chain)
