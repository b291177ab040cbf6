"""Fault injection: make the sandbox slow, failing or rude, for the client's reliability tests.

A :class:`FaultRule` says **what** (latency, HTTP error, connection drop, truncated response), **where** (one
transaction or all) and **how often** (the next N matching calls, or with a probability drawn from a seeded
random generator). Rules live in a :class:`FaultInjector`, configured in Python or through the admin API
(``/_sandbox/admin/faults``).

What a client observes:

==============  ===============================================================================================
kind            effect
==============  ===============================================================================================
``latency``     the answer comes ``delay`` seconds later (the request was read first)
``http-error``  HTTP ``status`` (500, 503 …) with a SOAP 1.2 ``Receiver`` fault, or an HTML page like a proxy's
``drop``        the request is read, then the connection is closed without a response
``truncate``    headers announce the full ``Content-Length``, ``keep_bytes`` bytes are sent, then the connection
                is closed (the client sees an incomplete body)
==============  ===============================================================================================

``process`` decides whether the transaction runs before the fault strikes: a ``drop`` after processing is the
"ambiguous submission" case (stored, but the client never heard). ``truncate`` always processes.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Final

import anyio

from dmpclient.errors import InvalidValue

__all__ = ["FaultInjector", "FaultKind", "FaultPlan", "FaultRule", "InjectedDisconnect"]

_MIN_STATUS: Final = 400


class InjectedDisconnect(Exception):
    """Raised by the sandbox app to make the server close the connection (no response, or no more bytes).

    The sandbox's own server and in-process transports turn it into a closed connection (httpx then raises
    ``RemoteProtocolError``); another ASGI server answers 500 or closes the connection.
    """


class FaultKind(StrEnum):
    """What an injected fault does."""

    LATENCY = "latency"
    HTTP_ERROR = "http-error"
    DROP = "drop"
    TRUNCATE = "truncate"


_counter = itertools.count(1)


@dataclass(frozen=True, slots=True)
class FaultRule:
    """One fault-injection rule.

    Attributes:
        kind: latency, http-error, drop or truncate.
        transaction: TD id it applies to (``"TD2.1"``); None for every call.
        count: apply to the next ``count`` matching calls, then retire; None: no limit.
        probability: apply with this probability (0–1) to each matching call; None: always.
        delay: seconds of latency (``latency``).
        status: HTTP status (``http-error``), ≥ 400.
        soap_body: ``http-error`` answers a SOAP fault (True) or an HTML page like a reverse proxy (False).
        process: run the transaction before the fault (``http-error``/``drop``; ``truncate`` always does).
        keep_bytes: bytes of the body sent before closing (``truncate``); None: half of the body.
        id: rule id (``f1``, ``f2`` …), generated.
    """

    kind: FaultKind
    transaction: str | None = None
    count: int | None = None
    probability: float | None = None
    delay: float = 0.0
    status: int = 503
    soap_body: bool = True
    process: bool = False
    keep_bytes: int | None = None
    id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", FaultKind(self.kind))
        if not self.id:
            object.__setattr__(self, "id", f"f{next(_counter)}")
        if self.count is not None and self.count < 1:
            raise InvalidValue("count must be ≥ 1 (or None)", field="count", value=self.count)
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise InvalidValue("probability must be between 0 and 1", field="probability", value=self.probability)
        if self.delay < 0:
            raise InvalidValue("delay must be ≥ 0 seconds", field="delay", value=self.delay)
        if self.kind is FaultKind.HTTP_ERROR and not _MIN_STATUS <= self.status <= 599:
            raise InvalidValue("status must be an HTTP error status (400–599)", field="status", value=self.status)
        if self.keep_bytes is not None and self.keep_bytes < 0:
            raise InvalidValue("keep_bytes must be ≥ 0", field="keep_bytes", value=self.keep_bytes)
        if self.kind is FaultKind.TRUNCATE:
            object.__setattr__(self, "process", True)

    @property
    def terminal(self) -> bool:
        """True for faults that replace or cut the response (all but latency)."""
        return self.kind is not FaultKind.LATENCY

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """A rule from JSON (admin API): keys are the attribute names."""
        known = {f for f in cls.__dataclass_fields__ if f != "id"}
        unknown = set(data) - known - {"id"}
        if unknown:
            raise InvalidValue(f"unknown field(s) {sorted(unknown)}", field="fault", value=sorted(unknown))
        if "kind" not in data:
            raise InvalidValue("kind is required (latency, http-error, drop, truncate)", field="kind", value=None)
        try:
            kind = FaultKind(data["kind"])
        except ValueError:
            raise InvalidValue(
                "kind is latency, http-error, drop or truncate", field="kind", value=data["kind"]
            ) from None
        values = {k: v for k, v in data.items() if k in known}
        values["kind"] = kind
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "transaction": self.transaction,
            "count": self.count,
            "probability": self.probability,
            "delay": self.delay,
            "status": self.status,
            "soap_body": self.soap_body,
            "process": self.process,
            "keep_bytes": self.keep_bytes,
        }


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """The faults drawn for one call: an optional latency and an optional terminal fault."""

    delay: float = 0.0
    terminal: FaultRule | None = None
    rules: tuple[FaultRule, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing is injected."""
        return self.delay == 0.0 and self.terminal is None


