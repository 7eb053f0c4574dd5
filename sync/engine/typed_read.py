"""Rows read the way the engine plans them: raw from the driver, converted column by column.

SQLAlchemy converts every result cell through its column type (on SQLite a ``Numeric`` is a
float turned into a ``Decimal`` through its text, a ``Date`` a string parsed back into a
date), one call per cell. An order chunk has a few dozen such cells per row, most of them
repeated down the column (a season, a delivery date, a price). Here the select asks for
those columns as they are stored, and each column's *distinct* raw values go through the
type's own result processor once — the same function SQLAlchemy would call, so the values
are exactly the ones a normal read gives (``tests/integration/test_typed_read.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from sync.engine.plan_rows import cycle_collection_paused

__all__ = ["TypedRead"]

_Processor = Callable[[Any], Any]


class TypedRead:
    """A column list to select raw and turn into dicts with each column's own conversion."""

    def __init__(self, dialect: Dialect, columns: Sequence[sa.Column[Any]]) -> None:
        self.names = [c.name for c in columns]
        self.processors = [_processor(c, dialect) for c in columns]
        self.columns: list[sa.ColumnElement[Any]] = [
            sa.type_coerce(c, sa.types.NullType()).label(c.name) if p is not None else c
            for c, p in zip(columns, self.processors, strict=True)
        ]

    def rows(self, conn: Connection, query: sa.Select[Any]) -> list[dict[str, Any]]:
        """Run ``query`` (which selects :attr:`columns`) and return typed dicts, one per row."""
        with cycle_collection_paused():  # a chunk is thousands of new containers, none in a cycle
            raw = conn.execute(query).all()
            if not raw:
                return []
            cells: list[Sequence[Any]] = list(zip(*raw, strict=True))
            for i, processor in enumerate(self.processors):
                if processor is not None:
                    cells[i] = _convert(cells[i], processor)
            names = self.names
            return [dict(zip(names, values, strict=True)) for values in zip(*cells, strict=True)]


def _processor(column: sa.Column[Any], dialect: Dialect) -> _Processor | None:
    """The column type's result processor when it does not depend on the driver's type code.

    PostgreSQL's numeric processor asks for the code the driver reports (and psycopg hands
    back Decimals itself): such a column is left to SQLAlchemy's own read.
    """
    try:
        return column.type.dialect_impl(dialect).result_processor(dialect, None)
    except (TypeError, KeyError, ValueError, sa.exc.InvalidRequestError):
        return None


def _convert(column: Sequence[Any], processor: _Processor) -> list[Any]:
    """``processor`` over ``column``, once per distinct value when the column holds one class.

    With one class, equal values are interchangeable (with several, ``1 == 1.0 == True``
    could hand one of them another's conversion), so those columns are converted cell by cell.
    """
    kinds = set(map(type, column))
    kinds.discard(type(None))
    if len(kinds) > 1:
        return list(map(processor, column))
    done: dict[Any, Any] = {}
    for value in set(column):
        done[value] = processor(value)
    return list(map(done.__getitem__, column))
