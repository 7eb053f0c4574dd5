"""The schema on SQLite/PostgreSQL, SQL Server DDL, the state vocabulary and the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql

from sync.changes import detect_changes
from sync.commands.db_cmd import ddl_statements
from sync.config import load_config
from sync.db import build_tables, create_schema, discover_sizes, make_engine
from sync.demo import CUSTOMERS, generate_orders, init_demo, insert_orders


@pytest.mark.postgres
def test_schema_creates_and_sizes_are_discovered_between_the_markers(engine_url: str) -> None:
    """db init makes every table; sizes come back in table order between the two markers."""
    engine = make_engine(engine_url)
    tables = build_tables()
    create_schema(engine, tables)
    create_schema(engine, tables)  # idempotent
    names = set(sa.inspect(engine).get_table_names())
    assert {
        "swp_ORDER_LIST_SYNC",
        "FACT_ORDER_LIST",
        "ORDER_LIST_LINES",
        "ordersync_runs",
        "ordersync_operations",
        "ordersync_groups",
    } <= names
    assert discover_sizes(engine, "swp_ORDER_LIST_SYNC", "UNIT OF MEASURE", "TOTAL QTY") == tables.sizes
    engine.dispose()


@pytest.mark.postgres
def test_check_constraints_reject_states_outside_the_vocabulary(engine_url: str) -> None:
    """FAILED / COMPLETED (the origin's strays) cannot be written."""
    engine = make_engine(engine_url)
    tables = build_tables()
    create_schema(engine, tables)
    row = next(generate_orders(1, 5))[0]
    for state in ("FAILED", "COMPLETED"):
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                tables.target.insert().values(
                    {**{k: v for k, v in row.items() if k in tables.target.c}, "sync_state": state}
                )
            )
    engine.dispose()


@pytest.mark.postgres
def test_apostrophes_and_accents_survive_change_detection(tmp_path: Path, engine_url: str) -> None:
    """O'NEILL and CAFÉ DU CYCLISTE go through parameterised SQL untouched."""
    demo = init_demo(tmp_path / "d", orders=1)
    config = load_config(demo.config_path)
    engine = make_engine(engine_url)
    tables = build_tables()
    create_schema(engine, tables)
    insert_orders(engine, tables.staging, generate_orders(20, 1))
    with engine.begin() as conn:
        report = detect_changes(conn, config, config.environment("development"), tables)
        names = set(conn.execute(sa.select(tables.target.c["CUSTOMER NAME"])).scalars())
    assert report.new == 20 and {"O'NEILL", "CAFÉ DU CYCLISTE"} <= names
    engine.dispose()


def test_every_statement_compiles_for_sql_server() -> None:
    """The production dialect (mssql+pyodbc) gets valid DDL for every table and index."""
    statements = ddl_statements(build_tables().metadata, "mssql")
    assert any("CREATE TABLE [FACT_ORDER_LIST]" in s and "[AAG ORDER NUMBER] NVARCHAR(100)" in s for s in statements)
    assert any("DATETIME2" in s for s in statements)
    assert len(statements) >= 8


def test_change_detection_sql_compiles_for_sql_server(tmp_path: Path) -> None:
    """The row hash renders as HASHBYTES on SQL Server."""
    from sync.sqlhash import joined_text, sha256_hex

    tables = build_tables()
    expr = sha256_hex(joined_text([tables.staging.c["AAG ORDER NUMBER"], tables.staging.c["XS"]]))
    sql = str(sa.select(expr).compile(dialect=mssql.dialect()))
    assert "HASHBYTES('SHA2_256'" in sql


def test_demo_is_reproducible_and_varied(tmp_path: Path) -> None:
    """Same seed, same rows; every customer appears; some orders are cancelled; sizes vary."""
    a = [r for chunk in generate_orders(200, 9) for r in chunk]
    b = [r for chunk in generate_orders(200, 9) for r in chunk]
    assert a == b
    assert {r["CUSTOMER NAME"] for r in a} == {c[0] for c in CUSTOMERS}
    assert any(r["ORDER TYPE"] == "CANCELLED" for r in a)
    assert len({tuple(k for k in r if k in build_tables().sizes) for r in a}) > 3


def test_demo_init_builds_databases_and_config_without_touching_tracked_files(tmp_path: Path) -> None:
    """The work folder holds dev.db, prod.db and a config on the emulator; counts add up."""
    result = init_demo(tmp_path / "work", orders=120, seed=4)
    config = load_config(result.config_path)
    assert config.environment("production").monday.transport == "emulator"
    for env in ("development", "production"):
        engine = make_engine(config.database_url(env))
        with engine.connect() as conn:
            assert conn.execute(sa.text('SELECT COUNT(*) FROM "swp_ORDER_LIST_SYNC"')).scalar() == 120
        engine.dispose()
    assert result.orders == 120 and result.lines > 120
