"""The HTTP admin API of the sandbox: JSON endpoints over the behaviour's Python admin API, the clock and the
fault injector.

Off by default on the network server (``dmpclient sandbox serve --admin`` turns it on, on loopback only, with
a random token printed at start). Every request needs ``Authorization: Bearer <token>`` and must come from a
loopback address.

Endpoints (under ``/_sandbox/admin``):

* ``GET /`` — this index;
* ``GET|POST /patients`` — list / create a patient (JSON object = fields, 201);
* ``GET|PATCH /patients/INS`` — one patient / change its state (JSON object = changes);
* ``GET|POST /patients/INS/authorizations`` — its authorisations / set one (behaviour extension);
* ``GET /documents?ins=…&<filter>=…`` — documents; ``GET /documents/REF`` (uniqueId or entryUUID),
  ``GET /documents/REF/content`` (bytes), ``GET /documents/REF/history`` (behaviour extension);
* ``GET /logs?ins=…`` — access / notification logs;
* ``POST /reset`` — empty the store (``{"seed": true}`` reloads the seed data; the AIR replay cache is cleared);
* ``GET|PATCH /parameters``, ``GET /stats``, ``POST /searches/reset`` — behaviour extensions;
* ``GET|POST /clock`` — the clock: ``{"now": ISO, "frozen": bool}``, ``{"advance": seconds}``,
  ``{"frozen": bool}`` or ``{"reset": true}``;
* ``GET|POST|DELETE /faults``, ``DELETE /faults/ID``, ``POST /faults/seed`` — fault injection
  (:class:`~dmpclient.sandbox.faults.FaultRule` fields as JSON).

Errors: 400 bad input, 401 missing/wrong token, 403 not from loopback, 404 unknown patient/document/path,
405 wrong method, 501 the behaviour does not offer that operation.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import enum
import ipaddress
import json
import secrets
from collections.abc import Callable, Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qsl, unquote

import anyio.to_thread
from pydantic import BaseModel

from dmpclient.errors import DMPClientError, InputError
from dmpclient.sandbox.app import Receive, Scope, Send, read_body, send_bytes, send_json

if TYPE_CHECKING:
    from dmpclient.sandbox.app import SandboxApp

__all__ = ["AdminEndpoints", "is_loopback", "to_jsonable"]

_MAX_ADMIN_BODY: Final = 1024 * 1024


def to_jsonable(value: Any) -> Any:
    """Convert admin results (pydantic models, dataclasses, enums, dates, bytes, paths …) to JSON values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_jsonable(to_dict())
    return str(value)


