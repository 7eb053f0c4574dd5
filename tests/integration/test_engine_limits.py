"""monday's account and board limits, end to end on the real emulator (no monkeypatched errors).

* The plan's daily call limit runs out mid-run: the run settles, is ``PAUSED`` with a message
  naming the limit and when it resets; the next UTC day (``FakeClock.next_day()``) a second
  run finishes. Exactly one item per order, one subitem per line, nothing left ``SENT``.
* A board's ``items_limit`` is reached: the run ends ``FAILED`` with a message naming the
  board and its capacity; the rows that did not fit stay ``PENDING`` so a later run, once
  there is room, pushes them (exactly once).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from engine_support import ITEMS_BOARD, SUBITEMS_BOARD, Demo, make_demo

from sync.emulator.model import Item
from sync.emulator.testing import FakeClock
from sync.engine import SyncOptions
from sync.engine.ledger import OpStatus
from sync.errors import FatalError

ORDER_COLUMN = "text_mkr5wya6"
#: The plan's daily calls in the first test: a few batches a day (the demo needs ~40 calls).
DAILY_CALLS = 10
MAX_DAYS = 10


def _items(demo: Demo, board: int) -> list[Item]:
    """Live items on a board, read from the emulator's state (reads over the API would spend daily calls)."""
    state = demo.emulator.state
    with state.lock:
        return [i for i in state.items.values() if i.board_id == str(board) and i.state != "deleted"]


def _assert_exactly_once(demo: Demo) -> None:
    orders = Counter(i.values[ORDER_COLUMN].text for i in _items(demo, ITEMS_BOARD))
    assert max(orders.values(), default=1) == 1, f"two items for one order: {orders.most_common(3)}"
    with demo.emulator.state.lock:
        titles = [g.title for g in demo.emulator.state.boards[str(ITEMS_BOARD)].groups if g.state != "deleted"]
    groups = Counter(titles)
    assert max(groups.values(), default=1) == 1, f"a group was created twice: {groups.most_common(3)}"
    subitems = Counter((i.parent_id, i.name) for i in _items(demo, SUBITEMS_BOARD))
    assert max(subitems.values(), default=1) == 1, "two subitems for one line"


def _states(demo: Demo, table: Any) -> Counter[str]:
    return Counter(r["sync_state"] for r in demo.rows(table))


def _ops(demo: Demo) -> Counter[str]:
    return Counter(r["status"] for r in demo.rows(demo.tables.operations))


def _small_batches(demo: Demo, size: int = 5) -> None:
    demo.config = demo.config.model_copy(update={"sync": demo.config.sync.model_copy(update={"batch_size": size})})


def test_the_real_daily_limit_pauses_the_run_and_the_next_day_resumes(tmp_path: Path, database_url: str) -> None:
    """10 calls a day: each day's run stops at the limit (naming it and its reset), the next day goes on."""
    clock = FakeClock()
    options = {"clock": clock, "sleep": clock.sleep, "daily_call_limit": DAILY_CALLS}
    with make_demo(tmp_path, database_url, orders=30, emulator_options=options) as demo:
        _small_batches(demo)
        target, lines = demo.tables.target, demo.tables.lines
        paused = demo.sync()
        assert paused.status == "PAUSED", paused.stop_reason
        reason = str(paused.stop_reason)
        assert "daily" in reason and "limit" in reason and "resets at" in reason and "UTC" in reason, reason
        assert demo.emulator.daily.exhausted() is not None  # the emulator's own count refused, nothing faked
        assert 0 < paused.items_created < 30
        assert paused.passed and paused.success_rate == 1.0  # the refused batch was never pushed: exit 0, no alert
        assert _ops(demo)[OpStatus.SENT] == 0, "a ledger row was left SENT"
        assert _ops(demo)[OpStatus.FAILED] > 0  # the refused batch, settled as not applied
        assert _states(demo, target)["ERROR"] == 0 and _states(demo, lines)["ERROR"] == 0  # refused rows stay PENDING
        assert _states(demo, target)["PENDING"] == 30 - paused.items_created
        _assert_exactly_once(demo)

        # The same day: the limit still holds; the run pauses at once and pushes nothing.
        again = demo.sync(SyncOptions(detect=False))
        assert again.status == "PAUSED" and again.items_created == again.subitems_created == 0

        runs = [paused, again]
        for _day in range(MAX_DAYS):
            clock.next_day()
            runs.append(demo.sync())
            assert _ops(demo)[OpStatus.SENT] == 0, "a ledger row was left SENT"
            _assert_exactly_once(demo)
            if runs[-1].status != "PAUSED":
                break
            assert runs[-1].items_created + runs[-1].subitems_created > 0, "a new day made no progress"
        last = runs[-1]
        assert last.status == "SUCCEEDED" and last.success_rate == 1.0, (last.status, last.stop_reason)
        assert len(runs) > 3  # the load really spanned several days
        line_count = len(demo.rows(lines))
        assert sum(r.items_created for r in runs) == 30
        assert sum(r.subitems_created for r in runs) == line_count
        assert set(_states(demo, target)) == {"SYNCED"} and set(_states(demo, lines)) == {"SYNCED"}
        assert len(_items(demo, ITEMS_BOARD)) == 30 and len(_items(demo, SUBITEMS_BOARD)) == line_count


def test_a_board_at_its_items_limit_ends_the_run_with_a_clear_error_and_resumes_once_there_is_room(
    tmp_path: Path, database_url: str
) -> None:
    """items_limit 12 and 30 orders: 12 items, a message naming board and capacity, the rest PENDING."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        _small_batches(demo, 5)
        board = demo.emulator.state.boards[str(ITEMS_BOARD)]
        board.items_limit = 12
        with pytest.raises(FatalError) as caught:
            demo.sync()
        message = str(caught.value)
        assert f"items board {ITEMS_BOARD} is full" in message and "items_limit of 12 items" in message, message
        assert "18 row(s) not pushed stay PENDING" in message and "Traceback" not in message, message
        refused = [op for op in demo.rows(demo.tables.operations) if op["status"] == OpStatus.FAILED]
        assert refused and all("ItemsLimitationException" in str(op["error"]) for op in refused), refused
        assert len(_items(demo, ITEMS_BOARD)) == 12
        assert _ops(demo)[OpStatus.SENT] == 0
        target = demo.tables.target
        states = _states(demo, target)
        assert states["SYNCED"] == 12 and states["PENDING"] == 18 and states["ERROR"] == 0, states
        run = demo.rows(demo.tables.runs)[-1]
        assert run["status"] == "FAILED"
        _assert_exactly_once(demo)

        board.items_limit = 10_000  # room made (a bigger plan, or items archived)
        resumed = demo.sync()
        assert resumed.status == "SUCCEEDED" and resumed.items_created == 18
        assert len(_items(demo, ITEMS_BOARD)) == 30
        assert set(_states(demo, target)) == {"SYNCED"}
        _assert_exactly_once(demo)
