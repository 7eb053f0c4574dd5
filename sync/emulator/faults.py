"""Seeded fault and latency injection, so clients can be tested against a misbehaving monday.

Fault kinds, drawn once per API request in a fixed order from one seeded RNG
(the same seed and request sequence give the same faults):

* ``429``: refused before execution, ``MINUTE_RATE_LIMIT_EXCEEDED`` with a 1 s retry hint;
* ``500``: refused before execution, monday's "Internal server error" body;
* ``timeout``: not executed; the client sees a timeout;
* ``timeout_after_apply``: executed and recorded (oplog, idempotency cache),
  *then* the client sees a timeout — the unknown-outcome case a retry must survive;
* ``concurrency``: refused, ``MAX_CONCURRENCY_EXCEEDED`` (legacy ``maxConcurrencyExceeded``);
* ``daily``: refused, ``DAILY_LIMIT_EXCEEDED`` with the seconds to midnight UTC;
* ``complexity``: refused, ``COMPLEXITY_BUDGET_EXHAUSTED`` (legacy: ``ComplexityException``
  at HTTP 200, ``status_code`` 429, the wait only in the message);
* ``field_limit``: a query reading ``subitems`` gets HTTP 429 ``FIELD_LIMIT_EXCEEDED`` with
  partial data (``subitems`` nulled, one error per nulled field);
* ``nested``: a query reading ``column_values`` gets HTTP 200 partial data with
  ``tooManyRequests`` (``service: data-structure``) on each nulled field;
* ``answer_lost``: executed and recorded like ``timeout_after_apply``, but the answer stays
  lost: every retry with the same ``Idempotency-Key`` times out too, until the client's
  retries run out and the caller must find out by itself what monday did (the recovery
  path: a look-up by business key). Drawn last, so profiles without it draw as before.

Limit answers carry their wait in the body only; ``retry_after_header=True`` adds
the ``Retry-After`` header too (monday's 2026 gateway often leaves it out).

In-process (:class:`EmulatorTransport`) a timeout raises ``httpx.ReadTimeout``.
Over real HTTP the emulator answers ``503`` with ``extensions.code`` ``TIMEOUT_EXCEEDED``
(every other one without a message, as monday sometimes sends it) and the header
``X-Emulator-Fault: timeout`` instead of hanging the socket: it is deterministic,
fast and still classified as retriable by a correct client.
"""

from __future__ import annotations

__all__ = ["FaultProfile", "Faults"]

import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class FaultProfile:
    """Probabilities per request (summing to at most 1) plus latency in milliseconds."""

    latency_ms: int = 0
    jitter_ms: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    rate_timeout_after_apply: float = 0.0
    seed: int = 0
    rate_concurrency: float = 0.0
    rate_daily: float = 0.0
    rate_complexity: float = 0.0
    rate_field_limit: float = 0.0
    rate_nested: float = 0.0
    retry_after_header: bool = False
    #: seconds announced by injected limit answers (monday's fixtures: 15 concurrency, 22 complexity)
    retry_in_seconds: int = 1
    rate_answer_lost: float = 0.0

    @classmethod
    def from_fault_rate(
        cls, fault_rate: float, *, latency_ms: int = 0, jitter_ms: int = 0, seed: int = 0
    ) -> FaultProfile:
        """Split one CLI ``--fault-rate`` as 40% 429s, 30% 500s, 15% timeouts, 15% timeouts after apply."""
        return cls(
            latency_ms,
            jitter_ms,
            fault_rate * 0.4,
            fault_rate * 0.3,
            fault_rate * 0.15,
            fault_rate * 0.15,
            seed,
        )


class Faults:
    """Draws a fault kind and a latency per request from a seeded, thread-safe RNG."""

    def __init__(self, profile: FaultProfile) -> None:
        self.profile = profile
        self._rng = random.Random(profile.seed)
        self._lock = threading.Lock()

    def draw(self) -> tuple[str | None, float]:
        """Return ``(fault kind or None, latency in seconds)`` for the next request."""
        p = self.profile
        with self._lock:
            roll = self._rng.random()
            jitter = self._rng.uniform(0, p.jitter_ms) if p.jitter_ms else 0.0
        latency = max(p.latency_ms + jitter, 0.0) / 1000.0
        for kind, rate in (
            ("429", p.rate_429),
            ("500", p.rate_500),
            ("timeout", p.rate_timeout),
            ("timeout_after_apply", p.rate_timeout_after_apply),
            ("concurrency", p.rate_concurrency),
            ("daily", p.rate_daily),
            ("complexity", p.rate_complexity),
            ("field_limit", p.rate_field_limit),
            ("nested", p.rate_nested),
            ("answer_lost", p.rate_answer_lost),
        ):
            if roll < rate:
                return kind, latency
            roll -= rate
        return None, latency
