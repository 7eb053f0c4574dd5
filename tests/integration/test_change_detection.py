"""Change detection on a real database: first load, no-change pass, edits, cancellation, bad quantities."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, postgresql

from sync.change_lines import line_statements
from sync.changes import ChangeReport, detect_changes
from sync.config import Config, load_config
from sync.db import Tables, build_tables, create_schema, make_engine
from sync.demo import generate_orders, insert_orders, shipped_config_path
from sync.quantities import invalid_size_sql
from sync.sqlhash import SEPARATOR, joined_text, sha256_hex
from sync.states import ActionType, SyncState
from sync.unpivot import SQLITE_PAIRS_PER_OBJECT, size_cells

ENV = "development"


@pytest.fixture
def setup(engine_url: str) -> Iterator[tuple[sa.Engine, Tables, Config]]:
    engine = make_engine(engine_url)
    tables = build_tables()
    create_schema(engine, tables)
    yield engine, tables, load_config(shipped_config_path())
    engine.dispose()


def _detect(engine: sa.Engine, tables: Tables, config: Config) -> ChangeReport:
    with engine.begin() as conn:
        return detect_changes(conn, config, config.environment(ENV), tables)


def _orders(count: int, seed: int = 3) -> list[dict[str, Any]]:
    rows = [row for chunk in generate_orders(count, seed) for row in chunk]
    for row in rows:
        row["ORDER TYPE"] = "ACTIVE"
    return rows


def _lines(engine: sa.Engine, tables: Tables, record_uuid: str) -> dict[str, tuple[int, str, str | None]]:
    lines = tables.lines
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(lines.c.size_code, lines.c.qty, lines.c.sync_state, lines.c.action_type).where(
                lines.c.record_uuid == record_uuid
            )
        ).all()
    return {r.size_code: (r.qty, r.sync_state, r.action_type) for r in rows}


def _set_staging(engine: sa.Engine, tables: Tables, record_uuid: str, **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(tables.staging).where(tables.staging.c.record_uuid == record_uuid).values(values))


def _mark_synced(engine: sa.Engine, tables: Tables) -> None:
    """What a finished sync leaves: every row SYNCED, every line with a subitem id."""
    with engine.begin() as conn:
        conn.execute(sa.update(tables.target).values(sync_state=SyncState.SYNCED.value, monday_item_id=1))
        conn.execute(sa.update(tables.lines).values(sync_state=SyncState.SYNCED.value, monday_subitem_id=2))


def _sizes_of(row: dict[str, Any], tables: Tables) -> dict[str, int]:
    return {s: row[s] for s in tables.sizes if (row.get(s) or 0) > 0}


@pytest.mark.postgres
def test_first_load_then_nothing_changed(setup: tuple[sa.Engine, Tables, Config]) -> None:
    """Every order once, one line per size cell > 0; a second pass touches nothing."""
    engine, tables, config = setup
    rows = _orders(40)
    insert_orders(engine, tables.staging, iter([rows]))
    first = _detect(engine, tables, config)
    expected_lines = sum(len(_sizes_of(r, tables)) for r in rows)
    assert (first.new, first.updated, first.lines_inserted) == (40, 0, expected_lines)
    some = rows[7]
    assert {s: q for s, (q, _, _) in _lines(engine, tables, some["record_uuid"]).items()} == _sizes_of(some, tables)
    _mark_synced(engine, tables)
    second = _detect(engine, tables, config)
    assert (second.new, second.updated, second.unchanged) == (0, 0, 40)
    assert second.lines_inserted + second.lines_updated + second.lines_zeroed + second.lines_deleted == 0
    with engine.connect() as conn:
        states = set(conn.execute(sa.select(tables.target.c.sync_state)).scalars())
    assert states == {SyncState.SYNCED.value}


@pytest.mark.postgres
def test_changed_added_and_removed_sizes(setup: tuple[sa.Engine, Tables, Config]) -> None:
    """A new quantity updates its line, a new size inserts one, an emptied size is zeroed on monday."""
    engine, tables, config = setup
    rows = _orders(5)
    insert_orders(engine, tables.staging, iter([rows]))
    _detect(engine, tables, config)
    _mark_synced(engine, tables)
    order = rows[2]
    present = sorted(_sizes_of(order, tables))
    absent = next(s for s in tables.sizes if s not in present)
    changed, removed = present[0], present[-1]
    assert changed != removed
    _set_staging(engine, tables, order["record_uuid"], **{changed: 999, removed: None, absent: 4})
    report = _detect(engine, tables, config)
    assert (report.updated, report.unchanged) == (1, 4)
    assert (report.lines_updated, report.lines_inserted, report.lines_zeroed) == (1, 1, 1)
    lines = _lines(engine, tables, order["record_uuid"])
    assert lines[changed] == (999, SyncState.PENDING.value, ActionType.UPDATE.value)
    assert lines[absent] == (4, SyncState.PENDING.value, ActionType.INSERT.value)
    assert lines[removed] == (0, SyncState.PENDING.value, ActionType.UPDATE.value)
    with engine.connect() as conn:
        other_states = set(
            conn.execute(
                sa.select(tables.lines.c.sync_state).where(tables.lines.c.record_uuid != order["record_uuid"])
            ).scalars()
        )
    assert other_states == {SyncState.SYNCED.value}


@pytest.mark.postgres
def test_unsynced_line_no_longer_wanted_is_deleted_and_cancel_zeroes_the_rest(
    setup: tuple[sa.Engine, Tables, Config],
) -> None:
    """Before monday has it a removed size just disappears; a cancelled order sends every line to 0."""
    engine, tables, config = setup
    rows = _orders(3)
    insert_orders(engine, tables.staging, iter([rows]))
    _detect(engine, tables, config)
    first, second = rows[0], rows[1]
    gone = sorted(_sizes_of(first, tables))[0]
    _set_staging(engine, tables, first["record_uuid"], **{gone: 0})
    report = _detect(engine, tables, config)
    assert report.lines_deleted == 1 and gone not in _lines(engine, tables, first["record_uuid"])
    _mark_synced(engine, tables)
    _set_staging(engine, tables, second["record_uuid"], **{"ORDER TYPE": "CANCELLED"})
    report = _detect(engine, tables, config)
    assert report.cancelled == 1
    lines = _lines(engine, tables, second["record_uuid"])
    assert lines and all(qty == 0 and state == SyncState.PENDING.value for qty, state, _ in lines.values())
    assert report.lines_zeroed == len(lines)


@pytest.mark.postgres
def test_negative_quantity_is_an_error_naming_order_column_and_value(
    setup: tuple[sa.Engine, Tables, Config],
) -> None:
    """No line of that order is written; the others sync; NULL cells are simply no such size."""
    engine, tables, config = setup
    rows = _orders(4)
    bad, with_nulls = rows[1], rows[2]
    size = sorted(_sizes_of(bad, tables))[0]
    bad[size] = -3
    insert_orders(engine, tables.staging, iter([rows]))  # every absent size of every row is NULL
    report = _detect(engine, tables, config)
    assert [r.record_uuid for r in report.invalid_quantities] == [bad["record_uuid"]]
    message = report.invalid_quantities[0].reason
    assert bad["AAG ORDER NUMBER"] in message and f"size column '{size}' has quantity -3" in message
    assert _lines(engine, tables, bad["record_uuid"]) == {}
    assert len(_lines(engine, tables, with_nulls["record_uuid"])) == len(_sizes_of(with_nulls, tables))
    target = tables.target
    with engine.connect() as conn:
        state, stored = conn.execute(
            sa.select(target.c.sync_state, target.c.sync_error_message).where(
                target.c.record_uuid == bad["record_uuid"]
            )
        ).one()
    assert state == SyncState.ERROR.value and stored == message
    assert report.as_dict()["invalid_quantities"][0]["reason"] == message


@pytest.mark.postgres
def test_a_synced_order_turning_negative_keeps_its_lines_and_recovers_when_fixed(
    setup: tuple[sa.Engine, Tables, Config],
) -> None:
    """Its lines stay exactly as monday has them (nothing zeroed); fixing staging makes it PENDING again."""
    engine, tables, config = setup
    rows = _orders(2)
    insert_orders(engine, tables.staging, iter([rows]))
    _detect(engine, tables, config)
    _mark_synced(engine, tables)
    order = rows[0]
    size = sorted(_sizes_of(order, tables))[0]
    before = _lines(engine, tables, order["record_uuid"])
    _set_staging(engine, tables, order["record_uuid"], **{size: -1})
    report = _detect(engine, tables, config)
    assert len(report.invalid_quantities) == 1
    assert _lines(engine, tables, order["record_uuid"]) == before
    assert _detect(engine, tables, config).invalid_quantities == []  # unchanged staging: still ERROR, no churn
    _set_staging(engine, tables, order["record_uuid"], **{size: 7777})
    report = _detect(engine, tables, config)
    assert report.updated == 1 and report.invalid_quantities == []
    assert _lines(engine, tables, order["record_uuid"])[size] == (
        7777,
        SyncState.PENDING.value,
        ActionType.UPDATE.value,
    )


def test_text_in_a_size_column_on_sqlite_is_an_error(tmp_path: Path) -> None:
    """SQLite's INTEGER affinity keeps 'abc' and 2.5 as they are; both are refused, named."""
    engine = make_engine(f"sqlite:///{tmp_path / 'o.db'}")
    tables = build_tables()
    create_schema(engine, tables)
    rows = _orders(3)
    rows[0]["M"], rows[1]["XS"] = "abc", 2.5
    with engine.begin() as conn:  # insert_orders counts lines and would trip over the text itself
        conn.execute(tables.staging.insert(), [{**dict.fromkeys(tables.sizes), **r} for r in rows])
    report = _detect(engine, tables, load_config(shipped_config_path()))
    reasons = {r.record_uuid: r.reason for r in report.invalid_quantities}
    assert "size column 'M' has quantity 'abc'" in reasons[rows[0]["record_uuid"]]
    assert "size column 'XS' has quantity 2.5" in reasons[rows[1]["record_uuid"]]
    assert rows[2]["record_uuid"] not in reasons
    engine.dispose()


