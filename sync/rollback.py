"""Undo one run from its ledger: on the board, then in the database. Safe to run twice.

Board: what the run created is deleted (or archived), newest first; what it changed gets
the values monday held before (read just before the change and kept in the ledger).
Groups the run created are deleted only when nothing else lives in them.
Database: rows the run's change detection inserted are removed; rows it changed get
their pre-images back from ``ordersync_snapshots``; sync columns the push changed get
the values recorded in each operation's ``before``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.config import Config
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.engine.lease import hold_lease
from sync.errors import OrdersyncError
from sync.ledger import Ledger, OpStatus, from_jsonable, new_run_id
from sync.monday.client import MondayClient
from sync.monday.models import ItemUpdate

__all__ = ["RollbackReport", "rollback_run", "rollback_with"]

_WRITABLE_KEYS = ("ids", "labels", "index", "label", "date", "time", "text", "checked", "personsAndTeams")
_DB_ONLY = ("monday_values", "parent_item_id", "name")


@dataclass
class RollbackReport:
    """What a rollback undid, and anything it could not (``remaining``)."""

    run_id: str
    already_rolled_back: bool = False
    deleted: int = 0
    restored: int = 0
    groups_deleted: int = 0
    db_rows_removed: int = 0
    db_rows_restored: int = 0
    remaining: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when nothing is left to do by hand."""
        return not self.remaining


def rollback_run(config: Config, env_name: str, run_id: str, *, archive: bool = False) -> RollbackReport:
    """Open the environment and roll ``run_id`` back."""
    engine, tables = open_db(config, env_name)
    try:
        with open_client(config, env_name) as client:
            return rollback_with(config, env_name, run_id, client=client, db=engine, tables=tables, archive=archive)
    finally:
        engine.dispose()


def rollback_with(
    config: Config,
    env_name: str,
    run_id: str,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    archive: bool = False,
) -> RollbackReport:
    """Roll ``run_id`` back with a given client and database, holding the environment's lease."""
    with hold_lease(db, tables, env_name, new_run_id(env_name, "rollback")):
        return _rollback_held(config, env_name, run_id, client=client, db=db, tables=tables, archive=archive)


def _rollback_held(
    config: Config,
    env_name: str,
    run_id: str,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    archive: bool = False,
) -> RollbackReport:
    report = RollbackReport(run_id)
    runs, ops = tables.runs, tables.operations
    with db.connect() as conn:
        run = conn.execute(sa.select(runs).where(runs.c.run_id == run_id)).mappings().first()
        if run is None:
            raise OrdersyncError(f"no run {run_id!r} in the ledger of {env_name}")
        report.already_rolled_back = run["status"] == "ROLLED_BACK"
        todo = [
            dict(r)
            for r in conn.execute(
                sa.select(ops)
                .where(ops.c.run_id == run_id, ops.c.status.in_([OpStatus.APPLIED, OpStatus.ADOPTED, OpStatus.SENT]))
                .order_by(ops.c.seq.desc())
            ).mappings()
        ]
    env = config.environment(env_name)
    order_column = env.mapping.items["AAG ORDER NUMBER"].column
    for op in todo:
        _undo_on_board(op, client, (env.monday.board_id, order_column), archive, report, db, tables)
    with db.begin() as conn:
        for op in todo:
            _restore_sync_columns(conn, tables, op)
        _restore_snapshots(conn, tables, run_id, report)
        conn.execute(
            runs.update()
            .where(runs.c.run_id == run_id)
            .values(status="ROLLED_BACK" if report.complete else "ROLLBACK_PARTIAL")
        )
        ledger = Ledger(tables, new_run_id(env_name, "rollback"))
        ledger.start(conn, env_name, "rollback", rolls_back=run_id)
        ledger.finish(conn, "SUCCEEDED" if report.complete else "FAILED", report.__dict__)
    return report


def _undo_on_board(
    op: Mapping[str, Any],
    client: MondayClient,
    items_board: tuple[int, str],
    archive: bool,
    report: RollbackReport,
    db: Engine,
    tables: Tables,
) -> None:
    operation, monday_id = op["operation"], op["monday_id"]
    key = f"rollback-{op['run_id']}-{op['seq']}"
    before = json.loads(op["before"] or "null") or {}
    if op["status"] == OpStatus.SENT and operation == "create_item":
        monday_id = _look_up_unknown(op, client, items_board, db, tables)
        if monday_id is None:
            _mark(db, tables, op, OpStatus.UNDONE)
            return
    if operation in ("create_item", "create_subitem") and monday_id:
        outcome = client.delete_items([int(monday_id)], archive=archive, idempotency_key=key)[0]
        if outcome.ok or _is_gone(outcome.error):
            report.deleted += 1
        else:
            report.remaining.append(f"{operation} {monday_id}: could not delete ({outcome.error})")
            return
    elif operation in ("update_item", "update_subitem") and monday_id:
        values = {c: _writable(v) for c, v in (before.get("monday_values") or {}).items()}
        if values:
            board = op["board_id"]
            outcome = client.update_items(
                board, [ItemUpdate(str(monday_id), int(monday_id), values)], create_labels=False, idempotency_key=key
            )[0]
            if not (outcome.ok or _is_gone(outcome.error)):
                report.remaining.append(f"{operation} {monday_id}: could not restore values ({outcome.error})")
                return
        report.restored += 1
    elif operation == "move_item" and monday_id and before.get("group_id"):
        moved = client.move_items_to_group(
            [(str(monday_id), int(monday_id), str(before["group_id"]))], idempotency_key=key
        )
        if not (moved[0].ok or _is_gone(moved[0].error)):
            report.remaining.append(f"move_item {monday_id}: could not move back ({moved[0].error})")
            return
        report.restored += 1
    elif operation == "create_group" and monday_id:
        if not _undo_group(op, client, report, db, tables):
            return
    elif operation == "delete_subitem":
        report.remaining.append(f"subitem {monday_id} was deleted by the run; recreate it with the next sync")
    _mark(db, tables, op, OpStatus.UNDONE)


