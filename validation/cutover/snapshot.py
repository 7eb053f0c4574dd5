"""The database side of a cutover backup: the sync state of one environment, saved and put back.

Saved into ``ordersync_snapshots`` under the cutover id (streamed, 500 rows at a time):

* the target table's key and sync columns (``sync_state``, ``monday_item_id``, ``row_hash``, ...);
* every lines row in full (a line *is* sync state: size, qty, subitem id, state);
* the group registry rows of the environment's boards.

A marker row (``table_name = "__snapshot__"``) tells "an empty table was saved" from
"nothing was saved". :func:`restore_snapshot` removes target and lines rows that did not
exist at snapshot time, writes the saved values back and leaves the snapshot in place, so
restoring twice is the same as once.

    take_snapshot(engine, tables, cutover_id, board_ids=[9200517329, 9200771505])
    restore_snapshot(engine, tables, cutover_id)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.db import Tables
from sync.ledger import from_jsonable, jsonable

__all__ = ["SYNC_COLUMNS", "RestoreReport", "has_snapshot", "restore_snapshot", "take_snapshot"]

MARKER = "__snapshot__"
PART = 500

#: Columns of the target table that the engine writes; business columns belong to staging.
SYNC_COLUMNS = (
    "group_name",
    "group_id",
    "item_name",
    "row_hash",
    "sync_state",
    "action_type",
    "monday_item_id",
    "sync_attempted_at",
    "sync_completed_at",
    "sync_pending_at",
    "sync_error_message",
    "retry_count",
    "updated_at",
)


@dataclass
class RestoreReport:
    """What a restore changed, and what it could not put back (``remaining``)."""

    target_removed: int = 0
    target_restored: int = 0
    lines_removed: int = 0
    lines_restored: int = 0
    groups_restored: int = 0
    remaining: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return dict(self.__dict__)


def has_snapshot(engine: Engine, tables: Tables, snapshot_id: str) -> bool:
    """True when a complete snapshot (its marker row) exists."""
    snaps = tables.snapshots
    with engine.connect() as conn:
        return (
            conn.execute(
                sa.select(snaps.c.row_key).where(snaps.c.snapshot_id == snapshot_id, snaps.c.table_name == MARKER)
            ).first()
            is not None
        )


def take_snapshot(engine: Engine, tables: Tables, snapshot_id: str, *, board_ids: Sequence[int]) -> dict[str, int]:
    """Save the environment's sync state under ``snapshot_id`` (once: an existing snapshot is kept)."""
    if has_snapshot(engine, tables, snapshot_id):
        return _marker_counts(engine, tables, snapshot_id)
    target, lines, groups = tables.target, tables.lines, tables.groups
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        counts[target.name] = _save(
            conn,
            tables,
            snapshot_id,
            target.name,
            sa.select(target.c.record_uuid, *[target.c[c] for c in SYNC_COLUMNS]),
            "record_uuid",
        )
        counts[lines.name] = _save(conn, tables, snapshot_id, lines.name, sa.select(lines), "line_uuid")
        counts[groups.name] = _save(
            conn,
            tables,
            snapshot_id,
            groups.name,
            sa.select(groups).where(groups.c.board_id.in_(list(board_ids))),
            None,
        )
        conn.execute(
            tables.snapshots.insert().values(
                snapshot_id=snapshot_id,
                table_name=MARKER,
                row_key="marker",
                state=json.dumps({"counts": counts, "board_ids": list(board_ids)}),
            )
        )
    return counts


def restore_snapshot(engine: Engine, tables: Tables, snapshot_id: str) -> RestoreReport:
    """Put the saved sync state back in one transaction; rows created since are removed."""
    report = RestoreReport()
    snaps, target, lines, groups = tables.snapshots, tables.target, tables.lines, tables.groups
    if not has_snapshot(engine, tables, snapshot_id):
        report.remaining.append(f"no database snapshot {snapshot_id!r}: sync state not restored")
        return report
    board_ids = json.loads(_marker(engine, tables, snapshot_id))["board_ids"]

    def saved(table: sa.Table) -> sa.Select[Any]:
        return sa.select(snaps.c.row_key).where(snaps.c.snapshot_id == snapshot_id, snaps.c.table_name == table.name)

    with engine.begin() as conn:
        report.lines_removed = conn.execute(lines.delete().where(lines.c.line_uuid.not_in(saved(lines)))).rowcount
        new_targets = target.c.record_uuid.not_in(saved(target))
        report.lines_removed += conn.execute(
            lines.delete().where(lines.c.record_uuid.in_(sa.select(target.c.record_uuid).where(new_targets)))
        ).rowcount
        report.target_removed = conn.execute(target.delete().where(new_targets)).rowcount
        for part in _saved_parts(conn, tables, snapshot_id, target.name):
            report.target_restored += _restore_target(conn, target, part, report)
        for part in _saved_parts(conn, tables, snapshot_id, lines.name):
            report.lines_restored += _upsert(conn, lines, "line_uuid", part)
        conn.execute(groups.delete().where(groups.c.board_id.in_(board_ids)))
        for part in _saved_parts(conn, tables, snapshot_id, groups.name):
            conn.execute(groups.insert(), [from_jsonable(groups, row) for row in part])
            report.groups_restored += len(part)
    return report


