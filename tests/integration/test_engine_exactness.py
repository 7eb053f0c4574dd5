"""Exactly once, whatever happens: the run lease, settled ledgers, group moves, pauses, crashes."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from engine_support import ENV, ITEMS_BOARD, SUBITEMS_BOARD, Demo, make_demo

from sync.engine import LeaseHeldError, SyncOptions, run_with
from sync.engine.lease import Lease
from sync.engine.ledger import OpStatus, utcnow
from sync.errors import RetriableError
from sync.monday.errors import MondayFatalError
from sync.rollback import rollback_with

pytestmark = pytest.mark.postgres

ORDER_COLUMN = "text_mkr5wya6"


def _items(demo: Demo, board: int) -> list[Any]:
    return list(demo.client().iter_items(board, limit=100))


def _assert_exactly_once(demo: Demo) -> None:
    orders = Counter(r.values[ORDER_COLUMN].text for r in _items(demo, ITEMS_BOARD))
    assert max(orders.values(), default=1) == 1, f"two items for one order: {orders.most_common(3)}"
    groups = Counter(g.title for g in demo.client().get_boards([ITEMS_BOARD])[0].groups)
    assert max(groups.values(), default=1) == 1, f"a group was created twice: {groups.most_common(3)}"
    subitems = Counter((r.parent_id, r.name) for r in _items(demo, SUBITEMS_BOARD))
    assert max(subitems.values(), default=1) == 1, "two subitems for one line"


def _statuses(demo: Demo, run_id: str | None = None) -> Counter[str]:
    ops = demo.tables.operations
    where = [] if run_id is None else [ops.c.run_id == run_id]
    return Counter(r["status"] for r in demo.rows(ops, *where))


def _all_synced(demo: Demo) -> bool:
    target, lines = demo.tables.target, demo.tables.lines
    return not demo.rows(target, target.c.sync_state != "SYNCED") and not demo.rows(
        lines, lines.c.sync_state != "SYNCED"
    )


def _small_batches(demo: Demo, size: int = 5) -> None:
    demo.config = demo.config.model_copy(update={"sync": demo.config.sync.model_copy(update={"batch_size": size})})


def test_two_syncs_at_once_and_one_mid_run_leave_exactly_one_of_everything(tmp_path: Path, database_url: str) -> None:
    """Two runs started together and a third started mid-run: one writes, the others are refused by the lease."""
    with make_demo(tmp_path, database_url, orders=40) as demo:
        _small_batches(demo)
        start = threading.Barrier(2)
        results: dict[str, Any] = {}
        mid_run: list[BaseException] = []

        def progress(done: int, _total: int) -> None:
            if done and not mid_run:
                try:
                    demo.sync(SyncOptions(detect=False))
                except LeaseHeldError as exc:
                    mid_run.append(exc)

        def one(name: str) -> None:
            start.wait()
            try:
                results[name] = demo.sync(SyncOptions(on_progress=progress))
            except LeaseHeldError as exc:
                results[name] = exc

        threads = [threading.Thread(target=one, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        refused = [r for r in results.values() if isinstance(r, LeaseHeldError)]
        finished = [r for r in results.values() if not isinstance(r, LeaseHeldError)]
        assert len(refused) == 1 and len(finished) == 1, results
        assert "locked by run" in str(refused[0]) and finished[0].run_id in str(refused[0])
        assert mid_run and finished[0].run_id in str(mid_run[0])
        assert finished[0].status == "SUCCEEDED" and _all_synced(demo)
        _assert_exactly_once(demo)
        assert len(_items(demo, ITEMS_BOARD)) == 40
        assert demo.rows(demo.tables.leases) == []  # released at the end


def test_an_expired_lease_is_taken_over_and_a_live_one_refuses(tmp_path: Path, database_url: str) -> None:
    """A dead holder's lease expires and the next run takes it over; a live one names its holder."""
    with make_demo(tmp_path, database_url, orders=5) as demo:
        live = Lease(demo.db, demo.tables, ENV, "20260101T000000Z-development-sync-deadbeef")
        live.acquire()
        with pytest.raises(LeaseHeldError, match="deadbeef"):
            demo.sync()
        leases = demo.tables.leases
        demo.execute(leases.update().values(expires_at=utcnow() - timedelta(seconds=1)))
        summary = demo.sync()
        assert summary.status == "SUCCEEDED"
        assert live.renew() is False and live.lost  # the dead run would stop writing if it woke up


