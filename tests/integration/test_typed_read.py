"""The planner's header read gives exactly what a plain SQLAlchemy read gives, on each dialect."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from sync.changes import detect_changes
from sync.config import load_config
from sync.db import build_tables, create_schema, make_engine
from sync.demo import bad_rows, generate_orders, insert_orders, shipped_config_path
from sync.engine.typed_read import TypedRead, _convert


def test_typed_read_equals_the_plain_read(engine_url: str) -> None:
    db = make_engine(engine_url)
    tables = build_tables()
    create_schema(db, tables)
    insert_orders(db, tables.staging, generate_orders(150, 3))
    insert_orders(db, tables.staging, [bad_rows(9)])
    config = load_config(shipped_config_path())
    target = tables.target
    try:
        with db.begin() as conn:
            detect_changes(conn, config, config.environment("development"), tables)
            conn.execute(sa.update(target).where(target.c.record_uuid < "8").values(sync_attempted_at=sa.func.now()))
        with db.connect() as conn:
            read = TypedRead(conn.dialect, list(target.columns))
            order = target.c.record_uuid
            typed = read.rows(conn, sa.select(*read.columns).order_by(order))
            plain = [dict(r) for r in conn.execute(sa.select(target).order_by(order)).mappings()]
            assert read.rows(conn, sa.select(*read.columns).where(sa.false())) == []
    finally:
        db.dispose()
    assert len(typed) == len(plain) > 150
    assert typed == plain
    for typed_row, plain_row in zip(typed, plain, strict=True):  # same classes and scales, not only equal
        assert [(type(v), str(v)) for v in typed_row.values()] == [(type(v), str(v)) for v in plain_row.values()]
    assert any(isinstance(v, Decimal) for v in typed[0].values())
    assert any(isinstance(v, date) for v in typed[0].values())


def test_a_column_of_mixed_classes_is_converted_cell_by_cell() -> None:
    seen: list[object] = []

    def processor(value: object) -> object:
        seen.append(value)
        return (type(value).__name__, value)

    assert _convert([1, 1.0, True, None], processor) == [("int", 1), ("float", 1.0), ("bool", True), ("NoneType", None)]
    seen.clear()
    assert _convert(["a", "b", "a", None, "a"], processor)[2] == ("str", "a")
    assert sorted(map(str, seen)) == ["None", "a", "b"]  # one call per distinct value
