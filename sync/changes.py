"""Set-based change detection: staging -> target (NEW / UPDATE / CANCELLED) and target -> lines.

Everything here is a handful of INSERT … SELECT / UPDATE … FROM statements built with
SQLAlchemy Core, so 100,000 orders cost the same Python memory as 10. The staging table
is only read, never written: a row that cannot be processed (no order number, an order
number present twice) is reported and left exactly as it is.

Rules (the origin's TASK020, finally built):

* an order number absent from the target -> inserted, ``INSERT`` / ``PENDING``;
* a content hash that differs -> columns updated, ``PENDING``, monday ids kept
  (``UPDATE``, or still ``INSERT`` if it never reached monday);
* ``ORDER TYPE`` in ``cancelled_order_types`` -> as an update, and every line goes to qty 0;
* lines are the size columns unpivoted; a new size with qty > 0 is inserted, a changed
  quantity updates the line, a size that disappeared goes to qty 0 (or ``DELETE`` per policy),
  a line that never reached monday and drops to 0 is simply removed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.change_lines import inserted_rows, refresh_lines
from sync.config import Config, EnvironmentConfig
from sync.db import Tables
from sync.ledger import jsonable
from sync.quantities import describe_invalid, invalid_size_sql, invalid_sizes
from sync.sqlhash import joined_text, sha256_hex
from sync.states import ActionType, SyncState

__all__ = ["ChangeReport", "Reject", "detect_changes", "hash_columns", "order_key"]

ORDER_KEY = "AAG ORDER NUMBER"
#: 128 MB of page cache for the pass: bounded, so memory stays flat in the order count. At 1M
#: orders the lines' primary key (sha256 ids, inserted at random places) is ~270 MB; 64 MB made
#: the line insert spill and re-read pages all the time (110 s CPU there, 54 s with 128 MB).
SQLITE_CACHE_PRAGMA = "PRAGMA cache_size = -131072"
MESSAGE_LENGTH = 1000  # sync_error_message is NVARCHAR(1000)


@dataclass(frozen=True)
class Reject:
    """A staging row that was left untouched, and why."""

    record_uuid: str
    order_number: str | None
    reason: str


@dataclass
class ChangeReport:
    """What one change-detection pass did (row counts per outcome)."""

    new: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    lines_inserted: int = 0
    lines_updated: int = 0
    lines_zeroed: int = 0
    lines_deleted: int = 0
    lines_marked_delete: int = 0
    rejects: list[Reject] = field(default_factory=list)
    invalid_quantities: list[Reject] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts plus the rejects and the orders set to ERROR for their quantities."""
        data = {k: v for k, v in self.__dict__.items() if k not in ("rejects", "invalid_quantities")}
        data["rejected"] = [asdict(r) for r in self.rejects]
        data["invalid_quantities"] = [asdict(r) for r in self.invalid_quantities]
        return data


def order_key(table: sa.Table) -> sa.Column[Any]:
    """The business key column of an order table."""
    return table.c[ORDER_KEY]


def hash_columns(config: Config, env: EnvironmentConfig, tables: Tables) -> list[str]:
    """Columns whose content decides "changed": configured + mapped + every size, in table order."""
    wanted = set(config.change_detection.hash_columns) | set(tables.sizes)
    if config.change_detection.include_mapped_columns:
        wanted |= set(env.mapping.items)
    names = [c.name for c in tables.staging.columns if c.name in wanted]
    missing = sorted(wanted - set(names))
    if missing:
        raise LookupError(f"hash columns missing from {tables.staging.name}: {missing}")
    return names


def _business_columns(tables: Tables) -> list[str]:
    """Columns copied from staging to target: everything except keys and sync bookkeeping."""
    sync_cols = {c.name for c in tables.target.columns} - {c.name for c in tables.staging.columns}
    skip = {
        "record_uuid",
        "row_hash",
        "sync_state",
        "action_type",
        "monday_item_id",
        "group_id",
        "sync_attempted_at",
        "sync_completed_at",
        "sync_pending_at",
        "sync_error_message",
        "retry_count",
        "created_at",
        "updated_at",
        "group_name",
        "item_name",
    } | sync_cols
    return [c.name for c in tables.staging.columns if c.name not in skip]


