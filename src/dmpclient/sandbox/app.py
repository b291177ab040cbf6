"""The sandbox ASGI application (pure ASGI 3, no framework).

Endpoints (``config.path_prefix`` before each, e.g. ``/024``):

* ``POST /si-dmp-server/v2/services/{patients, patientsSpecific, patientsPDQ, habilitations, registry,
  repository}`` — the DMP web services;
* ``GET`` on a service path — HTTP 405 with a short text naming the service's transactions;
* ``GET /_sandbox/health`` (also ``/health``) — JSON status;
* ``/_sandbox/admin/…`` — the admin API when ``config.admin`` (bearer token; see :mod:`.admin_http`).

One SOAP call goes: read the body **streaming** into :class:`~dmpclient.soap.MtomReader` (parts above
``memory_threshold`` spooled to disk; ``max_request_size`` enforced) → parse the envelope → SOAP 1.2 only
(``VersionMismatch`` otherwise, configurable) → ``mustUnderstand`` headers understood → WS-Addressing
``Action``/``MessageID``/``To`` present → route (:mod:`.routing`) → injected faults (:mod:`.faults`) →
authenticate (:mod:`.auth`) → choose the transaction → the behaviour's handler → stream the
:class:`~dmpclient.soap.SoapResponse` back with its exact ``Content-Length`` (``RelatesTo`` = request
``MessageID``). Spooled parts are deleted once the response is sent.

The TLS client certificate is read from the ASGI TLS extension (``scope["extensions"]["tls"]
["client_cert_chain"]``), which :mod:`.server` fills.
"""

from __future__ import annotations

import copy
import inspect
import json
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, Final

import anyio
import anyio.to_thread
from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS
from dmpclient.environments import Service
from dmpclient.errors import ProtocolError, XMLError
from dmpclient.sandbox._interfaces import DmpBehaviour, SandboxFault, SandboxRequest
from dmpclient.sandbox.auth import Authenticator, TlsPeer
from dmpclient.sandbox.config import SandboxConfig
from dmpclient.sandbox.faults import FaultInjector, FaultKind, FaultPlan, FaultRule, InjectedDisconnect
from dmpclient.sandbox.routing import Route, Router
from dmpclient.soap import (
    FAULT_ACTION,
    MtomReader,
    SoapMessage,
    SoapProtocolError,
    SoapResponse,
    SoapVersion,
    fault_response,
)
from dmpclient.soap.addressing import WSA_NS

__all__ = ["ADMIN_PREFIX", "HEALTH_PATHS", "SandboxApp", "create_app"]

log = logging.getLogger("dmpclient.sandbox")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ADMIN_PREFIX: Final = "/_sandbox/admin"
HEALTH_PATHS: Final = frozenset({"/_sandbox/health", "/health"})
_WSSE_SECURITY: Final = f"{{{NS['wsse']}}}Security"
_ADDRESSING_REQUIRED: Final = f"{{{WSA_NS}}}MessageAddressingHeaderRequired"
_SERVER_ERROR: Final = "DMP_SERVER_ERROR"
_PROXY_PAGES: Final = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _ClientGone(Exception):
    """The client disconnected before the request body was complete."""


class _TooLarge(Exception):
    pass


