"""The size-quantity rule, the planner's use of it, and the memoised column encoding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sync.config import load_config
from sync.db import build_tables
from sync.demo import generate_orders, shipped_config_path
from sync.mapping import BoardColumns, encode_columns
from sync.plan import plan_items
from sync.quantities import describe_invalid, invalid_sizes, size_keys

SIZES = ("S", "M", "L")


def test_null_zero_and_whole_numbers_pass_the_rest_is_named() -> None:
    """NULL is "no such size"; negatives, fractions, text and booleans are invalid."""
    assert invalid_sizes({"S": None, "M": 0, "L": 12}, SIZES) == []
    assert invalid_sizes({"S": Decimal("3"), "M": 4.0}, SIZES) == []
    row = {"S": -1, "M": 2.5, "L": "abc"}
    assert invalid_sizes(row, SIZES) == [("S", -1), ("M", 2.5), ("L", "abc")]
    assert invalid_sizes({"S": True}, SIZES) == [("S", True)]
    message = describe_invalid("GRE-1", invalid_sizes(row, SIZES))
    assert message.startswith("order GRE-1: size column 'S' has quantity -1, size column 'M' has quantity 2.5")
    assert "size column 'L' has quantity 'abc'" in message and "empty means no such size" in message


def test_size_keys_are_the_columns_between_the_markers() -> None:
    row = dict.fromkeys(["A", "UNIT OF MEASURE", "S", "M", "TOTAL QTY", "B"])
    assert size_keys(row, "UNIT OF MEASURE", "TOTAL QTY") == ("S", "M")
    assert size_keys({"S": 1}, "UNIT OF MEASURE", "TOTAL QTY") == ()


def _board(config: Any, row: dict[str, Any] | None = None) -> BoardColumns:
    """A board with the mapped columns; its label columns already hold ``row``'s labels."""
    mapping = config.environment("development").mapping.items
    types = {m.column: m.type for m in mapping.values()}
    labels = {
        m.column: {str(row[db]).strip()} if row and row.get(db) is not None else set()
        for db, m in mapping.items()
        if m.type in ("dropdown", "status")
    }
    return BoardColumns(types, dict.fromkeys(types, "t"), labels)


def _header(tables: Any, **changes: Any) -> dict[str, Any]:
    order = next(generate_orders(1, 11))[0]
    row = {c.name: order.get(c.name) for c in tables.target.columns}  # table order, like the engine reads it
    row.update(changes, monday_item_id=None)
    return row


def test_planner_rejects_a_header_with_a_negative_size() -> None:
    """A retry reads ERROR rows through the planner: it must refuse them again, naming the cell."""
    config = load_config(shipped_config_path())
    env, tables = config.environment("development"), build_tables()
    good, bad = _header(tables), _header(tables, M=-4, **{"AAG ORDER NUMBER": "BAD-1", "record_uuid": "u2"})
    ops, rejects, _ = plan_items(config, env, [good, bad], _board(config, good))
    assert [o.order_number for o in ops] == [good["AAG ORDER NUMBER"]]
    assert [r.order_number for r in rejects] == ["BAD-1"]
    assert "order BAD-1: size column 'M' has quantity -4" in rejects[0].message


def test_memoised_encoding_keeps_decimal_scale_and_never_shares_a_value() -> None:
    """Decimal('1.10') == Decimal('1.1') but they encode differently; dict answers are fresh copies."""
    config = load_config(shipped_config_path())
    mapping = config.environment("development").mapping.items
    board = _board(config)
    number = next(c for c, m in mapping.items() if m.type == "numbers")
    dated = next(c for c, m in mapping.items() if m.type == "date")
    first = encode_columns({number: Decimal("1.10"), dated: date(2026, 5, 1)}, mapping, board, describe="o1")
    second = encode_columns({number: Decimal("1.1"), dated: date(2026, 5, 1)}, mapping, board, describe="o2")
    column, date_column = mapping[number].column, mapping[dated].column
    assert (first.values[column], second.values[column]) == ("1.10", "1.1")
    assert first.values[date_column] == second.values[date_column] == {"date": "2026-05-01"}
    assert first.values[date_column] is not second.values[date_column]
    bad = encode_columns({number: "TBC"}, mapping, board, describe="o3")
    again = encode_columns({number: "TBC"}, mapping, board, describe="o4")
    assert bad.problems and again.problems and "o4" in again.problems[0] and "'TBC'" in again.problems[0]
