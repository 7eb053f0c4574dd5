"""A portable ``sha256(text) -> 64 hex chars`` SQL function, so change detection stays set-based.

SQLite gets a Python ``sha256`` registered on connect (:func:`sync.db.make_engine`),
PostgreSQL uses its built-in ``sha256(bytea)``, SQL Server ``HASHBYTES('SHA2_256', …)``.
Hashes are only ever compared with hashes made by the same database, so the textual form
of numbers and dates (which differs between dialects) does not matter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

__all__ = ["joined_text", "sha256_hex"]


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


def joined_text(columns: Sequence[sa.ColumnElement[Any]], separator: str = "|") -> sa.ColumnElement[str]:
    """``coalesce(cast(c1 as text), '') || '|' || …`` — NULL and '' hash alike on purpose."""
    parts: list[sa.ColumnElement[str]] = [sa.func.coalesce(sa.cast(col, sa.Unicode()), "") for col in columns]
    expr: sa.ColumnElement[str] = parts[0]
    for part in parts[1:]:
        expr = expr + sa.literal(separator, sa.Unicode()) + part
    return expr
