"""A rollback's database half: sync columns back from the ledger, then the change-detection snapshot.

Runs only once the board is done (see :mod:`sync.rollback`), in one transaction with the
run's new status, with one ``executemany`` per row shape rather than one UPDATE per operation.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.db import Tables
from sync.ledger import OpStatus, from_jsonable
from sync.rollback_plan import LedgerOp

__all__ = ["restore_database"]

_DB_ONLY = ("monday_values", "parent_item_id", "name")
_CHUNK = 500


class Counts(Protocol):
    """What the restore counts (a :class:`sync.rollback.RollbackReport`)."""

    db_rows_removed: int
    db_rows_restored: int


def restore_database(conn: Connection, tables: Tables, run_id: str, report: Counts) -> None:
    """Sync columns from every undone operation's ``before``, then the change-detection snapshot."""
    operations = tables.operations
    rows = conn.execute(
        sa.select(operations)
        .where(operations.c.run_id == run_id, operations.c.status == OpStatus.UNDONE)
        .order_by(operations.c.seq.desc())
    ).mappings()
    batches: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}
    for op in (LedgerOp.from_row(r) for r in rows):
        if op.entity not in ("ITEM", "SUBITEM") or not op.before:
            continue
        table = tables.target if op.entity == "ITEM" else tables.lines
        values = from_jsonable(table, {k: v for k, v in op.before.items() if k not in _DB_ONLY and k in table.c})
        if values:
            names = tuple(sorted(values))
            row = {"b_key": op.record_key, **{f"b{n}": values[name] for n, name in enumerate(names)}}
            batches.setdefault((op.entity, names), []).append(row)
    for (entity, names), params in batches.items():  # one executemany per shape, newest before image last wins
        table = tables.target if entity == "ITEM" else tables.lines
        key = table.c.record_uuid if entity == "ITEM" else table.c.line_uuid
        statement = table.update().where(key == sa.bindparam("b_key"))
        statement = statement.values({name: sa.bindparam(f"b{n}") for n, name in enumerate(names)})
        for params_for_key in _oldest_wins(params):
            conn.execute(statement, params_for_key)
    _restore_snapshots(conn, tables, run_id, report)


def _oldest_wins(params: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Ops come newest first; a record changed twice must end with its *oldest* before image.

    Split into rounds with each record key at most once per round, in the given order, so the
    last round applied for a key is its oldest operation.
    """
    rounds: list[list[dict[str, Any]]] = []
    seen: dict[str, int] = {}
    for p in params:
        n = seen.get(p["b_key"], -1) + 1
        seen[p["b_key"]] = n
        if n == len(rounds):
            rounds.append([])
        rounds[n].append(p)
    return rounds


def _restore_snapshots(conn: Connection, tables: Tables, snapshot_id: str, report: Counts) -> None:
    snaps, target, lines = tables.snapshots, tables.target, tables.lines
    rows = conn.execute(sa.select(snaps).where(snaps.c.snapshot_id == snapshot_id)).mappings().all()
    absent = [r["row_key"] for r in rows if r["table_name"] == target.name and r["state"] == "null"]
    images = [r for r in rows if r["table_name"] == target.name and r["state"] != "null"]
    line_images = [json.loads(r["state"]) for r in rows if r["table_name"] == lines.name]
    for start in range(0, len(absent), _CHUNK):
        part = absent[start : start + _CHUNK]
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
