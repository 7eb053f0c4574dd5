"""Run counters while a sync runs, and the summary an operator reads at the end.

The success rate is the share of the rows the run set out to push (orders and lines it
planned a write for, or had to reject) that ended ``SYNCED``; a run below
``sync.success_threshold`` fails. A write retried or adopted after a lost answer counts
once, by where its row ended, not by how many attempts it took.
The origin system reported a run with half its batches failed as "Success"; this one
cannot, because the status is computed from these numbers and nothing else.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sync.engine.counters import RunCounters

if TYPE_CHECKING:
    from sync.engine.options import RunParts

__all__ = ["RunCounters", "RunSummary", "build_summary", "warning_rows"]

#: Errors, rejects and warnings kept verbatim in a summary (and its JSON).
MAX_LISTED = 200
#: Warnings printed in the summary table; the count is always shown.
WARNINGS_SHOWN = 10


@dataclass
class RunSummary:
    """Everything a person (or a gate) needs to judge one run."""

    run_id: str
    environment: str
    kind: str
    status: str
    duration_s: float
    items_created: int
    items_updated: int
    subitems_created: int
    subitems_updated: int
    subitems_deleted: int
    groups_created: int
    rows_error: int
    rows_rejected: int
    rows_unknown: int
    adopted: int
    records_synced: int
    records_per_s: float
    api_requests: int
    api_mutations: int
    retries: int
    http_429: int
    latency_ms: dict[str, float]
    success_rate: float
    success_threshold: float
    passed: bool
    states: dict[str, dict[str, int]]
    customers: dict[str, dict[str, int]]
    changes: dict[str, Any]
    plan: dict[str, Any]
    errors: list[dict[str, Any]]
    rejects: list[dict[str, Any]]
    warnings: list[str]
    items_moved: int = 0
    stop_reason: str | None = None
    signal: int | None = None
    warnings_count: int = 0
    window: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return asdict(self)


#: Run statuses that stand whatever the rate (a stop is recorded as such); and those that never pass.
_KEPT = ("DRY_RUN", "PAUSED", "INTERRUPTED")
_NOT_PASSED = ("FAILED", "INTERRUPTED")


def _percentiles(latencies: Sequence[float]) -> dict[str, float]:
    if not latencies:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(latencies)
    if len(ordered) == 1:
        return {k: round(ordered[0] * 1000, 1) for k in ("p50", "p95", "p99", "max")}
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 1),
        "p95": round(cuts[94] * 1000, 1),
        "p99": round(cuts[98] * 1000, 1),
        "max": round(ordered[-1] * 1000, 1),
    }


def _states(run: RunParts) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    with run.db.connect() as conn:
        for label, table in (("orders", run.tables.target), ("lines", run.tables.lines)):
            rows = conn.execute(sa.select(table.c.sync_state, sa.func.count()).group_by(table.c.sync_state)).all()
            out[label] = {str(state): int(n) for state, n in rows}
    return out


def build_summary(run: RunParts, changes: Mapping[str, Any], duration_s: float, status: str) -> RunSummary:
    """Fold the counters, the client's stats and the database's state counts into a summary."""
    c = run.counters
    stats = run.client.stats
    writes_ok = c.items_created + c.items_updated + c.subitems_created + c.subitems_updated + c.subitems_deleted
    success = 1.0 if c.set_out == 0 else c.ended_synced / c.set_out
    threshold = run.config.sync.success_threshold
    errors_total = sum(1 for e in c.errors if e["entity"] in ("ITEM", "SUBITEM"))
    passed = status not in _NOT_PASSED and (status == "DRY_RUN" or success >= threshold) and c.fatal is None
    final = status if status in _KEPT else ("SUCCEEDED" if passed else "FAILED")
    plan = {}
    if status == "DRY_RUN":
        plan = {
            "groups_to_create": sorted(c.planned_groups),
            "items_to_create": c.planned_items_create,
            "items_to_update": c.planned_items_update,
            "lines_to_push": c.planned_lines,
            "rejected": len(c.rejected),
        }
    return RunSummary(
        run_id=run.run_id,
        environment=run.env_name,
        kind=run.options.kind,
        status=final,
        duration_s=round(duration_s, 3),
        items_created=c.items_created,
        items_updated=c.items_updated,
        subitems_created=c.subitems_created,
        subitems_updated=c.subitems_updated,
        subitems_deleted=c.subitems_deleted,
        groups_created=c.groups_created,
        rows_error=errors_total,
        rows_rejected=len(c.rejected),
        rows_unknown=c.unknown,
        adopted=c.adopted,
        records_synced=writes_ok,
        records_per_s=round(writes_ok / duration_s, 1) if duration_s > 0 else 0.0,
        api_requests=stats.requests,
        api_mutations=stats.mutations,
        retries=stats.retries,
        http_429=stats.http_429,
        latency_ms=_percentiles(getattr(stats, "latencies", [])),
        success_rate=round(success, 4),
        success_threshold=threshold,
        passed=passed,
        states=_states(run),
        customers={k: dict(v) for k, v in sorted(c.customers.items())},
        changes=dict(changes),
        plan=plan,
        errors=c.errors,
        rejects=[asdict(r) for r in c.rejected[:MAX_LISTED]],
        warnings=c.warnings[:MAX_LISTED],
        warnings_count=len(c.warnings),
        window=run.options.window,
        items_moved=c.items_moved,
        stop_reason=c.stop_reason,
        signal=c.signal,
    )


def warning_rows(summary: RunSummary, shown: int = WARNINGS_SHOWN) -> list[tuple[str, str]]:
    """The summary table's warning rows: the count, the first ``shown`` warnings, and how many more."""
    count = max(summary.warnings_count, len(summary.warnings))
    rows = [("warnings", str(count))]
    rows += [("warning", text) for text in summary.warnings[:shown]]
    if count > shown:
        rows.append(("", f"... {count - shown} more (--json lists the first {MAX_LISTED})"))
    return rows
