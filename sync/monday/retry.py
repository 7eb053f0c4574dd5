"""When to try a failed monday request again, and how long to wait first.

:class:`RetryPolicy` is pure: ``decide(attempt, error)`` returns :class:`Retry` or
:class:`GiveUp` and never sleeps, so it is tested as a table. The server's hint
wins (read body first, ``Retry-After`` last, by :mod:`sync.monday.hints`);
without one we back off exponentially with jitter. A hint longer than
``max_delay`` gives up at once instead of parking the run, and an expired
cursor gives up at once too: only a new walk from page 1 can help
(:mod:`sync.monday.paging`).

    result = call_with_retry(lambda: send(doc), RetryPolicy())
"""

from __future__ import annotations

__all__ = [
    "BACKOFF_MULTIPLIER",
    "DEFAULT_BASE_DELAY_S",
    "DEFAULT_JITTER",
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_MAX_DELAY_S",
    "GiveUp",
    "Retry",
    "RetryPolicy",
    "call_with_retry",
]

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sync.errors import RetriableError
from sync.monday.errors import MondayCursorExpiredError

# --- every retry number lives here -------------------------------------------------
DEFAULT_MAX_ATTEMPTS = 6  # total tries including the first; ~30 s of backoff without hints
DEFAULT_BASE_DELAY_S = 0.5
DEFAULT_MAX_DELAY_S = 60.0  # monday's minute window; longer hints mean "not this run"
DEFAULT_JITTER = 0.25  # +/- 25 % so parallel workers don't retry in lockstep
BACKOFF_MULTIPLIER = 2.0
# -----------------------------------------------------------------------------------

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """Try again after ``delay`` seconds."""

    delay: float


@dataclass(frozen=True)
class GiveUp:
    """Stop retrying; ``reason`` goes into the log and onto the raised error as a note."""

    reason: str


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for retriable errors; ``rng`` returns [0, 1) and is injectable for tests.

    RetryPolicy(max_attempts=3, rng=random.Random(7).random)
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    base_delay: float = DEFAULT_BASE_DELAY_S
    max_delay: float = DEFAULT_MAX_DELAY_S
    jitter: float = DEFAULT_JITTER
    rng: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def decide(self, attempt: int, error: Exception) -> Retry | GiveUp:
        """Decide after failed try number ``attempt`` (1-based) whether and when to try again."""
        if not isinstance(error, RetriableError):
            return GiveUp(f"{type(error).__name__} is not retriable")
        if isinstance(error, MondayCursorExpiredError):
            return GiveUp("the cursor expired: the same request cannot succeed, the walk restarts at page 1")
        if attempt >= self.max_attempts:
            return GiveUp(f"gave up after {attempt} attempts")
        hint = error.retry_after
        if hint is not None:
            if hint > self.max_delay:
                return GiveUp(f"server asks to wait {hint:g}s, more than max_delay {self.max_delay:g}s")
            return Retry(max(hint, 0.0))
        backoff = min(self.max_delay, self.base_delay * BACKOFF_MULTIPLIER ** (attempt - 1))
        spread = backoff * self.jitter * (2.0 * self.rng() - 1.0)
        return Retry(min(self.max_delay, max(0.0, backoff + spread)))


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: Callable[[int, Exception, float], None] | None = None,
    max_elapsed_s: float | None = None,
) -> T:
    """Call ``fn`` until it returns, the policy gives up, or ``max_elapsed_s`` would be exceeded.

    ``on_retry(attempt, error, delay)`` runs before each sleep (stats, logs). The
    last error is re-raised with a note saying why we stopped.
    """
    started = clock()
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            decision = policy.decide(attempt, exc)
            if (
                isinstance(decision, Retry)
                and max_elapsed_s is not None
                and clock() - started + decision.delay > max_elapsed_s
            ):
                decision = GiveUp(f"retrying would exceed {max_elapsed_s:g}s")
            if isinstance(decision, GiveUp):
                if isinstance(exc, RetriableError):
                    exc.add_note(decision.reason)
                raise
            log.info(
                "monday retry attempt=%d code=%s delay=%.2fs request_id=%s",
                attempt,
                getattr(exc, "code", type(exc).__name__),
                decision.delay,
                getattr(exc, "request_id", None),
            )
            if on_retry is not None:
                on_retry(attempt, exc, decision.delay)
            sleep(decision.delay)
