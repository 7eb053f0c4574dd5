"""RetryPolicy decisions and call_with_retry, with fake sleep and clock (no real waiting)."""

from __future__ import annotations

import random

import pytest

from sync.monday.errors import MondayFatalError, MondayRecordError, MondayRetriableError
from sync.monday.retry import GiveUp, Retry, RetryPolicy, call_with_retry


def retriable(hint: float | None = None) -> MondayRetriableError:
    """A 429-style error with an optional server hint."""
    return MondayRetriableError(
        "slow down", code="MINUTE_RATE_LIMIT_EXCEEDED", http_status=429, retry_after=hint
    )


class FakeTime:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record and advance."""
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        """Current fake time."""
        return self.now


@pytest.mark.parametrize(
    ("attempt", "error", "expected"),
    [
        (1, retriable(hint=7), Retry(7)),
        (1, retriable(hint=0), Retry(0)),
        (5, retriable(hint=60), Retry(60)),
        (1, retriable(hint=3599), GiveUp("server asks to wait 3599s, more than max_delay 60s")),
        (6, retriable(hint=1), GiveUp("gave up after 6 attempts")),
        (1, MondayFatalError("no", code="USER_ACCESS_DENIED"), GiveUp("MondayFatalError is not retriable")),
        (
            1,
            MondayRecordError("bad", code="ColumnValueException"),
            GiveUp("MondayRecordError is not retriable"),
        ),
        (1, ValueError("bug"), GiveUp("ValueError is not retriable")),
    ],
)
def test_decide_table(attempt: int, error: Exception, expected: Retry | GiveUp) -> None:
    """Server hints win, long hints give up at once, attempts are bounded, non-retriable errors stop."""
    assert RetryPolicy().decide(attempt, error) == expected


def test_backoff_without_jitter_doubles_until_cap() -> None:
    """Without a hint the delay is base * 2**(attempt-1), capped at max_delay."""
    policy = RetryPolicy(max_attempts=20, base_delay=0.5, max_delay=4.0, jitter=0.0)
    delays = [policy.decide(n, retriable()) for n in range(1, 7)]
    assert delays == [Retry(0.5), Retry(1.0), Retry(2.0), Retry(4.0), Retry(4.0), Retry(4.0)]


@pytest.mark.parametrize("seed", range(20))
def test_jitter_stays_within_bounds(seed: int) -> None:
    """Jittered delays stay within +/- jitter of the backoff and never exceed max_delay."""
    policy = RetryPolicy(
        max_attempts=20, base_delay=1.0, max_delay=8.0, jitter=0.25, rng=random.Random(seed).random
    )
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        decision = policy.decide(attempt, retriable())
        assert isinstance(decision, Retry)
        assert base * 0.75 <= decision.delay <= min(base * 1.25, 8.0)


def test_jitter_extremes_are_reachable() -> None:
    """rng 0.0 gives the low edge, rng just below 1 approaches the high edge."""
    low = RetryPolicy(jitter=0.25, rng=lambda: 0.0).decide(2, retriable())
    high = RetryPolicy(jitter=0.25, rng=lambda: 0.999999).decide(2, retriable())
    assert low == Retry(0.75)
    assert isinstance(high, Retry)
    assert high.delay == pytest.approx(1.25, abs=1e-5)


def test_call_with_retry_succeeds_after_failures() -> None:
    """Two 429s then success: two sleeps of the hinted length, on_retry called each time."""
    fake, seen = FakeTime(), []
    results: list[Exception | str] = [retriable(2), retriable(3), "ok"]

    def fn() -> str:
        item = results.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    out = call_with_retry(
        fn, RetryPolicy(), sleep=fake.sleep, clock=fake.clock, on_retry=lambda a, e, d: seen.append((a, d))
    )
    assert out == "ok"
    assert fake.sleeps == [2, 3]
    assert seen == [(1, 2), (2, 3)]


def test_call_with_retry_bounded_attempts_reraises_with_note() -> None:
    """After max_attempts the last error propagates, annotated with why we stopped."""
    fake, calls = FakeTime(), []

    def fn() -> None:
        calls.append(1)
        raise retriable()

    with pytest.raises(MondayRetriableError) as info:
        call_with_retry(fn, RetryPolicy(max_attempts=3, rng=lambda: 0.5), sleep=fake.sleep, clock=fake.clock)
    assert len(calls) == 3
    assert fake.sleeps == [0.5, 1.0]
    assert "gave up after 3 attempts" in (info.value.__notes__ or [])


def test_call_with_retry_does_not_retry_fatal() -> None:
    """A fatal error is raised on the first try without sleeping."""
    fake = FakeTime()

    def fn() -> None:
        raise MondayFatalError("no", code="USER_ACCESS_DENIED")

    with pytest.raises(MondayFatalError):
        call_with_retry(fn, RetryPolicy(), sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == []


def test_call_with_retry_respects_elapsed_budget() -> None:
    """A retry that would push total time past max_elapsed_s gives up instead of sleeping."""
    fake = FakeTime()

    def fn() -> None:
        raise retriable(hint=30)

    with pytest.raises(MondayRetriableError) as info:
        call_with_retry(fn, RetryPolicy(), sleep=fake.sleep, clock=fake.clock, max_elapsed_s=45)
    assert fake.sleeps == [30]
    assert any("exceed 45s" in n for n in info.value.__notes__)
