"""The sync engine end to end against the in-process emulator, on SQLite (and PostgreSQL in CI)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from engine_support import ITEMS_BOARD, SUBITEMS_BOARD, Demo, make_demo

from sync.emulator import FaultProfile
from sync.engine import SyncOptions
from sync.mapping import group_name
from sync.rollback import rollback_with

pytestmark = pytest.mark.postgres


def _board_items(demo: Demo, board: int) -> list[dict[str, object]]:
    client = demo.client()
    return [
        {"id": r.id, "name": r.name, "group": r.group_id, "parent": r.parent_id, "values": r.values}
        for r in client.iter_items(board, limit=100)
    ]


def _assert_no_duplicates(demo: Demo) -> None:
    orders = Counter(r["values"]["text_mkr5wya6"].text for r in _board_items(demo, ITEMS_BOARD))
    assert max(orders.values(), default=1) == 1, "two items for one order"
    groups = Counter(g.title for g in demo.client().get_boards([ITEMS_BOARD])[0].groups)
    assert max(groups.values(), default=1) == 1, "a group was created twice"
    subitems = Counter((r["parent"], r["name"]) for r in _board_items(demo, SUBITEMS_BOARD))
    assert max(subitems.values(), default=1) == 1, "two subitems for one line"


def test_demo_end_to_end_puts_every_order_and_line_on_the_board(tmp_path: Path, database_url: str) -> None:
    """Every order becomes one item in its customer/season group and every line one subitem."""
    with make_demo(tmp_path, database_url, orders=40) as demo:
        summary = demo.sync()
        assert summary.passed and summary.status == "SUCCEEDED"
        orders = demo.rows(demo.tables.target)
        lines = demo.rows(demo.tables.lines)
        assert {r["sync_state"] for r in orders} == {"SYNCED"}
        assert {r["sync_state"] for r in lines} == {"SYNCED"}
        board = {r["id"]: r for r in _board_items(demo, ITEMS_BOARD)}
        groups = {g.id: g.title for g in demo.client().get_boards([ITEMS_BOARD])[0].groups}
        for row in orders:
            item = board[row["monday_item_id"]]
            assert groups[str(item["group"])] == group_name(demo.config.groups, row)
        subitems = _board_items(demo, SUBITEMS_BOARD)
        assert len(subitems) == len(lines) == summary.subitems_created
        assert summary.items_created == len(orders) == 40


def test_labels_are_created_only_where_the_config_allows(tmp_path: Path, database_url: str) -> None:
    """AAG SEASON gets new labels; CUSTOMER (creation forbidden) keeps its seeded labels."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        before = {c.id: c.settings for c in demo.client().get_boards([ITEMS_BOARD])[0].columns}
        demo.sync()
        after = {c.id: c.settings for c in demo.client().get_boards([ITEMS_BOARD])[0].columns}
        assert after["dropdown_mkr542p2"] == before["dropdown_mkr542p2"]
        seasons = {label["name"] for label in after["dropdown_mkr58de6"]["labels"]}
        assert "2025 FALL" in seasons or "2026 SPRING" in seasons


def test_second_run_without_changes_sends_no_mutation(tmp_path: Path, database_url: str) -> None:
    """Nothing changed in staging -> zero mutations."""
    with make_demo(tmp_path, database_url, orders=20) as demo:
        demo.sync()
        logged = len(demo.ops())
        summary = demo.sync()
        assert summary.api_mutations == 0
        assert len(demo.ops()) == logged
        assert summary.changes["unchanged"] == 20


