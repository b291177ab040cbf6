"""The DMP client (floor 4): :class:`DMPClient` and :class:`AsyncDMPClient` over httpx.

This package is the only place of dmpclient that performs network I/O. Everything it sends is built by the
sans-IO transaction modules (:mod:`dmpclient.transactions`); everything it adds is what needs a network:

* configuration — environment and URLs, mutual TLS with a pinned trust store, one connection pool per
  client, timeouts, an injectable httpx ``transport=`` (tests, the in-process sandbox);
* one method per transaction (TD0.2 … TD3.3d) and high-level helpers (``submit``, ``replace``,
  ``find_documents``, ``retrieve``, ``hide_from_professionals``, ``archive``, ``delete`` …);
* client-side guards raising before anything is sent (:class:`GuardSettings`);
* retries of idempotent reads on transport failures only (:class:`RetryPolicy`); an ambiguous TD2.1 is
  checked with TD3.1b and reported (:class:`~dmpclient.errors.AmbiguousSubmission`), never re-sent;
* the exchange hook (:class:`Exchange`), with secrets masked — :class:`dmpclient.evidence.EvidenceWriter`
  writes exchanges as files;
* :mod:`dmpclient.client.settings` — a TOML configuration file and :func:`~dmpclient.client.settings.load_settings`.

Sync and async share one implementation: every operation is a generator of effects
(:mod:`dmpclient.client._core`), run by ``httpx.Client`` or ``httpx.AsyncClient``.

Documentation: ``docs/client/``.
"""

from __future__ import annotations

from dmpclient.client._async import AsyncDMPClient
from dmpclient.client._config import DEFAULT_TIMEOUT, USER_AGENT
from dmpclient.client._core import ProgressCallback, TransferProgress
from dmpclient.client._errors import (
    ConnectFailed,
    ConnectionLost,
    GatewayUnavailable,
    RedirectRefused,
    RequestTimeout,
    TlsHandshakeFailed,
    UnreadableResponse,
)
from dmpclient.client._exchange import MASK, Exchange, ExchangeHook, Outcome, SentPart
from dmpclient.client._guards import QUERY_AFTER_FEED_RULE, VACCINATION_RULE, GuardSettings
from dmpclient.client._ops import FALLBACK_CONTENT_TYPE, DocumentInput
from dmpclient.client._results import SubmitResult
from dmpclient.client._retry import IDEMPOTENT_TRANSACTIONS, RetryPolicy
from dmpclient.client._sync import DMPClient

__all__ = [
    "DEFAULT_TIMEOUT",
    "FALLBACK_CONTENT_TYPE",
    "IDEMPOTENT_TRANSACTIONS",
    "MASK",
    "QUERY_AFTER_FEED_RULE",
    "USER_AGENT",
    "VACCINATION_RULE",
    "AsyncDMPClient",
    "ConnectFailed",
    "ConnectionLost",
    "DMPClient",
    "DocumentInput",
    "Exchange",
    "ExchangeHook",
    "GatewayUnavailable",
    "GuardSettings",
    "Outcome",
    "ProgressCallback",
    "RedirectRefused",
    "RequestTimeout",
    "RetryPolicy",
    "SentPart",
    "SubmitResult",
    "TlsHandshakeFailed",
    "TransferProgress",
    "UnreadableResponse",
]
