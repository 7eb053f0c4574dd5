"""The size columns of an order table as ``(size_code, qty)`` rows, in one scan of the table.

The wide order table has one column per size; lines are its cells. Selecting the cells with
one ``SELECT`` per size column reads the table once per size (30 times for the default
sizes, 245 for the origin's), which stops fitting any page cache long before a million
orders. Here every dialect reads each order row once and expands it in the database:

* SQLite: ``json_each(json_object('2T', t."2T", …))`` joined to the row: the object is built
  and expanded in C (at most :data:`SQLITE_PAIRS_PER_OBJECT` sizes per object, because a
  SQLite function takes at most 127 arguments; more sizes become more objects, UNION ALL);
* PostgreSQL: ``unnest(ARRAY['2T', …], ARRAY[t."2T", …])`` in the ``FROM`` list (a function
  there sees the earlier ``FROM`` items, like ``LATERAL``);
* any other dialect (SQL Server): a cross join with the size codes as a small derived table,
  the cell picked by a ``CASE`` on the code.

Every variant yields the same ``size_code`` text and the same integer ``qty``, so hashes
made from them are the ones the per-column form made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = ["SQLITE_PAIRS_PER_OBJECT", "SizeCells", "size_cells"]

#: json_object(key, value, …) takes 2 arguments per size; SQLite's default cap is 127.
SQLITE_PAIRS_PER_OBJECT = 60
SIZE_CODE_TYPE = sa.Unicode(20)


@dataclass(frozen=True)
class SizeCells:
    """One way to read the cells: add ``joins`` to a select over ``table``; then use the two columns."""

    table: sa.Table
    source: sa.FromClause
    size_code: sa.ColumnElement[Any]
    qty: sa.ColumnElement[Any]

    def select(self, *columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        """``SELECT columns FROM table JOIN <cells> ON true``: one row per (order, size)."""
        return sa.select(*columns).select_from(self.table).join(self.source, sa.true())


def size_cells(table: sa.Table, sizes: Sequence[str], dialect: str) -> list[SizeCells]:
    """How to read ``table``'s size cells on ``dialect``; more than one only for very many sizes on SQLite.

    The caller UNION ALLs one select per entry (each a single scan of ``table``).
    """
    if not sizes:
        raise ValueError(f"{table.name} has no size columns to unpivot")
    if dialect == "sqlite":
        return [
            _sqlite(table, sizes[start : start + SQLITE_PAIRS_PER_OBJECT], start // SQLITE_PAIRS_PER_OBJECT)
            for start in range(0, len(sizes), SQLITE_PAIRS_PER_OBJECT)
        ]
    if dialect == "postgresql":
        return [_postgresql(table, sizes)]
    return [_generic(table, sizes)]


def _sqlite(table: sa.Table, sizes: Sequence[str], part: int) -> SizeCells:
    pairs: list[sa.ColumnElement[Any]] = []
    for size in sizes:
        pairs += [sa.literal(size, SIZE_CODE_TYPE), table.c[size]]
    cells = sa.func.json_each(sa.func.json_object(*pairs)).table_valued("key", "value", name=f"cells_{part}")
    return SizeCells(table, cells, cells.c.key, cells.c.value)  # the key is the size code as text


def _postgresql(table: sa.Table, sizes: Sequence[str]) -> SizeCells:
    codes = postgresql.array([sa.literal(size, SIZE_CODE_TYPE) for size in sizes])
    quantities = postgresql.array([table.c[size] for size in sizes])
    cells = (
        sa.func.unnest(codes, quantities)
        .table_valued(sa.column("size_code", SIZE_CODE_TYPE), sa.column("qty", sa.Integer()))
        .render_derived(name="cells")
    )  # AS cells(size_code, qty)
    return SizeCells(table, cells, cells.c.size_code, cells.c.qty)


def _generic(table: sa.Table, sizes: Sequence[str]) -> SizeCells:
    codes = sa.union_all(*(sa.select(sa.literal(size, SIZE_CODE_TYPE).label("size_code")) for size in sizes))
    derived = codes.subquery("size_codes")
    qty = sa.case({size: table.c[size] for size in sizes}, value=derived.c.size_code, else_=None)
    return SizeCells(table, derived, derived.c.size_code, qty)