def test_quantity_change_new_size_and_cancellation_produce_exactly_the_expected_updates(
    tmp_path: Path,
    database_url: str,
) -> None:
    """A changed qty updates one subitem, a new size creates one, a cancel zeroes every line."""
    with make_demo(tmp_path, database_url, orders=20) as demo:
        demo.sync()
        staging = demo.tables.staging
        rows = demo.rows(staging)
        sizes = demo.tables.sizes
        first, second, third = rows[0], rows[1], rows[2]
        qty_size = next(s for s in sizes if first[s])
        new_size = next(s for s in sizes if not second[s] and s not in ("OS", "O/S", "ONE SIZE"))
        cancelled_lines = sum(1 for s in sizes if third[s])
        demo.execute(
            staging.update()
            .where(staging.c.record_uuid == first["record_uuid"])
            .values({qty_size: first[qty_size] + 6, "TOTAL QTY": first["TOTAL QTY"] + 6})
        )
        demo.execute(
            staging.update()
            .where(staging.c.record_uuid == second["record_uuid"])
            .values({new_size: 24, "TOTAL QTY": second["TOTAL QTY"] + 24})
        )
        demo.execute(
            staging.update().where(staging.c.record_uuid == third["record_uuid"]).values({"ORDER TYPE": "CANCELLED"})
        )
        logged = len(demo.ops())
        summary = demo.sync()
        new_ops = Counter((op.op, int(op.board_id)) for op in demo.ops()[logged:])
        assert summary.changes["updated"] == 3 and summary.changes["cancelled"] == 1
        assert new_ops[("change_column_values", ITEMS_BOARD)] == 3
        assert new_ops[("create_subitem", SUBITEMS_BOARD)] == 1
        assert new_ops[("change_column_values", SUBITEMS_BOARD)] == 1 + cancelled_lines
        assert sum(new_ops.values()) == 3 + 1 + 1 + cancelled_lines
        lines = demo.rows(demo.tables.lines, demo.tables.lines.c.record_uuid == third["record_uuid"])
        assert lines and all(line["qty"] == 0 and line["sync_state"] == "SYNCED" for line in lines)


def test_fault_storm_ends_with_exactly_one_item_per_order(tmp_path: Path, database_url: str) -> None:
    """Seeded 429s, 500s and timeouts (some after apply): reruns converge, nothing lost or doubled."""
    faults = FaultProfile(rate_429=0.1, rate_500=0.1, rate_timeout=0.05, rate_timeout_after_apply=0.1, seed=11)
    with make_demo(tmp_path, database_url, orders=40, faults=faults) as demo:
        for _ in range(8):
            demo.sync()
            pending = demo.rows(demo.tables.target, demo.tables.target.c.sync_state != "SYNCED")
            pending_lines = demo.rows(demo.tables.lines, demo.tables.lines.c.sync_state != "SYNCED")
            if not pending and not pending_lines:
                break
        assert not pending and not pending_lines
        _assert_no_duplicates(demo)
        assert len(_board_items(demo, ITEMS_BOARD)) == 40


class _Crash(BaseException):
    """Stands in for the process being killed (not an Exception: nothing may catch it)."""


def test_a_run_killed_mid_way_resumes_without_duplicates(tmp_path: Path, database_url: str) -> None:
    """Kill the engine after some requests were applied; the next run adopts and finishes."""
    with make_demo(tmp_path, database_url, orders=60) as demo:
        client = demo.client()
        real_send = client.http.send
        calls = {"n": 0}

        def send_then_die(request, **kwargs):  # type: ignore[no-untyped-def]
            response = real_send(request, **kwargs)
            calls["n"] += 1
            if calls["n"] == 6:
                raise _Crash
            return response

        client.http.send = send_then_die  # type: ignore[method-assign]
        demo.config = demo.config.model_copy(update={"sync": demo.config.sync.model_copy(update={"batch_size": 10})})
        from sync.engine import run_with

        with pytest.raises(_Crash):
            run_with(demo.config, "development", SyncOptions(), client=client, db=demo.db, tables=demo.tables)
        summary = demo.sync()
        assert summary.passed
        assert {r["sync_state"] for r in demo.rows(demo.tables.target)} == {"SYNCED"}
        assert {r["sync_state"] for r in demo.rows(demo.tables.lines)} == {"SYNCED"}
        _assert_no_duplicates(demo)
        assert len(_board_items(demo, ITEMS_BOARD)) == 60


