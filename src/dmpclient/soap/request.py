"""Outgoing SOAP messages: :class:`SoapRequest` (client side) and :class:`SoapResponse` (sandbox side).

Both serialize their envelope once, at creation, and stream it with the same writer: a plain
``application/soap+xml`` body, or an MTOM package (:class:`~dmpclient.soap.mtom.MtomWriter`) when there
are attachments or ``mtom=True``. Exact ``Content-Length``, fresh stream per call (retries can re-send).

Sending with httpx (floor 4)::

    request = build_request(Service.REPOSITORY, body, action=ACTIONS["TD2.1"], to=url, security=vihf,
                            attachments=[Attachment.from_file(pdf_path, content_id=cid)], transaction="TD2.1")
    with client.stream("POST", url, content=request.iter_bytes(), headers=request.headers) as response:
        message = read_message(response.headers["content-type"], response.iter_bytes())
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace

from lxml import etree

from dmpclient import _xml
from dmpclient.environments import Environment, Service
from dmpclient.errors import InvalidValue, ProtocolError
from dmpclient.soap.addressing import ANONYMOUS, FAULT_ACTION, WSA_NS
from dmpclient.soap.envelope import SoapProtocolError, build_envelope, build_response_envelope, parse_envelope
from dmpclient.soap.faults import build_fault
from dmpclient.soap.mtom import (
    DEFAULT_CHUNK_SIZE,
    XOP_INCLUDE,
    Attachment,
    MtomWriter,
    OutgoingBody,
    PlainBody,
    content_id_from_href,
)

__all__ = ["SoapRequest", "SoapResponse", "build_request", "build_response", "fault_response"]


def _check_xop(envelope: etree._Element, attachments: Sequence[Attachment]) -> None:
    """Every ``xop:Include`` names an attachment and every attachment is referenced exactly once."""
    cids = [a.content_id for a in attachments]
    if len(set(cids)) != len(cids):
        raise InvalidValue("duplicate attachment Content-ID", field="attachments", value=cids)
    referenced: list[str] = []
    for include in envelope.iter(XOP_INCLUDE):
        try:
            cid = content_id_from_href(include.get("href"))
        except ProtocolError as exc:
            raise InvalidValue(str(exc), field="envelope", value=include.get("href"), rule="XOP") from None
        if cid not in cids:
            raise InvalidValue(
                "xop:Include refers to no attachment of the request", field="envelope", value=cid, rule="XOP"
            )
        referenced.append(cid)
    unused = [c for c in cids if c not in referenced]
    if unused:
        raise InvalidValue(
            "attachment not referenced by any xop:Include", field="attachments", value=unused, rule="XOP"
        )
    if len(set(referenced)) != len(referenced):
        raise InvalidValue("an attachment is referenced twice", field="envelope", value=referenced, rule="XOP")


def _make_body(
    root: bytes, attachments: Sequence[Attachment], *, action: str | None, mtom: bool | None, boundary: str | None
) -> OutgoingBody:
    use_mtom = bool(attachments) if mtom is None else mtom
    if not use_mtom:
        if attachments:
            raise InvalidValue("attachments need MTOM", field="mtom", value=mtom, rule="XOP")
        return PlainBody(root, action=action)
    return MtomWriter(root, attachments, action=action, boundary=boundary)


class _Outgoing:
    """Shared streaming surface of outgoing messages (needs ``_body``)."""

    _body: OutgoingBody

    @property
    def is_mtom(self) -> bool:
        """True when sent as an MTOM multipart package."""
        return isinstance(self._body, MtomWriter)

    @property
    def content_type(self) -> str:
        """HTTP ``Content-Type`` (``application/soap+xml; charset=UTF-8; action="…"`` or the MTOM one)."""
        return self._body.content_type

    @property
    def content_length(self) -> int:
        """Exact number of body bytes, known before sending."""
        return self._body.content_length

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers to send with the body (``Content-Type``, ``Content-Length``; no ``SOAPAction``)."""
        return {"Content-Type": self.content_type, "Content-Length": str(self.content_length)}

    @property
    def root_bytes(self) -> bytes:
        """The serialized envelope (root part) exactly as sent."""
        return self._body.root

    def iter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """A fresh stream of the body: root part, then each document read in chunks."""
        return self._body.iter_bytes(chunk_size)

    def aiter_bytes(self, chunk_size: int = DEFAULT_CHUNK_SIZE) -> AsyncIterator[bytes]:
        """Async variant of :meth:`iter_bytes`."""
        return self._body.aiter_bytes(chunk_size)

    def body_bytes(self) -> bytes:
        """The whole body in memory (small messages, evidence capture)."""
        return b"".join(self._body.iter_bytes())


