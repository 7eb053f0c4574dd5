"""The account-wide limits beyond the minute windows: daily calls, in-flight requests, throttled fields.

* :class:`DailyCalls`: calls per UTC day, reset at midnight UTC, with monday's
  accounting (monday-api.md §8): a rate-limited request counts 0.1 call, a query
  asking only for ``complexity`` counts 0.1, any other request 1. Kept in tenths.
* :class:`InFlight`: requests being served right now, refused over the plan's
  concurrency cap (``MAX_CONCURRENCY_EXCEEDED``).
* :func:`throttle_fields`: nulls every occurrence of one field in a result and
  returns their paths, for partial answers (``FIELD_LIMIT_EXCEEDED`` on
  ``subitems``, ``tooManyRequests`` on ``column_values``).
"""

from __future__ import annotations

__all__ = [
    "COMPLEXITY_ONLY_TENTHS",
    "FULL_CALL_TENTHS",
    "LIMITED_CALL_TENTHS",
    "DailyCalls",
    "InFlight",
    "seconds_to_midnight",
    "throttle_fields",
]

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

FULL_CALL_TENTHS = 10
LIMITED_CALL_TENTHS = 1  # "a rate-limited request counts 0.1"
COMPLEXITY_ONLY_TENTHS = 1  # "a query asking only for complexity counts 0.1"


def seconds_to_midnight(now: float) -> int:
    """Whole seconds until the next midnight UTC (at least 1)."""
    moment = datetime.fromtimestamp(now, tz=UTC)
    midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
    return max(1, math.ceil(midnight.timestamp() - now))


class DailyCalls:
    """Calls used today (UTC); ``limit=None`` counts without refusing."""

    def __init__(self, limit: int | None, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._day: str | None = None
        self._used_tenths = 0

    def exhausted(self) -> int | None:
        """Seconds until the limit resets when today's calls are spent, else None."""
        with self._lock:
            now = self._roll()
            if self.limit is not None and self._used_tenths >= self.limit * FULL_CALL_TENTHS:
                return seconds_to_midnight(now)
            return None

    def charge(self, tenths: int) -> None:
        """Count ``tenths`` tenths of a call against today."""
        with self._lock:
            self._roll()
            self._used_tenths += tenths

    @property
    def used(self) -> float:
        """Calls used today, in monday's units (0.1 steps)."""
        with self._lock:
            self._roll()
            return self._used_tenths / FULL_CALL_TENTHS

    def reset(self) -> None:
        """Forget today's usage."""
        with self._lock:
            self._day, self._used_tenths = None, 0

    def _roll(self) -> float:
        now = self._clock()
        day = datetime.fromtimestamp(now, tz=UTC).date().isoformat()
        if day != self._day:
            self._day, self._used_tenths = day, 0
        return now


class InFlight:
    """Counts requests in progress; :meth:`enter` refuses past ``cap`` (``None`` = no cap)."""

    def __init__(self, cap: int | None) -> None:
        self.cap = cap
        self._lock = threading.Lock()
        self._count = 0

    def enter(self) -> bool:
        """Admit one request (True) or refuse it (False, nothing to release)."""
        with self._lock:
            if self.cap is not None and self._count >= self.cap:
                return False
            self._count += 1
            return True

    def leave(self) -> None:
        """Release an admitted request."""
        with self._lock:
            self._count -= 1

    @property
    def remaining(self) -> int | None:
        """Free slots now (for the ``RateLimit`` header), None without a cap."""
        with self._lock:
            return None if self.cap is None else max(self.cap - self._count, 0)


def throttle_fields(data: Any, field_name: str) -> list[tuple[str | int, ...]]:
    """Set every ``field_name`` inside ``data`` to None (in place); return the response paths nulled."""
    found: list[tuple[str | int, ...]] = []
    _walk(data, field_name, (), found)
    return found


def _walk(node: Any, name: str, path: tuple[str | int, ...], found: list[tuple[str | int, ...]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name and value is not None:
                node[key] = None
                found.append((*path, key))
            else:
                _walk(value, name, (*path, key), found)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _walk(value, name, (*path, index), found)