def test_bad_rows_are_reported_per_row_and_the_rest_sync(tmp_path: Path, database_url: str) -> None:
    """Text in a numbers column, a forbidden label, no order number, a too-long name, a duplicate key."""
    with make_demo(tmp_path, database_url, orders=20, with_bad_rows=True) as demo:
        summary = demo.sync()
        errors = {
            r["AAG ORDER NUMBER"]: r["sync_error_message"]
            for r in demo.rows(demo.tables.target, demo.tables.target.c.sync_state == "ERROR")
        }
        messages = " | ".join(errors.values())
        assert "DESIGN FEE" in messages and "'TBC'" in messages
        assert "UNLISTED CUSTOMER" in messages and "label creation is not allowed" in messages
        rejected = summary.changes["rejected"]
        assert any(r["reason"] == "no AAG ORDER NUMBER" for r in rejected)
        assert any("more than once" in r["reason"] for r in rejected)
        assert any("truncated to 255" in w for w in summary.warnings)
        synced = demo.rows(demo.tables.target, demo.tables.target.c.sync_state == "SYNCED")
        assert len(synced) == 20 + 1  # the long-named order syncs with a truncated name
        assert all(len(r["item_name"]) <= 255 for r in synced)
        assert summary.rows_rejected == 2


def test_dry_run_writes_nothing_anywhere(tmp_path: Path, database_url: str) -> None:
    """A dry run plans every order but leaves the database and the board untouched."""
    with make_demo(tmp_path, database_url, orders=15) as demo:
        summary = demo.sync(SyncOptions(dry_run=True))
        assert summary.plan["items_to_create"] == 15 and summary.plan["groups_to_create"]
        assert demo.rows(demo.tables.target) == []
        assert demo.ops() == []


def test_rollback_restores_board_and_database_after_an_update_run(tmp_path: Path, database_url: str) -> None:
    """Run 1, change staging, run 2, roll back run 2: board values and DB rows equal those after run 1."""
    with make_demo(tmp_path, database_url, orders=15) as demo:
        demo.sync()
        board_after_1 = {r["id"]: {k: v.text for k, v in r["values"].items()} for r in _board_items(demo, ITEMS_BOARD)}
        subs_after_1 = sorted((r["parent"], r["name"]) for r in _board_items(demo, SUBITEMS_BOARD))
        db_after_1 = sorted(demo.rows(demo.tables.target), key=lambda r: r["record_uuid"])
        lines_after_1 = sorted(demo.rows(demo.tables.lines), key=lambda r: r["line_uuid"])
        staging = demo.tables.staging
        demo.execute(
            staging.update()
            .where(staging.c["CUSTOMER NAME"] == "GREYSON")
            .values({"PO NUMBER": "CHANGED", "ORDER TYPE": "CANCELLED"})
        )
        demo.execute(
            staging.insert().values(
                dict(demo.rows(staging)[0], record_uuid="new-order-uuid", **{"AAG ORDER NUMBER": "NEW-000001"})
            )
        )
        run2 = demo.sync()
        assert run2.items_updated >= 1 and run2.items_created == 1
        report = rollback_with(
            demo.config, "development", run2.run_id, client=demo.client(), db=demo.db, tables=demo.tables
        )
        assert report.complete, report.remaining
        board_now = {r["id"]: {k: v.text for k, v in r["values"].items()} for r in _board_items(demo, ITEMS_BOARD)}
        assert board_now == board_after_1
        assert sorted((r["parent"], r["name"]) for r in _board_items(demo, SUBITEMS_BOARD)) == subs_after_1
        assert sorted(demo.rows(demo.tables.target), key=lambda r: r["record_uuid"]) == db_after_1
        assert sorted(demo.rows(demo.tables.lines), key=lambda r: r["line_uuid"]) == lines_after_1
        again = rollback_with(
            demo.config, "development", run2.run_id, client=demo.client(), db=demo.db, tables=demo.tables
        )
        assert again.complete and again.deleted == 0


