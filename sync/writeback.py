"""Write monday's answers back to the database, one batch per transaction.

Each batch is settled as soon as it returns (ids and ``SYNCED``, or ``ERROR`` with the
message), so a crash at any point loses at most the batch in flight — and that one is
still ``SENT`` in the ledger, which the next run resolves by looking the order up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.db import Tables
from sync.ledger import utcnow
from sync.states import SyncState

__all__ = ["mark_item_errors", "mark_items_synced", "mark_line_errors", "mark_lines_synced", "remove_lines"]


def mark_items_synced(conn: Connection, tables: Tables, rows: Sequence[dict[str, Any]]) -> None:
    """rows: record_uuid, item_id, group_id, group_name, item_name."""
    if not rows:
        return
    t = tables.target
    now = utcnow()
    conn.execute(
        t.update()
        .where(t.c.record_uuid == sa.bindparam("b_ru"))
        .values(
            monday_item_id=sa.bindparam("b_id"),
            group_id=sa.bindparam("b_gid"),
            group_name=sa.bindparam("b_gname"),
            item_name=sa.bindparam("b_name"),
            sync_state=SyncState.SYNCED.value,
            sync_error_message=None,
            sync_attempted_at=now,
            sync_completed_at=now,
        ),
        [
            {
                "b_ru": r["record_uuid"],
                "b_id": r["item_id"],
                "b_gid": r["group_id"],
                "b_gname": r["group_name"],
                "b_name": r["item_name"],
            }
            for r in rows
        ],
    )


def mark_item_errors(conn: Connection, tables: Tables, rows: Sequence[tuple[str, str]]) -> None:
    """rows: (record_uuid, message). Bumps retry_count so ``retry`` can bound attempts."""
    if not rows:
        return
    t = tables.target
    conn.execute(
        t.update()
        .where(t.c.record_uuid == sa.bindparam("b_ru"))
        .values(
            sync_state=SyncState.ERROR.value,
            sync_error_message=sa.bindparam("b_msg"),
            retry_count=t.c.retry_count + 1,
            sync_attempted_at=utcnow(),
        ),
        [{"b_ru": ru, "b_msg": msg[:1000]} for ru, msg in rows],
    )


def mark_lines_synced(conn: Connection, tables: Tables, rows: Sequence[tuple[str, int, int]]) -> None:
    """rows: (line_uuid, subitem_id, parent_item_id)."""
    if not rows:
        return
    lines = tables.lines
    now = utcnow()
    conn.execute(
        lines.update()
        .where(lines.c.line_uuid == sa.bindparam("b_lu"))
        .values(
            monday_subitem_id=sa.bindparam("b_sid"),
            monday_parent_id=sa.bindparam("b_pid"),
            sync_state=SyncState.SYNCED.value,
            sync_error_message=None,
            sync_attempted_at=now,
            sync_completed_at=now,
        ),
        [{"b_lu": lu, "b_sid": sid, "b_pid": pid} for lu, sid, pid in rows],
    )


def mark_line_errors(conn: Connection, tables: Tables, rows: Sequence[tuple[str, str]]) -> None:
    """rows: (line_uuid, message)."""
    if not rows:
        return
    lines = tables.lines
    conn.execute(
        lines.update()
        .where(lines.c.line_uuid == sa.bindparam("b_lu"))
        .values(
            sync_state=SyncState.ERROR.value,
            sync_error_message=sa.bindparam("b_msg"),
            retry_count=lines.c.retry_count + 1,
            sync_attempted_at=utcnow(),
        ),
        [{"b_lu": lu, "b_msg": msg[:1000]} for lu, msg in rows],
    )


def remove_lines(conn: Connection, tables: Tables, line_uuids: Sequence[str]) -> None:
    """Forget lines whose subitem was deleted on purpose (``removed_size_policy = "delete"``)."""
    if line_uuids:
        conn.execute(tables.lines.delete().where(tables.lines.c.line_uuid.in_(list(line_uuids))))
