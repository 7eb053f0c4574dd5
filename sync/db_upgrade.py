"""``ordersync db upgrade``: bring tables that already exist up to what the sync needs, keeping their rows.

A data team's ``FACT_ORDER_LIST`` / ``ORDER_LIST_LINES`` usually predate ordersync: they hold
the business columns and rows but not the sync columns, constraints, indexes or the ledger
tables. :func:`plan_upgrade` compares the database (SQLAlchemy inspector) with
:func:`sync.db.build_tables` and returns one typed :class:`UpgradeStep` per missing piece, each
a DDL construct (SQLAlchemy's ``CreateTable`` / ``CreateIndex`` / ``AddConstraint``, Alembic's
``AddColumn``), never a string. :func:`apply_upgrade` runs them in one transaction where the
dialect allows; :func:`render_upgrade` compiles the same steps for a DBA (mssql, postgresql,
sqlite). Nothing is dropped or rewritten, so a second run finds nothing to do.

SQLite cannot add a constraint to an existing table: a UNIQUE constraint becomes a unique
index of the same name (same guarantee), a CHECK constraint is reported as skipped (the data
expectations enforce the same vocabulary), and a column default that is not a constant
(``CURRENT_TIMESTAMP``) is left off the added column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import alembic.ddl  # noqa: F401  # registers AddColumn's per-dialect compilers (mssql says ADD, not ADD COLUMN)
import sqlalchemy as sa
from alembic.ddl.base import AddColumn
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, ExecutableDDLElement

from sync.db import Tables

__all__ = ["StepKind", "UpgradeStep", "apply_upgrade", "plan_upgrade", "render_upgrade"]


class StepKind(StrEnum):
    """What one upgrade step adds."""

    CREATE_TABLE = "create table"
    ADD_COLUMN = "add column"
    ADD_CONSTRAINT = "add constraint"
    ADD_INDEX = "add index"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class UpgradeStep:
    """One missing piece: its table, what it is, and the DDL that adds it (None when skipped)."""

    table: str
    kind: StepKind
    name: str
    ddl: ExecutableDDLElement | None
    note: str = ""

    def describe(self) -> str:
        """``FACT_ORDER_LIST: add column row_hash`` for the operator."""
        return f"{self.table}: {self.kind} {self.name}" + (f" ({self.note})" if self.note else "")


def plan_upgrade(engine: Engine, tables: Tables, dialect_name: str | None = None) -> list[UpgradeStep]:
    """Every table, column, constraint and index of ``tables`` that the database lacks, in a safe order.

    ``dialect_name`` is the dialect the steps are for (default: the database's own).
    """
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    sqlite = (dialect_name or engine.dialect.name) == "sqlite"
    steps: list[UpgradeStep] = []
    for table in tables.metadata.sorted_tables:  # parents before children (foreign keys)
        if table.name not in existing:
            steps.append(UpgradeStep(table.name, StepKind.CREATE_TABLE, table.name, CreateTable(table)))
            steps += [UpgradeStep(table.name, StepKind.ADD_INDEX, str(i.name), CreateIndex(i)) for i in table.indexes]
            continue
        steps += _missing_columns(inspector, table, sqlite=sqlite)
        indexes = _missing_indexes(inspector, table)  # before constraints: SQLite's unique indexes join table.indexes
        steps += _missing_constraints(inspector, table, sqlite=sqlite) + indexes
    return steps


def _missing_columns(inspector: Any, table: sa.Table, *, sqlite: bool) -> list[UpgradeStep]:
    present = {c["name"] for c in inspector.get_columns(table.name)}
    steps = []
    for column in table.columns:
        if column.name in present:
            continue
        note = ""
        if sqlite and isinstance(getattr(column.server_default, "arg", None), sa.sql.ClauseElement):
            column = column._copy()  # SQLite: ADD COLUMN allows only constant defaults
            column.server_default = None
            note = "without its CURRENT_TIMESTAMP default (SQLite)"
        steps.append(UpgradeStep(table.name, StepKind.ADD_COLUMN, column.name, AddColumn(table.name, column), note))
    return steps


def _missing_constraints(inspector: Any, table: sa.Table, *, sqlite: bool) -> list[UpgradeStep]:
    uniques = {u["name"] for u in inspector.get_unique_constraints(table.name)}
    uniques |= {i["name"] for i in inspector.get_indexes(table.name) if i.get("unique")}
    checks = {c["name"] for c in inspector.get_check_constraints(table.name)}
    steps = []
    for constraint in sorted(table.constraints, key=lambda c: str(c.name)):
        name = str(constraint.name)
        if isinstance(constraint, sa.UniqueConstraint) and name not in uniques:
            if sqlite:
                index = sa.Index(name, *constraint.columns, unique=True)
                steps.append(UpgradeStep(table.name, StepKind.ADD_INDEX, name, CreateIndex(index), "unique, SQLite"))
            else:
                steps.append(UpgradeStep(table.name, StepKind.ADD_CONSTRAINT, name, AddConstraint(constraint)))
        elif isinstance(constraint, sa.CheckConstraint) and name not in checks:
            if sqlite:
                note = "SQLite cannot add a CHECK to an existing table; the data expectations check the same values"
                steps.append(UpgradeStep(table.name, StepKind.SKIPPED, name, None, note))
            else:
                steps.append(UpgradeStep(table.name, StepKind.ADD_CONSTRAINT, name, AddConstraint(constraint)))
    return steps


def _missing_indexes(inspector: Any, table: sa.Table) -> list[UpgradeStep]:
    present = {i["name"] for i in inspector.get_indexes(table.name)}
    return [
        UpgradeStep(table.name, StepKind.ADD_INDEX, str(index.name), CreateIndex(index))
        for index in sorted(table.indexes, key=lambda i: str(i.name))
        if index.name not in present
    ]


def apply_upgrade(engine: Engine, steps: Sequence[UpgradeStep]) -> int:
    """Run every step that has DDL (one transaction); return how many ran."""
    runnable = [s.ddl for s in steps if s.ddl is not None]
    with engine.begin() as conn:
        for ddl in runnable:
            conn.execute(ddl)
    return len(runnable)


def render_upgrade(steps: Sequence[UpgradeStep], dialect: Dialect) -> list[str]:
    """The steps as SQL for ``dialect``, each preceded by a comment saying what it adds."""
    rendered = []
    for step in steps:
        comment = f"-- {step.describe()}"
        if step.ddl is None:
            rendered.append(comment)
        else:
            rendered.append(f"{comment}\n{str(step.ddl.compile(dialect=dialect)).strip()};")
    return rendered