def _rejects(conn: Connection, staging: sa.Table) -> tuple[list[Reject], sa.Select[Any]]:
    """Rows with no order number or a duplicated one; returns them and a subquery of bad keys."""
    key = order_key(staging)
    dup_keys = sa.select(key).where(key.is_not(None)).group_by(key).having(sa.func.count() > 1)
    rows = conn.execute(
        sa.select(staging.c.record_uuid, key)
        .where(sa.or_(key.is_(None), sa.func.trim(key) == "", key.in_(dup_keys)))
        .order_by(key, staging.c.record_uuid)
    ).all()
    rejects = [
        Reject(
            r.record_uuid,
            r[1],
            "no AAG ORDER NUMBER"
            if not (r[1] or "").strip()
            else f"AAG ORDER NUMBER {r[1]!r} appears more than once in staging",
        )
        for r in rows
    ]
    return rejects, dup_keys


def detect_changes(
    conn: Connection, config: Config, env: EnvironmentConfig, tables: Tables, *, snapshot_run: str | None = None
) -> ChangeReport:
    """Bring target and lines in line with staging; run inside the caller's transaction.

    With ``snapshot_run``, the rows this pass inserts or changes are recorded in
    ``ordersync_snapshots`` first (pre-images, or "absent"), so rolling that run back
    restores the database exactly.
    """
    staging, target = tables.staging, tables.target
    if conn.dialect.name == "sqlite":  # the default 2 MB page cache makes each pass re-read the file
        conn.exec_driver_sql(SQLITE_CACHE_PRAGMA)
    elif conn.dialect.name == "postgresql":
        # A freshly loaded staging table has no statistics: PostgreSQL then estimates 1 row and
        # anti-joins it to the target by a filtered scan of the growing index (10k orders: 28 s).
        # A table it has a row density for scales its estimate with its size by itself, so only
        # those without one are analysed here (re-analysing both cost 1.4 s of a 100k no-change pass).
        refresh_statistics(conn, [t for t in (staging, target) if not _postgres_knows_density(conn, t)])
    report = ChangeReport()
    report.rejects, dup_keys = _rejects(conn, staging)
    s_key, t_key = order_key(staging), order_key(target)
    valid = sa.and_(s_key.is_not(None), sa.func.trim(s_key) != "", s_key.not_in(dup_keys))
    s_hash = sha256_hex(joined_text([staging.c[n] for n in hash_columns(config, env, tables)]))
    cancelled_types = list(config.change_detection.cancelled_order_types)
    now = sa.func.current_timestamp()
    # Rows touched by this pass carry its timestamp, so only their lines are recomputed.
    pass_ts = sa.literal(_pass_timestamp(conn, target), sa.DateTime())
    business = _business_columns(tables)

    exists_in_target = sa.exists().where(t_key == s_key)
    if conn.dialect.name == "postgresql":
        # Read the keys before the insert: anti-joined to the target itself, PostgreSQL plans a
        # nested loop over an empty (analysed) target and rescans the rows it inserts: quadratic.
        existing = sa.select(t_key.label("order_key")).cte("existing_orders").prefix_with("MATERIALIZED")
        exists_in_target = sa.exists().where(existing.c.order_key == s_key)
    # A first load (an empty target) has nothing to compare: every valid staging row is new
    # (no probe of the target per row), and the update below would scan every staging row
    # against the rows just inserted to change none of them (1M orders: 4 s).
    had_orders = conn.execute(sa.select(sa.exists().select_from(target))).scalar_one() is True
    new_order = ~exists_in_target if had_orders else sa.true()
    report.new = _insert_new(conn, tables, business, sa.and_(valid, new_order), s_hash, now, pass_ts)
    if snapshot_run:
        conn.execute(
            sa.insert(tables.snapshots).from_select(
                ["snapshot_id", "table_name", "row_key", "state"],
                sa.select(
                    sa.literal(snapshot_run), sa.literal(target.name), target.c.record_uuid, sa.literal("null")
                ).where(target.c.sync_pending_at == pass_ts),
            )
        )
    in_pass = target.c.sync_pending_at == pass_ts
    cancelled = target.c["ORDER TYPE"].in_(cancelled_types)
    count_in_pass = sa.select(sa.func.count()).select_from(target).where(in_pass, cancelled)
    new_cancelled = conn.execute(count_in_pass).scalar_one() if report.new else 0

    # Rows this pass just inserted are skipped before their hash is computed a second time.
    not_new = sa.or_(target.c.sync_pending_at.is_(None), target.c.sync_pending_at != pass_ts)
    changed = sa.and_(not_new, valid, t_key == s_key, sa.or_(target.c.row_hash.is_(None), target.c.row_hash != s_hash))
    values: dict[Any, Any] = {target.c[n]: staging.c[n] for n in business}
    values |= {
        target.c.row_hash: s_hash,
        target.c.sync_state: SyncState.PENDING.value,
        target.c.action_type: sa.case(
            (target.c.monday_item_id.is_(None), ActionType.INSERT.value), else_=ActionType.UPDATE.value
        ),
        target.c.sync_error_message: None,
        target.c.sync_pending_at: pass_ts,
        target.c.updated_at: now,
    }
    if snapshot_run and had_orders:
        changed_keys = sa.select(t_key).select_from(staging).where(changed)
        save_pre_images(conn, tables, snapshot_run, target.c["AAG ORDER NUMBER"].in_(changed_keys))
    if had_orders:
        report.updated = conn.execute(sa.update(target).values(values).where(changed)).rowcount
    if report.updated:
        report.cancelled = conn.execute(count_in_pass).scalar_one() - new_cancelled
    total_valid = conn.execute(sa.select(sa.func.count()).select_from(staging).where(valid)).scalar_one()
    report.unchanged = total_valid - report.new - report.updated
    if report.new or report.updated:
        report.invalid_quantities = mark_invalid_quantities(conn, tables, pass_ts)
        refresh_statistics(conn, (target,))  # PostgreSQL plans the unpivot badly on a target it has no stats for
        lines = refresh_lines(
            conn, tables, cancelled_types, config.change_detection.removed_size_policy == "delete", pass_ts
        )
        report.lines_inserted, report.lines_updated = lines.inserted, lines.updated
        report.lines_zeroed, report.lines_deleted = lines.zeroed, lines.deleted
        report.lines_marked_delete = lines.marked_delete
        refresh_statistics(conn, (tables.lines,))
    return report