@pytest.mark.parametrize(
    "dialect", [mssql.dialect(), postgresql.dialect(), sa.create_engine("sqlite://").dialect], ids=lambda d: d.name
)
def test_line_refresh_and_quantity_rule_compile(dialect: sa.Dialect) -> None:
    """The set-based statements render per dialect, the new lines from one read of the order table."""
    tables = build_tables()
    pass_ts = sa.literal("2026-01-01", sa.DateTime())
    statements = line_statements(tables, ["CANCELLED"], True, pass_ts, dialect.name)
    compiled = {
        name: str(getattr(statements, name).compile(dialect=dialect))
        for name in ("delete_unsynced", "zero", "update", "insert")
    }
    hash_fn = {"mssql": "HASHBYTES('SHA2_256'", "postgresql": "sha256(convert_to(", "sqlite": "sha256("}[dialect.name]
    assert hash_fn in compiled["insert"] and hash_fn in compiled["update"]
    assert "CASE" in compiled["zero"]
    unpivot = {"mssql": "UNION ALL", "postgresql": "JOIN unnest(ARRAY[", "sqlite": "JOIN json_each(json_object("}
    insert = compiled["insert"]
    assert unpivot[dialect.name] in insert
    assert dialect.name != "postgresql" or "AS cells(size_code, qty)" in insert
    scan = "FROM [FACT_ORDER_LIST]" if dialect.name == "mssql" else 'FROM "FACT_ORDER_LIST"'
    assert insert.count(scan + " JOIN") == 1  # one read of the orders, joined to their cells
    # PostgreSQL reads the touched orders' existing lines first (a MATERIALIZED CTE): one more FROM.
    assert insert.count(scan) == (2 if dialect.name == "postgresql" else 1)
    assert ("existing_lines AS MATERIALIZED" in insert) == (dialect.name == "postgresql")
    if dialect.name != "sqlite":
        rule = str(invalid_size_sql(tables.target.c["M"], dialect.name).compile(dialect=dialect))
        assert "floor" in rule.lower() and "< " in rule


