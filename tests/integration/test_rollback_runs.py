"""Rolling back one run: aliased batches, checks before changes, and a stopped rollback finished by the next."""

from __future__ import annotations

from pathlib import Path

import httpx
import sqlalchemy as sa
from engine_support import ENV, ITEMS_BOARD, SUBITEMS_BOARD, Demo, make_demo

from sync.connect import build_client
from sync.emulator import EmulatorTransport
from sync.monday.client import MondayClient
from sync.monday.models import NewItem
from sync.rollback import RollbackReport, rollback_with


class _DiesAfter(httpx.BaseTransport):
    """The emulator, until ``requests`` requests have gone through; then the network is gone."""

    def __init__(self, inner: httpx.BaseTransport, requests: int) -> None:
        self.inner, self.left = inner, requests

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left <= 0:
            raise httpx.ConnectError("connection refused", request=request)
        self.left -= 1
        return self.inner.handle_request(request)


def _client(demo: Demo, *, batch: int = 50, dies_after: int | None = None) -> MondayClient:
    transport: httpx.BaseTransport = EmulatorTransport(demo.emulator)
    if dies_after is not None:
        transport = _DiesAfter(transport, dies_after)
    client = build_client(demo.config, ENV, transport, "test-token")
    client.max_batch = batch
    client._sleep = lambda _s: None
    return client


def _rollback(demo: Demo, run_id: str, client: MondayClient | None = None) -> RollbackReport:
    return rollback_with(demo.config, ENV, run_id, client=client or _client(demo), db=demo.db, tables=demo.tables)


def _active(demo: Demo, board: int) -> list[tuple[int, str | None]]:
    return sorted((r.id, r.group_id) for r in _client(demo).iter_items(board, limit=500))


def _op_statuses(demo: Demo, run_id: str) -> dict[str, int]:
    ops = demo.tables.operations
    with demo.db.connect() as conn:
        rows = conn.execute(
            sa.select(ops.c.status, sa.func.count()).where(ops.c.run_id == run_id).group_by(ops.c.status)
        ).all()
    return {str(s): int(n) for s, n in rows}


def _run_status(demo: Demo, run_id: str) -> str:
    runs = demo.tables.runs
    with demo.db.connect() as conn:
        return str(conn.execute(sa.select(runs.c.status).where(runs.c.run_id == run_id)).scalar_one())


def test_rollback_sends_aliased_batches_and_no_request_per_subitem(tmp_path: Path, database_url: str) -> None:
    """40 orders (~150 subitems) at 50 aliases: one delete request per 50 items, none for subitems."""
    with make_demo(tmp_path, database_url, orders=40) as demo:
        run = demo.sync()
        items, subitems = len(_active(demo, ITEMS_BOARD)), len(_active(demo, SUBITEMS_BOARD))
        assert items == 40 and subitems > 40
        mark = len(demo.emulator.operation_log)
        report = _rollback(demo, run.run_id)
        assert report.complete, report.lines()
        deletes = [r for r in demo.ops()[mark:] if r.op == "delete_item"]
        assert len({r.request_id for r in deletes}) == 1  # 40 items in one aliased request
        assert len(deletes) == items  # no subitem needed a request of its own
        assert report.api_requests <= 4  # boards, items page, one delete batch, one group batch
        assert _active(demo, ITEMS_BOARD) == [] and _active(demo, SUBITEMS_BOARD) == []
        assert report.deleted == items + subitems  # the ledger is exact: every subitem counted and marked
        assert set(_op_statuses(demo, run.run_id)) == {"UNDONE"}
        assert _run_status(demo, run.run_id) == "ROLLED_BACK"


def test_a_group_holding_someone_elses_item_refuses_the_rollback_before_any_change(
    tmp_path: Path, database_url: str
) -> None:
    """The run created a group; a person put an item in it: nothing is deleted, and it says why."""
    with make_demo(tmp_path, database_url, orders=8) as demo:
        run = demo.sync()
        group = _active(demo, ITEMS_BOARD)[0][1]
        foreign = _client(demo).create_items(
            ITEMS_BOARD, [NewItem("x", "placed by hand", group, {})], create_labels=False, idempotency_key="hand"
        )[0]
        board_before = (_active(demo, ITEMS_BOARD), _active(demo, SUBITEMS_BOARD))
        db_before = demo.rows(demo.tables.target)
        report = _rollback(demo, run.run_id)
        assert not report.complete and report.refused
        assert any(f"group {group}" in why and str(foreign.item_id) in why for why in report.refused)
        assert report.lines()[0].endswith("rollback refused, nothing was changed")
        assert (_active(demo, ITEMS_BOARD), _active(demo, SUBITEMS_BOARD)) == board_before
        assert demo.rows(demo.tables.target) == db_before
        assert "UNDONE" not in _op_statuses(demo, run.run_id)
        assert _run_status(demo, run.run_id) != "ROLLBACK_PARTIAL"


def test_a_rollback_stopped_midway_lists_what_is_left_and_the_next_one_finishes(
    tmp_path: Path, database_url: str
) -> None:
    """The network dies after the first delete batch: the report names what is left, the rerun completes."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        run = demo.sync()
        db_after_nothing = []  # the first run inserted every target row; a full rollback removes them
        # 3 reads (boards, items page, lookups none) + 1 delete batch of 10 go through, then nothing
        first = _rollback(demo, run.run_id, _client(demo, batch=10, dies_after=3))
        assert not first.complete and not first.refused
        assert first.deleted > 0
        left = len(_active(demo, ITEMS_BOARD))
        assert 0 < left < 30
        assert any("database not restored yet" in item for item in first.remaining)
        assert any("group(s)" in item for item in first.remaining)
        assert _run_status(demo, run.run_id) == "ROLLBACK_PARTIAL"
        assert demo.rows(demo.tables.target) != db_after_nothing  # the database waits for the board
        second = _rollback(demo, run.run_id)
        assert second.complete, second.lines()
        assert _active(demo, ITEMS_BOARD) == [] and _active(demo, SUBITEMS_BOARD) == []
        assert demo.rows(demo.tables.target) == db_after_nothing
        assert set(_op_statuses(demo, run.run_id)) == {"UNDONE"}
        assert _run_status(demo, run.run_id) == "ROLLED_BACK"
        third = _rollback(demo, run.run_id)
        assert third.complete and third.already_rolled_back and third.api_requests == 0


def test_the_ledger_kinds_each_have_one_undo_entry() -> None:
    """A new ledger kind is one entry; an unknown kind refuses the rollback (plan_rollback's check)."""
    from sync.rollback import UNDO

    assert {"create_group", "create_item", "update_item", "create_subitem", "update_subitem", "delete_subitem"} <= set(
        UNDO
    )
    assert "move_item" in UNDO