def refresh_statistics(conn: Connection, tables: Sequence[sa.Table]) -> None:
    """``ANALYZE`` the tables a pass bulk-changed, so the planner reads pending rows by key.

    Without statistics SQLite reads "PENDING rows after this key" through the state index
    and sorts them all, once per chunk: quadratic in the order count (1M orders: hours).
    SQL Server keeps its statistics itself. The statement is maintenance with no values;
    the table names are quoted by the dialect.
    """
    if conn.dialect.name not in ("sqlite", "postgresql"):
        return
    # Not ``PRAGMA analysis_limit`` on SQLite: its sample caps "rows per sync_state" at the limit,
    # and the planner goes back to reading PENDING rows by state and sorting them, per chunk.
    preparer = conn.dialect.identifier_preparer
    for table in tables:
        conn.execute(sa.text("ANALYZE " + preparer.format_table(table)))


def _postgres_knows_density(conn: Connection, table: sa.Table) -> bool:
    """Whether PostgreSQL has a rows-per-page figure for ``table`` (analysed, or vacuumed, with rows in it).

    ``pg_class.reltuples`` is -1 for a table never analysed and 0 for one analysed empty: the
    planner then has no density to scale by the table's current size.
    """
    name = conn.dialect.identifier_preparer.format_table(table)
    query = sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:name AS regclass)")
    reltuples = conn.execute(query, {"name": name}).scalar()
    return reltuples is not None and float(reltuples) > 0