def test_sqlite_unpivot_splits_many_sizes_into_objects_of_bounded_arity() -> None:
    """245 sizes (the origin's count) stay under SQLite's 127 function arguments: 5 objects, UNION ALL."""
    sizes = tuple(f"S{i}" for i in range(245))
    cells = size_cells(build_tables(sizes=sizes).target, sizes, "sqlite")
    assert len(cells) == -(-len(sizes) // SQLITE_PAIRS_PER_OBJECT)
    with pytest.raises(ValueError, match="FACT_ORDER_LIST has no size columns"):
        size_cells(build_tables(sizes=()).target, (), "sqlite")


def test_many_sizes_first_load_makes_one_line_per_cell(tmp_path: Path) -> None:
    """130 size columns (three JSON objects per row on SQLite): every cell > 0 once, with the per-cell hashes."""
    sizes = tuple(f"Z{i}" for i in range(130))
    engine = make_engine(f"sqlite:///{tmp_path / 'wide.db'}")
    tables = build_tables(sizes=sizes)
    create_schema(engine, tables)
    rows = []
    for n in range(6):
        row: dict[str, Any] = dict.fromkeys(sizes)
        row |= {"record_uuid": f"r{n}", "AAG ORDER NUMBER": f"O-{n}", "ORDER TYPE": "ACTIVE"}
        row |= {sizes[0]: n, sizes[61]: 3, sizes[129]: 10 + n, sizes[70]: -0 if n % 2 else None}
        rows.append(row)
    with engine.begin() as conn:
        conn.execute(tables.staging.insert(), rows)
    report = _detect(engine, tables, load_config(shipped_config_path()))
    assert report.lines_inserted == 5 + 6 + 6  # sizes[0] is 0 for r0
    with engine.connect() as conn:
        stored = conn.execute(sa.select(tables.lines).where(tables.lines.c.record_uuid == "r4")).mappings().all()
    assert {(r["size_code"], r["qty"]) for r in stored} == {(sizes[0], 4), (sizes[61], 3), (sizes[129], 14)}
    for line in stored:
        key = f"r4|{line['size_code']}"
        assert line["line_uuid"] == f"r4:{line['size_code']}"
        assert line["row_hash"] == hashlib.sha256(f"{key}|{line['qty']}".encode()).hexdigest()
    engine.dispose()


def test_sqlite_printf_join_is_the_portable_chain_text(tmp_path: Path) -> None:
    """SQLite's printf('%s|%s…') is the text of the portable coalesce(cast(…)) || '|' chain: no stored hash moves."""
    engine = make_engine(f"sqlite:///{tmp_path / 'h.db'}")
    values = [
        None,
        "",
        7,
        -0.0,
        1.5,
        0.1,
        1e20,
        2.5e-7,
        123456789012345678,
        "a|b",
        "50% off",
        "Café O'Neill",
        "2026-01-31",
    ]
    columns = [sa.literal(v) if v is not None else sa.null() for v in values] * 9  # 117 columns: two printf calls
    chain: sa.ColumnElement[str] = sa.func.coalesce(sa.cast(columns[0], sa.Unicode()), "")
    for column in columns[1:]:
        chain = chain + sa.literal(SEPARATOR, sa.Unicode()) + sa.func.coalesce(sa.cast(column, sa.Unicode()), "")
    joined = joined_text(columns)
    assert "printf(" in str(sa.select(joined).compile(dialect=engine.dialect))
    with engine.connect() as conn:
        fast, portable = conn.execute(sa.select(joined, chain)).one()
        hashed = conn.execute(sa.select(sha256_hex(joined))).scalar_one()
    assert fast == portable and fast.count("|") == len(columns) - 1 + 9
    assert hashed == hashlib.sha256(portable.encode()).hexdigest()
    engine.dispose()


def test_statistics_let_sqlite_read_pending_orders_by_key(tmp_path: Path) -> None:
    """After a first load every order is PENDING: the keyset read must walk the key, not sort by state."""
    engine = make_engine(f"sqlite:///{tmp_path / 'stats.db'}")
    tables = build_tables()
    create_schema(engine, tables)
    insert_orders(engine, tables.staging, iter([_orders(3000)]))
    _detect(engine, tables, load_config(shipped_config_path()))
    t = tables.target
    chunk = sa.select(t.c.record_uuid).where(t.c.sync_state.in_(["PENDING", "ERROR"]), t.c.record_uuid > "")
    sql = str(chunk.order_by(t.c.record_uuid).limit(1000).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        plan = " ".join(row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_fact_sync_state" not in plan and "TEMP B-TREE" not in plan, plan
    engine.dispose()


def test_a_pass_with_nothing_changed_analyses_nothing(setup: tuple[sa.Engine, Tables, Config]) -> None:
    """Statistics are refreshed where a pass changed rows, and on PostgreSQL for a table it knows nothing of."""
    engine, tables, config = setup
    insert_orders(engine, tables.staging, iter([_orders(60)]))
    analysed: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("ANALYZE"):
            analysed.append(statement)

    first = _detect(engine, tables, config)
    assert first.new == 60
    on_first = list(analysed)
    analysed.clear()
    second = _detect(engine, tables, config)
    assert second.unchanged == 60 and second.new == second.updated == 0
    assert analysed == []  # a no-change pass: nothing re-analysed (1.4 s at 100k orders on PostgreSQL)
    assert any(tables.target.name in s for s in on_first) and any(tables.lines.name in s for s in on_first)
    fresh_staging_analysed = any(tables.staging.name in s for s in on_first)
    assert fresh_staging_analysed is (engine.dialect.name == "postgresql")  # freshly loaded: no statistics yet
