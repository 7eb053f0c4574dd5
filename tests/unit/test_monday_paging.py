"""A walk whose cursor dies (monday's 60 minutes, emulator clock advanced) restarts at page 1, each item once."""

from __future__ import annotations

import httpx
import pytest

from sync.emulator import EmulatorTransport
from sync.emulator.app import Emulator
from sync.emulator.testing import FakeClock, make_emulator
from sync.monday.client import MondayClient
from sync.monday.errors import MondayCursorExpiredError, MondayFatalError
from sync.monday.models import ClientStats, NewItem
from sync.monday.paging import MAX_FRUITLESS_RESTARTS, walk_items
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

BOARD = 9609317401
CURSOR_LIFETIME_S = 60 * 60
KEY = "text_mkr5wya6"


class CursorKiller(httpx.BaseTransport):
    """Moves the emulator's clock past a cursor's lifetime before ``expiries`` next_items_page requests."""

    def __init__(self, inner: httpx.BaseTransport, clock: FakeClock, expiries: int) -> None:
        self.inner, self.clock, self.expiries = inner, clock, expiries

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.expiries and b'"NextItemsPage"' in request.read():
            self.clock.advance(CURSOR_LIFETIME_S + 1)
            self.expiries -= 1
        return self.inner.handle_request(request)


def setup(count: int, expiries: int, version: str = "2026-10") -> tuple[MondayClient, Emulator, FakeClock]:
    emulator, clock = make_emulator()
    transport = CursorKiller(EmulatorTransport(emulator), clock, expiries)
    http = build_http_client(api_url="https://api.monday.com/v2", token="t", api_version=version, transport=transport)
    client = MondayClient(http, retry=RetryPolicy(), pacer=None, sleep=clock.sleep, clock=clock)
    rows = [NewItem(f"k{i}", f"order {i}", "topics", {KEY: f"ORD-{i:03d}"}) for i in range(count)]
    assert all(o.ok for o in client.create_items(BOARD, rows, create_labels=False, idempotency_key="seed"))
    return client, emulator, clock


@pytest.mark.parametrize("version", ["2024-10", "2026-10"])
def test_expired_cursor_restarts_and_yields_every_item_once(version: str) -> None:
    """12 items, 5 per page, the cursor dies before page 2: all 12 come out exactly once (both formats)."""
    client, _, _ = setup(12, expiries=1, version=version)
    ids = [item.id for item in client.iter_items(BOARD, limit=5)]
    assert len(ids) == len(set(ids)) == 12
    assert client.stats.cursor_restarts == 1
    assert client.stats.errors_by_code == {"CursorException": 1}


def test_cursor_dying_mid_consumption_is_survived() -> None:
    """A consumer slower than the cursor's hour (clock advanced between pages) still gets every item."""
    client, _, clock = setup(12, expiries=0)
    walk = client.iter_items(BOARD, limit=5)
    first = [next(walk) for _ in range(5)]
    clock.advance(CURSOR_LIFETIME_S + 1)
    rest = list(walk)
    assert len({i.id for i in first + rest}) == len(first + rest) == 12


def test_lookup_by_column_restarts_too() -> None:
    """find_items_by_column pages with the same walk and survives an expiry."""
    client, _, _ = setup(3, expiries=1)
    found = client.find_items_by_column(BOARD, KEY, ["ORD-000", "ORD-002"])
    assert {k: len(v) for k, v in found.items()} == {"ORD-000": 1, "ORD-002": 1}


def test_a_walk_that_never_progresses_gives_up_naming_the_board() -> None:
    """Every next page expired: after MAX_FRUITLESS_RESTARTS restarts without a new item, a fatal error."""
    client, _, _ = setup(12, expiries=100)
    with pytest.raises(MondayFatalError) as info:
        list(client.iter_items(BOARD, limit=5))
    assert f"board {BOARD}" in str(info.value) and "cursor expired" in str(info.value)
    assert client.stats.cursor_restarts == MAX_FRUITLESS_RESTARTS + 1


def test_walk_items_dedups_by_id_across_restarts() -> None:
    """Unit: page 1 is served again after an expiry in a different order; no id comes out twice."""
    calls = {"first": 0}

    def first_page() -> dict[str, object]:
        calls["first"] += 1
        ids = ["1", "2"] if calls["first"] == 1 else ["2", "1"]
        return {"cursor": "c", "items": [{"id": i} for i in ids]}

    def next_page(cursor: str) -> dict[str, object]:
        if calls["first"] == 1:
            raise MondayCursorExpiredError("expired", code="CursorException")
        return {"cursor": None, "items": [{"id": "3"}, {"id": "1"}]}

    stats = ClientStats()
    assert [i.id for i in walk_items(first_page, next_page, stats, "board 1")] == [1, 2, 3]
    assert stats.cursor_restarts == 1
