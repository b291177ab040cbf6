"""The sandbox clock: real time by default, settable through the admin API (frozen or shifted).

Every time-dependent decision of the sandbox reads this clock: the VIHF window ("VIHF expiré"), AIR replay
expiry, the store's timestamps (submission times, access logs, authorisation expiry). Setting it lets a test
replay an official example "as of its date" or run a scenario across months in a few seconds.

Two ways to set it:

* **shifted** (default of :meth:`SandboxClock.set`): the clock runs, offset so that "now" was ``instant`` at
  the moment of the call;
* **frozen**: time stands still at ``instant`` until :meth:`SandboxClock.advance`, another set, or
  :meth:`SandboxClock.reset`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

from dmpclient.errors import InvalidValue

__all__ = ["SandboxClock", "parse_instant", "utc_now"]


def utc_now() -> dt.datetime:
    """The real current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_instant(text: str) -> dt.datetime:
    """Parse an ISO 8601 instant (``2019-06-26T08:08:55Z``, offsets allowed; naive values are UTC).

    Also accepts the HL7 form ``20190626080855`` (UTC).

    Raises:
        InvalidValue: not a date-time.
    """
    value = text.strip()
    try:
        if value.isdigit() and len(value) in (8, 12, 14):
            fmt = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}[len(value)]
            return dt.datetime.strptime(value, fmt).replace(tzinfo=dt.UTC)
        return _utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InvalidValue(
            "not an ISO 8601 date-time (e.g. 2019-06-26T08:08:55Z)", field="clock", value=text, rule="ISO 8601"
        ) from None


class SandboxClock:
    """A thread-safe, settable UTC clock. Call it (``clock()``) or use :meth:`now`.

    Args:
        start: initial instant (None: real time).
        frozen: stand still at ``start`` instead of running from it.
        source: the real-time source (tests may inject one).
    """

    def __init__(
        self,
        start: dt.datetime | None = None,
        *,
        frozen: bool = False,
        source: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._source = source
        self._lock = threading.Lock()
        self._offset = dt.timedelta(0)
        self._frozen_at: dt.datetime | None = None
        if start is not None:
            self.set(start, frozen=frozen)
        elif frozen:
            self.freeze()

    def now(self) -> dt.datetime:
        """The sandbox's current time (UTC, timezone-aware)."""
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return _utc(self._source()) + self._offset

    __call__ = now

    @property
    def frozen(self) -> bool:
        """True while the clock stands still."""
        return self._frozen_at is not None

    @property
    def offset(self) -> dt.timedelta:
        """Shift from real time (zero when real; meaningless while frozen)."""
        return self._offset

    def set(self, instant: dt.datetime | str, *, frozen: bool = False) -> dt.datetime:
        """Make "now" be ``instant`` (running from there, or frozen). Returns the new now."""
        when = parse_instant(instant) if isinstance(instant, str) else _utc(instant)
        with self._lock:
            if frozen:
                self._frozen_at = when
                self._offset = dt.timedelta(0)
            else:
                self._frozen_at = None
                self._offset = when - _utc(self._source())
        return self.now()

    def freeze(self, instant: dt.datetime | str | None = None) -> dt.datetime:
        """Stop the clock at ``instant`` (default: the current sandbox time)."""
        return self.set(self.now() if instant is None else instant, frozen=True)

    def unfreeze(self) -> dt.datetime:
        """Let a frozen clock run again from where it stands."""
        with self._lock:
            if self._frozen_at is None:
                return _utc(self._source()) + self._offset
            self._offset = self._frozen_at - _utc(self._source())
            self._frozen_at = None
        return self.now()

    def advance(self, delta: dt.timedelta | float) -> dt.datetime:
        """Move the clock forward by ``delta`` (seconds or a timedelta; negative goes back)."""
        step = delta if isinstance(delta, dt.timedelta) else dt.timedelta(seconds=float(delta))
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += step
            else:
                self._offset += step
        return self.now()

    def reset(self) -> dt.datetime:
        """Back to real time."""
        with self._lock:
            self._offset = dt.timedelta(0)
            self._frozen_at = None
        return self.now()

    def to_dict(self) -> dict[str, Any]:
        """``{"now": ISO, "frozen": bool, "offset_seconds": float}`` (admin API)."""
        return {"now": self.now().isoformat(), "frozen": self.frozen, "offset_seconds": self._offset.total_seconds()}

    def __repr__(self) -> str:
        state = "frozen" if self.frozen else f"offset={self._offset}"
        return f"SandboxClock({self.now().isoformat()}, {state})"
