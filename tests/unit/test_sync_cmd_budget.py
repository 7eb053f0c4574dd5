"""``ordersync sync --until HH:MM``: the next such local time, as naive UTC; a bad value names the option."""

from __future__ import annotations

from datetime import UTC, datetime

import click
import pytest

from sync.commands.sync_cmd import parse_until


def test_until_is_the_next_such_local_time_in_utc() -> None:
    """Later today when still ahead, tomorrow when already past; always in the future, within a day."""
    now = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
    for value in ("00:00", "06:29", "06:31", "23:59"):
        until = parse_until(value, now)
        assert until is not None and until.tzinfo is None
        ahead = until - now.replace(tzinfo=None)
        assert 0 < ahead.total_seconds() <= 24 * 3600
        local = until.replace(tzinfo=UTC).astimezone()
        assert local.strftime("%H:%M") == value
    assert parse_until(None) is None


def test_a_bad_until_names_the_option_and_the_value() -> None:
    """Not a time of day -> a usage error (exit 2) naming --until and the value."""
    with pytest.raises(click.BadParameter, match="'25:99' is not a time of day") as caught:
        parse_until("25:99")
    assert caught.value.param_hint == "--until"
