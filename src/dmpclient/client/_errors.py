"""Transport error subclasses raised by the client (all are :class:`~dmpclient.errors.TransportError`).

httpx exceptions never leak out of :class:`~dmpclient.client.DMPClient`: they are mapped here, with the URL,
the transaction and whether the request body had been fully handed to the network (``sent``), which is what
decides if a failed TD2.1 is ambiguous.
"""

from __future__ import annotations

from dmpclient.errors import TransportError
from dmpclient.security.tls import TlsFailure

__all__ = [
    "ConnectFailed",
    "ConnectionLost",
    "GatewayUnavailable",
    "RedirectRefused",
    "RequestTimeout",
    "TlsHandshakeFailed",
    "UnreadableResponse",
]


class ConnectFailed(TransportError):
    """No connection could be made (DNS, refused, unreachable, proxy). Nothing was sent."""


class TlsHandshakeFailed(ConnectFailed):
    """The TLS handshake failed; :attr:`failure` classifies why (unknown CA, host name, client certificate …)."""

    def __init__(self, message: str, *, failure: TlsFailure | None, url: str | None, transaction: str | None) -> None:
        self.failure = failure
        super().__init__(message, url=url, transaction=transaction, sent=False)


class RequestTimeout(TransportError):
    """A timeout expired; :attr:`phase` is ``connect``, ``write``, ``read`` or ``pool``."""

    def __init__(self, message: str, *, phase: str, url: str | None, transaction: str | None, sent: bool) -> None:
        self.phase = phase
        super().__init__(message, url=url, transaction=transaction, sent=sent)


class ConnectionLost(TransportError):
    """The connection broke during the exchange (reset, server closed it, truncated response)."""


class GatewayUnavailable(TransportError):
    """An HTTP 502/503/504 without a SOAP body: a proxy or load balancer in front of the DMP answered, not the
    DMP. Idempotent calls are retried; for a submission it is an ambiguous failure (see
    :class:`UnreadableResponse`)."""

    def __init__(self, message: str, *, status: int, url: str | None, transaction: str | None) -> None:
        self.status = status
        super().__init__(message, url=url, transaction=transaction, sent=True)


class RedirectRefused(TransportError):
    """A 3xx answer pointed to a non-HTTPS URL, or there were too many redirects (EX_0.X-1055)."""


class UnreadableResponse(TransportError):
    """The answer to a submission could not be read (malformed, truncated, or a gateway error): the DMP may
    or may not have stored the documents. Only raised inside the client, which turns it into an
    :class:`~dmpclient.errors.AmbiguousSubmission` after checking by uniqueId."""