class SandboxApp:
    """The ASGI 3 application of the sandbox. Build it with :func:`create_app`.

    Attributes:
        behaviour: the DMP behaviour (handlers, admin API, clock).
        config: the configuration.
        router: the transaction router.
        authenticator: VIHF/TLS checks (holds the AIR replay cache).
        faults: the fault injector.
        admin_token: bearer token of the HTTP admin API (None when the admin API is off).
    """

    def __init__(
        self,
        behaviour: DmpBehaviour,
        config: SandboxConfig,
        *,
        faults: FaultInjector | None = None,
        router: Router | None = None,
    ) -> None:
        self.behaviour = behaviour
        self.config = config
        self.router = router or Router(config.services_root)
        self.authenticator = Authenticator(config)
        self.faults = faults or FaultInjector(seed=config.fault_seed)
        self.admin_token: str | None = None
        if config.admin:
            self.admin_token = config.admin_token or secrets.token_urlsafe(24)
        from dmpclient.sandbox.admin_http import AdminEndpoints  # admin_http imports this module's names

        self._admin = AdminEndpoints(self)

    @property
    def clock(self) -> Any:
        """The sandbox clock (the behaviour's, which is the config's)."""
        return getattr(self.behaviour, "clock", None) or self.config.clock

    def url_path(self, service: Service) -> str:
        """The HTTP path of a service (with the configured prefix)."""
        return self.router.service_path(service)

    # ------------------------------------------------------------------------------------------ ASGI

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        if kind != "http":  # websockets are not served
            return
        path: str = scope.get("path") or "/"
        method: str = scope.get("method", "GET").upper()
        if path in HEALTH_PATHS:
            await self._health(method, send)
            return
        if path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/"):
            if self.admin_token is None:
                await send_text(send, 404, "not found\n")
                return
            await self._admin(scope, receive, send, path[len(ADMIN_PREFIX) :] or "/")
            return
        service = self.router.service_for_path(path)
        if service is None:
            await send_text(send, 404, f"no DMP service at {path}\n")
            return
        if method != "POST":
            await self._service_info(service, method, send)
            return
        await self._soap(scope, receive, send, service)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _health(self, method: str, send: Send) -> None:
        if method not in ("GET", "HEAD"):
            await send_text(send, 405, "GET only\n", headers=[(b"allow", b"GET")])
            return
        body = {
            "status": "ok",
            "services": self.router.services_root,
            "transactions": list(self.behaviour.handlers.tds),
            "time": self.clock.now().isoformat(),
            "admin": self.admin_token is not None,
        }
        await send_json(send, 200, body)

    async def _service_info(self, service: Service, method: str, send: Send) -> None:
        specs = sorted((s for s in self.router.specs.values() if s.service is service), key=lambda s: s.td)
        lines = [f"DMP sandbox service {service.value}: SOAP 1.2 over POST only."]
        lines += [f"  {s.td:7} {s.action}  ({s.title})" for s in specs]
        await send_text(send, 405, "\n".join(lines) + "\n", headers=[(b"allow", b"POST")])

    # ------------------------------------------------------------------------------------------ SOAP

    async def _soap(self, scope: Scope, receive: Receive, send: Send, service: Service) -> None:
        headers = _headers(scope)
        content_type = headers.get("content-type", "")
        message: SoapMessage | None = None
        try:
            try:
                message = await self._read(headers, receive)
            except _TooLarge:
                fault = SandboxFault(
                    "Sender",
                    None,
                    f"Message trop volumineux (maximum {self.config.max_request_size} octets)",
                    http_status=413,
                )
                await self._send_response(send, self._fault(fault, None, None, None), close=True)
                return
            except _ClientGone:
                return
            except SandboxFault as fault:
                await self._send_response(send, self._fault(fault, None, None, None))
                return
            response, plan = await self._process(scope, headers, message, service, content_type)
            await self._deliver(send, response, plan, before_end=message.close)
        finally:
            if message is not None:
                message.close()

    async def _read(self, headers: dict[str, str], receive: Receive) -> SoapMessage:
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.config.max_request_size:
            raise _TooLarge
        try:
            reader = MtomReader(
                headers.get("content-type", ""),
                spool_dir=self.config.spool_dir,
                memory_threshold=self.config.memory_threshold,
                max_size=None,
            )
        except ProtocolError as exc:
            raise SandboxFault("Sender", None, f"Message MTOM invalide : {exc}", detail=str(exc)) from None
        received = 0
        try:
            async for chunk in _body(receive):
                received += len(chunk)
                if received > self.config.max_request_size:
                    raise _TooLarge
                reader.feed(chunk)
        except ProtocolError as exc:
            reader.abort()
            raise SandboxFault("Sender", None, f"Message MTOM invalide : {exc}", detail=str(exc)) from None
        except BaseException:
            reader.abort()
            raise
        try:
            return reader.close()
        except SoapProtocolError as exc:
            raise SandboxFault(exc.fault_code, None, f"Message SOAP invalide : {exc}", detail=str(exc)) from None
        except XMLError as exc:
            raise SandboxFault("Sender", None, "Message XML mal formé", detail=str(exc)) from None
        except ProtocolError as exc:
            raise SandboxFault("Sender", None, f"Message MTOM invalide : {exc}", detail=str(exc)) from None

    async def _process(
        self,
        scope: Scope,
        headers: dict[str, str],
        message: SoapMessage,
        service: Service,
        content_type: str,
    ) -> tuple[SoapResponse | _ProxyPage, FaultPlan]:
        envelope = message.envelope
        message_id = envelope.message_id
        route: Route | None = None
        plan = FaultPlan()
        td: str | None = None
        try:
            self._check_envelope(message)
            route = self.router.resolve(service, message)
            # Faults target one transaction: when several share the action (TD3.3a-d, TD2.1/TD2.2) the plan
            # waits until the transaction is chosen, which needs the authenticated caller.
            ambiguous = len(route.candidates) > 1
            if not ambiguous:
                plan = self.faults.plan([route.candidates[0].td])
                early = await self._apply_plan(plan, message_id, route)
                if early is not None:
                    return early, plan
            now = self.clock.now()
            peer = TlsPeer.from_scope(scope)
            patientless = all(c.td in self.config.patientless_transactions for c in route.candidates)
            result = self.authenticator.authenticate(
                envelope,
                peer=peer,
                now=now,
                transaction=route.candidates[0].td if patientless else None,
            )
            handlers = self.behaviour.handlers
            spec = self.router.choose(route, message, result.caller, handlers.discriminator, handled=handlers.tds)
            td = spec.td
            if ambiguous:
                plan = self.faults.plan([spec.td])
                early = await self._apply_plan(plan, message_id, route)
                if early is not None:
                    return early, plan
            terminal = plan.terminal
            handler = handlers.get(spec.td)
            if handler is None:
                raise SandboxFault(
                    "Receiver",
                    _SERVER_ERROR,
                    f"La transaction {spec.td} n'est pas disponible dans le bac à sable",
                    detail=f"no handler registered for {spec.td}",
                )
            client = scope.get("client")
            request = SandboxRequest(
                transaction=spec,
                candidates=route.candidates,
                service=service,
                action=route.action,
                message=message,
                vihf=result.vihf,
                verification=result.verification,
                caller=result.caller,
                client_certificate=peer.certificate if peer is not None else None,
                client_chain=peer.chain if peer is not None else (),
                received_at=now,
                remote_address=f"{client[0]}:{client[1]}" if client else None,
                path=scope.get("path", ""),
                headers=tuple(headers.items()),
            )
            response = await self._call(handler, request)
            if not isinstance(response, SoapResponse):
                raise TypeError(f"the handler of {spec.td} returned {type(response).__name__}, not a SoapResponse")
            response = _with_relates_to(response, message_id)
            if terminal is not None and terminal.kind is FaultKind.HTTP_ERROR:
                return self._injected_response(terminal, message_id, route), plan
            return response, plan
        except SandboxFault as fault:
            return self._fault(fault, message_id, route.action if route else envelope.action, td), plan
        except InjectedDisconnect:
            raise  # an injected drop is the server's job to perform, not a handler error
        except Exception as exc:
            log.exception("sandbox handler error (%s)", td or "routing")
            internal = SandboxFault(
                "Receiver", _SERVER_ERROR, "Erreur interne du serveur", detail=f"{type(exc).__name__}: {exc}"
            )
            return self._fault(internal, message_id, route.action if route else envelope.action, td), plan

    async def _apply_plan(
        self, plan: FaultPlan, message_id: str | None, route: Route
    ) -> SoapResponse | _ProxyPage | None:
        """Sleep the injected latency; answer at once when the plan's fault happens before processing."""
        if plan.delay:
            await self.faults.sleep(plan.delay)
        terminal = plan.terminal
        if terminal is not None and not terminal.process:
            return self._injected_response(terminal, message_id, route)
        return None

    def _check_envelope(self, message: SoapMessage) -> None:
        envelope = message.envelope
        if envelope.version is SoapVersion.SOAP11 and not self.config.allow_soap11:
            raise SandboxFault(
                "VersionMismatch",
                None,
                "Version SOAP non supportée : SOAP 1.2 attendu",
                detail="the envelope is SOAP 1.1 (http://schemas.xmlsoap.org/soap/envelope/); the DMP speaks SOAP "
                "1.2 (http://www.w3.org/2003/05/soap-envelope)",
            )
        not_understood = sorted(
            tag
            for tag in envelope.soap_must_understand
            if not tag.startswith(f"{{{WSA_NS}}}") and tag != _WSSE_SECURITY
        )
        if not_understood:
            raise SandboxFault(
                "MustUnderstand",
                None,
                f"En-tête SOAP non compris : {etree.QName(not_understood[0]).localname}",
                detail=f"header blocks flagged mustUnderstand that the DMP does not process: {not_understood}",
            )
        if not self.config.require_addressing:
            return
        missing = [
            name
            for name, value in (("Action", envelope.action), ("MessageID", envelope.message_id), ("To", envelope.to))
            if value is None
        ]
        if envelope.message_id == "":
            missing.append("MessageID")
        if envelope.to == "" and not self.config.allow_empty_to:
            missing.append("To")
        if missing:
            raise SandboxFault(
                "Sender",
                _ADDRESSING_REQUIRED,
                f"L'en-tête WS-Addressing {missing[0]} est obligatoire",
                detail=f"missing or empty WS-Addressing header(s): {', '.join('wsa:' + m for m in missing)} "
                "(the CNDA memento requires Action, To and MessageID)",
            )

    async def _call(self, handler: Any, request: SandboxRequest) -> Any:
        if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(getattr(handler, "__call__", None)):  # noqa: B004
            return await handler(request)
        registry = self.behaviour.handlers

        def run() -> Any:
            if registry.thread_safe:
                return handler(request)
            with registry.lock:
                return handler(request)

        result = await anyio.to_thread.run_sync(run)
        if inspect.isawaitable(result):
            result = await result
        return result

    # ------------------------------------------------------------------------------------- responses

    def _fault(self, fault: SandboxFault, message_id: str | None, action: str | None, td: str | None) -> SoapResponse:
        mtom = fault.mtom if fault.mtom is not None else td in self.config.mtom_fault_transactions
        fault_action = FAULT_ACTION
        if self.config.fault_action == "operation" and action:
            fault_action = f"{action}:Fault:SoapFault"
        return fault_response(
            fault.code,
            fault.subcode,
            fault.reason_fr,
            fault.detail,
            action=fault_action,
            relates_to=message_id or None,
            mtom=bool(mtom),
            status_code=fault.http_status,
        )

    def _injected_response(self, rule: FaultRule, message_id: str | None, route: Route) -> SoapResponse | _ProxyPage:
        if rule.kind is FaultKind.HTTP_ERROR:
            if rule.soap_body:
                fault = SandboxFault(
                    "Receiver",
                    _SERVER_ERROR,
                    "Service temporairement indisponible" if rule.status == 503 else "Erreur interne du serveur",
                    http_status=rule.status,
                    detail=f"injected fault {rule.id}",
                )
                td = route.candidates[0].td if len(route.candidates) == 1 else None
                return self._fault(fault, message_id, route.action, td)
            return _ProxyPage(rule.status)
        raise InjectedDisconnect(f"injected fault {rule.id}: {rule.kind.value}")

    async def _deliver(
        self,
        send: Send,
        response: SoapResponse | _ProxyPage,
        plan: FaultPlan,
        *,
        before_end: Callable[[], None] | None = None,
    ) -> None:
        terminal = plan.terminal
        if terminal is not None and terminal.kind is FaultKind.DROP:
            raise InjectedDisconnect(f"injected fault {terminal.id}: drop")
        if isinstance(response, _ProxyPage):
            await send_text(send, response.status, response.body, content_type="text/html; charset=utf-8")
            return
        keep: int | None = None
        if terminal is not None and terminal.kind is FaultKind.TRUNCATE:
            keep = terminal.keep_bytes if terminal.keep_bytes is not None else response.content_length // 2
            keep = min(keep, max(response.content_length - 1, 0))
        await self._send_response(send, response, keep=keep, before_end=before_end)

    async def _send_response(
        self,
        send: Send,
        response: SoapResponse,
        *,
        keep: int | None = None,
        close: bool = False,
        before_end: Callable[[], None] | None = None,
    ) -> None:
        """Stream a response; ``before_end`` runs before the last body bytes leave, so that the request's
        spool files are gone when the client has the complete answer."""
        headers = [
            (b"content-type", response.content_type.encode("latin-1")),
            (b"content-length", str(response.content_length).encode("ascii")),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        sent = 0
        pending: bytes | None = None  # one chunk behind: the last bytes leave after before_end ran
        async for chunk in response.aiter_bytes():
            if keep is not None and sent + len(chunk) >= keep:
                if pending:
                    await send({"type": "http.response.body", "body": pending, "more_body": True})
                part = chunk[: keep - sent]
                if part:
                    await send({"type": "http.response.body", "body": part, "more_body": True})
                raise InjectedDisconnect(f"injected fault: truncated after {keep} bytes")
            sent += len(chunk)
            if pending is not None:
                await send({"type": "http.response.body", "body": pending, "more_body": True})
            pending = chunk
        if before_end is not None:
            before_end()
        await send({"type": "http.response.body", "body": pending or b"", "more_body": False})


class _ProxyPage:
    """An HTML error page like a reverse proxy's (``http-error`` fault without SOAP body)."""

    def __init__(self, status: int) -> None:
        self.status = status
        title = f"{status} {_PROXY_PAGES.get(status, 'Error')}"
        self.body = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"


def _with_relates_to(response: SoapResponse, message_id: str | None) -> SoapResponse:
    """The response with ``wsa:RelatesTo`` = the request MessageID (rebuilt only when it differs)."""
    if not message_id or response.relates_to == message_id:
        return response
    envelope = copy.deepcopy(response.envelope)
    header = envelope.find(_xml.q("soap", "Header"))
    if header is None:
        header = etree.Element(_xml.q("soap", "Header"))
        envelope.insert(0, header)
    relates = header.find(f"{{{WSA_NS}}}RelatesTo")
    if relates is None:
        relates = etree.SubElement(header, f"{{{WSA_NS}}}RelatesTo", nsmap={None: WSA_NS})  # type: ignore[dict-item]
    relates.text = message_id
    return SoapResponse(
        envelope,
        response.attachments,
        status_code=response.status_code,
        mtom=response.is_mtom,
        boundary=response.boundary,
    )


# ------------------------------------------------------------------------------------------ helpers


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope.get("headers") or ():
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        out[key] = f"{out[key]}, {text}" if key in out else text
    return out


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _ClientGone
        chunk = message.get("body") or b""
        if chunk:
            yield bytes(chunk)
        if not message.get("more_body", False):
            return


async def read_body(receive: Receive, limit: int) -> bytes:
    """Read a whole (small) request body; raises ``ValueError`` above ``limit`` bytes."""
    data = bytearray()
    async for chunk in _body(receive):
        data += chunk
        if len(data) > limit:
            raise ValueError(f"request body larger than {limit} bytes")
    return bytes(data)


async def send_text(
    send: Send,
    status: int,
    text: str,
    *,
    content_type: str = "text/plain; charset=utf-8",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a complete small response."""
    await send_bytes(send, status, text.encode("utf-8"), content_type=content_type, headers=headers)


async def send_json(send: Send, status: int, data: Any, *, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Send a JSON response."""
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode("utf-8") + b"\n"
    await send_bytes(send, status, body, content_type="application/json", headers=headers)


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    *,
    content_type: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a complete response with an exact Content-Length."""
    all_headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(len(body)).encode("ascii")),
        *(headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def create_app(
    behaviour: DmpBehaviour,
    config: SandboxConfig,
    *,
    faults: FaultInjector | None = None,
) -> SandboxApp:
    """Build the sandbox ASGI application over a DMP behaviour.

    Args:
        behaviour: handlers + admin API + clock (see :mod:`dmpclient.sandbox._interfaces`).
        config: the configuration (trust anchors, checks, limits, admin).
        faults: a fault injector to share (default: a new one seeded with ``config.fault_seed``).
    """
    return SandboxApp(behaviour, config, faults=faults)