class _Crash(BaseException):
    """Stands in for kill -9 (not an Exception: nothing may catch it)."""


def _crash_after(demo: Demo, requests: int) -> str:
    client = demo.client()
    real_send = client.http.send
    calls = {"n": 0}

    def send_then_die(request: Any, **kwargs: Any) -> Any:
        response = real_send(request, **kwargs)
        calls["n"] += 1
        if calls["n"] == requests:
            raise _Crash
        return response

    client.http.send = send_then_die  # type: ignore[method-assign]
    with pytest.raises(_Crash):
        run_with(demo.config, ENV, SyncOptions(), client=client, db=demo.db, tables=demo.tables)
    runs = demo.tables.runs
    return str(demo.rows(runs)[-1]["run_id"])


@pytest.mark.parametrize("requests", [3, 6, 9])
def test_a_crash_then_a_rerun_then_rollbacks_leave_board_and_database_as_before(
    tmp_path: Path, database_url: str, requests: int
) -> None:
    """Crash mid-run; the re-run adopts what the crash left SENT; rolling both back restores the start."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        _small_batches(demo, 10)
        groups_before = sorted(g.title for g in demo.client().get_boards([ITEMS_BOARD])[0].groups)
        crashed = _crash_after(demo, requests)
        assert _statuses(demo, crashed)[OpStatus.SENT] >= 1  # the answer in flight was lost
        rerun = demo.sync()
        assert rerun.status == "SUCCEEDED" and rerun.success_rate == 1.0
        assert _statuses(demo)[OpStatus.SENT] == 0, "a SENT row survived the re-run"
        assert _statuses(demo, crashed)[OpStatus.ADOPTED] >= 1
        _assert_exactly_once(demo)
        for run_id in (rerun.run_id, crashed):
            report = rollback_with(demo.config, ENV, run_id, client=demo.client(), db=demo.db, tables=demo.tables)
            assert report.complete, report.remaining
        assert _items(demo, ITEMS_BOARD) == [] and _items(demo, SUBITEMS_BOARD) == []
        assert sorted(g.title for g in demo.client().get_boards([ITEMS_BOARD])[0].groups) == groups_before
        assert demo.rows(demo.tables.target) == [] and demo.rows(demo.tables.lines) == []


def test_a_lost_answer_is_adopted_in_the_run_and_the_rate_counts_rows(tmp_path: Path, database_url: str) -> None:
    """monday applied a create but the answer never came: the run adopts it, every row ends SYNCED, rate 100%."""
    with make_demo(tmp_path, database_url, orders=20) as demo:
        client = demo.client()
        real = client.create_items
        lost = {"n": 0}

        def apply_then_lose(*args: Any, **kwargs: Any) -> Any:
            outcomes = real(*args, **kwargs)
            if lost["n"] == 0:
                lost["n"] = len(outcomes)
                raise RetriableError("read timeout after monday applied the request")
            return outcomes

        client.create_items = apply_then_lose  # type: ignore[method-assign]
        summary = run_with(demo.config, ENV, SyncOptions(), client=client, db=demo.db, tables=demo.tables)
        assert lost["n"] > 0 and summary.adopted >= lost["n"]
        assert summary.status == "SUCCEEDED" and summary.passed and summary.success_rate == 1.0
        assert _statuses(demo)[OpStatus.ADOPTED] == lost["n"] and _statuses(demo)[OpStatus.SENT] == 0
        assert _all_synced(demo)
        _assert_exactly_once(demo)


def test_a_changed_season_moves_the_item_and_rollback_moves_it_back(tmp_path: Path, database_url: str) -> None:
    """Customer season edited: the item moves to its new group; the ledger keeps the old one for rollback."""
    with make_demo(tmp_path, database_url, orders=10) as demo:
        demo.sync()
        staging, target = demo.tables.staging, demo.tables.target
        row = demo.rows(target)[0]
        old_group = row["group_id"]
        demo.execute(
            staging.update()
            .where(staging.c.record_uuid == row["record_uuid"])
            .values({"CUSTOMER SEASON": "MOVED SEASON 2099"})
        )
        run2 = demo.sync()
        assert run2.status == "SUCCEEDED" and run2.items_moved == 1
        groups = {g.id: g.title for g in demo.client().get_boards([ITEMS_BOARD])[0].groups}
        item = demo.client().get_items([row["monday_item_id"]])[0]
        assert groups[item.group_id].endswith("MOVED SEASON 2099")
        after = demo.rows(target, target.c.record_uuid == row["record_uuid"])[0]
        assert after["group_id"] == item.group_id and after["group_name"] == groups[item.group_id]
        moves = [op for op in demo.rows(demo.tables.operations) if op["operation"] == "move_item"]
        assert len(moves) == 1 and moves[0]["status"] == "APPLIED" and old_group in moves[0]["before"]
        assert [op.op for op in demo.ops("move_item_to_group")] == ["move_item_to_group"]
        report = rollback_with(demo.config, ENV, run2.run_id, client=demo.client(), db=demo.db, tables=demo.tables)
        assert report.complete, report.remaining
        assert demo.client().get_items([row["monday_item_id"]])[0].group_id == old_group
        assert demo.rows(target, target.c.record_uuid == row["record_uuid"])[0]["group_id"] == old_group


@pytest.mark.parametrize("budget", ["max_requests", "until"])
def test_a_budget_pauses_cleanly_and_the_next_run_resumes(tmp_path: Path, database_url: str, budget: str) -> None:
    """--max-requests / --until: the batch in flight settles, the run is PAUSED, the next one finishes."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        _small_batches(demo)
        if budget == "max_requests":
            options = SyncOptions(max_requests=15)
        else:
            options = SyncOptions(until=utcnow() - timedelta(seconds=1))
        paused = demo.sync(options)
        assert paused.status == "PAUSED" and paused.stop_reason and budget.replace("_", "-") in paused.stop_reason
        if budget == "max_requests":
            assert paused.api_requests <= 15 + 3  # no batch starts past the budget; one batch is a few requests
            assert paused.items_created > 0
        else:
            assert paused.items_created == 0
        assert _statuses(demo)[OpStatus.SENT] == 0
        assert demo.rows(demo.tables.runs, demo.tables.runs.c.run_id == paused.run_id)[0]["status"] == "PAUSED"
        assert not _all_synced(demo)
        resumed = demo.sync()
        assert resumed.status == "SUCCEEDED" and _all_synced(demo)
        assert resumed.items_created == 30 - paused.items_created
        lines = len(demo.rows(demo.tables.lines))
        assert paused.subitems_created + resumed.subitems_created == lines
        _assert_exactly_once(demo)


