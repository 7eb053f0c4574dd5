"""Every SQL statement of a sync run: what to read, the write-back of answers, what recovery needs.

One pending filter (:func:`pending_filter`) serves both the count (the progress total)
and the read, so the two can never disagree. Headers are read in keyset-paged chunks of
``CHUNK_ROWS`` ordered by ``record_uuid`` (memory stays flat; a row that changes state
mid-run is neither skipped nor read twice). Lines are read per chunk, only under parents
already on the board.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.engine.ledger import OpKind, open_condition, utcnow
from sync.engine.options import RunParts
from sync.engine.plan import item_columns
from sync.engine.typed_read import TypedRead
from sync.states import ActionType, SyncState

__all__ = [
    "CHUNK_ROWS",
    "IN_LIST",
    "SentOp",
    "adopt_items",
    "count_pending_headers",
    "count_pending_lines",
    "group_registry",
    "header_chunks",
    "mark_item_errors",
    "mark_items_synced",
    "mark_line_errors",
    "mark_lines_synced",
    "pending_filter",
    "pending_lines",
    "plan_columns",
    "register_groups",
    "remove_lines",
    "sent_operations",
    "state_counts",
    "synced_share",
]

CHUNK_ROWS = 1_000
IN_LIST = 500  # keys per IN (...) list: far below every dialect's parameter limit


def pending_filter(run: RunParts) -> list[sa.ColumnElement[bool]]:
    """The headers this run works on: its states, customer, scope and retry bound."""
    t, options = run.tables.target, run.options
    where: list[sa.ColumnElement[bool]] = [t.c.sync_state.in_(options.states)]
    if options.customer:
        where.append(t.c["CUSTOMER NAME"] == options.customer)
    if options.record_uuids is not None:
        where.append(t.c.record_uuid.in_(list(options.record_uuids)))
    if options.max_retries is not None:
        where.append(t.c.retry_count < options.max_retries)
    return where


def header_chunks(conn: Connection, run: RunParts) -> Iterator[list[dict[str, Any]]]:
    """The pending headers (up to the run's limit), chunk by chunk: only the columns the planner reads."""
    t, where = run.tables.target, pending_filter(run)
    read = TypedRead(conn.dialect, plan_columns(run))
    remaining = run.options.limit
    last = ""
    while remaining is None or remaining > 0:
        size = CHUNK_ROWS if remaining is None else min(CHUNK_ROWS, remaining)
        query = sa.select(*read.columns).where(*where, t.c.record_uuid > last).order_by(t.c.record_uuid).limit(size)
        rows = read.rows(conn, query)
        if not rows:
            return
        last = rows[-1]["record_uuid"]
        if remaining is not None:
            remaining -= len(rows)
        yield rows


def plan_columns(run: RunParts) -> list[sa.Column[Any]]:
    """The target columns :func:`~sync.engine.plan.plan_items` needs, in table order.

    The size columns are every column between the two size markers (markers included, so
    the planner finds the sizes the way it always does: by position).
    """
    wanted, sizes = item_columns(run.config, run.env), run.config.sizes
    names = [c.name for c in run.tables.target.columns]
    first = names.index(sizes.start_after) if sizes.start_after in names else len(names)
    end = names.index(sizes.end_before) if sizes.end_before in names else -1
    return [c for i, c in enumerate(run.tables.target.columns) if c.name in wanted or first <= i <= end]


def count_pending_headers(run: RunParts) -> int:
    """How many headers the run will push (the progress bar's total): the same filter as the read."""
    t = run.tables.target
    with run.db.connect() as conn:
        count = int(conn.execute(sa.select(sa.func.count()).select_from(t).where(*pending_filter(run))).scalar_one())
    return min(count, run.options.limit) if run.options.limit is not None else count


def count_pending_lines(conn: Connection, run: RunParts, first: str, last: str) -> int:
    """Lines in the run's states under the pending headers keyed ``first`` … ``last`` (one dry-run chunk).

    A chunk is every pending header in its key range (a keyset page), so the range and the
    pending filter name exactly its headers, without a thousand keys in an ``IN`` list.
    """
    lines, t = run.tables.lines, run.tables.target
    query = sa.select(sa.func.count()).select_from(lines).join(t, t.c.record_uuid == lines.c.record_uuid)
    where = [*pending_filter(run), t.c.record_uuid.between(first, last), lines.c.sync_state.in_(run.options.states)]
    return int(conn.execute(query.where(*where)).scalar_one())


def pending_lines(run: RunParts, record_uuids: Sequence[str] | None) -> list[dict[str, Any]]:
    """Lines to push whose parent item is SYNCED, with the parent's item id and order number."""
    lines, t, options = run.tables.lines, run.tables.target, run.options
    states = set(options.states) | {SyncState.PENDING.value}
    where = [
        lines.c.sync_state.in_(sorted(states)),
        t.c.monday_item_id.is_not(None),
        t.c.sync_state == SyncState.SYNCED.value,
    ]
    scope = record_uuids if record_uuids is not None else options.record_uuids
    if scope is not None:
        where.append(lines.c.record_uuid.in_(list(scope)))
    if options.customer:
        where.append(t.c["CUSTOMER NAME"] == options.customer)
    query = (
        sa.select(lines, t.c["AAG ORDER NUMBER"].label("order_number"), t.c.monday_item_id.label("parent_item_id"))
        .join(t, t.c.record_uuid == lines.c.record_uuid)
        .where(*where)
        .order_by(lines.c.record_uuid, lines.c.size_code)
    )
    with run.db.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings().all()]


