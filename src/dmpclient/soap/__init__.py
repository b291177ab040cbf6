"""SOAP 1.2 envelope, WS-Addressing, WS-Security header, SOAP faults, and MTOM/XOP streaming (floor 2).

Both directions use the same code: the client builds requests and parses responses, the sandbox parses
requests and builds responses. Nothing here performs network I/O.

- :mod:`~dmpclient.soap.envelope`: :func:`build_envelope`, :func:`parse_envelope`, :class:`ParsedEnvelope`.
- :mod:`~dmpclient.soap.addressing`: message ids, the DMP action table and its aliases.
- :mod:`~dmpclient.soap.faults`: :func:`parse_fault`, :func:`raise_for_fault`, :func:`build_fault`.
- :mod:`~dmpclient.soap.mtom`: :class:`Attachment`, :class:`MtomWriter`, :class:`MtomReader`,
  :func:`read_message`, :func:`aread_message`, :func:`read_capture`, :func:`resolve_xop`, cid helpers.
- :mod:`~dmpclient.soap.request`: :class:`SoapRequest`, :class:`SoapResponse`, :func:`build_request`,
  :func:`build_response`, :func:`fault_response`.
"""

from dmpclient.soap.addressing import (
    ACTION_ALIASES,
    ACTIONS,
    ANONYMOUS,
    BODY_ACTIONS,
    FAULT_ACTION,
    RESPONSE_ACTIONS,
    canonical_action,
    new_message_id,
    response_action,
)
from dmpclient.soap.envelope import (
    ParsedEnvelope,
    SoapProtocolError,
    SoapVersion,
    build_envelope,
    build_response_envelope,
    parse_envelope,
)
from dmpclient.soap.faults import SoapFault, build_fault, build_fault_element, parse_fault, raise_for_fault
from dmpclient.soap.mtom import (
    ROOT_CONTENT_ID,
    Attachment,
    MtomReader,
    MtomWriter,
    ReceivedPart,
    SoapMessage,
    aread_message,
    cid_href,
    content_id_from_href,
    new_content_id,
    parse_content_type,
    read_capture,
    read_message,
    resolve_xop,
    xop_include,
)
from dmpclient.soap.request import SoapRequest, SoapResponse, build_request, build_response, fault_response

__all__ = [
    "ACTIONS",
    "ACTION_ALIASES",
    "ANONYMOUS",
    "BODY_ACTIONS",
    "FAULT_ACTION",
    "RESPONSE_ACTIONS",
    "ROOT_CONTENT_ID",
    "Attachment",
    "MtomReader",
    "MtomWriter",
    "ParsedEnvelope",
    "ReceivedPart",
    "SoapFault",
    "SoapMessage",
    "SoapProtocolError",
    "SoapRequest",
    "SoapResponse",
    "SoapVersion",
    "aread_message",
    "build_envelope",
    "build_fault",
    "build_fault_element",
    "build_request",
    "build_response",
    "build_response_envelope",
    "canonical_action",
    "cid_href",
    "content_id_from_href",
    "fault_response",
    "new_content_id",
    "new_message_id",
    "parse_content_type",
    "parse_envelope",
    "parse_fault",
    "raise_for_fault",
    "read_capture",
    "read_message",
    "resolve_xop",
    "response_action",
    "xop_include",
]
