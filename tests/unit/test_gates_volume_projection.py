"""The volume model prices the batches the client really builds and schedules the book over windows."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import httpx

from sync.monday.client import MondayClient
from sync.monday.plans import PLAN_LIMITS, MondayPlan
from sync.monday.retry import RetryPolicy
from validation.gates.volume_model import (
    Capacity,
    PendingWork,
    VolumeLimits,
    days_by_plan,
    price,
    project,
    schedule,
)


def _client(max_batch: int = 50, max_request_complexity: int = 5_000_000) -> MondayClient:
    """A real client; pricing never sends a request, so the transport refuses any."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"pricing sent a request: {request.url}")

    http = httpx.Client(transport=httpx.MockTransport(refuse))
    return MondayClient(
        http,
        retry=RetryPolicy(max_attempts=1),
        pacer=None,
        max_batch=max_batch,
        max_request_complexity=max_request_complexity,
    )


BOOK = PendingWork(300, 300, 0, 1200, 1200, 60)


def test_typical_book_is_bound_by_complexity() -> None:
    """Batches of 50: 6 item + 24 subitem + 2 group requests + the board read; complexity binds."""
    priced = price(BOOK, _client(), VolumeLimits())
    assert (priced.item_requests, priced.subitem_requests, priced.group_requests) == (6, 24, 2)
    assert priced.requests == 33
    assert priced.points == (300 + 1200 + 60) * 10_000
    assert priced.request_points == 50 * 10_000
    p = project(priced, VolumeLimits())
    assert p.binding == "complexity per minute"
    # One full minute (10M = 20 whole requests), then 5.6M = 12 requests at 0.25 s each.
    assert math.isclose(p.projected_minutes, 1 + 12 * 0.25 / 60)


def test_a_minute_carries_only_whole_requests() -> None:
    """A 5.88M budget carries 11 requests of 500,000 (5.5M), not 5.88M: 25.7M points need 5 minutes."""
    work = PendingWork(500, 500, 0, 2001, 2001, 71)
    limits = VolumeLimits(complexity_per_minute=5_880_000, request_latency_s=0.3)
    p = project(price(work, _client(), limits), limits)
    last = 25_720_000 - 4 * 5_500_000
    assert math.isclose(p.minutes["complexity per minute"], 4 + math.ceil(last / 500_000) * 0.3 / 60)


def test_requests_follow_the_clients_complexity_cap_not_batch_size() -> None:
    """A client capped at 250,000 points per request sends 25 aliases, whatever batch_size says."""
    limits = VolumeLimits(engine_batch=50)
    capped = price(BOOK, _client(max_request_complexity=250_000), limits)
    assert capped.item_requests == 12
    assert capped.subitem_requests == 48
    assert capped.aliases_per_request == (300 + 1200 + 60) / (12 + 48 + 3)


def test_engine_chunks_round_up_per_chunk() -> None:
    """1,500 orders in chunks of 1,000 with batches of 300: 4 + 2 requests, not ceil(1500/300) = 5."""
    work = PendingWork(1500, 1500, 0, 0, 0, 0)
    priced = price(work, _client(max_batch=300), VolumeLimits(engine_batch=300))
    assert priced.item_requests == 6


def test_unbatched_client_is_bound_by_round_trips_and_days() -> None:
    """One alias per request: 10,000 orders + 40,000 lines = 50,000 calls, two days on Enterprise."""
    work = PendingWork(10_000, 10_000, 0, 40_000, 40_000, 0)
    limits = VolumeLimits(engine_batch=1, complexity_per_minute=10**12)
    priced = price(work, _client(max_batch=1), limits)
    assert priced.requests == 50_001
    p = project(priced, limits)
    assert p.binding == "round trips"
    days = days_by_plan(priced.requests)
    assert days[MondayPlan.ENTERPRISE] == 3
    assert days[MondayPlan.FREE] == 51


def test_schedule_cuts_by_window_length() -> None:
    """600 projected minutes over 4 h windows: 3 windows, orders shared in proportion, all carried."""
    windows = schedule(
        3000, 100_000, 600.0, window_minutes=240, every_minutes=1440, daily_calls=25_000, first_start=None
    )
    assert [w.number for w in windows] == [1, 2, 3]
    assert windows[0].first_order == 1 and windows[-1].last_order == 100_000
    assert [w.calls for w in windows] == [1200, 1200, 600]
    assert windows[1].start_minute == 1440
    assert math.isclose(windows[2].end_minute - windows[2].start_minute, 120.0)


def test_schedule_cuts_by_daily_calls_with_clock_times() -> None:
    """2,500 calls on a 1,000-call plan: three days even though one window has time for all."""
    start = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    daily = PLAN_LIMITS[MondayPlan.STANDARD].daily_calls
    windows = schedule(2500, 500, 60.0, window_minutes=240, every_minutes=1440, daily_calls=daily, first_start=start)
    assert [w.calls for w in windows] == [1000, 1000, 500]
    assert windows[0].ends_at == datetime(2026, 12, 5, 20, 24, tzinfo=UTC)
    assert windows[2].starts_at == datetime(2026, 12, 7, 20, 0, tzinfo=UTC)


def test_capacity_names_what_fits_and_what_does_not() -> None:
    """12,000 creates on an empty 10,000-item board: 10,000 fit, 2,000 do not."""
    cap = Capacity("items board", 42, 0, 10_000, 12_000)
    assert (cap.fit, cap.overflow) == (10_000, 2_000)
    assert cap.describe() == (
        "items board 42: 10,000 of 12,000 planned creates fit (0 on it, items_limit 10,000); 2,000 do not"
    )
    unknown = Capacity("subitems board", 43, 5, None, 1)
    assert unknown.overflow == 1 and "no items_limit" in unknown.describe()