def group_registry(run: RunParts, board_id: int) -> dict[str, str]:
    """Group name -> id for the groups ordersync created on a board."""
    groups = run.tables.groups
    query = sa.select(groups.c.group_name, groups.c.group_id).where(groups.c.board_id == board_id)
    with run.db.connect() as conn:
        return {str(name): str(gid) for name, gid in conn.execute(query).tuples().all()}


def register_groups(conn: Connection, run: RunParts, board_id: int, created: Mapping[str, str], run_id: str) -> None:
    """Remember groups a run created (name -> id), replacing a stale entry of the same name."""
    if not created:
        return
    groups = run.tables.groups
    names = list(created)
    conn.execute(groups.delete().where(groups.c.board_id == board_id, groups.c.group_name.in_(names)))
    now = utcnow()
    rows = [
        {"board_id": board_id, "group_name": n, "group_id": g, "created_run_id": run_id, "created_at": now}
        for n, g in created.items()
    ]
    conn.execute(groups.insert(), rows)


def mark_items_synced(conn: Connection, run: RunParts, rows: Sequence[Mapping[str, Any]]) -> None:
    """rows: record_uuid, item_id, group_id, group_name, item_name."""
    if not rows:
        return
    t, now = run.tables.target, utcnow()
    values: dict[str, Any] = {
        "monday_item_id": sa.bindparam("b_id"),
        "group_id": sa.bindparam("b_gid"),
        "group_name": sa.bindparam("b_gname"),
        "item_name": sa.bindparam("b_name"),
        "sync_state": SyncState.SYNCED.value,
        "sync_error_message": None,
        "sync_attempted_at": now,
        "sync_completed_at": now,
    }
    params = [
        {"b_ru": r["record_uuid"], "b_id": r["item_id"], "b_gid": r["group_id"], "b_gname": r["group_name"]}
        | {"b_name": r["item_name"]}
        for r in rows
    ]
    conn.execute(t.update().where(t.c.record_uuid == sa.bindparam("b_ru")).values(values), params)


def mark_item_errors(conn: Connection, run: RunParts, rows: Sequence[tuple[str, str]]) -> None:
    """rows: (record_uuid, message). Bumps retry_count so ``retry`` can bound attempts."""
    _mark_errors(conn, run.tables.target, run.tables.target.c.record_uuid, rows)


def mark_line_errors(conn: Connection, run: RunParts, rows: Sequence[tuple[str, str]]) -> None:
    """rows: (line_uuid, message)."""
    _mark_errors(conn, run.tables.lines, run.tables.lines.c.line_uuid, rows)


def _mark_errors(conn: Connection, table: sa.Table, key: sa.Column[Any], rows: Sequence[tuple[str, str]]) -> None:
    if not rows:
        return
    values: dict[str, Any] = {
        "sync_state": SyncState.ERROR.value,
        "sync_error_message": sa.bindparam("b_msg"),
        "retry_count": table.c.retry_count + 1,
        "sync_attempted_at": utcnow(),
    }
    params = [{"b_key": k, "b_msg": msg[:1000]} for k, msg in rows]
    conn.execute(table.update().where(key == sa.bindparam("b_key")).values(values), params)


