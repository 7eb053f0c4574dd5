"""Gate ``data-expectations``: Great Expectations suites over the environment's own database.

Runs, per table (staging, target, lines), the JSON suite from ``expectations/<role>.json``
plus the rules :mod:`validation.gates.expectations_derive` builds from the mapping and the board
contract. GX executes everything as SQL in the database (``add_sqlite`` / ``add_postgres``
/ ``add_sql`` by dialect); no table is loaded into pandas, so a 100k-row staging table
costs what its queries cost.

Evidence: ``results.html`` (every expectation; failing rows named by order number),
``results.json`` (GX's raw results), ``failures.csv`` (sampled failing rows) and
``source_counts.json`` (the seed plan's total / NEW / UPDATE / CANCELLED counts).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from sync.config import Config
from sync.db import build_tables, discover_sizes, make_engine
from validation.gates.evidence import safe_url, write_json
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = ["ROLES", "ExpectationsGate", "find_suite", "source_counts"]

ROLES = ("staging", "target", "lines")
INDEX_COLUMNS = {
    "staging": ["AAG ORDER NUMBER", "record_uuid"],
    "target": ["AAG ORDER NUMBER", "record_uuid"],
    "lines": ["record_uuid", "size_code"],
}


class ExpectationsGate:
    """Staging, target and lines data meet the JSON suites and the mapping-derived rules."""

    name = "data-expectations"
    description = "Great Expectations suites (expectations/*.json + rules derived from mapping and board) in SQL"

    def run(self, ctx: GateContext) -> GateResult:
        """Validate the three tables and write the HTML/JSON/CSV evidence."""
        from validation.gates.expectations_evidence import (
            outcomes_from_results,
            write_failures_csv,
            write_results_html,
        )

        url = ctx.config.database_url(ctx.env_name)
        engine = make_engine(url)
        try:
            counts = source_counts(ctx.config, ctx.env_name, engine)
            raw = _validate(ctx.config, ctx.env_name, url, engine)
        finally:
            engine.dispose()
        outcomes = [o for role in ROLES for o in outcomes_from_results(role, raw[role])]
        failed = [o for o in outcomes if not o.success]
        folder = ctx.evidence_dir(self.name)
        title = f"data-expectations: {ctx.env_name} ({safe_url(url)})"
        evidence = [
            write_results_html(folder / "results.html", title, counts, outcomes),
            write_json(folder / "results.json", raw),
            write_failures_csv(folder / "failures.csv", outcomes),
            write_json(folder / "source_counts.json", counts),
        ]
        metrics: dict[str, Any] = {"checked": len(outcomes), "failed": len(failed), **counts}
        if failed:
            named = "; ".join(_describe(o) for o in failed[:4])
            more = f" (+{len(failed) - 4} more)" if len(failed) > 4 else ""
            summary = f"{len(failed)} of {len(outcomes)} expectations failed: {named}{more}"
        else:
            summary = f"all {len(outcomes)} expectations passed on {counts['total_rows']} staging rows"
        return gate_result(ctx, self.name, passed=not failed, summary=summary, metrics=metrics, evidence=evidence)


def _describe(outcome: Any) -> str:
    orders = [str(s.get("AAG ORDER NUMBER")) for s in outcome.samples if s.get("AAG ORDER NUMBER")]
    values = [str(s.get(outcome.column)) for s in outcome.samples if s.get(outcome.column) is not None]
    text = f"{outcome.table}.{outcome.column} ({outcome.unexpected} rows"
    if values:
        text += f", e.g. {', '.join(repr(v) for v in dict.fromkeys(values[:3]))}"
    if orders:
        text += f"; orders {', '.join(dict.fromkeys(orders[:3]))}"
    return text + (f"; error {outcome.error}" if outcome.error else "") + ")"


def find_suite(config: Config, role: str) -> Path:
    """``<[paths] expectations>/<role>.json`` next to the config, else the suite ordersync ships."""
    suite = config.project_file("expectations", f"{role}.json")
    if suite.path.is_file():
        return suite.path
    raise FileNotFoundError(f"no expectation suite {suite.path} ([paths] expectations in {config.path})")


def source_counts(config: Config, env_name: str, engine: Engine) -> dict[str, int]:
    """The seed plan's source-data counts: total rows, NEW, UPDATE and CANCELLED orders in staging."""
    env = config.environment(env_name)
    tables = build_tables(env.source_table, env.target_table, env.lines_table, ())
    s, t = tables.staging, tables.target
    key = "AAG ORDER NUMBER"
    differs = sa.or_(
        t.c.action_type == "UPDATE",
        *(s.c[c].is_distinct_from(t.c[c]) for c in config.change_detection.hash_columns if c in s.c),
    )
    cancelled = s.c["ORDER TYPE"].in_(config.change_detection.cancelled_order_types)
    query = sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((t.c.record_uuid.is_(None), 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(t.c.record_uuid.is_not(None), differs), 1), else_=0)),
        sa.func.sum(sa.case((cancelled, 1), else_=0)),
    ).select_from(s.outerjoin(t, s.c[key] == t.c[key]))
    with engine.connect() as conn:
        total, new, update, cancel = conn.execute(query).one()
    return {
        "total_rows": int(total or 0),
        "new_records": int(new or 0),
        "update_records": int(update or 0),
        "cancelled_records": int(cancel or 0),
    }