def _undo_group(
    op: Mapping[str, Any], client: MondayClient, report: RollbackReport, db: Engine, tables: Tables
) -> bool:
    board, group_id = int(op["board_id"]), str(op["monday_id"])
    live = {g.id for b in client.get_boards([board]) for g in b.groups}
    if group_id in live:
        if any(item.group_id == group_id for item in client.iter_items(board, limit=100)):
            report.remaining.append(f"group {group_id} on board {board} still holds items it did not get from this run")
            return False
        client.delete_group(board, group_id)
        report.groups_deleted += 1
    with db.begin() as conn:
        conn.execute(
            tables.groups.delete().where(tables.groups.c.board_id == board, tables.groups.c.group_id == group_id)
        )
    return True


def _look_up_unknown(
    op: Mapping[str, Any], client: MondayClient, board: tuple[int, str], db: Engine, tables: Tables
) -> str | None:
    """An order whose create answer never came: find it on the board by its order number."""
    t = tables.target
    with db.connect() as conn:
        order = conn.execute(sa.select(t.c["AAG ORDER NUMBER"]).where(t.c.record_uuid == op["record_key"])).scalar()
    if order is None:
        return None
    board_id, key_column = board
    ids = client.find_items_by_column(board_id, key_column, [str(order)]).get(str(order), [])
    return str(ids[0]) if ids else None


def _is_gone(error: object) -> bool:
    code = getattr(error, "code", "")
    return code in ("ResourceNotFoundException", "InvalidItemIdException", "ItemNotFound")


def _writable(raw: str | None) -> object:
    """A value as monday *reads* it, turned into what a write accepts (None clears)."""
    if raw in (None, "", "null"):
        return None
    value = json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in _WRITABLE_KEYS} or None
    return value


def _mark(db: Engine, tables: Tables, op: Mapping[str, Any], status: str) -> None:
    with db.begin() as conn:
        conn.execute(tables.operations.update().where(tables.operations.c.op_id == op["op_id"]).values(status=status))


def _restore_sync_columns(conn: Connection, tables: Tables, op: Mapping[str, Any]) -> None:
    before = json.loads(op["before"] or "null")
    if not isinstance(before, dict) or op["entity"] not in ("ITEM", "SUBITEM"):
        return
    table = tables.target if op["entity"] == "ITEM" else tables.lines
    key = table.c.record_uuid if op["entity"] == "ITEM" else table.c.line_uuid
    values = from_jsonable(table, {k: v for k, v in before.items() if k not in _DB_ONLY and k in table.c})
    if values:
        conn.execute(table.update().where(key == op["record_key"]).values(values))


def _restore_snapshots(conn: Connection, tables: Tables, snapshot_id: str, report: RollbackReport) -> None:
    snaps, target, lines = tables.snapshots, tables.target, tables.lines
    rows = conn.execute(sa.select(snaps).where(snaps.c.snapshot_id == snapshot_id)).mappings().all()
    absent = [r["row_key"] for r in rows if r["table_name"] == target.name and r["state"] == "null"]
    images = [r for r in rows if r["table_name"] == target.name and r["state"] != "null"]
    line_images = [json.loads(r["state"]) for r in rows if r["table_name"] == lines.name]
    for start in range(0, len(absent), 500):
        part = absent[start : start + 500]
        conn.execute(lines.delete().where(lines.c.record_uuid.in_(part)))
        report.db_rows_removed += conn.execute(target.delete().where(target.c.record_uuid.in_(part))).rowcount
    for image in images:
        state = from_jsonable(target, json.loads(image["state"]))
        conn.execute(lines.delete().where(lines.c.record_uuid == image["row_key"]))
        conn.execute(target.update().where(target.c.record_uuid == image["row_key"]).values(state))
        report.db_rows_restored += 1
    if line_images:
        conn.execute(lines.insert(), [from_jsonable(lines, image) for image in line_images])
    conn.execute(snaps.delete().where(snaps.c.snapshot_id == snapshot_id))
