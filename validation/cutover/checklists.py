"""The seed plan's cutover checklists as data, and the fail-closed rule that decides each item.

Every technical item names the evidence that decides it: gates by name (``ordering``,
``dropdown``, ``environment``, ``load``, ``board-contract``, ``data-expectations``,
``schema-readiness``), the cutover's own steps (promotion, board access, probe group,
canary, verify) or its monitoring outputs. An item whose evidence did not run is *open*,
never ticked. Items only a person can decide (approval, training, go-live date,
communication) stay open for a name and a date. Rendering lives in ``validation.cutover.signoff``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from validation.load.rules import SEED_MIN_RECORDS_PER_S

__all__ = ["CHECKLISTS", "Check", "Mark", "MetricRule", "evaluate", "open_technical"]


@dataclass(frozen=True)
class MetricRule:
    """A gate metric an item is ticked from: ``metric`` of the gate named ``gate`` meets the limit.

    The limit is a number, or ``limit_metric``: another metric of the same gate (the threshold the
    gate actually enforced, e.g. ``max_rss_mb``). A missing metric or limit crosses the item.
    """

    gate: str
    metric: str
    comparison: str  # ">=", ">" or "<="
    limit: float | None = None
    limit_metric: str | None = None

    def judge(self, metrics: Mapping[str, Any]) -> tuple[str, str]:
        """(``ticked``/``crossed``/``open``, why naming the metric, its value and the limit)."""
        value = metrics.get(self.metric)
        limit = metrics.get(self.limit_metric) if self.limit_metric else self.limit
        bound = f"{self.comparison} {limit:g}" if isinstance(limit, int | float) else self.comparison
        if self.limit_metric:
            bound += f" ({self.limit_metric})"
        if not isinstance(value, int | float) or isinstance(value, bool):
            return "crossed", f"metric {self.metric} missing from the {self.gate} gate: no evidence to tick from"
        if not isinstance(limit, int | float):
            return "crossed", f"metric {self.metric} = {value:g}, but its limit {self.limit_metric} is missing"
        ok = {">=": value >= limit, ">": value > limit, "<=": value <= limit}[self.comparison]
        return (
            "ticked" if ok else "crossed"
        ), f"metric {self.metric} = {value:g} {bound}: {'met' if ok else 'NOT met'}"


#: A gate with no item-specific rule is ticked from its ``checked`` count: it proved something.
CHECKED = "checked"
LOAD_THROUGHPUT = (
    MetricRule("load", "records_per_s", ">=", SEED_MIN_RECORDS_PER_S),
    MetricRule("load", "min_records_per_s", ">=", SEED_MIN_RECORDS_PER_S),
)
LOAD_BASELINE = (
    MetricRule("load", "baseline_records_per_s", ">", 0),
    MetricRule("load", "engine_over_baseline", ">=", 1),
)
LOAD_MEMORY = (MetricRule("load", "peak_rss_mb", "<=", limit_metric="max_rss_mb"),)


@dataclass(frozen=True)
class Check:
    """One checklist line: ``gates`` (name fragments), cutover ``steps`` and ``monitor`` keys decide it.

    ``metrics``: the gate metrics it is ticked from; a gate without a rule here is judged by its
    ``checked`` count (≥ 1).
    """

    text: str
    gates: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    monitor: tuple[str, ...] = ()
    person: bool = False
    hint: str = ""
    metrics: tuple[MetricRule, ...] = ()


@dataclass(frozen=True)
class Mark:
    """The verdict on one check: ``ticked``, ``crossed``, ``open`` (no evidence) or ``person``."""

    state: str
    why: str
    links: tuple[tuple[str, str], ...] = ()


_PHASE5 = ("ordering", "dropdown", "environment", "load")
_PERSON_TRAINING = Check("Team training completed", person=True)

#: (section, [(sub-section, [checks])]) in the seed plan's order and wording.
CHECKLISTS: tuple[tuple[str, tuple[tuple[str, tuple[Check, ...]], ...]], ...] = (
    (
        "Pre-production checklist",
        (
            (
                "1. Group creation workflow validation (19.15.3)",
                (
                    Check(
                        "Test customer group creation in Monday.com",
                        gates=("ordering",),
                        steps=("group-permission",),
                    ),
                    Check("Validate groups created BEFORE items (sequence critical)", gates=("ordering",)),
                    Check(
                        "Verify group creation workflow in TOML configuration",
                        gates=("environment", "ordering"),
                    ),
                ),
            ),
            (
                "2. Dropdown population validation (19.15.2)",
                (
                    Check('Test AAG SEASON dropdown population with "2025 FALL"', gates=("dropdown",)),
                    Check("Test CUSTOMER SEASON dropdown population", gates=("dropdown",)),
                    Check("Validate createLabelsIfMissing=True functionality", gates=("dropdown",)),
                ),
            ),
            (
                "3. TOML configuration testing (19.15.5)",
                (
                    Check("Validate all dropdown/group management settings", gates=("environment", "dropdown")),
                    Check(
                        "Test environment switching (development → production)",
                        gates=("environment",),
                        steps=("promote",),
                    ),
                    Check("Verify board ID and column mapping accuracy", gates=("board-contract", "environment")),
                ),
            ),
            (
                "4. Performance testing (19.16)",
                (
                    Check("Validate ≥200 records/second throughput", gates=("load",), metrics=LOAD_THROUGHPUT),
                    Check("Compare DELTA-free vs legacy performance", gates=("load",), metrics=LOAD_BASELINE),
                    Check("Memory usage validation under load", gates=("load",), metrics=LOAD_MEMORY),
                ),
            ),
            (
                "Database schema readiness",
                (
                    Check("FACT_ORDER_LIST has all sync columns", gates=("schema-readiness",)),
                    Check("ORDER_LIST_LINES has all sync columns", gates=("schema-readiness",)),
                    Check(
                        "swp_ORDER_LIST_SYNC contains production data with proper action_type values",
                        gates=("data-expectations",),
                    ),
                    Check(
                        "Database permissions configured for production access",
                        gates=("schema-readiness",),
                        steps=("database-connection", "snapshot-db"),
                    ),
                ),
            ),
            (
                "Board configuration validation",
                (
                    Check(
                        "Production board access and permissions verified",
                        gates=("environment",),
                        steps=("board-access",),
                    ),
                    Check("Column mappings tested with production board structure", gates=("board-contract",)),
                    Check("Group creation permissions validated", steps=("group-permission",)),
                    Check("API rate limits and authentication confirmed", gates=("environment", "volume")),
                ),
            ),
            (
                "Monitoring and alerting",
                (
                    Check("Database query performance monitoring", monitor=("db_query_timing",)),
                    Check(
                        "Monday.com API success rate tracking",
                        monitor=("run_metrics",),
                        steps=("success-rates",),
                    ),
                    Check("Error logging and notification setup", monitor=("alert_webhook",)),
                    Check("Data consistency validation procedures", steps=("verify",)),
                ),
            ),
        ),
    ),
    (
        "Success criteria for production readiness",
        (
            (
                "Technical validation",
                (
                    Check("All Phase 5 tasks complete (Task 19.15 and 19.16)", gates=_PHASE5, metrics=LOAD_THROUGHPUT),
                    Check(
                        "Group creation workflow operational",
                        gates=("ordering",),
                        steps=("group-permission",),
                    ),
                    Check("Dropdown population working correctly", gates=("dropdown",)),
                    Check("TOML configuration fully validated", gates=("environment",)),
                    Check(
                        "Performance requirements met (≥200 records/second)", gates=("load",), metrics=LOAD_THROUGHPUT
                    ),
                    Check("Environment switching working", gates=("environment",), steps=("promote",)),
                    Check("Production column mappings validated", gates=("board-contract",)),
                ),
            ),
            (
                "Data validation",
                (
                    Check(
                        "Production data available and accessible",
                        gates=("data-expectations",),
                        steps=("database-connection",),
                    ),
                    Check("Database schema ready with sync columns", gates=("schema-readiness",)),
                    Check("Source data quality validated", gates=("data-expectations",)),
                    Check("Test data scenarios prepared", steps=("canary",)),
                ),
            ),
            (
                "Integration validation",
                (
                    Check("Production Monday.com board access confirmed", steps=("board-access",)),
                    Check(
                        "API authentication and permissions working",
                        gates=("environment",),
                        steps=("board-access",),
                    ),
                    Check(
                        "Column mappings tested with production board",
                        gates=("board-contract",),
                        steps=("verify",),
                    ),
                    Check("Group creation permissions validated", steps=("group-permission",)),
                ),
            ),
            (
                "Operational readiness",
                (
                    Check("Monitoring and alerting configured", monitor=("run_metrics", "alert_webhook")),
                    Check(
                        "Rollback procedures documented and tested",
                        person=True,
                        hint="tests roll back every failure point; `ordersync rollback --cutover ID`",
                    ),
                    Check("Support procedures updated", person=True),
                    _PERSON_TRAINING,
                ),
            ),
        ),
    ),
    (
        "Definition of done",
        (
            (
                "Technical completion",
                (
                    Check("All Phase 5 tasks 100% complete and validated", gates=_PHASE5, metrics=LOAD_THROUGHPUT),
                    Check(
                        "Production configuration tested and operational",
                        gates=("environment",),
                        steps=("canary", "verify"),
                    ),
                    Check("Environment switching working correctly", gates=("environment",), steps=("promote",)),
                    Check(
                        "Production Monday.com integration validated",
                        gates=("board-contract",),
                        steps=("canary", "verify"),
                    ),
                ),
            ),
            (
                "Operational completion",
                (
                    Check("Monitoring and alerting operational", monitor=("run_metrics", "alert_webhook")),
                    Check(
                        "Rollback procedures tested",
                        person=True,
                        hint="rehearse with `ordersync cutover --inject canary` on a copy",
                    ),
                    Check("Support documentation updated", person=True),
                    _PERSON_TRAINING,
                ),
            ),
            (
                "Business completion",
                (
                    Check("Stakeholder approval obtained", person=True),
                    Check("Go-live date scheduled", person=True),
                    Check("Success metrics defined and agreed", person=True),
                    Check("Communication plan executed", person=True),
                ),
            ),
        ),
    ),
)

_STEP_ARTIFACT = {
    "canary": "canary-summary.json",
    "verify": "verify.json",
    "success-rates": "canary-metrics.json",
}
_MONITOR_TEXT = {
    "run_metrics": "run metrics written (JSON + Prometheus)",
    "db_query_timing": "SQL statement timings recorded",
    "alert_webhook": "alert webhook configured ([alerts] webhook_url_env is set)",
    "json_logs": "structured JSON logs enabled",
}


def _gate_parts(check: Check, key: str, gate: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, str] | None]]:
    link = (f"gates: {gate['name']}", f"index.html#{gate['name']}")
    if gate["status"] != "passed":
        return [("crossed", f"gate {gate['name']}: {gate['status']}", link)]
    rules = [r for r in check.metrics if r.gate == key] or [MetricRule(key, CHECKED, ">=", 1)]
    metrics = gate.get("metrics") or {}
    out: list[tuple[str, str, tuple[str, str] | None]] = []
    for rule in rules:
        state, why = rule.judge(metrics)
        out.append((state, f"gate {gate['name']} passed; {why}", link))
    return out


def evaluate(check: Check, data: Mapping[str, Any]) -> Mark:
    """Decide one check from the cutover's data (fail-closed: missing evidence is never a tick).

    A gate item is ticked only when the gate passed *and* every metric it is ticked from exists
    and meets its threshold; the mark's ``why`` names each metric, its value and its limit.
    """
    if check.person:
        return Mark("person", check.hint or "a person decides")
    parts: list[tuple[str, str, tuple[str, str] | None]] = []  # (state, why, link)
    results = (data.get("gates") or {}).get("results") or []
    for key in check.gates:
        found = [g for g in results if key in g["name"]]
        if not found:
            parts.append(("open", f"no '{key}' gate ran", None))
        for g in found:
            parts += _gate_parts(check, key, g)
    steps = {s["name"]: s for s in data.get("steps") or []}
    for name in check.steps:
        step = steps.get(name)
        if step is None:
            parts.append(("open", f"step {name} was not reached", None))
        else:
            state = "ticked" if step["ok"] else "crossed"
            parts.append(
                (
                    state,
                    f"step {name} ok = {step['ok']}: {step['summary']}",
                    (name, _STEP_ARTIFACT.get(name, "cutover.json")),
                )
            )
    monitoring = data.get("monitoring") or {}
    for key in check.monitor:
        ok = bool(monitoring.get(key))
        link = ("metrics", "canary-metrics.prom") if key != "alert_webhook" else None
        why = f"monitoring.{key} ({_MONITOR_TEXT[key]}): {'yes' if ok else 'no: not configured'}"
        parts.append(("ticked" if ok else "open", why, link))
    states = {p[0] for p in parts}
    verdict = "crossed" if "crossed" in states else "open" if "open" in states or not parts else "ticked"
    links = tuple(dict.fromkeys(p[2] for p in parts if p[2] is not None))
    return Mark(verdict, "; ".join(p[1] for p in parts), links)


def open_technical(marks: Iterable[tuple[Check, Mark]]) -> list[str]:
    """The technical (not person) items that are not ticked: open or crossed."""
    return [c.text for c, m in marks if not c.person and m.state != "ticked"]
