"""The sans-IO engine shared by :class:`~dmpclient.client.DMPClient` and :class:`~dmpclient.client.AsyncDMPClient`.

Every client operation is written **once**, as a generator that yields two kinds of *effects*:

* :class:`Send` — "POST this request body to this URL and give me what came back" (a :class:`Received`),
* :class:`Sleep` — "wait this long" (retry backoff, the pause before an ambiguity check),

and receives their results through ``send()`` (or the failure through ``throw()``). The sync client runs
the effects with ``httpx.Client`` and ``time.sleep``, the async client with ``httpx.AsyncClient`` and
``asyncio.sleep``; everything else — guards, request building, retries, redirects, reading and
interpreting the answer, error mapping, the exchange hook, the ambiguous-submission check — lives here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Literal, TypeAlias, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx

from dmpclient import _xml
from dmpclient.client._errors import (
    ConnectFailed,
    ConnectionLost,
    GatewayUnavailable,
    RedirectRefused,
    RequestTimeout,
    TlsHandshakeFailed,
    UnreadableResponse,
)
from dmpclient.client._exchange import (
    Exchange,
    ExchangeHook,
    Outcome,
    SentPart,
    mask_headers,
    mask_secrets,
)
from dmpclient.client._retry import RetryPolicy
from dmpclient.errors import DMPClientError, DMPError, ProtocolError, TransportError, XMLError
from dmpclient.security.tls import explain_tls_error
from dmpclient.soap import MtomReader, SoapMessage, SoapRequest, parse_content_type, parse_envelope, raise_for_fault
from dmpclient.soap.mtom import DEFAULT_CHUNK_SIZE, DEFAULT_MAX_MESSAGE_SIZE, DEFAULT_MEMORY_THRESHOLD

__all__ = [
    "MAX_REDIRECTS",
    "BodyTracker",
    "Call",
    "Effect",
    "Engine",
    "Received",
    "ResponseReader",
    "Send",
    "Sleep",
    "Stepper",
]

T = TypeVar("T")
_log = logging.getLogger("dmpclient.client")

#: Redirects followed for one call (EX_0.X-1055) before giving up.
MAX_REDIRECTS: Final = 5
#: Bytes of a non-SOAP answer kept for the error message and the exchange.
RAW_SNIPPET: Final = 64 * 1024
#: HTTP statuses re-POSTed to ``Location`` (303 means "GET elsewhere", which makes no sense for SOAP).
_REDIRECTS: Final = frozenset({301, 302, 307, 308})
#: Gateway answers that leave a submission's fate unknown.
_GATEWAY: Final = frozenset({502, 503, 504})
_SOAP_MEDIA: Final = frozenset({"application/soap+xml", "text/xml", "application/xml", "application/xop+xml"})


# ------------------------------------------------------------------------------------------- effects


class BodyTracker:
    """The request body for one attempt: a fresh stream of the request that records how far it went.

    :attr:`complete` becomes True once the last byte was handed to the transport — from then on a failure
    may have happened *after* the server got the whole request (what makes a TD2.1 ambiguous).
    """

    def __init__(
        self,
        request: SoapRequest,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        *,
        progress: ProgressCallback | None = None,
        transaction: str = "",
    ) -> None:
        self._request = request
        self._chunk_size = chunk_size
        self._progress = progress
        self._transaction = transaction
        self.sent = 0
        self.complete = False

    def _advance(self, chunk: bytes) -> None:
        self.sent += len(chunk)
        if self._progress is not None:
            self._progress(TransferProgress(self._transaction, "send", self.sent, self._request.content_length))

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._request.iter_bytes(self._chunk_size):
            self._advance(chunk)
            yield chunk
        self.complete = True

    async def aiter(self) -> AsyncIterator[bytes]:
        """Async variant of iteration (for ``httpx.AsyncClient``)."""
        for chunk in self._request.iter_bytes(self._chunk_size):
            self._advance(chunk)
            yield chunk
        self.complete = True


@dataclass(eq=False)
class Send:
    """Effect: POST :attr:`body` to :attr:`url` with :attr:`headers`, stream the answer into a reader."""

    url: str
    headers: dict[str, str]
    body: BodyTracker
    transaction: str


@dataclass(frozen=True)
class Sleep:
    """Effect: wait :attr:`seconds`."""

    seconds: float


Effect: TypeAlias = Send | Sleep


@dataclass(frozen=True)
class TransferProgress:
    """One progress report of a transfer (for progress bars; see the client's ``progress=`` argument).

    Attributes:
        transaction: the DMP transaction (``"TD3.2"`` …).
        direction: ``"send"`` (request body) or ``"receive"`` (response body).
        done: bytes transferred so far in this attempt.
        total: the full size when known (the request's Content-Length, the response's Content-Length).
    """

    transaction: str
    direction: Literal["send", "receive"]
    done: int
    total: int | None


ProgressCallback: TypeAlias = Callable[[TransferProgress], None]


@dataclass(eq=False)
class Received:
    """What a driver got back for a :class:`Send`.

    Attributes:
        status / reason / http_version: the status line.
        headers: response headers, in order.
        request_headers: the headers actually sent (httpx adds Host, User-Agent …).
        message: the SOAP message (MTOM or plain) when the answer was SOAP, else None.
        raw: the first bytes of a non-SOAP answer (an HTML error page …), else None.
        size: body bytes received.
    """

    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    request_headers: tuple[tuple[str, str], ...]
    message: SoapMessage | None = None
    raw: bytes | None = None
    size: int = 0

    def header(self, name: str) -> str | None:
        """First header ``name`` (case-insensitive)."""
        lowered = name.lower()
        return next((v for n, v in self.headers if n.lower() == lowered), None)


class ResponseReader:
    """Feeds an HTTP answer body, chunk by chunk, into the right reader (drivers call this).

    SOAP answers (``application/soap+xml``, ``text/xml``, ``multipart/related`` …) go to a streaming
    :class:`~dmpclient.soap.MtomReader` (parts above the memory threshold are spooled to temporary files);
    anything else keeps its first :data:`RAW_SNIPPET` bytes.
    """

    def __init__(
        self,
        status: int,
        content_type: str,
        *,
        spool_dir: str | None,
        memory_threshold: int,
        on_chunk: Callable[[int], None] | None = None,
    ) -> None:
        self._on_chunk = on_chunk
        media = parse_content_type(content_type)[0] if content_type else ""
        soapish = media.startswith("multipart/") or media in _SOAP_MEDIA or media.endswith("+xml")
        self._mtom: MtomReader | None = None
        if soapish and not 300 <= status < 400:
            self._mtom = MtomReader(
                content_type,
                spool_dir=spool_dir,
                memory_threshold=memory_threshold,
                max_size=DEFAULT_MAX_MESSAGE_SIZE,
            )
        self._raw = bytearray()
        self.size = 0

    def __enter__(self) -> ResponseReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if exc is not None:
            self.abort()

    def feed(self, chunk: bytes) -> None:
        """Process the next chunk."""
        self.size += len(chunk)
        if self._on_chunk is not None:
            self._on_chunk(self.size)
        if self._mtom is not None:
            self._mtom.feed(chunk)
        elif len(self._raw) < RAW_SNIPPET:
            self._raw += chunk[: RAW_SNIPPET - len(self._raw)]

    def close(self) -> tuple[SoapMessage | None, bytes | None]:
        """The message (SOAP) or the raw snippet (anything else)."""
        if self._mtom is not None:
            return self._mtom.close(), None
        return None, bytes(self._raw)

    def abort(self) -> None:
        """Stop reading; delete temporary files."""
        if self._mtom is not None:
            self._mtom.abort()


class Stepper(Generic[T]):
    """Advances an operation generator one effect at a time (the drivers' loop, written once).

    ``effect = stepper.resume(value, error)`` sends the previous effect's result (or throws its error) and
    returns the next effect, or None when the operation finished (its value is then :attr:`result`).
    """

    def __init__(self, operation: Generator[Effect, Any, T]) -> None:
        self._operation = operation
        self.result: T | None = None

    def resume(self, value: Any = None, error: BaseException | None = None) -> Effect | None:
        """Continue the operation; the next effect, or None when done."""
        try:
            return self._operation.throw(error) if error is not None else self._operation.send(value)
        except StopIteration as stop:
            self.result = stop.value
            return None


# ---------------------------------------------------------------------------------------------- calls


@dataclass(eq=False)
class Call(Generic[T]):
    """One DMP transaction exchange to perform (with retries and redirects).

    Attributes:
        transaction: ``"TD3.1"`` …
        request: the request to send.
        url: the service URL.
        parse: turns the received SOAP message into the typed result (raises typed errors).
        idempotent: may be retried after a transport failure.
        submission: TD2.1/TD2.2 — failures after sending are ambiguous (never retried, checked instead).
        finish: called with the result and the message after the exchange hook, before the message is
            closed (e.g. move a retrieved document to its destination); returns the final result.
        keep_message: do not close the message after success (the result holds its parts, e.g. a
            retrieved document kept in memory or in a temporary file).
        homologation_number: what to mask in the exchange.
        rebuild: builds a fresh request for a retry (new MessageID and VIHF); None re-sends the same bytes.
    """

    transaction: str
    request: SoapRequest
    url: str
    parse: Callable[[SoapMessage], T]
    idempotent: bool
    submission: bool = False
    finish: Callable[[T, SoapMessage], T] | None = None
    keep_message: bool = False
    homologation_number: str | None = None
    rebuild: Callable[[], SoapRequest] | None = None
    _masked: tuple[bytes, bytes | None, tuple[SentPart, ...]] | None = field(default=None, repr=False)


def _parts_of(request: SoapRequest) -> tuple[SentPart, ...]:
    parts = []
    for att in request.attachments:
        src = att.source
        if isinstance(src, bytes):
            parts.append(SentPart(att.content_id, att.content_type, att.size, data=src))
        else:
            parts.append(SentPart(att.content_id, att.content_type, att.size, path=src))
    return tuple(parts)


def _vihf_bytes(request: SoapRequest) -> bytes | None:
    assertion = parse_envelope(request.envelope).assertion
    return _xml.to_bytes(assertion) if assertion is not None else None


# ---------------------------------------------------------------------------------------------- engine


class Engine:
    """Runs :class:`Call` objects as effect generators: retries, redirects, interpretation, exchange hook.

    Args:
        retries: the retry policy.
        exchange_hook: called with each :class:`~dmpclient.client.Exchange` (None: no capture at all).
        mask_homologation: mask ``LPS_ID_HOMOLOGATION_DMP`` in exchanges (EX_GEN-1490).
        clock: wall clock for the exchange times.
        spool_dir / memory_threshold: where and above which size received parts are spooled to disk.

    Redirects: 301/302/307/308 are re-POSTed to ``Location`` (at most :data:`MAX_REDIRECTS`); a target other
    than ``https://`` is refused, except ``http://`` from an ``http://`` origin (local tests).
    """

    def __init__(
        self,
        *,
        retries: RetryPolicy,
        exchange_hook: ExchangeHook | None,
        mask_homologation: bool,
        clock: Callable[[], dt.datetime],
        spool_dir: str | None = None,
        memory_threshold: int = DEFAULT_MEMORY_THRESHOLD,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.progress = progress
        self.retries = retries
        self.exchange_hook = exchange_hook
        self.mask_homologation = mask_homologation
        self.clock = clock
        self.spool_dir = spool_dir
        self.memory_threshold = memory_threshold
        self._sequence = 0

    # -- for drivers

    def reader(self, response: httpx.Response, transaction: str = "") -> ResponseReader:
        """The reader a driver feeds the answer body into (use it as a context manager: aborts on error)."""
        on_chunk: Callable[[int], None] | None = None
        progress = self.progress
        if progress is not None:
            length = response.headers.get("content-length", "")
            total = int(length) if length.isdigit() else None

            def on_chunk(done: int) -> None:
                progress(TransferProgress(transaction, "receive", done, total))

        return ResponseReader(
            response.status_code,
            response.headers.get("content-type", ""),
            spool_dir=self.spool_dir,
            memory_threshold=self.memory_threshold,
            on_chunk=on_chunk,
        )

    @contextlib.contextmanager
    def http_errors(self, send: Send) -> Iterator[None]:
        """Context manager of the drivers: httpx exceptions become :meth:`map_http_error` errors."""
        try:
            yield
        except httpx.HTTPError as exc:
            raise self.map_http_error(exc, send) from exc

    @staticmethod
    def received(request: httpx.Request, response: httpx.Response, reader: ResponseReader) -> Received:
        """The :class:`Received` of a fully read answer (closes the reader: parses the root part)."""
        message, raw = reader.close()
        return Received(
            status=response.status_code,
            reason=response.reason_phrase,
            http_version=response.http_version,
            headers=tuple(response.headers.multi_items()),
            request_headers=tuple(request.headers.multi_items()),
            message=message,
            raw=raw,
            size=reader.size,
        )

    @staticmethod
    def map_http_error(exc: httpx.HTTPError, send: Send) -> DMPClientError:
        """An httpx exception as a :class:`~dmpclient.errors.TransportError` subclass (url, transaction, sent)."""
        url, td, sent = send.url, send.transaction, send.body.complete
        detail = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            phase = {
                httpx.ConnectTimeout: "connect",
                httpx.ReadTimeout: "read",
                httpx.WriteTimeout: "write",
                httpx.PoolTimeout: "pool",
            }.get(type(exc), "read")
            unsent = phase in ("connect", "pool")
            return RequestTimeout(
                f"{td}: {phase} timeout calling {url}: {detail}",
                phase=phase,
                url=url,
                transaction=td,
                sent=sent and not unsent,
            )
        if isinstance(exc, httpx.ConnectError):
            failure = explain_tls_error(exc)
            if failure is not None:
                return TlsHandshakeFailed(
                    f"{td}: TLS handshake with {url} failed ({failure.kind.value}): {failure.explanation}",
                    failure=failure,
                    url=url,
                    transaction=td,
                )
            return ConnectFailed(f"{td}: cannot connect to {url}: {detail}", url=url, transaction=td)
        if isinstance(exc, httpx.ProxyError | httpx.UnsupportedProtocol):
            return ConnectFailed(f"{td}: cannot connect to {url}: {detail}", url=url, transaction=td)
        if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
            return ConnectionLost(f"{td}: connection to {url} lost: {detail}", url=url, transaction=td, sent=sent)
        if isinstance(exc, httpx.DecodingError):
            return ProtocolError(f"{td}: the answer of {url} could not be decoded: {detail}")
        return TransportError(f"{td}: HTTP failure calling {url}: {detail}", url=url, transaction=td, sent=sent)

    # -- the call loop

    def execute(self, call: Call[T]) -> Generator[Effect, Any, T]:
        """Perform ``call``: yields :class:`Send` / :class:`Sleep`, returns the typed result or raises."""
        url = call.url
        attempt = 0
        redirects = 0
        while True:
            attempt += 1
            tracker = BodyTracker(call.request, progress=self.progress, transaction=call.transaction)
            started, t0 = self.clock(), time.perf_counter()
            try:
                received: Received = yield Send(url, dict(call.request.headers), tracker, call.transaction)
            except (TransportError, ProtocolError, XMLError) as exc:
                error = self._failure(call, exc, tracker)
                self._emit(call, url, attempt, started, t0, None, error)
                if self.retries.should_retry(error, attempt=attempt, idempotent=call.idempotent):
                    yield from self._before_retry(call, attempt)
                    continue
                if error is exc:
                    raise
                raise error from exc
            gateway = self._gateway(call, url, received)
            if gateway is not None:
                self._emit(call, url, attempt, started, t0, received, gateway)
                self._close(received)
                if self.retries.should_retry(gateway, attempt=attempt, idempotent=call.idempotent):
                    yield from self._before_retry(call, attempt)
                    continue
                raise gateway
            location = self._redirect(url, received, call, attempt, started, t0)
            if location is not None:
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    raise RedirectRefused(
                        f"{call.transaction}: more than {MAX_REDIRECTS} redirects",
                        url=url,
                        transaction=call.transaction,
                    )
                url = location
                attempt -= 1
                continue
            return self._conclude(call, url, attempt, started, t0, received)

    def _before_retry(self, call: Call[Any], attempt: int) -> Generator[Effect, Any, None]:
        """Wait the backoff, then rebuild the request (fresh MessageID and VIHF: AIR tokens are single-use)."""
        yield Sleep(self.retries.delay(attempt))
        if call.rebuild is not None:
            call.request = call.rebuild()
            call._masked = None

    @staticmethod
    def _gateway(call: Call[Any], url: str, received: Received) -> GatewayUnavailable | None:
        """A 502/503/504 without a SOAP body on a non-submission call: the network in front of the DMP answered.

        (For a submission the same answer is ambiguous: :meth:`_interpret` reports it as such.)
        """
        if call.submission or received.message is not None or received.status not in _GATEWAY:
            return None
        return GatewayUnavailable(
            f"{call.transaction}: HTTP {received.status} {received.reason} from the network in front of the DMP "
            "(no SOAP answer)",
            status=received.status,
            url=url,
            transaction=call.transaction,
        )

    def _failure(self, call: Call[Any], exc: DMPClientError, tracker: BodyTracker) -> DMPClientError:
        """Classify a failure of the exchange itself (no interpretable answer)."""
        if isinstance(exc, TransportError):
            if exc.url is None:
                exc.url = call.url
            if exc.transaction is None:
                exc.transaction = call.transaction
            return exc
        if call.submission and tracker.complete:
            # A submission's answer could not be read: the DMP may have stored it.
            return UnreadableResponse(
                f"{call.transaction}: the answer could not be read ({exc})",
                url=call.url,
                transaction=call.transaction,
                sent=True,
            )
        return exc

    def _redirect(
        self, url: str, received: Received, call: Call[Any], attempt: int, started: dt.datetime, t0: float
    ) -> str | None:
        if received.status not in _REDIRECTS:
            return None
        location = received.header("location")
        if not location:
            return None
        target = urljoin(url, location)
        origin_scheme = urlsplit(url).scheme.lower()
        scheme = urlsplit(target).scheme.lower()
        error: TransportError | None = None
        if scheme != "https" and not (origin_scheme == "http" and scheme == "http"):
            error = RedirectRefused(
                f"{call.transaction}: refused redirect from {url} to {target} (only HTTPS redirects are followed)",
                url=url,
                transaction=call.transaction,
            )
        self._emit(call, url, attempt, started, t0, received, error, redirect_to=target)
        self._close(received)
        if error is not None:
            raise error
        return target

    def _conclude(
        self, call: Call[T], url: str, attempt: int, started: dt.datetime, t0: float, received: Received
    ) -> T:
        try:
            result = self._interpret(call, received)
        except DMPClientError as exc:
            self._emit(call, url, attempt, started, t0, received, exc)
            self._close(received)
            if call.submission and not isinstance(exc, DMPError | UnreadableResponse):
                raise UnreadableResponse(
                    f"{call.transaction}: the answer could not be understood ({exc})",
                    url=url,
                    transaction=call.transaction,
                    sent=True,
                ) from exc
            raise
        except BaseException:
            self._close(received)
            raise
        try:
            self._emit(call, url, attempt, started, t0, received, None)
            message = received.message
            assert message is not None
            final = call.finish(result, message) if call.finish is not None else result
        except BaseException:
            self._close(received)
            raise
        if not call.keep_message:
            self._close(received)
        return final

    def _interpret(self, call: Call[T], received: Received) -> T:
        td, status = call.transaction, received.status
        message = received.message
        if message is None:
            snippet = (received.raw or b"")[:500].decode("utf-8", "replace").strip()
            content_type = received.header("content-type") or "(none)"
            if call.submission and status in _GATEWAY:
                raise UnreadableResponse(
                    f"{td}: gateway answer HTTP {status} {received.reason} after the submission was sent",
                    url=call.url,
                    transaction=td,
                    sent=True,
                )
            if status >= 400:
                raise DMPError(
                    f"HTTP {status}",
                    snippet or received.reason or None,
                    transaction=td,
                    http_status=status,
                    message_id=call.request.message_id,
                    explanation=f"the answer is not a SOAP message (Content-Type {content_type})",
                )
            raise ProtocolError(
                f"{td}: HTTP {status} with an unexpected Content-Type {content_type!r}: {snippet[:200]!r}"
            )
        raise_for_fault(message, transaction=td, http_status=status, message_id=call.request.message_id)
        try:
            result = call.parse(message)
        except DMPError as exc:
            _complete(exc, transaction=td, http_status=status, message_id=call.request.message_id)
            raise
        if status >= 400:
            raise DMPError(
                f"HTTP {status}",
                received.reason or None,
                transaction=td,
                http_status=status,
                message_id=call.request.message_id,
                explanation="a SOAP answer with an HTTP error status and no fault",
            )
        return result

    @staticmethod
    def _close(received: Received) -> None:
        if received.message is not None:
            received.message.close()

    # -- exchanges

    def _masked(self, call: Call[Any]) -> tuple[bytes, bytes | None, tuple[SentPart, ...]]:
        if call._masked is None:
            number = call.homologation_number if self.mask_homologation else None
            root = call.request.root_bytes
            vihf = _vihf_bytes(call.request)
            if self.mask_homologation:
                root = mask_secrets(root, homologation_number=number)
                vihf = mask_secrets(vihf, homologation_number=number) if vihf is not None else None
            call._masked = (root, vihf, _parts_of(call.request))
        return call._masked

    def _emit(
        self,
        call: Call[Any],
        url: str,
        attempt: int,
        started: dt.datetime,
        t0: float,
        received: Received | None,
        error: BaseException | None,
        *,
        redirect_to: str | None = None,
    ) -> None:
        if self.exchange_hook is None:
            return
        self._sequence += 1
        root, vihf, parts = self._masked(call)
        number = call.homologation_number if self.mask_homologation else None
        if redirect_to is not None and error is None:
            outcome = Outcome.REDIRECT
        elif error is None:
            outcome = Outcome.OK
        elif isinstance(error, DMPError):
            outcome = Outcome.DMP_ERROR
        elif isinstance(error, TransportError):
            outcome = Outcome.TRANSPORT_ERROR
        else:
            outcome = Outcome.PROTOCOL_ERROR
        exchange = Exchange(
            sequence=self._sequence,
            transaction=call.transaction,
            attempt=attempt,
            method="POST",
            url=url,
            message_id=call.request.message_id,
            request_headers=mask_headers(received.request_headers if received else tuple(call.request.headers.items())),
            request_content_type=call.request.content_type,
            request_size=call.request.content_length,
            request_root=root,
            request_parts=parts,
            vihf=vihf,
            started_at=started,
            ended_at=self.clock(),
            duration=time.perf_counter() - t0,
            error=error,
            outcome=outcome,
            redirect_to=redirect_to,
            masked_homologation=self.mask_homologation,
        )
        if received is not None:
            exchange.response_status = received.status
            exchange.response_reason = received.reason
            exchange.http_version = received.http_version
            exchange.response_headers = mask_headers(received.headers)
            exchange.response_size = received.size
            if received.message is not None:
                body = received.message.root_bytes
                exchange.response_root = mask_secrets(body, homologation_number=number) if number else body
                exchange.response_parts = received.message.parts
            else:
                exchange.response_root = received.raw
        try:
            self.exchange_hook(exchange)
        except Exception:  # the DMP call's outcome must not depend on the hook
            _log.exception("the exchange hook failed on exchange %s (%s)", exchange.sequence, call.transaction)


def _complete(exc: DMPError, *, transaction: str, http_status: int, message_id: str | None) -> None:
    """Fill the transport facts a sans-IO parser could not know, and recompose the message."""
    changed = False
    if exc.transaction is None:
        exc.transaction = transaction
        changed = True
    if exc.http_status is None:
        exc.http_status = http_status
    if exc.message_id is None:
        exc.message_id = message_id
    if changed:
        exc.args = (exc._compose(),)
