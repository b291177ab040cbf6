"""The exchange hook: one :class:`Exchange` per HTTP exchange, raw and with secrets masked.

Every attempt the client makes (including retries and redirects) produces an :class:`Exchange` handed to
the ``exchange_hook`` given to the client, after the response was read and interpreted and **before** the
client releases the response parts — so a hook can copy everything (see :class:`dmpclient.evidence.EvidenceWriter`).

What is masked (reference ``envelope-and-transport.md`` §8, ``homologation.md`` EX_GEN-1490):

* HTTP ``Authorization``, ``Proxy-Authorization``, ``Cookie`` and ``Set-Cookie`` header values → ``***``;
* the homologation number ``LPS_ID_HOMOLOGATION_DMP`` in the VIHF (and anywhere else in the root parts)
  → ``***``, unless the client was built with ``mask_homologation=False`` (the VIHF signature then still
  verifies, which a CNDA reviewer may want).

PINs, PKCS#12 passwords and private keys never reach an exchange: they are not part of any message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from dmpclient.errors import DMPError
from dmpclient.soap import ReceivedPart

__all__ = [
    "MASK",
    "MASKED_HEADERS",
    "Exchange",
    "ExchangeHook",
    "Outcome",
    "SentPart",
    "mask_headers",
    "mask_secrets",
]

#: What a masked value is replaced with.
MASK: Final = "***"
#: Header names whose values are always masked (lower case).
MASKED_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})

_HOMOLOGATION_RE: Final = re.compile(
    rb'(Name="LPS_ID_HOMOLOGATION_DMP"[^>]*>\s*<(?:[A-Za-z_][\w.\-]*:)?AttributeValue\b[^>]*>)([^<]*)(<)'
)


def mask_headers(headers: Sequence[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """Headers with the values of :data:`MASKED_HEADERS` replaced by ``***``."""
    return tuple((n, MASK if n.lower() in MASKED_HEADERS else v) for n, v in headers)


def mask_secrets(data: bytes, *, homologation_number: str | None) -> bytes:
    """Mask the VIHF ``LPS_ID_HOMOLOGATION_DMP`` value (and any other occurrence of the number) in XML bytes."""
    masked = _HOMOLOGATION_RE.sub(lambda m: m.group(1) + MASK.encode() + m.group(3), data)
    if homologation_number and len(homologation_number) >= 4:
        masked = masked.replace(homologation_number.encode("utf-8"), MASK.encode())
    return masked


class Outcome:
    """How an exchange ended (values of :attr:`Exchange.outcome`)."""

    OK: Final = "ok"
    """A valid answer was received and the transaction succeeded."""
    DMP_ERROR: Final = "dmp-error"
    """The DMP refused (SOAP fault, RegistryResponse failure, HL7 ack AE/AR, status ≠ DMPOk, HTTP error)."""
    TRANSPORT_ERROR: Final = "transport-error"
    """No (complete) answer: connect error, timeout, reset."""
    PROTOCOL_ERROR: Final = "protocol-error"
    """An answer that is not a valid message of the expected kind."""
    REDIRECT: Final = "redirect"
    """An HTTP 3xx; the client follows HTTPS redirects with a new exchange."""


@dataclass(frozen=True, slots=True)
class SentPart:
    """One MTOM part of a request after the root: the document as it was sent.

    File-backed documents are described by :attr:`path` and :attr:`size` (never read back into memory);
    in-memory ones (the XAdES signature, a CDA built in memory) carry their :attr:`data`.
    """

    content_id: str
    content_type: str
    size: int
    path: Path | None = None
    data: bytes | None = None


@dataclass(eq=False)
class Exchange:
    """One HTTP exchange with the DMP, as seen on the wire, secrets masked.

    Attributes:
        sequence: number of the exchange in this client (1, 2, …).
        transaction: the DMP transaction (``"TD2.1"``, ``"TD3.1b"`` …).
        attempt: 1 for the first attempt, 2+ for retries of the same call.
        method / url: ``POST`` and the URL called.
        message_id: WS-Addressing MessageID of the request.
        request_headers: HTTP headers sent (masked).
        request_content_type / request_size: the body's Content-Type and exact length.
        request_root: the SOAP envelope as sent (masked).
        request_parts: the MTOM parts after the root (documents, XAdES signature).
        vihf: the VIHF assertion of the request (masked), or None.
        response_status / response_reason / http_version: the HTTP status line, when an answer came.
        response_headers: HTTP headers received (masked).
        response_root: the SOAP envelope received (masked), or the first bytes of a non-SOAP body.
        response_parts: MTOM parts received (ITI-43 documents); valid during the hook call only.
        response_size: bytes of body received.
        started_at / ended_at: wall-clock times (UTC); ``duration`` in seconds (monotonic).
        error: the exception the call ended with (DMP error, transport error …), or None.
        outcome: see :class:`Outcome`.
        redirect_to: the ``Location`` of a 3xx answer.
        masked_homologation: whether the homologation number was masked.
    """

    sequence: int
    transaction: str
    attempt: int
    method: str
    url: str
    message_id: str | None
    request_headers: tuple[tuple[str, str], ...]
    request_content_type: str
    request_size: int
    request_root: bytes
    request_parts: tuple[SentPart, ...] = ()
    vihf: bytes | None = None
    response_status: int | None = None
    response_reason: str | None = None
    http_version: str | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    response_root: bytes | None = None
    response_parts: tuple[ReceivedPart, ...] = ()
    response_size: int = 0
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    ended_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    duration: float = 0.0
    error: BaseException | None = None
    outcome: str = Outcome.OK
    redirect_to: str | None = None
    masked_homologation: bool = True

    @property
    def ok(self) -> bool:
        """True when the exchange succeeded."""
        return self.outcome == Outcome.OK

    @property
    def dmp_code(self) -> str | None:
        """The DMP's error code when the DMP refused (``DMPAccessForbidden``, ``XDSRegistryError`` …)."""
        return self.error.code if isinstance(self.error, DMPError) else None

    @property
    def dmp_message(self) -> str | None:
        """The DMP's French message, verbatim, when the DMP refused."""
        return self.error.message_fr if isinstance(self.error, DMPError) else None

    def header(self, name: str, *, response: bool = True) -> str | None:
        """First response (or request) header ``name``, case-insensitive."""
        lowered = name.lower()
        headers = self.response_headers if response else self.request_headers
        return next((v for n, v in headers if n.lower() == lowered), None)


#: The type of the ``exchange_hook`` argument of the clients.
ExchangeHook = Callable[[Exchange], None]
