"""The volume projection prices pending work and names the binding monday limit."""

from __future__ import annotations

from validation.gates.volume import PendingWork, VolumeLimits, project


def test_complexity_binds_for_a_typical_order_book() -> None:
    """With batches of 50, complexity per minute binds before requests per minute."""
    p = project(PendingWork(300, 300, 0, 1200, 60), VolumeLimits())
    assert p.points == (300 + 1200 + 60) * 10_000
    assert p.binding == "complexity per minute"
    assert p.fits


def test_requests_bind_with_one_alias_per_request() -> None:
    """Unbatched writes against a generous complexity budget are bound by requests per minute."""
    limits = VolumeLimits(batch_size=1, complexity_per_minute=10**12, daily_calls=10**9)
    p = project(PendingWork(10, 10_000, 0, 0, 0), limits)
    assert p.requests == 10_000
    assert p.binding == "requests per minute"


def test_daily_cap_binds_and_breaks_the_window() -> None:
    """Work needing more than one day of calls is bound by the daily cap and cannot fit 4 hours."""
    limits = VolumeLimits(batch_size=1, complexity_per_minute=10**12, requests_per_minute=10**6)
    p = project(PendingWork(60_000, 60_000, 0, 0, 0), limits)
    assert p.binding == "daily calls"
    assert p.projected_minutes == 2 * 24 * 60
    assert not p.fits
