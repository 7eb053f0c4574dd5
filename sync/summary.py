"""Run counters while a sync runs, and the summary an operator reads at the end.

The success rate counts what a run *tried* to write (items, subitems, and rows it had to
reject) against what monday confirmed; a run below ``sync.success_threshold`` fails.
The origin system reported a run with half its batches failed as "Success"; this one
cannot, because the status is computed from these numbers and nothing else.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sync.plan import ItemOp, RowReject

if TYPE_CHECKING:
    from sync.run_parts import RunParts

__all__ = ["RunCounters", "RunSummary", "build_summary", "warning_rows"]

#: Errors, rejects and warnings kept verbatim in a summary (and its JSON).
MAX_LISTED = 200
#: Warnings printed in the summary table; the count is always shown.
WARNINGS_SHOWN = 10


@dataclass
class RunCounters:
    """Mutable tallies a run keeps while it works."""

    items_attempted: int = 0
    items_created: int = 0
    items_updated: int = 0
    subitems_attempted: int = 0
    subitems_created: int = 0
    subitems_updated: int = 0
    subitems_deleted: int = 0
    groups_created: int = 0
    adopted: int = 0
    unknown: int = 0
    planned_items_create: int = 0
    planned_items_update: int = 0
    planned_lines: int = 0
    planned_groups: set[str] = field(default_factory=set)
    rejected: list[RowReject] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    customers: dict[str, Counter[str]] = field(default_factory=dict)
    fatal: str | None = None

    def note_error(self, entity: str, order: str | None, message: str) -> None:
        """Remember one failed write for the summary (the first 200 are kept verbatim)."""
        if len(self.errors) < MAX_LISTED:
            self.errors.append({"entity": entity, "order": order, "message": message})

    def note_customer(self, customer: str, ok: bool) -> None:
        """Per-customer synced / error counts for the summary table."""
        self.customers.setdefault(customer, Counter())["synced" if ok else "error"] += 1

    def count_subitem(self, action: str) -> None:
        """One confirmed subitem write."""
        if action == "INSERT":
            self.subitems_created += 1
        elif action == "UPDATE":
            self.subitems_updated += 1
        else:
            self.subitems_deleted += 1

    def note_plan(
        self, ops: Sequence[ItemOp], rejects: Sequence[RowReject], warnings: Sequence[str], groups: Mapping[str, str]
    ) -> None:
        """Tally a dry-run plan chunk."""
        self.planned_items_create += sum(1 for op in ops if op.item_id is None)
        self.planned_items_update += sum(1 for op in ops if op.item_id is not None)
        self.planned_groups |= {op.group_name for op in ops if op.group_name not in groups}
        self.rejected.extend(rejects)
        self.warnings.extend(warnings)


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
    warnings_count: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return asdict(self)


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
    attempted = c.items_attempted + c.subitems_attempted + len(c.rejected)
    success = 1.0 if attempted == 0 else writes_ok / attempted
    threshold = run.config.sync.success_threshold
    errors_total = sum(1 for e in c.errors if e["entity"] in ("ITEM", "SUBITEM"))
    passed = status != "FAILED" and (status == "DRY_RUN" or success >= threshold) and c.fatal is None
    final = status if status in ("DRY_RUN",) else ("SUCCEEDED" if passed else "FAILED")
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
    )


def warning_rows(summary: RunSummary, shown: int = WARNINGS_SHOWN) -> list[tuple[str, str]]:
    """The summary table's warning rows: the count, the first ``shown`` warnings, and how many more."""
    count = max(summary.warnings_count, len(summary.warnings))
    rows = [("warnings", str(count))]
    rows += [("warning", text) for text in summary.warnings[:shown]]
    if count > shown:
        rows.append(("", f"... {count - shown} more (--json lists the first {MAX_LISTED})"))
    return rows
