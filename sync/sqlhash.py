"""A portable ``sha256(text) -> 64 hex chars`` SQL function, so change detection stays set-based.

SQLite gets a Python ``sha256`` registered on connect (:func:`sync.db.make_engine`),
PostgreSQL uses its built-in ``sha256(bytea)``, SQL Server ``HASHBYTES('SHA2_256', …)``.
Hashes are only ever compared with hashes made by the same database, so the textual form
of numbers and dates (which differs between dialects) does not matter.

The joined text is ``coalesce(cast(c AS text), '')`` per column, joined with ``|``. On SQLite
that chain builds a new string per ``||`` (80 columns: half the cost of a no-change pass), so
there it renders as ``printf('%s|%s|…', c1, c2, …)``: the same text (``%s`` of NULL is '',
of a number its cast to text), built once, in groups of at most :data:`PRINTF_ARGS` columns
(SQLite caps a function at 127 arguments).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["PRINTF_ARGS", "SEPARATOR", "joined_text", "sha256_hex"]


class sha256_hex(FunctionElement[str]):
    """``sha256_hex(text_expr)``: lower-case hex SHA-256 of a text expression."""

    type = sa.String(64)
    inherit_cache = True
    name = "sha256_hex"


@compiles(sha256_hex)
def _default(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"sha256({compiler.process(element.clauses, **kw)})"


@compiles(sha256_hex, "postgresql")
def _postgresql(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    return f"encode(sha256(convert_to({compiler.process(element.clauses, **kw)}, 'UTF8')), 'hex')"


@compiles(sha256_hex, "mssql")
def _mssql(element: sha256_hex, compiler: SQLCompiler, **kw: Any) -> str:
    inner = compiler.process(element.clauses, **kw)
    return f"LOWER(CONVERT(VARCHAR(64), HASHBYTES('SHA2_256', {inner}), 2))"


#: Columns per ``printf`` call on SQLite (its functions take at most 127 arguments).
PRINTF_ARGS = 100
SEPARATOR = "|"


class _joined(FunctionElement[str]):
    """The columns as text joined with :data:`SEPARATOR`, NULL as ''; the rendering is per dialect."""

    type = sa.Unicode()
    inherit_cache = True
    name = "joined_text"


@compiles(_joined)
def _joined_default(element: _joined, compiler: SQLCompiler, **kw: Any) -> str:
    parts: list[sa.ColumnElement[str]] = [sa.func.coalesce(sa.cast(c, sa.Unicode()), "") for c in element.clauses]
    expr: sa.ColumnElement[str] = parts[0]
    for part in parts[1:]:
        expr = expr + sa.literal(SEPARATOR, sa.Unicode()) + part
    return compiler.process(expr, **kw)


@compiles(_joined, "sqlite")
def _joined_sqlite(element: _joined, compiler: SQLCompiler, **kw: Any) -> str:
    columns = list(element.clauses)
    calls = []
    for start in range(0, len(columns), PRINTF_ARGS):
        group = columns[start : start + PRINTF_ARGS]
        fmt = SEPARATOR.replace("%", "%%").join(["%s"] * len(group))
        calls.append(sa.func.printf(sa.literal(fmt, sa.Unicode()), *group))
    expr: sa.ColumnElement[str] = calls[0]
    for call in calls[1:]:
        expr = expr + sa.literal(SEPARATOR, sa.Unicode()) + call
    return compiler.process(expr, **kw)


def joined_text(columns: Sequence[sa.ColumnElement[Any]]) -> sa.ColumnElement[str]:
    """``coalesce(cast(c1 as text), '') || '|' || …`` — NULL and '' hash alike on purpose."""
    if not columns:
        raise ValueError("joined_text needs at least one column")
    return _joined(*columns)
