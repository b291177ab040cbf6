"""SOAP faults: parsing into :class:`SoapFault` / :class:`~dmpclient.errors.SoapFaultError`, and building.

Reference: ``envelope-and-transport.md`` §4 and ``errors.md`` §1. The DMP answers token, authentication,
certificate and format problems with a SOAP 1.2 fault (HTTP 500)::

    soap:Fault
      soap:Code/soap:Value            soap:Sender | soap:Receiver
        soap:Subcode/soap:Value       the DMP code, e.g. DMPInvalidCertificate
      soap:Reason/soap:Text           the French message ("Le certificat ayant signé le VIHF est invalide …")
      soap:Detail                     optional

SOAP 1.1 faults (``faultcode``/``faultstring``/``detail``) are tolerated on read: ``Client`` maps to
``Sender``, ``Server`` to ``Receiver``, and a dotted code (``Client.DMPAccessForbidden``) gives subcodes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from lxml import etree

from dmpclient._xml import NS
from dmpclient.errors import InvalidValue, SoapFaultError
from dmpclient.soap.addressing import ANONYMOUS, FAULT_ACTION
from dmpclient.soap.envelope import (
    SOAP11_NS,
    SOAP12_NS,
    ParsedEnvelope,
    SoapProtocolError,
    SoapVersion,
    build_response_envelope,
    parse_envelope,
)

__all__ = ["FAULT_CODES", "SoapFault", "build_fault", "build_fault_element", "parse_fault", "raise_for_fault"]

#: The SOAP 1.2 fault codes (``soap:Code/soap:Value`` local names).
FAULT_CODES: Final = frozenset({"Sender", "Receiver", "VersionMismatch", "MustUnderstand", "DataEncodingUnknown"})
_SOAP11_CODES: Final = {"Client": "Sender", "Server": "Receiver"}
_XML_LANG: Final = f"{{{NS['xml']}}}lang"


@dataclass(frozen=True, eq=False)
class SoapFault:
    """A parsed SOAP fault.

    Attributes:
        version: SOAP version of the envelope the fault came in.
        code: local name of the fault code, in SOAP 1.2 terms (``Sender``, ``Receiver`` …).
        subcodes: local names of the nested subcodes, outermost first (``("DMPInvalidCertificate",)``).
        qualified_subcodes: the same as Clark names (``{ns}local``) when they carry a namespace.
        reason: the reason text, French when the fault offers several languages, verbatim.
        reasons: every ``(xml:lang, text)`` reason.
        node: ``soap:Node`` (1.2) / ``faultactor`` (1.1), if any.
        role: ``soap:Role`` (1.2), if any.
        detail: the ``Detail`` element, untouched, if any.
        detail_text: the text content of the detail, whitespace-normalised, if any.
    """

    version: SoapVersion
    code: str
    subcodes: tuple[str, ...] = ()
    qualified_subcodes: tuple[str, ...] = ()
    reason: str | None = None
    reasons: tuple[tuple[str | None, str], ...] = ()
    node: str | None = None
    role: str | None = None
    detail: etree._Element | None = None
    detail_text: str | None = None

    @property
    def most_specific_code(self) -> str:
        """The innermost subcode (the DMP's code) when there is one, else the fault code."""
        return self.subcodes[-1] if self.subcodes else self.code

    def to_error(
        self,
        *,
        transaction: str | None = None,
        http_status: int | None = None,
        message_id: str | None = None,
    ) -> SoapFaultError:
        """The typed error for this fault (``code`` = most specific subcode, ``message_fr`` = reason)."""
        return SoapFaultError(
            self.most_specific_code,
            self.reason,
            fault_code=self.code,
            subcodes=self.subcodes,
            detail=self.detail_text,
            transaction=transaction,
            http_status=http_status,
            message_id=message_id,
        )


class _HasEnvelope(Protocol):
    @property
    def envelope(self) -> ParsedEnvelope: ...


def _resolve_qname(el: etree._Element) -> tuple[str, str]:
    """(local name, Clark name) of a QName-valued element text, resolving its prefix in scope."""
    text = (el.text or "").strip()
    prefix, sep, local = text.rpartition(":")
    if not sep:
        uri = el.nsmap.get(None)
        return text, f"{{{uri}}}{text}" if uri else text
    uri = el.nsmap.get(prefix)
    return local, f"{{{uri}}}{local}" if uri else text


def _norm_text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = " ".join(str(t).strip() for t in el.itertext() if str(t).strip())
    return text or None


def _fault_element(source: ParsedEnvelope | etree._Element | _HasEnvelope | bytes) -> etree._Element:
    if isinstance(source, bytes | bytearray):
        source = parse_envelope(bytes(source))
    if isinstance(source, etree._Element):
        if etree.QName(source).localname == "Envelope":
            source = parse_envelope(source)
        else:
            return source
    parsed = source if isinstance(source, ParsedEnvelope) else source.envelope
    if not parsed.is_fault or parsed.payload is None:
        raise SoapProtocolError("the message is not a SOAP fault")
    return parsed.payload


def parse_fault(source: ParsedEnvelope | etree._Element | _HasEnvelope | bytes) -> SoapFault:
    """Parse a SOAP 1.2 (or 1.1) fault.

    Args:
        source: a :class:`ParsedEnvelope`, a received message (anything with ``.envelope``), the
            envelope element or bytes, or the ``Fault`` element itself.

    Raises:
        SoapProtocolError: the message is not a fault, or the fault has no code.
    """
    fault = _fault_element(source)
    ns = etree.QName(fault).namespace
    if fault.tag == f"{{{SOAP12_NS}}}Fault":
        return _parse_fault12(fault)
    if fault.tag == f"{{{SOAP11_NS}}}Fault":
        return _parse_fault11(fault)
    raise SoapProtocolError(f"not a SOAP Fault element: {fault.tag} (namespace {ns})")


def _parse_fault12(fault: etree._Element) -> SoapFault:
    def child(parent: etree._Element | None, local: str) -> etree._Element | None:
        return None if parent is None else parent.find(f"{{{SOAP12_NS}}}{local}")

    code_el = child(fault, "Code")
    value_el = child(code_el, "Value")
    if value_el is None:
        raise SoapProtocolError("SOAP 1.2 fault without Code/Value")
    code, _ = _resolve_qname(value_el)
    subcodes: list[str] = []
    qualified: list[str] = []
    sub = child(code_el, "Subcode")
    while sub is not None:
        sub_value = child(sub, "Value")
        if sub_value is not None and (sub_value.text or "").strip():
            local, clark = _resolve_qname(sub_value)
            subcodes.append(local)
            qualified.append(clark)
        sub = child(sub, "Subcode")
    reason_el = child(fault, "Reason")
    reasons: list[tuple[str | None, str]] = []
    if reason_el is not None:
        for text_el in reason_el.iterfind(f"{{{SOAP12_NS}}}Text"):
            reasons.append((text_el.get(_XML_LANG), (text_el.text or "").strip()))
    detail = child(fault, "Detail")
    return SoapFault(
        version=SoapVersion.SOAP12,
        code=code,
        subcodes=tuple(subcodes),
        qualified_subcodes=tuple(qualified),
        reason=_pick_reason(reasons),
        reasons=tuple(reasons),
        node=_norm_text(child(fault, "Node")),
        role=_norm_text(child(fault, "Role")),
        detail=detail,
        detail_text=_norm_text(detail),
    )


def _parse_fault11(fault: etree._Element) -> SoapFault:
    # SOAP 1.1 fault children are unqualified (some toolkits qualify them: accept both).
    def child(local: str) -> etree._Element | None:
        found = fault.find(local)
        return found if found is not None else fault.find(f"{{{SOAP11_NS}}}{local}")

    code_el = child("faultcode")
    if code_el is None or not (code_el.text or "").strip():
        raise SoapProtocolError("SOAP 1.1 fault without faultcode")
    local, _ = _resolve_qname(code_el)
    head, *rest = local.split(".")
    string_el = child("faultstring")
    reasons: list[tuple[str | None, str]] = []
    if string_el is not None:
        reasons.append((string_el.get(_XML_LANG), (string_el.text or "").strip()))
    detail = child("detail")
    return SoapFault(
        version=SoapVersion.SOAP11,
        code=_SOAP11_CODES.get(head, head),
        subcodes=tuple(rest),
        qualified_subcodes=tuple(rest),
        reason=_pick_reason(reasons),
        reasons=tuple(reasons),
        node=_norm_text(child("faultactor")),
        detail=detail,
        detail_text=_norm_text(detail),
    )


def _pick_reason(reasons: Sequence[tuple[str | None, str]]) -> str | None:
    if not reasons:
        return None
    for lang, text in reasons:
        if lang and lang.lower().split("-")[0] == "fr":
            return text
    return reasons[0][1]


def raise_for_fault(
    parsed: ParsedEnvelope | _HasEnvelope,
    *,
    transaction: str | None = None,
    http_status: int | None = None,
    message_id: str | None = None,
) -> None:
    """Raise :class:`~dmpclient.errors.SoapFaultError` when the message is a SOAP fault; else return.

    Args:
        parsed: a :class:`ParsedEnvelope` or a received message (anything with ``.envelope``).
        transaction: ``"TD2.1"`` …, copied into the error.
        http_status: the HTTP status of the response, copied into the error.
        message_id: MessageID of our request; defaults to the response's ``RelatesTo``.
    """
    envelope = parsed if isinstance(parsed, ParsedEnvelope) else parsed.envelope
    if not envelope.is_fault:
        return
    fault = parse_fault(envelope)
    raise fault.to_error(
        transaction=transaction,
        http_status=http_status,
        message_id=message_id if message_id is not None else envelope.relates_to,
    )


# ------------------------------------------------------------------------------------------- build


def _check_code_name(value: str, field_name: str) -> None:
    local = value.rpartition("}")[2] if value.startswith("{") else value
    try:
        etree.QName(local)  # validates an NCName
    except ValueError:
        raise InvalidValue("not a valid XML name", field=field_name, value=value, rule="SOAP 1.2 QName") from None
    if ":" in local:
        raise InvalidValue("give a local name or a {namespace}local name", field=field_name, value=value)


def build_fault_element(
    code: str = "Sender",
    subcode: str | Sequence[str] | None = None,
    reason: str = "",
    detail: str | etree._Element | None = None,
    *,
    lang: str = "fr",
) -> etree._Element:
    """Build a SOAP 1.2 ``soap:Fault`` element.

    Args:
        code: ``Sender``, ``Receiver``, ``VersionMismatch``, ``MustUnderstand`` or ``DataEncodingUnknown``.
        subcode: the DMP code (``DMPInvalidCertificate``), or several nested subcodes outermost first; a
            plain name is written unprefixed (no namespace), a ``{uri}local`` name gets a declared prefix.
        reason: the (French) message, written with ``xml:lang``.
        detail: text, or an element copied into ``soap:Detail``.
        lang: language of the reason.
    """
    if code not in FAULT_CODES:
        raise InvalidValue(f"must be one of {sorted(FAULT_CODES)}", field="code", value=code, rule="SOAP 1.2 fault")
    subcodes = [subcode] if isinstance(subcode, str) else list(subcode or ())
    fault = etree.Element(f"{{{SOAP12_NS}}}Fault", nsmap={"soap": SOAP12_NS})
    code_el = etree.SubElement(fault, f"{{{SOAP12_NS}}}Code")
    etree.SubElement(code_el, f"{{{SOAP12_NS}}}Value").text = f"soap:{code}"
    parent = code_el
    for index, name in enumerate(subcodes):
        _check_code_name(name, f"subcode[{index}]")
        parent = etree.SubElement(parent, f"{{{SOAP12_NS}}}Subcode")
        if name.startswith("{"):
            uri, _, local = name[1:].partition("}")
            value = etree.SubElement(parent, f"{{{SOAP12_NS}}}Value", nsmap={f"c{index}": uri})
            value.text = f"c{index}:{local}"
        else:
            etree.SubElement(parent, f"{{{SOAP12_NS}}}Value").text = name
    reason_el = etree.SubElement(fault, f"{{{SOAP12_NS}}}Reason")
    text_el = etree.SubElement(reason_el, f"{{{SOAP12_NS}}}Text")
    text_el.set(_XML_LANG, lang)
    text_el.text = reason
    if detail is not None:
        detail_el = etree.SubElement(fault, f"{{{SOAP12_NS}}}Detail")
        if isinstance(detail, str):
            detail_el.text = detail
        else:
            detail_el.append(copy.deepcopy(detail))
    return fault


def build_fault(
    code: str = "Sender",
    subcode: str | Sequence[str] | None = None,
    reason: str = "",
    detail: str | etree._Element | None = None,
    *,
    action: str = FAULT_ACTION,
    relates_to: str | None = None,
    message_id: str | None = None,
    to: str | None = ANONYMOUS,
    lang: str = "fr",
) -> etree._Element:
    """Build a complete SOAP 1.2 fault envelope, as the DMP answers (for the sandbox).

    The WS-Addressing action defaults to the W3C fault action; the DMP itself has been seen sending
    ``<operation action>:Fault:SoapFault`` (TD1.5d example) — pass that as ``action`` to mimic it.
    Send it with HTTP status 500 (:func:`dmpclient.soap.request.fault_response` does).
    """
    fault = build_fault_element(code, subcode, reason, detail, lang=lang)
    return build_response_envelope(fault, action=action, relates_to=relates_to, message_id=message_id, to=to)