def is_loopback(client: Any) -> bool:
    """True when an ASGI ``client`` (host, port) is a loopback address (None: in-process, allowed)."""
    if not client:
        return True
    host = str(client[0])
    if host in ("localhost", "testclient"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


class AdminEndpoints:
    """Dispatches ``/_sandbox/admin/…`` requests for a :class:`~dmpclient.sandbox.app.SandboxApp`."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send, subpath: str) -> None:
        try:
            self._authorize(scope)
            method = str(scope.get("method", "GET")).upper()
            parts = [unquote(p) for p in subpath.strip("/").split("/") if p]
            query = dict(parse_qsl((scope.get("query_string") or b"").decode("latin-1")))
            body: dict[str, Any] = {}
            if method in ("POST", "PATCH", "PUT"):
                body = await self._json(receive)
            await self._route(send, method, parts, query, body)
        except _HttpError as exc:
            await send_json(send, exc.status, {"ok": False, "error": exc.message})
        except (KeyError, LookupError) as exc:
            await send_json(send, 404, {"ok": False, "error": f"not found: {_message(exc)}"})
        except (InputError, ValueError, TypeError) as exc:
            await send_json(send, 400, {"ok": False, "error": _message(exc)})
        except (NotImplementedError, AttributeError) as exc:
            await send_json(send, 501, {"ok": False, "error": f"not offered by the behaviour: {_message(exc)}"})
        except DMPClientError as exc:
            await send_json(send, 400, {"ok": False, "error": _message(exc)})

    def _authorize(self, scope: Scope) -> None:
        if not is_loopback(scope.get("client")):
            raise _HttpError(403, "the admin API answers loopback clients only")
        token = self.app.admin_token
        given = None
        for name, value in scope.get("headers") or ():
            lname = name.decode("latin-1").lower()
            if lname == "authorization":
                text = value.decode("latin-1")
                if text.lower().startswith("bearer "):
                    given = text[7:].strip()
            elif lname == "x-sandbox-token" and given is None:
                given = value.decode("latin-1").strip()
        if token is None or given is None or not secrets.compare_digest(given.encode(), token.encode()):
            raise _HttpError(401, "missing or wrong admin token (Authorization: Bearer <token>)")

    async def _json(self, receive: Receive) -> dict[str, Any]:
        try:
            raw = await read_body(receive, _MAX_ADMIN_BODY)
        except ValueError as exc:
            raise _HttpError(413, str(exc)) from None
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise _HttpError(400, f"the body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise _HttpError(400, "the body must be a JSON object")
        return data

    async def _call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        registry = self.app.behaviour.handlers

        def run() -> Any:
            if registry.thread_safe:
                return func(*args, **kwargs)
            with registry.lock:
                return func(*args, **kwargs)

        return await anyio.to_thread.run_sync(run)

    async def _route(
        self, send: Send, method: str, parts: list[str], query: dict[str, str], body: dict[str, Any]
    ) -> None:
        admin = self.app.behaviour.admin
        head = parts[0] if parts else ""
        rest = parts[1:]

        def allow(*methods: str) -> None:
            if method not in methods:
                raise _HttpError(405, f"{method} not allowed here (allowed: {', '.join(methods)})")

        if head == "":
            allow("GET")
            await send_json(send, 200, {"ok": True, "endpoints": _INDEX})
        elif head == "patients" and not rest:
            if method == "GET":
                await _ok(send, await self._call(admin.list_patients))
            else:
                allow("GET", "POST")
                await _ok(send, await self._call(admin.create_patient, **body), status=201)
        elif head == "patients" and len(rest) == 1:
            if method == "GET":
                await _ok(send, await self._call(admin.get_patient, rest[0]))
            else:
                allow("GET", "PATCH", "POST")
                await _ok(send, await self._call(admin.set_patient_state, rest[0], **body))
        elif head == "patients" and len(rest) == 2 and rest[1] == "state":
            allow("POST", "PATCH")
            await _ok(send, await self._call(admin.set_patient_state, rest[0], **body))
        elif head == "patients" and len(rest) == 2 and rest[1] == "authorizations":
            if method == "GET":
                await _ok(send, await self._call(_optional(admin, "list_authorizations"), rest[0]))
            else:
                allow("GET", "POST", "PUT")
                await _ok(send, await self._call(_optional(admin, "set_authorization"), rest[0], **body))
        elif head == "documents" and not rest:
            allow("GET")
            ins = query.pop("ins", None)
            await _ok(send, await self._call(admin.list_documents, ins, **query))
        elif head == "documents" and len(rest) == 1:
            allow("GET")
            await _ok(send, await self._call(admin.get_document, rest[0]))
        elif head == "documents" and len(rest) == 2 and rest[1] == "history":
            allow("GET")
            await _ok(send, await self._call(_optional(admin, "document_history"), rest[0]))
        elif head == "documents" and len(rest) == 2 and rest[1] == "content":
            allow("GET")
            content = await self._call(admin.document_content, rest[0])
            await send_bytes(send, 200, bytes(content), content_type="application/octet-stream")
        elif head == "logs" and not rest:
            allow("GET")
            ins = query.pop("ins", None)
            await _ok(send, await self._call(admin.list_logs, ins, **query))
        elif head == "reset" and not rest:
            allow("POST")
            options = {k: v for k, v in body.items() if k != "seed"}
            result = await self._call(admin.reset, seed=bool(body.get("seed", True)), **options)
            self.app.authenticator.replay.clear()
            await send_json(send, 200, {"ok": True, "result": to_jsonable(result)})
        elif head == "parameters" and not rest:
            if method == "GET":
                await _ok(send, await self._call(_optional(admin, "get_parameters")))
            else:
                allow("GET", "PATCH", "POST")
                await _ok(send, await self._call(_optional(admin, "set_parameters"), **body))
        elif head == "stats" and not rest:
            allow("GET")
            await _ok(send, await self._call(_optional(admin, "stats")))
        elif head == "searches" and rest == ["reset"]:
            allow("POST")
            await _ok(send, await self._call(_optional(admin, "reset_searches")))
        elif head == "clock" and not rest:
            await self._clock(send, method, body)
        elif head == "faults":
            await self._faults(send, method, rest, body)
        else:
            raise _HttpError(404, f"no admin endpoint /{'/'.join(parts)}")

    async def _clock(self, send: Send, method: str, body: dict[str, Any]) -> None:
        clock = self.app.clock
        if method == "GET":
            await send_json(send, 200, {"ok": True, "result": clock.to_dict()})
            return
        if method != "POST":
            raise _HttpError(405, "GET or POST")
        if body.get("reset"):
            clock.reset()
        elif "advance" in body:
            clock.advance(float(body["advance"]))
        elif "now" in body:
            clock.set(str(body["now"]), frozen=bool(body.get("frozen", False)))
        elif "frozen" in body:
            if body["frozen"]:
                clock.freeze()
            else:
                clock.unfreeze()
        else:
            raise _HttpError(400, 'give "now" (+ "frozen"), "advance" (seconds), "frozen" or "reset"')
        await send_json(send, 200, {"ok": True, "result": clock.to_dict()})

    async def _faults(self, send: Send, method: str, rest: list[str], body: dict[str, Any]) -> None:
        faults = self.app.faults
        if not rest:
            if method == "GET":
                await send_json(send, 200, {"ok": True, "result": faults.to_dict()})
            elif method == "POST":
                rule = faults.add(body)
                await send_json(send, 201, {"ok": True, "result": rule.to_dict()})
            elif method == "DELETE":
                faults.clear()
                await send_json(send, 200, {"ok": True})
            else:
                raise _HttpError(405, "GET, POST or DELETE")
        elif rest == ["seed"]:
            if method != "POST":
                raise _HttpError(405, "POST")
            seed = body.get("seed")
            faults.reseed(int(seed) if seed is not None else None)
            await send_json(send, 200, {"ok": True, "result": faults.to_dict()})
        elif len(rest) == 1:
            if method != "DELETE":
                raise _HttpError(405, "DELETE")
            if not faults.remove(rest[0]):
                raise _HttpError(404, f"no fault rule {rest[0]}")
            await send_json(send, 200, {"ok": True})
        else:
            raise _HttpError(404, "no such faults endpoint")


def _optional(admin: Any, name: str) -> Callable[..., Any]:
    """An admin method the behaviour may not offer (``NotImplementedError`` → HTTP 501)."""
    method: Callable[..., Any] | None = getattr(admin, name, None)
    if method is None or not callable(method):
        raise NotImplementedError(name)
    return method


async def _ok(send: Send, result: Any, *, status: int = 200) -> None:
    await send_json(send, status, {"ok": True, "result": to_jsonable(result)})


def _message(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return str(exc)


_INDEX: Final = [
    "GET /patients",
    "POST /patients",
    "GET /patients/{ins}",
    "PATCH /patients/{ins}",
    "GET /documents?ins=…",
    "GET /documents/{ref}",
    "GET /documents/{ref}/content",
    "GET /logs?ins=…",
    "GET|POST /patients/{ins}/authorizations",
    "GET /documents/{ref}/history",
    "POST /reset",
    "GET|PATCH /parameters",
    "GET /stats",
    "POST /searches/reset",
    "GET|POST /clock",
    "GET|POST|DELETE /faults",
    "DELETE /faults/{id}",
    "POST /faults/seed",
]
