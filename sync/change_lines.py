"""Set-based line refresh: the size columns of the orders one pass touched -> ``ORDER_LIST_LINES``.

Only orders this pass inserted or changed (``sync_state = PENDING`` and the pass's
``sync_pending_at``) are looked at, so a pass with nothing changed costs nothing here.

* Existing lines are joined to their order once, and the wanted quantity is a ``CASE`` over
  the line's ``size_code`` (0 when the order is cancelled or the cell is empty): a line that
  never reached monday and is no longer wanted is deleted; one that did is zeroed (or marked
  ``DELETE`` per policy); a changed quantity is updated.
* New lines are the size columns unpivoted in one scan of the touched orders
  (:mod:`sync.unpivot`: ``json_each`` on SQLite, ``unnest`` on PostgreSQL, a join with the
  size codes elsewhere), keeping only cells > 0 that have no line yet (the
  ``(record_uuid, size_code)`` unique index).

These run before the inserts, so on a first load they find no lines and cost nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.db import Tables
from sync.sqlhash import joined_text, sha256_hex
from sync.states import ActionType, SyncState
from sync.unpivot import size_cells

__all__ = [
    "LINE_KEY_SEPARATOR",
    "LineCounts",
    "LineStatements",
    "inserted_rows",
    "line_key",
    "line_statements",
    "refresh_lines",
]

#: A line's id is its order's ``record_uuid``, this, and its size code (at most 36 + 1 + 20 characters).
LINE_KEY_SEPARATOR = ":"


def line_key(record_uuid: sa.ColumnElement[Any], size_code: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """``record_uuid || ':' || size_code``: deterministic, and it sorts with its order.

    A hash of the two (what lines were keyed by before) scatters 4 lines per order at random
    places of the primary key's index: at a million orders that index no longer fits the page
    cache and every insert rewrites a random page (the lines' insert took 60 % of detection).
    Keyed by the order first, a first load appends to the index as it appends to the table.
    Ids already stored keep their form: nothing recomputes a line's id, lines are found by
    ``(record_uuid, size_code)``.
    """
    return (
        sa.cast(record_uuid, sa.Unicode())
        + sa.literal(LINE_KEY_SEPARATOR, sa.Unicode())
        + sa.cast(size_code, sa.Unicode())
    )


@dataclass
class LineCounts:
    """Line rows one pass inserted, updated, zeroed, deleted, or marked ``DELETE``."""

    inserted: int = 0
    updated: int = 0
    zeroed: int = 0
    deleted: int = 0
    marked_delete: int = 0


def _touched(target: sa.Table, pass_ts: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    return sa.and_(target.c.sync_pending_at == pass_ts, target.c.sync_state == SyncState.PENDING.value)


def _wanted_qty(
    tables: Tables, cancelled_types: Sequence[str], size_code: sa.ColumnElement[Any]
) -> sa.ColumnElement[Any]:
    """The quantity the order's row asks for at ``size_code`` (0: cancelled, empty, or no such column)."""
    target = tables.target
    by_size = sa.case({size: target.c[size] for size in tables.sizes}, value=size_code, else_=None)
    cancelled = target.c["ORDER TYPE"].in_(list(cancelled_types))
    return sa.case((cancelled, 0), else_=sa.func.coalesce(by_size, 0))


@dataclass(frozen=True)
class LineStatements:
    """The four statements of a line refresh, in the order they run (compiled for any dialect)."""

    delete_unsynced: sa.Delete
    zero: sa.Update
    update: sa.Update
    insert: sa.Insert


def line_statements(
    tables: Tables,
    cancelled_types: Sequence[str],
    delete_removed: bool,
    pass_ts: sa.ColumnElement[Any],
    dialect: str,
    *,
    check_existing: bool = True,
) -> LineStatements:
    """Build the refresh for the orders of one pass (``pass_ts``) on ``dialect`` (its unpivot differs).

    ``check_existing=False`` (no order of the pass has a line yet) leaves out the insert's
    "no line for this (order, size) yet" probe, which is a third of a first load's line insert.
    """
    target, lines = tables.target, tables.lines
    touched = _touched(target, pass_ts)
    wanted = _wanted_qty(tables, cancelled_types, lines.c.size_code)
    parent = sa.and_(target.c.record_uuid == lines.c.record_uuid, touched)
    now = sa.func.current_timestamp()
    # A line that never reached monday and is no longer wanted is simply forgotten.
    delete_unsynced = sa.delete(lines).where(
        lines.c.monday_subitem_id.is_(None),
        lines.c.record_uuid.in_(sa.select(target.c.record_uuid).where(touched)),
        sa.exists().where(parent, wanted <= 0),
    )
    common = {
        lines.c.qty: wanted,
        lines.c.row_hash: sha256_hex(joined_text([lines.c.record_uuid, lines.c.size_code, wanted])),
        lines.c.sync_state: SyncState.PENDING.value,
        lines.c.sync_error_message: None,
        lines.c.updated_at: now,
    }
    removed_action = ActionType.DELETE.value if delete_removed else ActionType.UPDATE.value
    zero = (
        sa.update(lines)
        .values({**common, lines.c.action_type: removed_action})
        .where(parent, lines.c.qty != wanted, wanted <= 0)
    )
    action = sa.case((lines.c.monday_subitem_id.is_(None), ActionType.INSERT.value), else_=ActionType.UPDATE.value)
    update = (
        sa.update(lines)
        .values({**common, lines.c.action_type: action})
        .where(parent, lines.c.qty != wanted, wanted > 0)
    )
    return LineStatements(
        delete_unsynced,
        zero,
        update,
        _new_lines_insert(tables, cancelled_types, touched, now, dialect, check_existing=check_existing),
    )


def refresh_lines(
    conn: Connection,
    tables: Tables,
    cancelled_types: Sequence[str],
    delete_removed: bool,
    pass_ts: sa.ColumnElement[Any],
) -> LineCounts:
    """Bring the lines of the orders touched by this pass in line with their size columns."""
    counts = LineCounts()
    if conn.execute(sa.select(sa.exists().where(_touched(tables.target, pass_ts)))).scalar_one() is not True:
        return counts
    has_lines = _touched_have_lines(conn, tables, pass_ts)
    statements = line_statements(
        tables, cancelled_types, delete_removed, pass_ts, conn.dialect.name, check_existing=has_lines
    )
    if not has_lines:  # only new orders (a first load): nothing to delete, zero, update or skip
        counts.inserted = inserted_rows(conn, tables.lines, statements.insert)
        return counts
    counts.deleted = conn.execute(statements.delete_unsynced).rowcount
    zeroed = conn.execute(statements.zero).rowcount
    if delete_removed:
        counts.marked_delete = zeroed
    else:
        counts.zeroed = zeroed
    counts.updated = conn.execute(statements.update).rowcount
    counts.inserted = inserted_rows(conn, tables.lines, statements.insert)
    return counts


def _touched_have_lines(conn: Connection, tables: Tables, pass_ts: sa.ColumnElement[Any]) -> bool:
    """Whether any order of this pass has lines already (never on a first load)."""
    target, lines = tables.target, tables.lines
    touched_keys = sa.select(target.c.record_uuid).where(_touched(target, pass_ts))
    found = sa.exists().where(lines.c.record_uuid.in_(touched_keys))
    return conn.execute(sa.select(found)).scalar_one() is True


def _new_lines_insert(
    tables: Tables,
    cancelled_types: Sequence[str],
    touched: sa.ColumnElement[bool],
    now: sa.ColumnElement[Any],
    dialect: str,
    *,
    check_existing: bool,
) -> sa.Insert:
    target, lines = tables.target, tables.lines
    not_cancelled = sa.or_(target.c["ORDER TYPE"].is_(None), target.c["ORDER TYPE"].not_in(list(cancelled_types)))
    arms = []
    existing: sa.FromClause = lines
    if dialect == "postgresql" and check_existing:  # read before the insert, or the anti join rescans what it adds
        touched_keys = sa.select(target.c.record_uuid).where(touched)
        existing = (
            sa.select(lines.c.record_uuid, lines.c.size_code)
            .where(lines.c.record_uuid.in_(touched_keys))
            .cte("existing_lines")
            .prefix_with("MATERIALIZED")
        )
    for cells in size_cells(target, tables.sizes, dialect):
        code, qty = cells.size_code, cells.qty
        wanted = [touched, not_cancelled, qty > 0]
        if check_existing:  # a line per (order, size) at most: skip the cells that have one
            exists = sa.exists().where(existing.c.record_uuid == target.c.record_uuid, existing.c.size_code == code)
            wanted.append(~exists)
        arms.append(
            cells.select(
                line_key(target.c.record_uuid, code).label("line_uuid"),
                target.c.record_uuid.label("record_uuid"),
                code.label("size_code"),
                qty.label("qty"),
                sha256_hex(joined_text([target.c.record_uuid, code, qty])).label("row_hash"),
                sa.literal(SyncState.PENDING.value).label("sync_state"),
                sa.literal(ActionType.INSERT.value).label("action_type"),
                now.label("created_at"),
                now.label("updated_at"),
            ).where(*wanted)
        )
    rows = arms[0] if len(arms) == 1 else sa.union_all(*arms)
    columns = ["line_uuid", "record_uuid", "size_code", "qty", "row_hash", "sync_state", "action_type"]
    return sa.insert(lines).from_select([*columns, "created_at", "updated_at"], rows)


def inserted_rows(conn: Connection, table: sa.Table, statement: sa.Insert) -> int:
    """Rows an INSERT … SELECT added (psycopg reports rowcount -1 for these: count around it off SQLite)."""
    count = sa.select(sa.func.count()).select_from(table)
    before = conn.execute(count).scalar_one() if conn.dialect.name != "sqlite" else None
    result = conn.execute(statement)
    if result.rowcount is not None and result.rowcount >= 0:
        return int(result.rowcount)
    if before is None:
        raise RuntimeError(f"the database did not report how many rows went into {table.name}")
    return int(conn.execute(count).scalar_one() - before)