def test_rollback_of_a_first_run_empties_the_board_and_the_target(tmp_path: Path, database_url: str) -> None:
    """Undoing the very first run leaves no item, no created group and no target row."""
    with make_demo(tmp_path, database_url, orders=12) as demo:
        groups_before = len(demo.client().get_boards([ITEMS_BOARD])[0].groups)
        run = demo.sync()
        report = rollback_with(
            demo.config, "development", run.run_id, client=demo.client(), db=demo.db, tables=demo.tables
        )
        assert report.complete
        assert _board_items(demo, ITEMS_BOARD) == [] and _board_items(demo, SUBITEMS_BOARD) == []
        assert len(demo.client().get_boards([ITEMS_BOARD])[0].groups) == groups_before
        with demo.db.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(demo.tables.target)).scalar() == 0
            assert conn.execute(sa.select(sa.func.count()).select_from(demo.tables.lines)).scalar() == 0


def test_retry_redrives_error_rows_with_bounded_attempts(tmp_path: Path, database_url: str) -> None:
    """An ERROR row syncs on `retry` once its cause is fixed; rows past --max-retries are left alone."""
    with make_demo(tmp_path, database_url, orders=10, with_bad_rows=True) as demo:
        demo.sync()
        target = demo.tables.target
        stuck = demo.rows(target, target.c["CUSTOMER NAME"] == "UNLISTED CUSTOMER")[0]
        assert stuck["sync_state"] == "ERROR" and stuck["retry_count"] == 1
        env = demo.config.environment("development")
        items = dict(env.mapping.items)
        items["CUSTOMER NAME"] = items["CUSTOMER NAME"].model_copy(update={"create_labels_if_missing": True})
        mapping = env.mapping.model_copy(update={"items": items})
        envs = {**demo.config.environments, "development": env.model_copy(update={"mapping": mapping})}
        demo.config = demo.config.model_copy(update={"environments": envs})
        retry = SyncOptions(detect=False, states=("ERROR",), max_retries=1, kind="retry")
        assert demo.sync(retry).items_created == 0  # retry_count 1 is not < 1: bounded
        summary = demo.sync(SyncOptions(detect=False, states=("ERROR",), max_retries=3, kind="retry"))
        assert summary.items_created == 1
        assert demo.rows(target, target.c.record_uuid == stuck["record_uuid"])[0]["sync_state"] == "SYNCED"
        still = demo.rows(target, target.c.sync_state == "ERROR")
        assert [r["AAG ORDER NUMBER"] for r in still] == [
            demo.rows(target, target.c["DESIGN FEE"] == "TBC")[0]["AAG ORDER NUMBER"]
        ]


def test_a_refused_group_errors_only_its_orders(tmp_path: Path, database_url: str) -> None:
    """When monday refuses one group, its orders get ERROR naming it and every other order syncs."""
    from sync.engine import run_with
    from sync.monday.errors import MondayRecordError

    with make_demo(tmp_path, database_url, orders=20) as demo:
        client = demo.client()
        real = client.create_groups
        refused: list[str] = []

        def refuse_first(board_id, names, *, idempotency_key):  # type: ignore[no-untyped-def]
            refused.append(names[0])
            answers = real(board_id, names[1:], idempotency_key=idempotency_key)
            return {names[0]: MondayRecordError("no permission", code="UserUnauthorizedException"), **answers}

        client.create_groups = refuse_first  # type: ignore[method-assign]
        summary = run_with(demo.config, "development", SyncOptions(), client=client, db=demo.db, tables=demo.tables)
        target = demo.tables.target
        errors = demo.rows(target, target.c.sync_state == "ERROR")
        assert errors and all(refused[0] in r["sync_error_message"] for r in errors)
        assert len(demo.rows(target, target.c.sync_state == "SYNCED")) == 20 - len(errors)
        assert summary.rows_rejected == len(errors)
