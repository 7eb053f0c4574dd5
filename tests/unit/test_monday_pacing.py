"""Pacer sleeps before a request that would break the complexity budget or requests-per-minute."""

from __future__ import annotations

import pytest

from sync.monday.models import ComplexityInfo
from sync.monday.pacing import DEFAULT_COSTS, Pacer


class FakeTime:
    """A clock that only moves when slept on or advanced."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record and advance."""
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        """Current fake time."""
        return self.now


def make(**kwargs: object) -> tuple[Pacer, FakeTime]:
    """A pacer on fake time."""
    fake = FakeTime()
    return Pacer(sleep=fake.sleep, clock=fake.clock, **kwargs), fake  # type: ignore[arg-type]


def test_estimate_uses_configured_costs() -> None:
    """create_item costs 10,000 points by default and costs are per alias."""
    pacer, _ = make()
    assert DEFAULT_COSTS["create_item"] == 10_000
    assert pacer.estimate("create_item", 50) == 500_000
    assert make(costs={"create_item": 3})[0].estimate("create_item", 2) == 6


def test_no_wait_under_budget() -> None:
    """Requests that fit the budget go out immediately."""
    pacer, fake = make(budget_per_minute=100, requests_per_minute=None)
    for _ in range(10):
        assert pacer.before_request(10) == 0
    assert fake.sleeps == []


def test_budget_waits_until_oldest_leaves_window() -> None:
    """When the next request would exceed the budget, sleep until enough old cost expires."""
    pacer, fake = make(budget_per_minute=100, requests_per_minute=None)
    pacer.before_request(60)
    fake.now = 10.0
    pacer.before_request(30)
    fake.now = 20.0
    waited = pacer.before_request(50)  # 60+30+50 > 100: the 60 must expire (at t=60)
    assert waited == pytest.approx(40.0)
    assert pacer.waited_s == pytest.approx(40.0)


def test_requests_per_minute_limit() -> None:
    """The (rpm+1)-th request inside a minute waits for the first to age out."""
    pacer, fake = make(budget_per_minute=None, requests_per_minute=3)
    for t in (0.0, 1.0, 2.0):
        fake.now = t
        pacer.before_request(0)
    fake.now = 5.0
    assert pacer.before_request(0) == pytest.approx(55.0)


def test_unlimited_never_waits() -> None:
    """None for both limits disables pacing."""
    pacer, fake = make(budget_per_minute=None, requests_per_minute=None)
    for _ in range(1000):
        pacer.before_request(10_000_000)
    assert fake.sleeps == []


def test_server_report_overrides_estimate() -> None:
    """complexity.after below the next cost waits for monday's reset_in_x_seconds."""
    pacer, _ = make(budget_per_minute=10_000_000, requests_per_minute=None)
    pacer.before_request(10_000)
    pacer.after_response(ComplexityInfo(before=50_000, after=5_000, query=45_000, reset_in_x_seconds=12))
    assert pacer.before_request(10_000) == pytest.approx(12.0)


def test_measured_cost_replaces_estimate() -> None:
    """after_response swaps the estimate for the real query cost in the window."""
    pacer, _ = make(budget_per_minute=100, requests_per_minute=None)
    pacer.before_request(90)
    pacer.after_response(ComplexityInfo(before=100, after=95, query=5, reset_in_x_seconds=60))
    assert pacer.before_request(90) == 0


def test_oversized_request_is_sent_into_empty_window() -> None:
    """A request larger than the whole budget waits for an empty window instead of forever."""
    pacer, fake = make(budget_per_minute=100, requests_per_minute=None)
    pacer.before_request(50)
    assert pacer.before_request(500) == pytest.approx(60.0)
    fake.now += 61  # window empty again: no wait at all
    assert pacer.before_request(500) == 0


def test_ratelimit_header_is_parsed_per_policy() -> None:
    """monday's RateLimit header (monday-api.md §4 example) becomes one window per policy."""
    from sync.monday.parsing import parse_rate_limit

    info = parse_rate_limit('"minuteRate";r=0;t=38, "concurrency";r=249, "complexityMinute";r=4950000;t=45')
    assert info is not None
    assert info.get("minuteRate") is not None and info.get("minuteRate").remaining == 0  # type: ignore[union-attr]
    assert info.windows["minuteRate"].reset_s == 38.0
    assert info.windows["concurrency"].reset_s is None
    assert info.windows["complexityMinute"].remaining == 4_950_000
    assert parse_rate_limit(None) is None and parse_rate_limit("garbage") is None


def test_minute_rate_at_zero_waits_its_reset() -> None:
    """After a response saying minuteRate r=0;t=38 the next request waits 38 s first."""
    from sync.monday.parsing import parse_rate_limit

    pacer, _ = make(budget_per_minute=None, requests_per_minute=None)
    pacer.after_response(None, parse_rate_limit('"minuteRate";r=0;t=38'))
    assert pacer.before_request(10) == pytest.approx(38.0)
    assert pacer.before_request(10) == 0.0


def test_complexity_header_below_cost_waits_its_reset() -> None:
    """complexityMinute r below the next request's cost waits t; enough budget waits nothing."""
    from sync.monday.parsing import parse_rate_limit

    pacer, _ = make(budget_per_minute=10_000_000, requests_per_minute=None)
    pacer.after_response(None, parse_rate_limit('"complexityMinute";r=5000;t=12'))
    assert pacer.before_request(4_000) == 0.0
    assert pacer.before_request(20_000) == pytest.approx(12.0)