def mark_invalid_quantities(conn: Connection, tables: Tables, pass_ts: sa.ColumnElement[Any]) -> list[Reject]:
    """Orders of this pass with an invalid size cell -> ``ERROR`` naming each cell; their lines stay as they are."""
    target = tables.target
    bad_cell = sa.or_(*(invalid_size_sql(target.c[s], conn.dialect.name) for s in tables.sizes))
    rows = conn.execute(
        sa.select(target.c.record_uuid, order_key(target), *tables.size_columns(target))
        .where(target.c.sync_pending_at == pass_ts, bad_cell)
        .order_by(target.c.record_uuid)
    ).mappings()
    found = []
    for row in rows.all():
        message = describe_invalid(row[ORDER_KEY], invalid_sizes(dict(row), tables.sizes))
        found.append(Reject(str(row["record_uuid"]), row[ORDER_KEY], message[:MESSAGE_LENGTH]))
    for start in range(0, len(found), 500):
        part = found[start : start + 500]
        conn.execute(
            sa.update(target)
            .where(target.c.record_uuid == sa.bindparam("key"))
            .values(sync_state=SyncState.ERROR.value, sync_error_message=sa.bindparam("message")),
            [{"key": r.record_uuid, "message": r.reason} for r in part],
        )
    return found


def _pass_timestamp(conn: Connection, target: sa.Table) -> datetime:
    """A timestamp no earlier pass used: 'now', or just after the newest one already stored."""
    now = datetime.now(UTC).replace(tzinfo=None)
    newest = conn.execute(sa.select(sa.func.max(target.c.sync_pending_at))).scalar()
    if isinstance(newest, str):
        newest = datetime.fromisoformat(newest)
    if newest is not None and newest >= now:
        return newest + timedelta(milliseconds=10)
    return now


def save_pre_images(conn: Connection, tables: Tables, snapshot_id: str, where: sa.ColumnElement[bool]) -> int:
    """Copy matching target rows and all their lines into ``ordersync_snapshots`` as JSON (streamed)."""
    target, lines = tables.target, tables.lines
    saved = 0
    keys = sa.select(target.c.record_uuid).where(where)
    for table, key, condition in (
        (target, target.c.record_uuid, where),
        (lines, lines.c.line_uuid, lines.c.record_uuid.in_(keys)),
    ):
        result = conn.execute(sa.select(table).where(condition).execution_options(yield_per=500))
        for part in result.mappings().partitions(500):
            rows = [
                {
                    "snapshot_id": snapshot_id,
                    "table_name": table.name,
                    "row_key": str(r[key.name]),
                    "state": json.dumps(jsonable(dict(r))),
                }
                for r in part
            ]
            conn.execute(tables.snapshots.insert(), rows)
            saved += len(rows)
    return saved


def _insert_new(
    conn: Connection,
    tables: Tables,
    business: Sequence[str],
    wanted: sa.ColumnElement[bool],
    s_hash: sa.ColumnElement[str],
    now: sa.ColumnElement[Any],
    pass_ts: sa.ColumnElement[Any],
) -> int:
    staging, target = tables.staging, tables.target
    select = sa.select(
        staging.c.record_uuid,
        *[staging.c[n] for n in business],
        s_hash,
        sa.literal(SyncState.PENDING.value),
        sa.literal(ActionType.INSERT.value),
        pass_ts,
        now,
        now,
    ).where(wanted)
    # In key order, the target's primary key (and so the lines' (record_uuid, size_code) key,
    # filled by a scan of the target) grows at its end instead of at random pages.
    if conn.dialect.name == "sqlite":  # PostgreSQL sorts the whole staging table first: no gain there
        select = select.order_by(staging.c.record_uuid)
    target_cols = [
        "record_uuid",
        *business,
        "row_hash",
        "sync_state",
        "action_type",
        "sync_pending_at",
        "created_at",
        "updated_at",
    ]
    return inserted_rows(conn, target, sa.insert(target).from_select(target_cols, select))
