"""SOAP envelope: building (SOAP 1.2 + WS-Addressing + WS-Security) and parsing (SOAP 1.1 or 1.2).

Reference: ``envelope-and-transport.md`` §1–3. A request built here looks like the official examples::

    soap:Envelope
      soap:Header
        wsa:MessageID  urn:uuid:<uuid4>
        wsa:To         endpoint URL (empty element when none is given, like the GIE examples)
        wsa:ReplyTo/wsa:Address  anonymous
        wsa:Action     action of the transaction
        wsse:Security  the VIHF saml2:Assertion, inserted as is
      soap:Body
        <transaction body>

The same module parses what the other side sends: the client parses responses, the sandbox parses
requests. Parsing is tolerant where the DMP and its examples are sloppy (unprefixed ``mustUnderstand``,
SOAP 1.1 envelope in the TD2.1 example) and strict on structure (one Body, envelope namespace).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from lxml import etree

from dmpclient import _xml
from dmpclient._xml import NS, q
from dmpclient.errors import InvalidValue, ProtocolError
from dmpclient.soap.addressing import ANONYMOUS, WSA_NS, new_message_id

if TYPE_CHECKING:
    from dmpclient.soap.faults import SoapFault

__all__ = [
    "SOAP11_NS",
    "SOAP12_NS",
    "ParsedEnvelope",
    "SoapProtocolError",
    "SoapVersion",
    "build_envelope",
    "parse_envelope",
]

SOAP12_NS: Final = NS["soap"]
SOAP11_NS: Final = NS["soap11"]
_WSSE_NS: Final = NS["wsse"]
_TRUE_VALUES: Final = frozenset({"true", "1"})


class SoapVersion(StrEnum):
    """SOAP version of an envelope."""

    SOAP11 = "1.1"
    SOAP12 = "1.2"

    @property
    def namespace(self) -> str:
        """Envelope namespace URI."""
        return SOAP12_NS if self is SoapVersion.SOAP12 else SOAP11_NS

    @property
    def media_type(self) -> str:
        """HTTP media type of a non-MTOM message of this version."""
        return "application/soap+xml" if self is SoapVersion.SOAP12 else "text/xml"

    @classmethod
    def from_namespace(cls, uri: str | None) -> SoapVersion | None:
        """The version whose envelope namespace is ``uri``, or None."""
        if uri == SOAP12_NS:
            return cls.SOAP12
        if uri == SOAP11_NS:
            return cls.SOAP11
        return None


class SoapProtocolError(ProtocolError):
    """A message is not a usable SOAP envelope (or MTOM package).

    Attributes:
        fault_code: the SOAP 1.2 fault code a server should answer with (``Sender``,
            ``VersionMismatch``, ``MustUnderstand``); the sandbox uses it to build its fault.
    """

    def __init__(self, message: str, *, fault_code: str = "Sender") -> None:
        self.fault_code = fault_code
        super().__init__(message)


# ------------------------------------------------------------------------------------------- build


def _wsa(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    """A WS-Addressing header with its own default namespace declaration, like the examples."""
    el = etree.SubElement(parent, f"{{{WSA_NS}}}{local}", nsmap={None: WSA_NS})  # type: ignore[dict-item]
    if text is not None:
        el.text = text
    return el


def _require_text(value: str | None, field_name: str) -> str:
    if value is None or not value.strip():
        raise InvalidValue("a non-empty value is required", field=field_name, value=value, rule="WS-Addressing")
    if value != value.strip():
        raise InvalidValue("leading or trailing whitespace", field=field_name, value=value, rule="WS-Addressing")
    return value


def _security_block(security: etree._Element) -> etree._Element:
    """A ``wsse:Security`` header holding a copy of ``security`` (an assertion, or a whole Security block).

    The element is deep-copied, never re-serialized: attributes, whitespace and namespace declarations of
    the signed assertion are preserved, and the caller's element stays where it was (a cached VIHF can be
    reused for several envelopes).
    """
    if not isinstance(security, etree._Element) or not isinstance(security.tag, str):
        raise InvalidValue("security must be an XML element (the signed VIHF assertion)", field="security")
    if security.tag == f"{{{_WSSE_NS}}}Security":
        return copy.deepcopy(security)
    block = etree.Element(f"{{{_WSSE_NS}}}Security", nsmap={"wsse": _WSSE_NS})
    block.append(copy.deepcopy(security))
    return block


def _build(
    body: etree._Element,
    *,
    action: str,
    to: str | None,
    message_id: str | None,
    reply_to: str | None,
    security: etree._Element | None,
    relates_to: str | None,
    must_understand: bool,
    response_order: bool,
) -> etree._Element:
    if not isinstance(body, etree._Element) or not isinstance(body.tag, str):
        raise InvalidValue("the body must be an XML element", field="body", value=body)
    action = _require_text(action, "action")
    message_id = _require_text(message_id, "message_id") if message_id is not None else new_message_id()
    if relates_to is not None:
        relates_to = _require_text(relates_to, "relates_to")

    envelope = etree.Element(q("soap", "Envelope"), nsmap={"soap": SOAP12_NS})
    header = etree.SubElement(envelope, q("soap", "Header"))

    def add_action() -> None:
        el = _wsa(header, "Action", action)
        if must_understand:
            el.set(q("soap", "mustUnderstand"), "true")

    def add_to() -> None:
        _wsa(header, "To", to or None)

    def add_reply_to() -> None:
        if reply_to is None:
            return
        el = _wsa(header, "ReplyTo")
        if must_understand:
            el.set(q("soap", "mustUnderstand"), "true")
        address = etree.SubElement(el, f"{{{WSA_NS}}}Address")
        address.text = reply_to

    def add_relates_to() -> None:
        if relates_to is not None:
            _wsa(header, "RelatesTo", relates_to)

    if response_order:  # order of the DMP's responses: Action, MessageID, To, RelatesTo
        add_action()
        _wsa(header, "MessageID", message_id)
        add_to()
        add_relates_to()
        add_reply_to()
    else:  # order of the official requests: MessageID, To, ReplyTo, Action
        _wsa(header, "MessageID", message_id)
        add_to()
        add_reply_to()
        add_action()
        add_relates_to()
    if security is not None:
        header.append(_security_block(security))

    soap_body = etree.SubElement(envelope, q("soap", "Body"))
    # A parentless body is moved in (cheap); one that belongs to another tree is copied, not stolen.
    soap_body.append(body if body.getparent() is None else copy.deepcopy(body))
    return envelope


def build_envelope(
    body: etree._Element,
    *,
    action: str,
    to: str | None,
    message_id: str | None = None,
    reply_to: str | None = ANONYMOUS,
    security: etree._Element | None = None,
    relates_to: str | None = None,
    must_understand: bool = False,
) -> etree._Element:
    """Build a SOAP 1.2 request envelope with WS-Addressing and WS-Security headers.

    Args:
        body: the transaction body (moved into the envelope when it has no parent, copied otherwise).
        action: WS-Addressing ``Action`` (see :data:`dmpclient.soap.addressing.ACTIONS`).
        to: the endpoint URL (recommended: the service URL); ``None`` writes an empty ``wsa:To`` like
            the GIE examples.
        message_id: ``urn:uuid:<uuid4>`` generated when omitted.
        reply_to: ``wsa:ReplyTo/wsa:Address`` (anonymous by default); ``None`` omits ``ReplyTo``.
        security: the signed VIHF ``saml2:Assertion`` (or a complete ``wsse:Security`` element). It is
            deep-copied into ``wsse:Security`` as is: never re-serialized, re-indented or namespace-cleaned.
        relates_to: ``wsa:RelatesTo`` (rare on requests).
        must_understand: put ``soap:mustUnderstand="true"`` (prefixed, so that it means something) on
            ``ReplyTo`` and ``Action``, the headers the examples flag.

    Returns:
        The ``soap:Envelope`` element. Serialize it with :func:`dmpclient._xml.to_bytes` (no pretty-print).

    Raises:
        InvalidValue: empty action or message id, body or security not an element.
    """
    return _build(
        body,
        action=action,
        to=to,
        message_id=message_id,
        reply_to=reply_to,
        security=security,
        relates_to=relates_to,
        must_understand=must_understand,
        response_order=False,
    )


def build_response_envelope(
    body: etree._Element,
    *,
    action: str,
    relates_to: str | None,
    message_id: str | None = None,
    to: str | None = ANONYMOUS,
) -> etree._Element:
    """Build a SOAP 1.2 response envelope in the DMP's header order (Action, MessageID, To, RelatesTo).

    Used by the sandbox; ``to`` is the anonymous address like the DMP's responses.
    """
    return _build(
        body,
        action=action,
        to=to,
        message_id=message_id,
        reply_to=None,
        security=None,
        relates_to=relates_to,
        must_understand=False,
        response_order=True,
    )


# ------------------------------------------------------------------------------------------- parse


@dataclass(frozen=True, eq=False)
class ParsedEnvelope:
    """A parsed SOAP envelope (request or response, SOAP 1.1 or 1.2).

    Attributes:
        version: SOAP version (1.2 expected; 1.1 tolerated on read, e.g. the TD2.1 example).
        envelope: the ``Envelope`` element (root of the parsed tree).
        header: the ``Header`` element, or None.
        body: the ``Body`` element.
        payload: the body's first child element (the transaction message or the ``Fault``), or None.
        header_blocks: every element child of the header, in order.
        action: ``wsa:Action`` (stripped), or None.
        message_id: ``wsa:MessageID``, or None.
        to: ``wsa:To``; ``""`` for an empty element (GIE examples), None when absent.
        reply_to: ``wsa:ReplyTo/wsa:Address``, or None.
        relates_to: ``wsa:RelatesTo``, or None.
        must_understand: Clark names of the header blocks flagged ``mustUnderstand`` true, prefixed
            (``soap:mustUnderstand``) or not (the GIE examples' unprefixed attribute).
        soap_must_understand: the same, counting only the SOAP-namespace attribute (real SOAP semantics).
        security: the ``wsse:Security`` header block, or None.
        assertion: the ``saml2:Assertion`` inside it (the VIHF), untouched, or None.
    """

    version: SoapVersion
    envelope: etree._Element
    header: etree._Element | None
    body: etree._Element
    payload: etree._Element | None
    header_blocks: tuple[etree._Element, ...] = ()
    action: str | None = None
    message_id: str | None = None
    to: str | None = None
    reply_to: str | None = None
    relates_to: str | None = None
    must_understand: frozenset[str] = field(default_factory=frozenset)
    soap_must_understand: frozenset[str] = field(default_factory=frozenset)
    security: etree._Element | None = None
    assertion: etree._Element | None = None

    @property
    def payload_tag(self) -> str | None:
        """Clark name of the payload (``{urn:ihe:iti:xds-b:2007}RetrieveDocumentSetResponse``)."""
        return self.payload.tag if self.payload is not None else None

    @property
    def is_fault(self) -> bool:
        """True when the body holds a SOAP ``Fault`` of the envelope's version."""
        return self.payload is not None and self.payload.tag == f"{{{self.version.namespace}}}Fault"

    @property
    def fault(self) -> SoapFault | None:
        """The parsed fault when :attr:`is_fault`, else None."""
        if not self.is_fault:
            return None
        from dmpclient.soap.faults import parse_fault  # faults imports this module

        return parse_fault(self)

    def header_block(self, tag: str) -> etree._Element | None:
        """The first header block with Clark name ``tag``, or None."""
        return next((b for b in self.header_blocks if b.tag == tag), None)


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str)]


