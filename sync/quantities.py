"""The rule for size quantities in the wide staging table, in SQL and in Python.

A size cell is valid when it is empty (NULL: the order has no such size, exactly like 0)
or a whole number ≥ 0. Anything else (a negative number, a fraction, text that SQLite's
type affinity let into an INTEGER column) is invalid: change detection sets the order to
``ERROR`` with a message naming the order, the size column and the value, and none of its
lines are inserted, changed or zeroed, so an order is never synced with lines dropped.
The planner applies the same rule to every header it reads (:func:`invalid_sizes`), so a
``retry`` of such an order fails again with the same message instead of pushing it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

__all__ = ["RULE", "describe_invalid", "invalid_size_sql", "invalid_sizes", "size_keys"]

RULE = "a size quantity must be empty or a whole number >= 0 (empty means no such size)"


def invalid_size_sql(column: sa.ColumnElement[Any], dialect: str) -> sa.ColumnElement[bool]:
    """True where the cell breaks the rule; NULL and whole numbers >= 0 pass."""
    negative = column < 0
    if dialect == "sqlite":  # INTEGER affinity stores 'abc' or 2.5 as they are
        return sa.or_(sa.func.typeof(column).not_in(["integer", "null"]), negative)
    return sa.or_(negative, column != sa.func.floor(column))


def _bad(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return True
    return value < 0 or value != int(value)


def _shown(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def invalid_sizes(row: Mapping[str, Any], sizes: Sequence[str]) -> list[tuple[str, object]]:
    """The (size column, value) pairs of ``row`` that break the rule, in column order."""
    bad = []
    for size in sizes:
        value = row.get(size)
        if value is None or (value.__class__ is int and value >= 0):  # the common cases, fast
            continue
        if _bad(value):
            bad.append((size, value))
    return bad


def size_keys(row: Mapping[str, Any], start_after: str, end_before: str) -> tuple[str, ...]:
    """The size columns of a whole-table row: the keys strictly between the two marker columns."""
    keys = list(row)
    if start_after not in keys or end_before not in keys:
        return ()
    return tuple(keys[keys.index(start_after) + 1 : keys.index(end_before)])


def describe_invalid(order_number: object, bad: Sequence[tuple[str, object]]) -> str:
    """``order X: size column 'M' has quantity -3; …`` — every bad cell, then the rule."""
    cells = ", ".join(f"size column '{size}' has quantity {_shown(value)}" for size, value in bad)
    return f"order {order_number}: {cells}; {RULE}; none of its lines were synced"
