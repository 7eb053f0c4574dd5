"""SQLAlchemy Core tables of one environment, the run ledger, and the engine factory.

The staging table ``swp_ORDER_LIST_SYNC`` and the target ``FACT_ORDER_LIST`` share the
business columns of the origin's ``ORDER_LIST`` (names keep their spaces and quotes:
SQLAlchemy quotes them on every dialect), with the size columns between
``UNIT OF MEASURE`` and ``TOTAL QTY``. The lines table holds one row per order x size.
The ledger tables (``ordersync_*``) record every run and every operation with the state
before it, which is what makes retry, verify and rollback possible.

Column order matters: size discovery reads the columns between two marker columns, so
:func:`build_tables` always lays the business columns out in the origin's order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mssql
from sqlalchemy.engine import URL, Engine

from sync.states import ACTION_TYPES, SYNC_STATES

__all__ = [
    "BUSINESS_COLUMNS_AFTER_SIZES",
    "BUSINESS_COLUMNS_BEFORE_SIZES",
    "DEFAULT_SIZES",
    "LEDGER_TABLE_NAMES",
    "Tables",
    "build_tables",
    "create_schema",
    "discover_sizes",
    "make_engine",
]

# (name, type) in the origin's table order, up to the start marker ``UNIT OF MEASURE``.
BUSINESS_COLUMNS_BEFORE_SIZES: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("AAG ORDER NUMBER", sa.Unicode(100)),
    ("CUSTOMER NAME", sa.Unicode(100)),
    ("SOURCE_CUSTOMER_NAME", sa.Unicode(100)),
    ("ORDER DATE PO RECEIVED", sa.Date()),
    ("PO NUMBER", sa.Unicode(255)),
    ("CUSTOMER ALT PO", sa.Unicode(255)),
    ("AAG SEASON", sa.Unicode(255)),
    ("CUSTOMER SEASON", sa.Unicode(100)),
    ("DROP", sa.Unicode(255)),
    ("MONTH", sa.Unicode(255)),
    ("RANGE / COLLECTION", sa.Unicode(255)),
    ("CATEGORY", sa.Unicode(255)),
    ("PATTERN ID", sa.Unicode(255)),
    ("PLANNER", sa.Unicode(500)),
    ("ALIAS/RELATED ITEM", sa.Unicode(255)),
    ("CUSTOMER STYLE", sa.Unicode(100)),
    ("STYLE DESCRIPTION", sa.Unicode(100)),
    ("CUSTOMER'S COLOUR CODE (CUSTOM FIELD) CUSTOMER PROVIDES THIS", sa.Unicode(255)),
    ("CUSTOMER COLOUR DESCRIPTION", sa.Unicode(100)),
    ("UNIT OF MEASURE", sa.Unicode(100)),
)

# A realistic subset of the origin's 245 size columns (alpha, numeric, waist/length, one-size).
DEFAULT_SIZES: tuple[str, ...] = (
    "2T",
    "4T",
    "6",
    "8",
    "10",
    "12",
    "14",
    "16",
    "XXS",
    "XS",
    "S",
    "M",
    "L",
    "XL",
    "XXL",
    "2XL",
    "3XL",
    "S/M",
    "M/L",
    "28",
    "30",
    "32",
    "34",
    "36",
    "30/30",
    "32/32",
    "34/32",
    "OS",
    "O/S",
    "ONE SIZE",
)

# Everything from the end marker ``TOTAL QTY`` on.
BUSINESS_COLUMNS_AFTER_SIZES: tuple[tuple[str, sa.types.TypeEngine[Any]], ...] = (
    ("TOTAL QTY", sa.Integer()),
    ("DESTINATION", sa.Unicode(100)),
    ("DESTINATION WAREHOUSE", sa.Unicode(255)),
    ("ETA CUSTOMER WAREHOUSE DATE", sa.Date()),
    ("EX FACTORY DATE", sa.Date()),
    ("DELIVERY TERMS", sa.Unicode(255)),
    ("PLANNED DELIVERY METHOD", sa.Unicode(100)),
    ("NOTES", sa.Unicode(1000)),
    ("ORDER TYPE", sa.Unicode(100)),
    ("CUSTOMER PRICE", sa.Numeric(10, 4)),
    ("EX WORKS (USD)", sa.Numeric(10, 4)),
    ("ADMINISTRATION FEE", sa.Numeric(10, 4)),
    ("DESIGN FEE", sa.Unicode(255)),
    ("FX CHARGE", sa.Numeric(10, 4)),
    ("HANDLING", sa.Numeric(10, 4)),
    ("SURCHARGE FEE", sa.Unicode(255)),
    ("DISCOUNT", sa.Unicode(255)),
    ("FINAL FOB (USD)", sa.Numeric(17, 4)),
    ("HS CODE", sa.Unicode(255)),
    ("US DUTY RATE", sa.Numeric(10, 6)),
    ("US DUTY", sa.Numeric(10, 4)),
    ("FREIGHT", sa.Numeric(18, 4)),
    ("US TARIFF RATE", sa.Numeric(10, 6)),
    ("US TARIFF", sa.Numeric(10, 4)),
    ("DDP US (USD)", sa.Numeric(17, 4)),
    ("UK FREIGHT", sa.Unicode(255)),
    ("SMS PRICE USD", sa.Numeric(10, 4)),
    ("FINAL PRICES Y/N", sa.Unicode(255)),
    ("NOTES FOR PRICE", sa.Unicode(255)),
    ("Warehouse", sa.Unicode(100)),
)

#: DATETIME on SQL Server rounds to 3.33 ms; DATETIME2 keeps what change detection compares.
_PRECISE_TIMESTAMP = sa.DateTime().with_variant(mssql.DATETIME2(), "mssql")  # type: ignore[no-untyped-call]

LEDGER_TABLE_NAMES = (
    "ordersync_runs",
    "ordersync_operations",
    "ordersync_groups",
    "ordersync_cutovers",
    "ordersync_snapshots",
    "ordersync_leases",
)


def _sync_columns() -> list[sa.Column[Any]]:
    """The monday/sync columns the origin appended to ORDER_LIST (staging and target alike)."""
    return [
        sa.Column("group_name", sa.Unicode(255)),
        sa.Column("group_id", sa.Unicode(128)),
        sa.Column("item_name", sa.Unicode(1000)),
        sa.Column("row_hash", sa.String(64)),
        sa.Column("sync_state", sa.String(10)),
        sa.Column("action_type", sa.String(10)),
        sa.Column("monday_item_id", sa.BigInteger()),
        sa.Column("sync_attempted_at", sa.DateTime()),
        sa.Column("sync_completed_at", sa.DateTime()),
        sa.Column("sync_pending_at", _PRECISE_TIMESTAMP),  # marks the rows of one change-detection pass
        sa.Column("sync_error_message", sa.Unicode(1000)),
        sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.current_timestamp()),
    ]


def _vocabulary_checks(prefix: str, *, nullable_state: bool) -> list[sa.CheckConstraint]:
    states = ", ".join(f"'{s}'" for s in SYNC_STATES)
    actions = ", ".join(f"'{a}'" for a in ACTION_TYPES)
    state_rule = f"sync_state IN ({states})"
    if nullable_state:
        state_rule = f"sync_state IS NULL OR {state_rule}"
    return [
        sa.CheckConstraint(state_rule, name=f"ck_{prefix}_sync_state"),
        sa.CheckConstraint(f"action_type IS NULL OR action_type IN ({actions})", name=f"ck_{prefix}_action_type"),
    ]


@dataclass(frozen=True)
class Tables:
    """The tables of one environment; ``sizes`` are the size column names in table order."""

    metadata: sa.MetaData
    staging: sa.Table
    target: sa.Table
    lines: sa.Table
    runs: sa.Table
    operations: sa.Table
    groups: sa.Table
    cutovers: sa.Table
    snapshots: sa.Table
    sizes: tuple[str, ...]
    leases: sa.Table

    def size_columns(self, table: sa.Table) -> list[sa.Column[Any]]:
        """The size columns of ``table`` (staging or target) in table order."""
        return [table.c[name] for name in self.sizes]


def _order_table(metadata: sa.MetaData, name: str, sizes: Sequence[str], *, is_target: bool) -> sa.Table:
    columns: list[sa.Column[Any]] = [sa.Column("record_uuid", sa.String(36), primary_key=True)]
    columns += [sa.Column(n, t) for n, t in BUSINESS_COLUMNS_BEFORE_SIZES]
    columns += [sa.Column(size, sa.Integer()) for size in sizes]
    columns += [sa.Column(n, t) for n, t in BUSINESS_COLUMNS_AFTER_SIZES]
    columns += _sync_columns()
    extra: list[sa.schema.SchemaItem] = []
    key = "fact" if is_target else "stg"
    extra += _vocabulary_checks(key, nullable_state=not is_target)
    if is_target:
        extra.append(sa.UniqueConstraint("AAG ORDER NUMBER", name=f"uq_{key}_order_number"))
        extra.append(sa.Index(f"ix_{key}_sync_state", "sync_state"))
    else:
        extra.append(sa.Index(f"ix_{key}_order_number", "AAG ORDER NUMBER"))
    return sa.Table(name, metadata, *columns, *extra)


def build_tables(
    source_table: str = "swp_ORDER_LIST_SYNC",
    target_table: str = "FACT_ORDER_LIST",
    lines_table: str = "ORDER_LIST_LINES",
    sizes: Sequence[str] = DEFAULT_SIZES,
) -> Tables:
    """Declare every table of one environment with the given size columns."""
    md = sa.MetaData()
    staging = _order_table(md, source_table, sizes, is_target=False)
    target = _order_table(md, target_table, sizes, is_target=True)
    lines = sa.Table(
        lines_table,
        md,
        sa.Column("line_uuid", sa.String(64), primary_key=True),  # record_uuid:size_code (sync.change_lines.line_key)
        sa.Column("record_uuid", sa.String(36), sa.ForeignKey(target.c.record_uuid), nullable=False),
        sa.Column("size_code", sa.Unicode(20), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(64)),
        sa.Column("sync_state", sa.String(10), nullable=False, server_default="NEW"),
        sa.Column("action_type", sa.String(10)),
        sa.Column("monday_subitem_id", sa.BigInteger()),
        sa.Column("monday_parent_id", sa.BigInteger()),
        sa.Column("sync_attempted_at", sa.DateTime()),
        sa.Column("sync_completed_at", sa.DateTime()),
        sa.Column("sync_error_message", sa.Unicode(1000)),
        sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.current_timestamp()),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.current_timestamp()),
        sa.UniqueConstraint("record_uuid", "size_code", name="uq_lines_record_size"),
        sa.Index("ix_lines_sync_state", "sync_state"),
        *_vocabulary_checks("lines", nullable_state=False),
    )
    runs = sa.Table(
        "ordersync_runs",
        md,
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),  # sync | retry | rollback | canary
        sa.Column("status", sa.String(20), nullable=False),  # sync.engine.ledger.RunStatus
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("rolls_back", sa.String(64)),
        sa.Column("summary", sa.UnicodeText()),
    )
    operations = sa.Table(
        "ordersync_operations",
        md,
        sa.Column("op_id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey(runs.c.run_id), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("board_id", sa.BigInteger(), nullable=False),
        sa.Column("operation", sa.String(40), nullable=False),
        sa.Column("entity", sa.String(10), nullable=False),  # GROUP | ITEM | SUBITEM
        sa.Column("record_key", sa.String(64)),
        sa.Column("monday_id", sa.String(64)),
        sa.Column("status", sa.String(10), nullable=False),  # sync.engine.ledger.OpStatus
        sa.Column("idempotency_key", sa.String(128)),
        sa.Column("before", sa.UnicodeText()),
        sa.Column("after", sa.UnicodeText()),
        sa.Column("error", sa.UnicodeText()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Index("ix_ops_run", "run_id", "seq"),
    )
    groups = sa.Table(
        "ordersync_groups",
        md,
        sa.Column("board_id", sa.BigInteger(), primary_key=True),
        sa.Column("group_name", sa.Unicode(255), primary_key=True),
        sa.Column("group_id", sa.Unicode(128), nullable=False),
        sa.Column("created_run_id", sa.String(64)),
        sa.Column("created_at", sa.DateTime()),
    )
    cutovers = sa.Table(
        "ordersync_cutovers",
        md,
        sa.Column("cutover_id", sa.String(64), primary_key=True),
        sa.Column("from_env", sa.String(64), nullable=False),
        sa.Column("to_env", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("who", sa.Unicode(255)),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
        sa.Column("details", sa.UnicodeText()),
    )
    snapshots = sa.Table(
        "ordersync_snapshots",
        md,
        sa.Column("snapshot_id", sa.String(64), primary_key=True),
        sa.Column("table_name", sa.String(128), primary_key=True),
        sa.Column("row_key", sa.String(64), primary_key=True),
        sa.Column("state", sa.UnicodeText(), nullable=False),
    )
    leases = sa.Table(  # one row per environment: the run allowed to write to it (sync.engine.lease)
        "ordersync_leases",
        md,
        sa.Column("environment", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(64), nullable=False),  # the holder's run id
        sa.Column("holder", sa.Unicode(255), nullable=False),  # host and pid, for the operator
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )
    return Tables(md, staging, target, lines, runs, operations, groups, cutovers, snapshots, tuple(sizes), leases)


def _sqlite_sha256(value: str | None) -> str | None:
    return None if value is None else hashlib.sha256(value.encode("utf-8")).hexdigest()


def make_engine(url: URL | str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite register ``sha256()`` so row hashes stay set-based SQL."""
    url = sa.make_url(url)
    if url.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"timeout": 30})
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.create_function("sha256", 1, _sqlite_sha256, deterministic=True)
            dbapi_conn.execute("PRAGMA foreign_keys=ON")
            dbapi_conn.execute("PRAGMA journal_mode=WAL")
            dbapi_conn.execute("PRAGMA synchronous=NORMAL")

    return engine


def create_schema(engine: Engine, tables: Tables) -> None:
    """Create every table that does not exist yet (idempotent)."""
    tables.metadata.create_all(engine)


def discover_sizes(
    engine: Engine, table: str, start_after: str, end_before: str, max_sizes: int = 300
) -> tuple[str, ...]:
    """The column names strictly between the two markers, in table order (the origin's discovery)."""
    names = [c["name"] for c in sa.inspect(engine).get_columns(table)]
    missing = [m for m in (start_after, end_before) if m not in names]
    if missing:
        raise LookupError(f"table {table} has no marker column(s) {missing} for size discovery")
    start, end = names.index(start_after), names.index(end_before)
    if end <= start:
        raise LookupError(f"in {table}, {end_before!r} comes before {start_after!r}")
    sizes = tuple(names[start + 1 : end])
    if len(sizes) > max_sizes:
        raise LookupError(f"{table} has {len(sizes)} size columns, more than max_sizes={max_sizes}")
    return sizes