def test_the_daily_limit_pauses_the_run_and_the_next_run_resumes(tmp_path: Path, database_url: str) -> None:
    """monday answers DAILY_LIMIT_EXCEEDED: the run settles, is PAUSED with a clear reason, then resumes."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        _small_batches(demo)
        client = demo.client()
        real = client.create_items
        calls = {"n": 0}

        def limited(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] > 2:
                raise MondayFatalError("Daily limit exceeded", code="DAILY_LIMIT_EXCEEDED")
            return real(*args, **kwargs)

        client.create_items = limited  # type: ignore[method-assign]
        paused = run_with(demo.config, ENV, SyncOptions(), client=client, db=demo.db, tables=demo.tables)
        assert paused.status == "PAUSED" and "daily request limit" in str(paused.stop_reason)
        assert paused.items_created == 10
        statuses = _statuses(demo, paused.run_id)
        assert statuses[OpStatus.SENT] == 0 and statuses[OpStatus.FAILED] == 5  # the refused batch, left PENDING
        target = demo.tables.target
        assert not demo.rows(target, target.c.sync_state == "ERROR")
        resumed = demo.sync()
        assert resumed.status == "SUCCEEDED" and _all_synced(demo)
        _assert_exactly_once(demo)
        assert len(_items(demo, ITEMS_BOARD)) == 30


def test_the_progress_total_uses_the_same_filter_as_the_read(tmp_path: Path, database_url: str) -> None:
    """--customer: the progress bar's total is that customer's pending orders, not every pending order."""
    with make_demo(tmp_path, database_url, orders=20) as demo:
        staging = demo.tables.staging
        with demo.db.connect() as conn:
            customer = conn.execute(sa.select(staging.c["CUSTOMER NAME"]).limit(1)).scalar_one()
            expected = conn.execute(
                sa.select(sa.func.count()).select_from(staging).where(staging.c["CUSTOMER NAME"] == customer)
            ).scalar_one()
        seen: list[tuple[int, int]] = []
        demo.sync(SyncOptions(customer=customer, on_progress=lambda d, t: seen.append((d, t))))
        assert seen and all(total == expected for _, total in seen) and seen[-1][0] == expected
