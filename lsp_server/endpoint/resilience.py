"""Retry-After parsing and the circuit breaker.

The breaker stops us from hammering an endpoint that is down (and the user from waiting on
each keystroke for a timeout): after `threshold` consecutive failures it opens for
`cooldown_s`, then lets one probe through; the probe's outcome closes or re-opens it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from lsp_server.endpoint.errors import CircuitOpen

RETRY_AFTER_CAP_S = 30.0


def parse_retry_after(value: str | None, cap_s: float = RETRY_AFTER_CAP_S) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    seconds: float | None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, cap_s))


class CircuitBreaker:
    """closed → (threshold failures) → open → (cooldown) → half-open → closed / open."""

    def __init__(
        self,
        threshold: int = 5,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = max(1, threshold)
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_in_flight = False
        self.reason = ""

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self.cooldown_s:
            return "half-open"
        return "open"

    def remaining_s(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown_s - (self._clock() - self._opened_at))

    def before_call(self) -> bool:
        """Raise CircuitOpen when calls are paused; True when this call is the probe."""
        state = self.state
        if state == "closed":
            return False
        if state == "half-open" and not self._probe_in_flight:
            self._probe_in_flight = True
            return True
        wait = self.remaining_s()
        raise CircuitOpen(
            f"endpoint paused after {self._failures} failures ({self.reason}); "
            f"retrying by itself in {wait:.0f} s"
            if wait
            else f"endpoint paused after repeated failures ({self.reason}); probing"
        )

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probe_in_flight = False
        self.reason = ""

    def record_failure(self, reason: str) -> bool:
        """Count a failure; True when this failure (re)opened the circuit."""
        self._failures += 1
        self.reason = reason
        was_probe = self._probe_in_flight
        self._probe_in_flight = False
        if was_probe or self._failures >= self.threshold:
            self._opened_at = self._clock()
            return True
        return False

    def release_probe(self) -> None:
        """The probe ended without a verdict (cancelled): let another call probe."""
        self._probe_in_flight = False
