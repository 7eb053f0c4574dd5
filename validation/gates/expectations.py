"""Gate ``data-expectations``: Great Expectations suites over the environment's own database.

Runs, per table (staging, target, lines), the JSON suite from ``expectations/<role>.json``
plus the rules :mod:`validation.gates.expectations_derive` builds from the mapping and the board
contract, through GX Checkpoints (:mod:`validation.gates.expectations_gx`). GX executes
everything as SQL in the database; no table is loaded into pandas.

The verdict is the gate's, not only the suites':

* a suite file with zero expectations fails, naming the file (an emptied suite proves nothing);
* zero staging rows fails (the row-count rule is the gate's own, also when the suite drops it);
* on an empty target or lines table an expectation that held is *not evaluated*, never a pass;
* a pass needs at least one evaluated expectation.

Evidence: ``results.html`` (every expectation; failing rows named by order number),
``results.json`` (GX's raw results), ``failures.csv`` (sampled failing rows),
``source_counts.json`` (the seed plan's total / NEW / UPDATE / CANCELLED counts) and GX's own
Data Docs (``data_docs/index.html``), all linked from the run's ``index.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.db import build_tables, make_engine
from validation.gates.evidence import safe_url, write_json
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = ["ExpectationsGate", "find_suite", "source_counts"]


class ExpectationsGate:
    """Staging, target and lines data meet the JSON suites and the mapping-derived rules."""

    name = "data-expectations"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = ("checked", "failed", "staging_rows")
    description = "Great Expectations Checkpoints (expectations/*.json + rules from mapping and board), Data Docs"

    def run(self, ctx: GateContext) -> GateResult:
        """Validate the three tables and write the HTML/JSON/CSV evidence and GX's Data Docs."""
        from validation.gates.expectations_evidence import (
            outcomes_from_results,
            write_failures_csv,
            write_results_html,
        )
        from validation.gates.expectations_gx import ROLES, run_checkpoints

        url = ctx.config.database_url(ctx.env_name)
        suites = {role: find_suite(ctx.config, role) for role in ROLES}
        folder = ctx.evidence_dir(self.name)
        engine = make_engine(url)
        try:
            counts = source_counts(ctx.config, ctx.env_name, engine)
            gx_run = run_checkpoints(ctx.config, ctx.env_name, url, engine, folder, suites)
        finally:
            engine.dispose()
        raw = gx_run.roles
        outcomes = [
            o
            for role in ROLES
            for o in outcomes_from_results(raw[role]["table"], raw[role], evaluated=raw[role]["rows"] > 0)
        ]
        failed = [o for o in outcomes if o.status == "fail"]
        evaluated = [o for o in outcomes if o.status != "not evaluated"]
        problems = _gate_problems(raw)
        title = f"data-expectations: {ctx.env_name} ({safe_url(url)})"
        evidence = [
            write_results_html(folder / "results.html", title, counts, outcomes, problems),
            write_json(folder / "results.json", raw),
            write_failures_csv(folder / "failures.csv", outcomes),
            write_json(folder / "source_counts.json", counts),
        ]
        if gx_run.data_docs is not None:
            evidence.append(gx_run.data_docs)
        metrics: dict[str, Any] = {
            "checked": len(evaluated),
            "failed": len(failed),
            "not_evaluated": len(outcomes) - len(evaluated),
            **{f"{role}_rows": raw[role]["rows"] for role in ROLES},
            **counts,
        }
        return gate_result(
            ctx,
            self.name,
            passed=not failed and not problems and gx_run.data_docs is not None,
            summary=_summary(raw, outcomes, failed, problems, gx_run.data_docs is not None),
            metrics=metrics,
            evidence=evidence,
        )


def _gate_problems(raw: dict[str, dict[str, Any]]) -> list[str]:
    """The gate's own findings: empty suite files, an empty staging table."""
    problems = [
        f"suite {data['suite']} has no expectations (an empty suite proves nothing)"
        for data in raw.values()
        if data["suite_size"] == 0
    ]
    if raw["staging"]["rows"] == 0:
        problems.append(f"staging table {raw['staging']['table']} has 0 rows (the upstream load did not run)")
    return problems


def _summary(
    raw: dict[str, dict[str, Any]], outcomes: list[Any], failed: list[Any], problems: list[str], docs: bool
) -> str:
    parts = list(problems)
    if failed:
        named = "; ".join(_describe(o) for o in failed[:4])
        more = f" (+{len(failed) - 4} more)" if len(failed) > 4 else ""
        parts.append(f"{len(failed)} of {len(outcomes)} expectations failed: {named}{more}")
    if not docs:
        parts.append("GX Data Docs were not written")
    empty = [f"{d['table']} is empty" for role, d in raw.items() if role != "staging" and d["rows"] == 0]
    skipped = sum(1 for o in outcomes if o.status == "not evaluated")
    note = f"; {skipped} not evaluated ({', '.join(empty)})" if skipped else ""
    if parts:
        return "; ".join(parts) + note
    passed = sum(1 for o in outcomes if o.status == "pass")
    return f"all {passed} evaluated expectations passed on {raw['staging']['rows']} staging rows{note}"


def _describe(outcome: Any) -> str:
    """``FACT_ORDER_LIST.DESIGN FEE (2 rows, e.g. 'TBC'; orders GRE-900000)``; table rules say what was observed."""
    orders = [str(s.get("AAG ORDER NUMBER")) for s in outcome.samples if s.get("AAG ORDER NUMBER")]
    values = [str(s.get(outcome.column)) for s in outcome.samples if s.get(outcome.column) is not None]
    where = f"{outcome.table}.{outcome.column}" if outcome.column else f"{outcome.table} {outcome.expectation}"
    if outcome.unexpected is not None:
        found = f"{outcome.unexpected} rows"
    elif outcome.observed is not None:
        found = f"observed {outcome.observed}"
    else:
        found = "no result"
    text = f"{where} ({found}"
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
