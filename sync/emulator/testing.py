"""Test helpers shipped with the emulator: a fake clock and a one-call GraphQL poster.

They live in the package (like structlog's ``testing`` module) so unit tests,
the ordering gate and ad-hoc scripts drive the emulator the same way without
sockets or real sleeps.
"""

from __future__ import annotations

__all__ = ["FakeClock", "graphql", "make_emulator"]

import json
from typing import Any

from sync.emulator.app import Emulator
from sync.emulator.server import build_emulator
from sync.emulator.throttle import seconds_to_midnight


class FakeClock:
    """A settable clock; ``sleep`` records the wait and advances time instead of blocking."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds``."""
        self.slept.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        """Move time forward without recording a sleep (cursor expiry, minute windows)."""
        self.now += seconds

    def next_day(self) -> None:
        """Jump to one second past the next midnight UTC: monday's daily call limit resets there."""
        self.now += seconds_to_midnight(self.now) + 1


def make_emulator(**options: Any) -> tuple[Emulator, FakeClock]:
    """An emulator over the packaged boards driven by a :class:`FakeClock` (no token required by default)."""
    clock = FakeClock()
    options.setdefault("require_token", False)
    return build_emulator(clock=clock, sleep=clock.sleep, **options), clock


def graphql(
    emulator: Emulator,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """POST one GraphQL document to ``emulator``; returns ``(status, headers, decoded body)``."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    status, out, payload = emulator.handle("POST", "/v2", headers or {}, body)
    return status, out, json.loads(payload)
