"""A run's parts on an in-memory SQLite store and a client on any httpx transport (unit tests of sync.engine)."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from sync.config import load_config
from sync.connect import build_client
from sync.db import build_tables, create_schema
from sync.demo import shipped_config_path
from sync.engine.ledger import Ledger
from sync.engine.options import RunParts, SyncOptions

ENV = "development"


def make_run(transport: httpx.BaseTransport, options: SyncOptions | None = None, run_id: str = "run-1") -> RunParts:
    """RunParts over SQLite in memory (one shared connection) and the shipped config; the run is started."""
    config = load_config(shipped_config_path())
    db = sa.create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    tables = build_tables()
    create_schema(db, tables)
    client = build_client(config, ENV, transport, "test-token")
    client._sleep = lambda _s: None
    run = RunParts(
        config,
        ENV,
        config.environment(ENV),
        options or SyncOptions(),
        client,
        db,
        tables,
        run_id,
        Ledger(tables, run_id),
    )
    with db.begin() as conn:
        run.ledger.start(conn, ENV, "sync")
    return run


def add_orders(run: RunParts, *rows: dict[str, Any]) -> None:
    """Insert target rows (record_uuid, order number, customer, state ...)."""
    with run.db.begin() as conn:
        for row in rows:  # one by one: rows may name different columns
            conn.execute(run.tables.target.insert().values(dict(row)))


def order(n: int, *, state: str = "PENDING", customer: str = "GREYSON", retries: int = 0) -> dict[str, Any]:
    """One target row."""
    return {
        "record_uuid": f"u{n:04d}",
        "AAG ORDER NUMBER": f"ORD-{n:04d}",
        "CUSTOMER NAME": customer,
        "sync_state": state,
        "action_type": "INSERT",
        "retry_count": retries,
    }
