"""Retry policy: which failures are retried, how long to wait (bounded exponential backoff with jitter).

Only idempotent transactions are retried (TD0.2, TD0.4, TD0.5, TD1.3a, TD1.6, TD3.1, TD3.1b, TD3.2) and only
on transport failures: connection refused or reset, timeouts, a connection lost mid-answer. SOAP faults,
business errors and HTTP answers are never retried; TD0.3, TD2.1/TD2.2 and TD3.3 are never retried (a
failed TD2.1 after sending is checked by uniqueId instead, see :mod:`dmpclient.client`).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Final

from dmpclient.client._errors import (
    ConnectFailed,
    ConnectionLost,
    GatewayUnavailable,
    RequestTimeout,
    TlsHandshakeFailed,
)
from dmpclient.errors import ConfigurationError, TransportError
from dmpclient.security.tls import TlsFailureKind

__all__ = ["IDEMPOTENT_TRANSACTIONS", "RetryPolicy", "is_retryable"]

#: Transactions that read only: safe to send again after a transport failure.
IDEMPOTENT_TRANSACTIONS: Final = frozenset({"TD0.2", "TD0.4", "TD0.5", "TD1.3a", "TD1.6", "TD3.1", "TD3.1b", "TD3.2"})

#: TLS failures that a new attempt cannot fix (configuration problems).
_PERMANENT_TLS: Final = frozenset(
    {
        TlsFailureKind.HOSTNAME_MISMATCH,
        TlsFailureKind.UNKNOWN_CA,
        TlsFailureKind.CERTIFICATE_EXPIRED,
        TlsFailureKind.CERTIFICATE_REVOKED,
        TlsFailureKind.CLIENT_CERTIFICATE_REJECTED,
        TlsFailureKind.CLIENT_CERTIFICATE_MISSING,
        TlsFailureKind.PIN_MISMATCH,
        TlsFailureKind.PROTOCOL,
    }
)


def is_retryable(exc: BaseException) -> bool:
    """True for the transport failures a new attempt may cure (connect errors, resets, timeouts, and HTTP
    502/503/504 answered by the network in front of the DMP without a SOAP body).

    TLS handshake failures caused by configuration (unknown CA, host name, pinned fingerprint, refused
    client certificate, no common cipher) are not retried.
    """
    if isinstance(exc, TlsHandshakeFailed):
        return exc.failure is None or exc.failure.kind not in _PERMANENT_TLS
    return isinstance(exc, ConnectFailed | RequestTimeout | ConnectionLost | GatewayUnavailable)


@dataclass(frozen=True)
class RetryPolicy:
    """How idempotent calls are retried after a transport failure.

    The delay before attempt ``n + 1`` is ``min(max_backoff, backoff × multiplier^(n-1))``, multiplied by a
    random factor in ``[1 - jitter, 1 + jitter]`` and capped again at ``max_backoff``.

    Attributes:
        max_attempts: attempts in total (1 = no retry).
        backoff: delay before the first retry, in seconds.
        multiplier: growth factor of the delay.
        max_backoff: upper bound of any delay, in seconds.
        jitter: relative randomisation of each delay (0 = none, 0.5 = ±50 %).
        ambiguous_check_delay: seconds to wait, after a TD2.1 failed ambiguously, before checking by uniqueId
            (TD3.1b) whether the DMP stored the documents (the DMP may still be processing the request).
        sleep / async_sleep: how to wait (injectable for tests).
        random: a ``() -> float`` in ``[0, 1)`` for the jitter (injectable for tests).
    """

    max_attempts: int = 3
    backoff: float = 0.5
    multiplier: float = 2.0
    max_backoff: float = 8.0
    jitter: float = 0.5
    ambiguous_check_delay: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    async_sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False, repr=False)
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError("at least one attempt", field="retries.max_attempts", value=self.max_attempts)
        for name in ("backoff", "max_backoff", "ambiguous_check_delay"):
            if getattr(self, name) < 0:
                raise ConfigurationError("must not be negative", field=f"retries.{name}", value=getattr(self, name))
        if self.multiplier < 1:
            raise ConfigurationError("must be at least 1", field="retries.multiplier", value=self.multiplier)
        if not 0 <= self.jitter <= 1:
            raise ConfigurationError("must be between 0 and 1", field="retries.jitter", value=self.jitter)

    @classmethod
    def none(cls) -> RetryPolicy:
        """No retry at all (and no wait before the ambiguity check)."""
        return cls(max_attempts=1, ambiguous_check_delay=0.0)

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed attempts (1 for the first retry)."""
        base = min(self.max_backoff, self.backoff * self.multiplier ** max(0, failures - 1))
        factor = 1.0 + self.jitter * (2.0 * self.random() - 1.0)
        return max(0.0, min(self.max_backoff, base * factor))

    def should_retry(self, exc: BaseException, *, attempt: int, idempotent: bool) -> bool:
        """True when ``exc`` after attempt number ``attempt`` (1-based) deserves another attempt."""
        return idempotent and attempt < self.max_attempts and isinstance(exc, TransportError) and is_retryable(exc)
