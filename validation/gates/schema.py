"""Gate ``schema-readiness``: the environment's database has every table and column the sync needs.

The origin system learned about a missing sync column from a failed production run; this
gate reads the live schema through SQLAlchemy's inspector (SQLite, PostgreSQL and SQL
Server alike) and names each missing or mistyped column with its table before anything
is written. It checks:

* the staging, target and lines tables and the ledger tables exist;
* every DB column of the environment's item mapping exists in staging and target, and
  every subitem mapping column in lines, in a type the monday column can take (numbers
  need a numeric DB type, or a text column mapped with ``coerce = true``; dates need
  DATE/DATETIME; text, long text, dropdown and status take anything);
* the columns the engine itself reads (business key, group and name templates, hash
  columns, size markers) and the sync bookkeeping columns exist;
* size columns are discovered between the configured markers and are integers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import ColumnMapping, Config
from sync.db import LEDGER_TABLE_NAMES, discover_sizes, make_engine
from validation.gates.evidence import md_table, safe_url, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = ["LINES_SYNC_COLUMNS", "ORDER_SYNC_COLUMNS", "SchemaCheck", "SchemaGate", "check_schema"]

ORDER_SYNC_COLUMNS = (
    "record_uuid",
    "row_hash",
    "sync_state",
    "action_type",
    "monday_item_id",
    "group_name",
    "group_id",
    "item_name",
    "sync_error_message",
    "sync_attempted_at",
    "sync_completed_at",
    "retry_count",
)
LINES_SYNC_COLUMNS = (
    "line_uuid",
    "record_uuid",
    "size_code",
    "qty",
    "row_hash",
    "sync_state",
    "action_type",
    "monday_subitem_id",
    "monday_parent_id",
    "sync_error_message",
    "sync_attempted_at",
    "sync_completed_at",
    "retry_count",
)
BUSINESS_KEY = "AAG ORDER NUMBER"


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
    checks = [
        SchemaCheck(t, None, "table exists", "present" if t in existing else "table missing", t in existing)
        for t in (env.source_table, env.target_table, env.lines_table, *LEDGER_TABLE_NAMES)
    ]
    columns = {
        t: {c["name"]: c["type"] for c in inspector.get_columns(t)}
        for t in (env.source_table, env.target_table, env.lines_table)
        if t in existing
    }
    engine_columns = _engine_columns(config)
    for table in (env.source_table, env.target_table):
        if table not in columns:
            continue
        for db_column, mapping in env.mapping.items.items():
            checks.append(_mapped(table, columns[table], db_column, mapping))
        for column in engine_columns:
            checks.append(_exists(table, columns[table], column, "read by the engine"))
        checks += _size_checks(config, engine, table, columns[table])
    if env.target_table in columns:
        for column in ORDER_SYNC_COLUMNS:
            checks.append(_exists(env.target_table, columns[env.target_table], column, "sync column"))
    if env.lines_table in columns:
        for column in LINES_SYNC_COLUMNS:
            checks.append(_exists(env.lines_table, columns[env.lines_table], column, "sync column"))
        for db_column, mapping in env.mapping.subitems.items():
            checks.append(_mapped(env.lines_table, columns[env.lines_table], db_column, mapping))
    return checks


def _engine_columns(config: Config) -> list[str]:
    """Staging/target columns the engine reads whatever the mapping says."""
    names = [
        BUSINESS_KEY,
        "ORDER TYPE",
        config.sizes.start_after,
        config.sizes.end_before,
        *config.groups.columns,
        *config.groups.fallback_columns,
        *re.findall(r"\{([^{}]+)\}", config.items.name_template),
        *config.change_detection.hash_columns,
    ]
    return list(dict.fromkeys(names))


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


def _size_checks(config: Config, engine: Engine, table: str, columns: dict[str, Any]) -> list[SchemaCheck]:
    markers = f"between {config.sizes.start_after!r} and {config.sizes.end_before!r}"
    try:
        sizes = discover_sizes(engine, table, config.sizes.start_after, config.sizes.end_before, config.sizes.max_sizes)
    except LookupError as exc:
        return [SchemaCheck(table, None, f"size columns {markers}", str(exc), False)]
    if not sizes:
        return [SchemaCheck(table, None, f"size columns {markers}", "no size columns found", False)]
    checks = [SchemaCheck(table, None, f"size columns {markers}", f"{len(sizes)} discovered", True)]
    for size in sizes:
        db_type = columns[size]
        ok = isinstance(db_type, sa.Integer)
        checks.append(
            SchemaCheck(
                table,
                size,
                "size column is an integer",
                str(db_type) + ("" if ok else ": not an integer"),
                ok,
            )
        )
    return checks


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
