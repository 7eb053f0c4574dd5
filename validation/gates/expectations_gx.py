"""Run the data-expectations suites through Great Expectations 1.x Checkpoints, Data Docs into the report.

Per table (staging, target, lines) the JSON suite ``expectations/<role>.json`` plus the rules
:mod:`validation.gates.expectations_derive` builds become two suites: column rules (SUMMARY
results, failing rows named by their index columns) and row-level SQL rules (COMPLETE, GX caps
the rows). Each suite is a :class:`great_expectations.ValidationDefinition` on a whole-table
batch, run by a :class:`great_expectations.Checkpoint` (one per result format, since GX sets
that per checkpoint); the last checkpoint carries :class:`UpdateDataDocsAction`, which renders
every result into ``<evidence folder>/data_docs/index.html``. The context is ephemeral: nothing
is written outside the report folder, and GX executes everything as SQL in the database.

The row-count rule is the gate's own (:func:`row_count_rule`), not only the editable suite's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from sync.config import Config
from sync.db import discover_sizes

__all__ = ["DATA_DOCS_SITE", "INDEX_COLUMNS", "ROLES", "GxRun", "row_count_rule", "run_checkpoints"]

ROLES = ("staging", "target", "lines")
INDEX_COLUMNS = {
    "staging": ["AAG ORDER NUMBER", "record_uuid"],
    "target": ["AAG ORDER NUMBER", "record_uuid"],
    "lines": ["record_uuid", "size_code"],
}
DATA_DOCS_SITE = "ordersync"
#: Where GX's Data Docs go inside the gate's evidence folder.
DATA_DOCS_FOLDER = "data_docs"
_COLUMNS_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
_ROWS_FORMAT = {"result_format": "COMPLETE"}


@dataclass(frozen=True)
class GxRun:
    """GX's JSON results per role (``table``, ``rows``, ``suite``, ``suite_size``, ``results``) and the docs page."""

    roles: dict[str, dict[str, Any]]
    data_docs: Path | None


def row_count_rule() -> dict[str, Any]:
    """The gate's own rule: staging holds at least one row (an empty load proves nothing)."""
    return {
        "type": "expect_table_row_count_to_be_between",
        "kwargs": {"min_value": 1},
        "meta": {"why": "ordersync gate rule: an empty staging table means the upstream load did not run"},
    }


def run_checkpoints(
    config: Config, env_name: str, url: URL, engine: Engine, evidence: Path, suites: dict[str, Path]
) -> GxRun:
    """Validate the three tables through Checkpoints; Data Docs land in ``evidence/data_docs``."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # a gate never phones home
    import great_expectations as gx
    from great_expectations.checkpoint.actions import UpdateDataDocsAction, ValidationAction
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
    docs_dir = evidence / DATA_DOCS_FOLDER
    context.add_data_docs_site(
        site_name=DATA_DOCS_SITE,
        site_config={
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        },
    )
    source = _data_source(context, url)
    inspector = sa.inspect(engine)
    roles: dict[str, dict[str, Any]] = {}
    planned: list[tuple[str, str, Any, dict[str, Any]]] = []  # (role, label, validation definition, format)
    for role, table in zip(ROLES, (env.source_table, env.target_table, env.lines_table), strict=True):
        columns = {c["name"]: c["type"] for c in inspector.get_columns(table)}
        raw = json.loads(suites[role].read_text(encoding="utf-8"))
        own = [row_count_rule()] if role == "staging" else []
        expectations = [
            *own,
            *raw.get("expectations", []),
            *derive_expectations(config, env_name, role, columns, engine.dialect, contract, sizes),
        ]
        roles[role] = {
            "table": table,
            "rows": _count(engine, table),
            "suite": str(suites[role]),
            "suite_size": len(raw.get("expectations", [])),
            "results": [],
            "runs": [],
        }
        # GX lower-cases unquoted names (PostgreSQL then misses swp_ORDER_LIST_SYNC); quoting keeps case.
        asset_table = f'"{table}"' if engine.dialect.identifier_preparer.quote(table) != table else table
        batch = source.add_table_asset(role, table_name=asset_table).add_batch_definition_whole_table(role)
        index = [c for c in INDEX_COLUMNS[role] if c in columns]
        for label, rows_rule, result_format in (
            ("columns", False, {**_COLUMNS_FORMAT, "unexpected_index_column_names": index}),
            ("rows", True, _ROWS_FORMAT),
        ):
            chosen = [e for e in expectations if _is_rows_rule(e, UnexpectedRowsExpectation) is rows_rule]
            if not chosen:
                continue
            suite = context.suites.add(
                gx.ExpectationSuite(name=f"{env_name}-{role}-{label}", expectations=chosen, meta=raw.get("meta"))
            )
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"{env_name}-{role}-{label}", data=batch, suite=suite)
            )
            planned.append((role, label, definition, result_format))
    for n, (role, label, definition, result_format) in enumerate(planned, start=1):
        actions: list[ValidationAction] = []
        if n == len(planned):  # one Data Docs build, after every result is in GX's store
            actions.append(UpdateDataDocsAction(name="data-docs", site_names=[DATA_DOCS_SITE]))
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(
                name=f"{env_name}-{role}-{label}",
                validation_definitions=[definition],
                actions=actions,
                result_format=result_format,
            )
        )
        outcome: Any
        for outcome in checkpoint.run().run_results.values():
            part: dict[str, Any] = outcome.to_json_dict()
            roles[role]["runs"].append(part)
            roles[role]["results"] += part["results"]
    for data in roles.values():
        data["success"] = all(p["success"] for p in data["runs"])
    index_page = docs_dir / "index.html"
    return GxRun(roles, index_page if index_page.is_file() else None)


def _is_rows_rule(expectation: Any, rows_type: type) -> bool:
    if isinstance(expectation, dict):
        return expectation.get("type") == "unexpected_rows_expectation"
    return isinstance(expectation, rows_type)


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar_one())


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
