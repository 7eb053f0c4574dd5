"""`ordersync db upgrade` on tables that predate ordersync: no sync columns, rows already in them.

Runs on SQLite, and on PostgreSQL with ``-m postgres`` + ``$ORDERSYNC_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import tomlkit
from click.testing import CliRunner
from engine_support import point_config_at

from sync.cli import cli
from sync.config import load_config
from sync.db import BUSINESS_COLUMNS_AFTER_SIZES, BUSINESS_COLUMNS_BEFORE_SIZES, build_tables, make_engine
from sync.db_upgrade import plan_upgrade
from sync.demo import generate_orders, init_demo

ENV = "development"
ORDERS = 30


def _legacy_tables(metadata: sa.MetaData, sizes: tuple[str, ...]) -> tuple[sa.Table, sa.Table, sa.Table]:
    """The three tables as a data team has them: business columns only, no sync columns or ledger."""

    def order_table(name: str) -> sa.Table:
        columns = [sa.Column("record_uuid", sa.String(36), primary_key=True)]
        columns += [sa.Column(n, t) for n, t in BUSINESS_COLUMNS_BEFORE_SIZES]
        columns += [sa.Column(s, sa.Integer()) for s in sizes]
        columns += [sa.Column(n, t) for n, t in BUSINESS_COLUMNS_AFTER_SIZES]
        return sa.Table(name, metadata, *columns)

    lines = sa.Table(
        "ORDER_LIST_LINES",
        metadata,
        sa.Column("line_uuid", sa.String(64), primary_key=True),
        sa.Column("record_uuid", sa.String(36), nullable=False),
        sa.Column("size_code", sa.Unicode(20), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
    )
    return order_table("swp_ORDER_LIST_SYNC"), order_table("FACT_ORDER_LIST"), lines


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in ("swp_ORDER_LIST_SYNC", "FACT_ORDER_LIST", "ORDER_LIST_LINES")
        }


@pytest.fixture
def legacy(tmp_path: Path, engine_url: str, database_url: str) -> tuple[Path, sa.Engine]:
    """A demo config pointing at a database whose tables predate ordersync and hold rows."""
    demo = init_demo(tmp_path / "project", orders=1)
    point_config_at(demo.config_path, database_url)
    # Production keeps its own demo database: environment-switching refuses two environments on one database.
    doc = tomlkit.parse(demo.config_path.read_text(encoding="utf-8"))
    doc["environments"]["production"]["database"] = {"url": f"sqlite:///{demo.databases['production'].name}"}  # type: ignore[index]
    demo.config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    engine = make_engine(engine_url)
    sizes = build_tables().sizes
    staging, target, lines = _legacy_tables(sa.MetaData(), sizes)
    staging.metadata.create_all(engine)
    rows = [dict.fromkeys(sizes) | r for chunk in generate_orders(ORDERS, 11) for r in chunk]
    legacy_lines: list[dict[str, Any]] = [
        {"line_uuid": str(uuid.uuid4()), "record_uuid": r["record_uuid"], "size_code": s, "qty": r[s]}
        for r in rows[:20]
        for s in sizes
        if (r.get(s) or 0) > 0
    ]
    with engine.begin() as conn:
        conn.execute(staging.insert(), rows)
        conn.execute(target.insert(), rows[:20])  # loaded before ordersync existed
        conn.execute(lines.insert(), legacy_lines)
    return demo.config_path, engine


def _ordersync(config: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["--config", str(config), *args], standalone_mode=False, catch_exceptions=False)


@pytest.mark.postgres
def test_upgrade_keeps_every_row_and_a_second_run_changes_nothing(legacy: tuple[Path, sa.Engine]) -> None:
    """Columns, constraints, indexes and ledger tables added; row counts identical; then nothing to do."""
    config_path, engine = legacy
    before = _counts(engine)
    for dialect in ("mssql", "postgresql", "sqlite"):
        script = _ordersync(config_path, "db", "upgrade", "--env", ENV, "--sql", "--dialect", dialect)
        assert script.return_value == 0, script.output
        assert "add column row_hash" in script.output and "CREATE TABLE ordersync_runs" in script.output
    assert (
        "ALTER TABLE [FACT_ORDER_LIST] ADD sync_state"
        in _ordersync(config_path, "db", "upgrade", "--env", ENV, "--sql", "--dialect", "mssql").output
    )
    assert _counts(engine) == before, "--sql must not change the database"

    result = _ordersync(config_path, "db", "upgrade", "--env", ENV)
    assert result.return_value == 0, result.output
    assert _counts(engine) == before
    columns = {c["name"] for c in sa.inspect(engine).get_columns("FACT_ORDER_LIST")}
    assert {"row_hash", "sync_state", "action_type", "monday_item_id", "retry_count"} <= columns
    assert "ordersync_runs" in sa.inspect(engine).get_table_names()

    config = load_config(config_path)
    env = config.environment(ENV)
    tables = build_tables(env.source_table, env.target_table, env.lines_table)
    remaining = [s for s in plan_upgrade(engine, tables) if s.ddl is not None]
    assert remaining == []
    again = _ordersync(config_path, "db", "upgrade", "--env", ENV)
    assert "0 change(s) applied" in again.output
    assert _counts(engine) == before


@pytest.mark.postgres
def test_after_upgrade_the_gates_and_sync_pass(legacy: tuple[Path, sa.Engine]) -> None:
    """Schema-readiness names `db upgrade` before; after it, the data gates and a real sync pass."""
    config_path, engine = legacy
    failing = _ordersync(config_path, "gates", ENV, "--only", "schema-readiness")
    assert failing.return_value == 1
    assert f"ordersync db upgrade --env {ENV}" in failing.output
    assert _ordersync(config_path, "db", "upgrade", "--env", ENV).return_value == 0
    gates = _ordersync(
        config_path,
        "gates",
        ENV,
        "--only",
        "schema-readiness",
        "--only",
        "data-expectations",
        "--only",
        "environment-switching",
    )
    assert gates.return_value == 0, gates.output
    synced = _ordersync(config_path, "sync", "--env", ENV)
    assert synced.return_value == 0, synced.output
    counts = _counts(engine)
    assert counts["swp_ORDER_LIST_SYNC"] == ORDERS and counts["FACT_ORDER_LIST"] == ORDERS
    with engine.connect() as conn:
        states = dict(
            conn.execute(
                sa.select(sa.column("sync_state"), sa.func.count())
                .select_from(sa.table("FACT_ORDER_LIST"))
                .group_by(sa.column("sync_state"))
            ).all()
        )
    assert states == {"SYNCED": ORDERS}, states
