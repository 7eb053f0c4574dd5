"""Gate ``schema-readiness``: the environment's database has every table and column the sync needs.

The origin system learned about a missing sync column from a failed production run; this
gate reads the live schema through SQLAlchemy's inspector (SQLite, PostgreSQL and SQL
Server alike) and names each missing or mistyped column with its table before anything
is written. The requirements come from the very table definitions the engine uses
(:func:`sync.db.build_tables`, with the size columns discovered from staging), not from a
second list, so a column the engine starts reading or writing is checked the day it is
declared. It checks:

* every table of :func:`~sync.db.build_tables` (staging, target, lines, ledger) exists;
* every column of those tables exists, in a type of the same kind as declared (integer,
  number, date, date-time, text; business text columns take any type, the engine renders
  them), and every unique constraint and index ``ordersync db upgrade`` would add exists
  (the same :func:`~sync.db_upgrade.plan_upgrade`, so the fix the message names is the fix);
* every DB column of the environment's mapping exists in a type the monday column can take
  (numbers need a numeric DB type, or a text column mapped with ``coerce = true``; dates need
  DATE/DATETIME), and the columns the config names (group and name templates, hash columns,
  size markers) exist;
* size columns are discovered between the configured markers and are integers.

A failure names ``table.column: found`` and the command that fixes a missing sync column or
table: ``ordersync db upgrade --env ENV``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import ColumnMapping, Config
from sync.db import (
    BUSINESS_COLUMNS_AFTER_SIZES,
    BUSINESS_COLUMNS_BEFORE_SIZES,
    build_tables,
    discover_sizes,
    make_engine,
)
from sync.db_upgrade import StepKind, plan_upgrade
from validation.gates.evidence import md_table, safe_url, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = ["SchemaCheck", "SchemaGate", "check_schema", "type_kind"]

BUSINESS_KEY = "AAG ORDER NUMBER"
_BUSINESS = frozenset(n for n, _ in (*BUSINESS_COLUMNS_BEFORE_SIZES, *BUSINESS_COLUMNS_AFTER_SIZES))
#: Upgrade steps that are findings here (a CHECK SQLite cannot add is reported by upgrade, not here).
_UPGRADE_FINDINGS = (StepKind.ADD_CONSTRAINT, StepKind.ADD_INDEX)


@dataclass(frozen=True)
class SchemaCheck:
    """One requirement on one table/column and whether the database meets it."""

    table: str
    column: str | None
    requirement: str
    found: str
    ok: bool


class SchemaGate:
    """Tables, mapped columns, sync columns and size columns exist in compatible types."""

    name = "schema-readiness"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = ("checked", "tables")
    description = "tables, mapped/sync/size columns exist with compatible types (SQLAlchemy inspector)"

    def run(self, ctx: GateContext) -> GateResult:
        """Inspect the environment's database and write schema.json + schema.md."""
        url = ctx.config.database_url(ctx.env_name)
        engine = make_engine(url)
        try:
            checks = check_schema(ctx.config, ctx.env_name, engine)
        finally:
            engine.dispose()
        problems = [c for c in checks if not c.ok]
        folder = ctx.evidence_dir(self.name)
        metrics = {
            "checked": len(checks),
            "problems": len(problems),
            "tables": len({c.table for c in checks}),
            "database": safe_url(url),
        }
        evidence = [
            write_json(folder / "schema.json", {"metrics": metrics, "checks": [asdict(c) for c in checks]}),
            write_text(folder / "schema.md", _markdown(ctx.env_name, checks, problems)),
        ]
        if problems:
            named = "; ".join(f"{c.table}.{c.column or '*'}: {c.found}" for c in problems[:5])
            more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
            summary = (
                f"{len(problems)} of {len(checks)} schema checks failed: {named}{more}; "
                f"fix: ordersync db upgrade --env {ctx.env_name} (review first with --sql)"
            )
        else:
            summary = f"all {len(checks)} schema checks passed"
        return gate_result(ctx, self.name, passed=not problems, summary=summary, metrics=metrics, evidence=evidence)


def check_schema(config: Config, env_name: str, engine: Engine) -> list[SchemaCheck]:
    """Every schema requirement of one environment, met or not (never raises on a finding)."""
    env = config.environment(env_name)
    inspector = sa.inspect(engine)
    existing = set(inspector.get_table_names())
    checks: list[SchemaCheck] = []
    sizes: tuple[str, ...] = ()
    if env.source_table in existing:
        size_checks, sizes = _size_checks(config, engine, env.source_table)
        checks += size_checks
    tables = build_tables(env.source_table, env.target_table, env.lines_table, sizes)
    declared = tables.metadata.sorted_tables
    checks += [
        SchemaCheck(
            t.name, None, "table exists", "present" if t.name in existing else "table missing", t.name in existing
        )
        for t in declared
    ]
    columns = {
        t.name: {c["name"]: c["type"] for c in inspector.get_columns(t.name)} for t in declared if t.name in existing
    }
    for table in declared:
        if table.name in columns:
            checks += [_declared(table.name, columns[table.name], column, sizes) for column in table.columns]
    config_named = _config_columns(config)
    for name in (env.source_table, env.target_table):
        if name in columns:
            checks += [_mapped(name, columns[name], c, m) for c, m in env.mapping.items.items()]
            checks += [_exists(name, columns[name], c, "named in the config") for c in config_named]
    if env.lines_table in columns:
        checks += [_mapped(env.lines_table, columns[env.lines_table], c, m) for c, m in env.mapping.subitems.items()]
    for step in plan_upgrade(engine, tables):
        if step.kind in _UPGRADE_FINDINGS and step.table in columns:
            checks.append(
                SchemaCheck(step.table, None, f"{step.kind.value} {step.name}", f"{step.name} missing", False)
            )
    return _one_missing_per_column(checks)