def mark_lines_synced(conn: Connection, run: RunParts, rows: Sequence[tuple[str, int, int]]) -> None:
    """rows: (line_uuid, subitem_id, parent_item_id)."""
    if not rows:
        return
    lines, now = run.tables.lines, utcnow()
    values: dict[str, Any] = {
        "monday_subitem_id": sa.bindparam("b_sid"),
        "monday_parent_id": sa.bindparam("b_pid"),
        "sync_state": SyncState.SYNCED.value,
        "sync_error_message": None,
        "sync_attempted_at": now,
        "sync_completed_at": now,
    }
    params = [{"b_lu": lu, "b_sid": sid, "b_pid": pid} for lu, sid, pid in rows]
    conn.execute(lines.update().where(lines.c.line_uuid == sa.bindparam("b_lu")).values(values), params)


def remove_lines(conn: Connection, run: RunParts, line_uuids: Sequence[str]) -> None:
    """Forget lines whose subitem was deleted on purpose (``removed_size_policy = "delete"``)."""
    if line_uuids:
        conn.execute(run.tables.lines.delete().where(run.tables.lines.c.line_uuid.in_(list(line_uuids))))


def adopt_items(conn: Connection, run: RunParts, found: Mapping[str, int]) -> None:
    """Link orders still without an item to the items a look-up found; they go back to PENDING as an UPDATE."""
    t = run.tables.target
    values: dict[str, Any] = {
        "monday_item_id": sa.bindparam("b_id"),
        "action_type": ActionType.UPDATE.value,
        "sync_state": SyncState.PENDING.value,
    }
    params = [{"b_ru": ru, "b_id": item_id} for ru, item_id in found.items()]
    if params:
        query = t.update().where(t.c.record_uuid == sa.bindparam("b_ru"), t.c.monday_item_id.is_(None))
        conn.execute(query.values(values), params)


@dataclass(frozen=True)
class SentOp:
    """A ledger operation still SENT from a run that ended without settling it (a crash)."""

    op_id: int
    run_id: str
    operation: OpKind
    record_key: str
    after: str | None
    order_number: str | None  # create_item: the order, to look it up on the board
    parent_item_id: int | None  # create_subitem: where to look for it
    size_code: str | None


def sent_operations(run: RunParts) -> list[SentOp]:
    """Every SENT (or unresolved) operation on this environment's boards from runs other than this one."""
    ops, t, lines = run.tables.operations, run.tables.target, run.tables.lines
    parent = t.alias("parent")
    boards = [run.env.monday.board_id, run.env.monday.subitem_board_id]
    query = (
        sa.select(
            ops.c.op_id,
            ops.c.run_id,
            ops.c.operation,
            ops.c.record_key,
            ops.c.after,
            t.c["AAG ORDER NUMBER"],
            parent.c.monday_item_id,
            lines.c.size_code,
        )
        .select_from(
            ops.outerjoin(t, t.c.record_uuid == ops.c.record_key)
            .outerjoin(lines, lines.c.line_uuid == ops.c.record_key)
            .outerjoin(parent, parent.c.record_uuid == lines.c.record_uuid)
        )
        .where(open_condition(ops), ops.c.run_id != run.run_id, ops.c.board_id.in_(boards))
        .order_by(ops.c.op_id)
    )
    with run.db.connect() as conn:
        rows = conn.execute(query).all()
    return [
        SentOp(int(r[0]), str(r[1]), OpKind(r[2]), str(r[3]), r[4], _str(r[5]), _int(r[6]), _str(r[7])) for r in rows
    ]


def state_counts(run: RunParts) -> dict[str, dict[str, int]]:
    """Rows per sync_state in the target and the lines tables."""
    out: dict[str, dict[str, int]] = {}
    with run.db.connect() as conn:
        for label, table in (("orders", run.tables.target), ("lines", run.tables.lines)):
            rows = conn.execute(sa.select(table.c.sync_state, sa.func.count()).group_by(table.c.sync_state)).all()
            out[label] = {str(state): int(n) for state, n in rows}
    return out


def synced_share(run: RunParts, items: Iterable[str], lines: Iterable[str]) -> tuple[int, int]:
    """(rows that ended SYNCED, rows set out to push); a line deleted on purpose counts as done."""
    total = synced = 0
    with run.db.connect() as conn:
        for table, key, keys in (
            (run.tables.target, run.tables.target.c.record_uuid, sorted(items)),
            (run.tables.lines, run.tables.lines.c.line_uuid, sorted(lines)),
        ):
            total += len(keys)
            not_synced = 0
            for start in range(0, len(keys), IN_LIST):
                part = keys[start : start + IN_LIST]
                query = sa.select(sa.func.count()).select_from(table)
                query = query.where(key.in_(part), table.c.sync_state != SyncState.SYNCED.value)
                not_synced += int(conn.execute(query).scalar_one())
            synced += len(keys) - not_synced
    return synced, total


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))