@dataclass
class _State:
    rule: FaultRule
    remaining: int | None
    hits: int = 0


async def _default_sleep(seconds: float) -> None:
    await anyio.sleep(seconds)


@dataclass
class FaultInjector:
    """The active fault rules and the random generator that decides probabilistic ones.

    Args:
        seed: seed of the random generator (reproducible probabilistic faults).
        sleep: the async sleep used for latency (tests inject a recorder instead of sleeping).
    """

    seed: int | None = None
    sleep: Callable[[float], Awaitable[None]] = _default_sleep
    _rules: list[_State] = field(default_factory=list, init=False, repr=False)
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    injected: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # noqa: S311 - test fault injection, not cryptography

    # -- configuration

    def add(self, rule: FaultRule | Mapping[str, Any]) -> FaultRule:
        """Add a rule (or its JSON form); returns it with its id."""
        parsed = rule if isinstance(rule, FaultRule) else FaultRule.from_dict(rule)
        with self._lock:
            if any(s.rule.id == parsed.id for s in self._rules):
                parsed = replace(parsed, id="")  # a fresh id
            self._rules.append(_State(parsed, parsed.count))
        return parsed

    def add_latency(self, delay: float, **options: Any) -> FaultRule:
        """Delay matching answers by ``delay`` seconds."""
        return self.add(FaultRule(FaultKind.LATENCY, delay=delay, **options))

    def add_http_error(self, status: int = 503, *, soap_body: bool = True, **options: Any) -> FaultRule:
        """Answer matching calls with HTTP ``status`` (SOAP fault body, or an HTML page)."""
        return self.add(FaultRule(FaultKind.HTTP_ERROR, status=status, soap_body=soap_body, **options))

    def add_drop(self, *, process: bool = False, **options: Any) -> FaultRule:
        """Close the connection after reading the request (after running it when ``process``)."""
        return self.add(FaultRule(FaultKind.DROP, process=process, **options))

    def add_truncate(self, *, keep_bytes: int | None = None, **options: Any) -> FaultRule:
        """Send only part of the response body, then close the connection."""
        return self.add(FaultRule(FaultKind.TRUNCATE, keep_bytes=keep_bytes, **options))

    def remove(self, rule_id: str) -> bool:
        """Remove a rule by id; False when there is none."""
        with self._lock:
            before = len(self._rules)
            self._rules = [s for s in self._rules if s.rule.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def reseed(self, seed: int | None) -> None:
        """Restart the random generator with ``seed``."""
        with self._lock:
            self.seed = seed
            self._rng = random.Random(seed)  # noqa: S311 - test fault injection

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules, in order."""
        with self._lock:
            return [s.rule for s in self._rules]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state (admin API)."""
        with self._lock:
            return {
                "seed": self.seed,
                "injected": self.injected,
                "rules": [{**s.rule.to_dict(), "remaining": s.remaining, "hits": s.hits} for s in self._rules],
            }

    # -- drawing

    def plan(self, transactions: Sequence[str] = ()) -> FaultPlan:
        """Draw the faults of one call whose transaction is one of ``transactions`` (empty: unknown).

        Latencies of every matching rule add up; the first matching terminal rule wins. Counts are spent
        only by rules that fire; exhausted rules retire.
        """
        if not self._rules:
            return FaultPlan()
        delay = 0.0
        terminal: FaultRule | None = None
        fired: list[FaultRule] = []
        with self._lock:
            for state in list(self._rules):
                rule = state.rule
                if rule.transaction is not None and rule.transaction not in transactions:
                    continue
                if rule.terminal and terminal is not None:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                state.hits += 1
                fired.append(rule)
                if state.remaining is not None:
                    state.remaining -= 1
                    if state.remaining <= 0:
                        self._rules.remove(state)
                if rule.terminal:
                    terminal = rule
                else:
                    delay += rule.delay
            if fired:
                self.injected += 1
        return FaultPlan(delay=delay, terminal=terminal, rules=tuple(fired))