# ---------------------------------------------------------------------------------------- internals
def _save(conn: Connection, tables: Tables, snapshot_id: str, name: str, query: sa.Select[Any], key: str | None) -> int:
    saved = 0
    result = conn.execute(query.execution_options(yield_per=PART))
    for part in result.mappings().partitions(PART):
        rows = []
        for row in part:
            state = json.dumps(jsonable(dict(row)), ensure_ascii=False, sort_keys=True)
            row_key = str(row[key]) if key else hashlib.sha256(state.encode()).hexdigest()
            rows.append({"snapshot_id": snapshot_id, "table_name": name, "row_key": row_key, "state": state})
        conn.execute(tables.snapshots.insert(), rows)
        saved += len(rows)
    return saved


def _marker(engine: Engine, tables: Tables, snapshot_id: str) -> str:
    snaps = tables.snapshots
    with engine.connect() as conn:
        return str(
            conn.execute(
                sa.select(snaps.c.state).where(snaps.c.snapshot_id == snapshot_id, snaps.c.table_name == MARKER)
            ).scalar_one()
        )


def _marker_counts(engine: Engine, tables: Tables, snapshot_id: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in json.loads(_marker(engine, tables, snapshot_id))["counts"].items()}


def _saved_parts(conn: Connection, tables: Tables, snapshot_id: str, name: str) -> Iterable[list[dict[str, Any]]]:
    snaps = tables.snapshots
    query = (
        sa.select(snaps.c.state)
        .where(snaps.c.snapshot_id == snapshot_id, snaps.c.table_name == name)
        .order_by(snaps.c.row_key)
    )
    # Materialised per call: SQLite cannot stream a SELECT while the same connection writes.
    states = [json.loads(s) for s in conn.execute(query).scalars()]
    for start in range(0, len(states), PART):
        yield states[start : start + PART]


def _restore_target(
    conn: Connection, target: sa.Table, part: Sequence[Mapping[str, Any]], report: RestoreReport
) -> int:
    keys = [row["record_uuid"] for row in part]
    present = set(conn.execute(sa.select(target.c.record_uuid).where(target.c.record_uuid.in_(keys))).scalars())
    gone = [k for k in keys if k not in present]
    if gone:
        report.remaining.append(
            f"{len(gone)} {target.name} row(s) of the snapshot no longer exist "
            f"(first: {gone[0]}); their sync state was not restored"
        )
    params = [
        {
            "b_key": row["record_uuid"],
            **{f"b_{c}": v for c, v in from_jsonable(target, row).items() if c != "record_uuid"},
        }
        for row in part
        if row["record_uuid"] in present
    ]
    if params:
        conn.execute(
            target.update()
            .where(target.c.record_uuid == sa.bindparam("b_key"))
            .values({c: sa.bindparam(f"b_{c}") for c in SYNC_COLUMNS}),
            params,
        )
    return len(params)


def _upsert(conn: Connection, table: sa.Table, key: str, part: Sequence[Mapping[str, Any]]) -> int:
    rows = [from_jsonable(table, row) for row in part]
    keys = [row[key] for row in rows]
    present = set(conn.execute(sa.select(table.c[key]).where(table.c[key].in_(keys))).scalars())
    updates = [
        {"b_key": row[key], **{f"b_{c}": v for c, v in row.items() if c != key}} for row in rows if row[key] in present
    ]
    if updates:
        columns = [c for c in rows[0] if c != key]
        conn.execute(
            table.update()
            .where(table.c[key] == sa.bindparam("b_key"))
            .values({c: sa.bindparam(f"b_{c}") for c in columns}),
            updates,
        )
    inserts = [row for row in rows if row[key] not in present]
    if inserts:
        conn.execute(table.insert(), inserts)
    return len(rows)
