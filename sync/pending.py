"""Which orders and lines a run works on: keyset-paged reads of the target and lines tables.

Headers are read in chunks of ``CHUNK_ROWS`` ordered by ``record_uuid`` (keyset paging, so
memory stays flat and a row that changes state mid-run is neither skipped nor read twice).
Lines are read per chunk of headers, and only under parents that are already on the board.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.ledger import OpStatus
from sync.run_parts import RunParts
from sync.states import SyncState

__all__ = ["CHUNK_ROWS", "count_pending_headers", "count_pending_lines", "header_chunks", "pending_lines"]

CHUNK_ROWS = 1_000


def header_chunks(conn: Connection, run: RunParts) -> Iterator[list[dict[str, Any]]]:
    """The target rows in the run's states (and customer, scope, retry bound, limit), chunk by chunk."""
    t, options = run.tables.target, run.options
    where: list[sa.ColumnElement[bool]] = [t.c.sync_state.in_(options.states)]
    if options.customer:
        where.append(t.c["CUSTOMER NAME"] == options.customer)
    if options.record_uuids is not None:
        where.append(t.c.record_uuid.in_(list(options.record_uuids)))
    if options.max_retries is not None:
        where.append(t.c.retry_count < options.max_retries)
    remaining = options.limit
    last = ""
    while remaining is None or remaining > 0:
        size = CHUNK_ROWS if remaining is None else min(CHUNK_ROWS, remaining)
        rows = (
            conn.execute(sa.select(t).where(*where, t.c.record_uuid > last).order_by(t.c.record_uuid).limit(size))
            .mappings()
            .all()
        )
        if not rows:
            return
        last = rows[-1]["record_uuid"]
        if remaining is not None:
            remaining -= len(rows)
        yield [dict(r) for r in rows]


def count_pending_headers(run: RunParts) -> int:
    """How many headers the run will push (the progress bar's total)."""
    t = run.tables.target
    with run.db.connect() as conn:
        count = int(
            conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.sync_state.in_(run.options.states))
            ).scalar_one()
        )
    return min(count, run.options.limit) if run.options.limit is not None else count


def count_pending_lines(conn: Connection, run: RunParts, record_uuids: Sequence[str]) -> int:
    """Lines in the run's states under the given headers (for the dry-run plan)."""
    lines = run.tables.lines
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(lines)
            .where(lines.c.record_uuid.in_(list(record_uuids)), lines.c.sync_state.in_(run.options.states))
        ).scalar_one()
    )


def pending_lines(run: RunParts, record_uuids: Sequence[str] | None) -> list[dict[str, Any]]:
    """Lines to push whose parent item is SYNCED, with the parent's item id and order number.

    A line whose ``create_subitem`` is still ``SENT`` (outcome unknown) is left to
    :func:`sync.recovery.resolve_unknown_outcomes` at the next run's start: sending it again
    in the same run would create a second subitem when the first one was applied.
    """
    lines, t, options = run.tables.lines, run.tables.target, run.options
    states = set(options.states) | {SyncState.PENDING.value}
    ops = run.tables.operations
    unknown_create = sa.exists().where(  # sent, answer never came: recovery settles it, a resend would duplicate
        ops.c.record_key == lines.c.line_uuid,
        ops.c.operation == "create_subitem",
        ops.c.status == OpStatus.SENT,
    )
    where = [
        lines.c.sync_state.in_(sorted(states)),
        t.c.monday_item_id.is_not(None),
        t.c.sync_state == SyncState.SYNCED.value,
        ~unknown_create,
    ]
    if record_uuids is not None:
        where.append(lines.c.record_uuid.in_(list(record_uuids)))
    elif options.record_uuids is not None:
        where.append(lines.c.record_uuid.in_(list(options.record_uuids)))
    if options.customer:
        where.append(t.c["CUSTOMER NAME"] == options.customer)
    with run.db.connect() as conn:
        rows = (
            conn.execute(
                sa.select(
                    lines, t.c["AAG ORDER NUMBER"].label("order_number"), t.c.monday_item_id.label("parent_item_id")
                )
                .join(t, t.c.record_uuid == lines.c.record_uuid)
                .where(*where)
                .order_by(lines.c.record_uuid, lines.c.size_code)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]