@dataclass(frozen=True, eq=False)
class SoapRequest(_Outgoing):
    """A request ready to send: where, which action, the envelope and its attachments.

    The envelope is serialized once when the request is created (later changes to the element are not
    sent). XOP consistency is checked: each ``xop:Include`` names an attachment and each attachment is
    referenced.

    Attributes:
        service: the DMP web service (path segment after the SOAP base).
        action: WS-Addressing action; must equal the envelope's ``wsa:Action``.
        envelope: the ``soap:Envelope`` element.
        attachments: MTOM parts, in order.
        transaction: ``"TD2.1"`` … (for errors, logs and evidence).
        message_id: the envelope's ``wsa:MessageID`` (read from it when omitted).
        mtom: force (True) or forbid (False) MTOM; default: MTOM iff there are attachments.
        boundary: fixed MIME boundary (tests); random otherwise. Holds the boundary used once created.
    """

    service: Service
    action: str
    envelope: etree._Element
    attachments: Sequence[Attachment] = ()
    transaction: str | None = None
    message_id: str | None = None
    mtom: bool | None = None
    boundary: str | None = None
    _body: OutgoingBody = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "service", Service(self.service))
        object.__setattr__(self, "attachments", tuple(self.attachments))
        try:
            parsed = parse_envelope(self.envelope)
        except SoapProtocolError as exc:
            raise InvalidValue(str(exc), field="envelope", rule="SOAP 1.2") from None
        if parsed.action != self.action:
            raise InvalidValue(
                f"the envelope's wsa:Action is {parsed.action!r}",
                field="action",
                value=self.action,
                rule="WS-Addressing",
            )
        if self.message_id is None:
            object.__setattr__(self, "message_id", parsed.message_id)
        elif self.message_id != parsed.message_id:
            raise InvalidValue(
                f"the envelope's wsa:MessageID is {parsed.message_id!r}", field="message_id", value=self.message_id
            )
        _check_xop(self.envelope, self.attachments)
        root = _xml.to_bytes(self.envelope)
        body = _make_body(root, self.attachments, action=self.action, mtom=self.mtom, boundary=self.boundary)
        object.__setattr__(self, "_body", body)
        if isinstance(body, MtomWriter):
            object.__setattr__(self, "boundary", body.boundary)

    def url(self, environment: Environment) -> str:
        """The service URL in an environment (``…/si-dmp-server/v2/services/repository``)."""
        return environment.service_url(self.service)

    def with_to(self, to: str) -> SoapRequest:
        """A copy whose ``wsa:To`` is ``to`` (for a request built before the endpoint was known).

        The envelope is deep-copied (the VIHF inside keeps its exact content) and serialized again.
        """
        envelope = copy.deepcopy(self.envelope)
        header = envelope.find(_xml.q("soap", "Header"))
        to_el = header.find(f"{{{WSA_NS}}}To") if header is not None else None
        if to_el is None:
            raise InvalidValue("the envelope has no wsa:To header", field="envelope", rule="WS-Addressing")
        to_el.text = to
        return replace(self, envelope=envelope)


def build_request(
    service: Service | str,
    body: etree._Element,
    *,
    action: str,
    to: str | None = None,
    security: etree._Element | None = None,
    attachments: Sequence[Attachment] = (),
    transaction: str | None = None,
    message_id: str | None = None,
    must_understand: bool = False,
    mtom: bool | None = None,
    boundary: str | None = None,
) -> SoapRequest:
    """Build the envelope (:func:`~dmpclient.soap.envelope.build_envelope`) and wrap it in a :class:`SoapRequest`."""
    envelope = build_envelope(
        body, action=action, to=to, message_id=message_id, security=security, must_understand=must_understand
    )
    return SoapRequest(
        Service(service),
        action,
        envelope,
        attachments=attachments,
        transaction=transaction,
        mtom=mtom,
        boundary=boundary,
    )


@dataclass(frozen=True, eq=False)
class SoapResponse(_Outgoing):
    """A response built by the sandbox, streamed with the same writer as requests.

    Attributes:
        envelope: the ``soap:Envelope`` element.
        attachments: MTOM parts (ITI-43 documents), in order.
        status_code: HTTP status (500 for faults).
        mtom: force/forbid MTOM (ITI-43 answers MTOM even for faults); default: MTOM iff attachments.
        boundary: fixed MIME boundary (tests).
        action / message_id / relates_to: read from the envelope.
    """

    envelope: etree._Element
    attachments: Sequence[Attachment] = ()
    status_code: int = 200
    mtom: bool | None = None
    boundary: str | None = None
    action: str | None = field(init=False, default=None)
    message_id: str | None = field(init=False, default=None)
    relates_to: str | None = field(init=False, default=None)
    _body: OutgoingBody = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attachments", tuple(self.attachments))
        parsed = parse_envelope(self.envelope)
        object.__setattr__(self, "action", parsed.action)
        object.__setattr__(self, "message_id", parsed.message_id)
        object.__setattr__(self, "relates_to", parsed.relates_to)
        _check_xop(self.envelope, self.attachments)
        root = _xml.to_bytes(self.envelope)
        body = _make_body(root, self.attachments, action=parsed.action, mtom=self.mtom, boundary=self.boundary)
        object.__setattr__(self, "_body", body)
        if isinstance(body, MtomWriter):
            object.__setattr__(self, "boundary", body.boundary)

    @property
    def is_fault(self) -> bool:
        """True when the envelope carries a SOAP fault."""
        return parse_envelope(self.envelope).is_fault


def build_response(
    body: etree._Element,
    *,
    action: str,
    relates_to: str | None,
    attachments: Sequence[Attachment] = (),
    mtom: bool | None = None,
    message_id: str | None = None,
    to: str | None = ANONYMOUS,
    status_code: int = 200,
    boundary: str | None = None,
) -> SoapResponse:
    """A sandbox response: envelope in the DMP's header order (Action, MessageID, To, RelatesTo)."""
    envelope = build_response_envelope(body, action=action, relates_to=relates_to, message_id=message_id, to=to)
    return SoapResponse(envelope, attachments, status_code=status_code, mtom=mtom, boundary=boundary)


def fault_response(
    code: str = "Sender",
    subcode: str | Sequence[str] | None = None,
    reason: str = "",
    detail: str | etree._Element | None = None,
    *,
    action: str = FAULT_ACTION,
    relates_to: str | None = None,
    mtom: bool = False,
    status_code: int = 500,
    boundary: str | None = None,
) -> SoapResponse:
    """A sandbox SOAP 1.2 fault response (HTTP 500; ``mtom=True`` for ITI-43, which answers MTOM)."""
    envelope = build_fault(code, subcode, reason, detail, action=action, relates_to=relates_to)
    return SoapResponse(envelope, (), status_code=status_code, mtom=mtom, boundary=boundary)