def _validate(config: Config, env_name: str, url: URL, engine: Engine) -> dict[str, Any]:
    """Run each role's suite in an ephemeral GX context; return GX's JSON results per role."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # a gate never phones home
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation

    from validation.gates.board_contract import load_board_contract
    from validation.gates.expectations_derive import derive_expectations

    env = config.environment(env_name)
    contract = load_board_contract(config, env_name)
    sizes = discover_sizes(
        engine, env.source_table, config.sizes.start_after, config.sizes.end_before, config.sizes.max_sizes
    )
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = _data_source(context, url)
    inspector = sa.inspect(engine)
    results: dict[str, Any] = {}
    for role, table in zip(ROLES, (env.source_table, env.target_table, env.lines_table), strict=True):
        columns = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        raw = json.loads(find_suite(config, role).read_text(encoding="utf-8"))
        expectations = [
            *raw.get("expectations", []),
            *derive_expectations(config, env_name, role, columns, engine.dialect, contract, sizes),
        ]
        # GX lower-cases unquoted names (PostgreSQL then misses swp_ORDER_LIST_SYNC); quoting keeps case.
        asset_table = f'"{table}"' if engine.dialect.identifier_preparer.quote(table) != table else table
        batch = source.add_table_asset(role, table_name=asset_table).add_batch_definition_whole_table(role).get_batch()
        # Row-level SQL rules return their rows only in COMPLETE (GX caps those at MAX_RESULT_RECORDS);
        # column rules stay at SUMMARY so a column with 100k bad values returns a sample, not all of them.
        index = [c for c in INDEX_COLUMNS[role] if c in columns]
        parts = []
        for label, chosen, result_format in (
            (
                "columns",
                [e for e in expectations if not isinstance(e, UnexpectedRowsExpectation)],
                {
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": 20,
                    "unexpected_index_column_names": index,
                },
            ),
            (
                "rows",
                [e for e in expectations if isinstance(e, UnexpectedRowsExpectation)],
                {"result_format": "COMPLETE"},
            ),
        ):
            if chosen:
                suite = gx.ExpectationSuite(
                    name=f"{env_name}-{role}-{label}", expectations=chosen, meta=raw.get("meta")
                )
                parts.append(batch.validate(suite, result_format=result_format).to_json_dict())
        results[role] = {
            "table": table,
            "success": all(p["success"] for p in parts),
            "results": [r for p in parts for r in p["results"]],
            "runs": parts,
        }
    return results


def _data_source(context: Any, url: URL) -> Any:
    """GX's SQL data source for the URL's dialect; the URL (with password) never leaves memory."""
    connection = url.render_as_string(hide_password=False)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return context.data_sources.add_sqlite("ordersync", connection_string=connection)
    if backend == "postgresql":
        if url.get_driver_name() in ("", "psycopg2"):
            connection = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        return context.data_sources.add_postgres("ordersync", connection_string=connection)
    return context.data_sources.add_sql("ordersync", connection_string=connection)