def _one_missing_per_column(checks: list[SchemaCheck]) -> list[SchemaCheck]:
    """A missing column is one problem, however many requirements (declared, mapped, config) need it."""
    seen: set[tuple[str, str]] = set()
    out = []
    for check in checks:
        if check.found == "column missing" and check.column is not None:
            if (check.table, check.column) in seen:
                continue
            seen.add((check.table, check.column))
        out.append(check)
    return out


def _config_columns(config: Config) -> list[str]:
    """Staging/target columns the config makes the engine read (templates, groups, hashes, markers)."""
    names = [
        BUSINESS_KEY,
        config.sizes.start_after,
        config.sizes.end_before,
        *config.groups.columns,
        *config.groups.fallback_columns,
        *re.findall(r"\{([^{}]+)\}", config.items.name_template),
        *config.change_detection.hash_columns,
    ]
    return list(dict.fromkeys(names))


def type_kind(db_type: Any) -> str:
    """The kind of a SQL type as the engine cares: integer, number, datetime, date, text or other."""
    for kind, types in (
        ("integer", sa.Integer),
        ("number", sa.Numeric),
        ("datetime", sa.DateTime),
        ("date", sa.Date),
        ("text", sa.String),
    ):
        if isinstance(db_type, types):
            return kind
    return "other"


_ACCEPTS = {"integer": {"integer"}, "number": {"number"}, "datetime": {"datetime"}, "date": {"date", "datetime"}}


def _declared(table: str, columns: dict[str, Any], column: sa.Column[Any], sizes: tuple[str, ...]) -> SchemaCheck:
    """The column exists, in a type of the kind :mod:`sync.db` declares for it."""
    business = column.name in _BUSINESS or column.name in sizes
    why = "read by the engine (sync/db.py)" if business else "read and written by the engine (sync/db.py)"
    if column.name not in columns:
        return SchemaCheck(table, column.name, f"exists ({why})", "column missing", False)
    want, found = type_kind(column.type), type_kind(columns[column.name])
    ok = found in _ACCEPTS.get(want, {"text"}) or (want == "text" and business)
    shown = str(columns[column.name]) + ("" if ok else f": {found}, the engine needs {want}")
    return SchemaCheck(table, column.name, f"{want} column ({why})", shown, ok)


def _exists(table: str, columns: dict[str, Any], column: str, why: str) -> SchemaCheck:
    if column in columns:
        return SchemaCheck(table, column, f"exists ({why})", str(columns[column]), True)
    return SchemaCheck(table, column, f"exists ({why})", "column missing", False)


def _mapped(table: str, columns: dict[str, Any], db_column: str, mapping: ColumnMapping) -> SchemaCheck:
    requirement = f"feeds {mapping.type} column {mapping.column}"
    if db_column not in columns:
        return SchemaCheck(table, db_column, requirement, "column missing", False)
    db_type = columns[db_column]
    ok, why = _compatible(db_type, mapping)
    return SchemaCheck(table, db_column, requirement, f"{db_type}{'' if ok else ': ' + why}", ok)


def _compatible(db_type: Any, mapping: ColumnMapping) -> tuple[bool, str]:
    if mapping.type == "numbers":
        if isinstance(db_type, sa.Integer | sa.Numeric):
            return True, ""
        if isinstance(db_type, sa.String) and mapping.coerce:
            return True, ""
        if isinstance(db_type, sa.String):
            return False, "text column feeding a numbers column needs coerce = true in the mapping"
        return False, "not a numeric type"
    if mapping.type == "date":
        if isinstance(db_type, sa.Date | sa.DateTime):
            return True, ""
        return False, "a date column needs a DATE or DATETIME type"
    return True, ""


def _size_checks(config: Config, engine: Engine, table: str) -> tuple[list[SchemaCheck], tuple[str, ...]]:
    markers = f"between {config.sizes.start_after!r} and {config.sizes.end_before!r}"
    try:
        sizes = discover_sizes(engine, table, config.sizes.start_after, config.sizes.end_before, config.sizes.max_sizes)
    except LookupError as exc:
        return [SchemaCheck(table, None, f"size columns {markers}", str(exc), False)], ()
    if not sizes:
        return [SchemaCheck(table, None, f"size columns {markers}", "no size columns found", False)], ()
    return [SchemaCheck(table, None, f"size columns {markers}", f"{len(sizes)} discovered", True)], sizes


def _markdown(env_name: str, checks: list[SchemaCheck], problems: list[SchemaCheck]) -> str:
    head = f"# schema-readiness: {env_name}\n\n{len(checks)} checks, {len(problems)} problems.\n\n"
    if problems:
        head += (
            "## Problems\n\n"
            + md_table(
                ["table", "column", "requirement", "found"],
                [(c.table, c.column, c.requirement, c.found) for c in problems],
            )
            + "\n"
        )
    return (
        head
        + "## All checks\n\n"
        + md_table(
            ["ok", "table", "column", "requirement", "found"],
            [("yes" if c.ok else "**NO**", c.table, c.column, c.requirement, c.found) for c in checks],
        )
    )