def _single_wsa(blocks: Sequence[etree._Element], local: str) -> etree._Element | None:
    tag = f"{{{WSA_NS}}}{local}"
    found = [b for b in blocks if b.tag == tag]
    if len(found) > 1:
        raise SoapProtocolError(f"the header holds {len(found)} wsa:{local} elements; at most one is allowed")
    return found[0] if found else None


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    return (el.text or "").strip()


def _flagged(block: etree._Element, soap_ns: str, *, prefixed_only: bool) -> bool:
    value = block.get(f"{{{soap_ns}}}mustUnderstand")
    if value is None and not prefixed_only:
        value = block.get("mustUnderstand")
    return value is not None and value.strip().lower() in _TRUE_VALUES


def parse_envelope(data: bytes | etree._Element, *, max_bytes: int = _xml.DEFAULT_MAX_BYTES) -> ParsedEnvelope:
    """Parse a SOAP envelope (bytes through the hardened parser, or an already parsed element).

    Args:
        data: the envelope bytes (a non-MTOM body, or the root part of an MTOM package) or its root element.
        max_bytes: size limit for bytes input.

    Raises:
        XMLSyntaxError / XMLSecurityError: the bytes are not (safe) XML.
        SoapProtocolError: not a SOAP envelope (``fault_code`` ``VersionMismatch`` for an ``Envelope`` in
            another namespace), no ``Body``, misplaced ``Header``, repeated WS-Addressing headers.
    """
    if isinstance(data, etree._Element):
        root = data
    else:
        root = _xml.parse_bytes(bytes(data), max_bytes=max_bytes, huge=True, origin="SOAP envelope")
    qname = etree.QName(root)
    version = SoapVersion.from_namespace(qname.namespace)
    if qname.localname != "Envelope":
        raise SoapProtocolError(f"the root element is {qname.text}, not a SOAP Envelope")
    if version is None:
        raise SoapProtocolError(
            f"unknown SOAP envelope namespace {qname.namespace!r} (SOAP 1.2 expected)", fault_code="VersionMismatch"
        )
    ns = version.namespace
    children = _elements(root)
    header: etree._Element | None = None
    body: etree._Element | None = None
    for index, child in enumerate(children):
        if child.tag == f"{{{ns}}}Header":
            if index != 0 or header is not None:
                raise SoapProtocolError("the SOAP Header must be the first child of the Envelope")
            header = child
        elif child.tag == f"{{{ns}}}Body":
            if body is not None:
                raise SoapProtocolError("the Envelope holds more than one Body")
            body = child
        elif body is None or version is SoapVersion.SOAP12:
            raise SoapProtocolError(f"unexpected element {child.tag} in the SOAP Envelope")
    if body is None:
        raise SoapProtocolError("the SOAP Envelope has no Body")

    blocks = tuple(_elements(header)) if header is not None else ()
    reply_to_el = _single_wsa(blocks, "ReplyTo")
    reply_to = None
    if reply_to_el is not None:
        reply_to = _text(reply_to_el.find(f"{{{WSA_NS}}}Address"))
    security = next((b for b in blocks if b.tag == f"{{{_WSSE_NS}}}Security"), None)
    assertion = security.find(q("saml2", "Assertion")) if security is not None else None
    body_children = _elements(body)
    return ParsedEnvelope(
        version=version,
        envelope=root,
        header=header,
        body=body,
        payload=body_children[0] if body_children else None,
        header_blocks=blocks,
        action=_text(_single_wsa(blocks, "Action")),
        message_id=_text(_single_wsa(blocks, "MessageID")),
        to=_text(_single_wsa(blocks, "To")),
        reply_to=reply_to,
        relates_to=_text(_single_wsa(blocks, "RelatesTo")),
        must_understand=frozenset(b.tag for b in blocks if _flagged(b, ns, prefixed_only=False)),
        soap_must_understand=frozenset(b.tag for b in blocks if _flagged(b, ns, prefixed_only=True)),
        security=security,
        assertion=assertion,
    )
