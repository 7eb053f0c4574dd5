"""What one load test measured and judged: the result record, its causes, and its printable lines.

:func:`validation.load.runner.run_load_test` builds a :class:`LoadTestResult` from Locust's
``locust_result.json`` (:func:`read_locust_result`), the staging reconciliation of every user
(:func:`reconcile_users`) and the baseline (:func:`measured_from`); :func:`causes` says, in a
reviewer's words, why a run did not pass (never "exit code 0, no history rows").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sync.config import Config
from sync.db import build_tables, make_engine
from validation.load.projection import BookProjection, project_book
from validation.load.reconcile import Reconciliation, reconcile_staging
from validation.load.rules import ENV_NAME, RESULT_FILE, LoadProfile, Measured, Verdict, exit_code

__all__ = ["LoadTestResult", "causes", "describe", "measured_from", "read_locust_result", "reconcile_users"]


@dataclass(frozen=True)
class LoadTestResult:
    """What :func:`run_load_test` measured and judged, and where the report files are."""

    profile: LoadProfile
    measured: Measured
    verdicts: list[Verdict]
    baseline: dict[str, Any]
    locust_exit_code: int
    report_dir: Path
    files: dict[str, Path]
    locust: dict[str, Any] = field(default_factory=dict)
    environment: str = ENV_NAME
    batch_size: int = 0
    causes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """Every gating verdict passed and Locust itself exited 0."""
        return exit_code(self.verdicts) == 0 and self.locust_exit_code == 0

    @property
    def ratio(self) -> float | None:
        """Engine records/s over baseline records/s."""
        base = float(self.baseline.get("records_per_s") or 0)
        return self.measured.records_per_s / base if base > 0 else None

    @property
    def book(self) -> BookProjection | None:
        """Calls per record and days per monday plan for the profile's whole book (None: nothing reconciled)."""
        return project_book(self.measured, self.baseline, self.profile.book_orders)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``loadtest.json``)."""
        m = self.measured
        book = self.book
        return {
            "profile": asdict(self.profile),
            "passed": self.passed,
            "locust_exit_code": self.locust_exit_code,
            "measured": {
                **asdict(m),
                "records_per_write": round(m.records_per_write, 2) if m.records_per_write else None,
                "records_per_s": round(m.records_per_s, 2),
                "failure_ratio": round(m.failure_ratio, 6),
            },
            "baseline": self.baseline,
            "engine_over_baseline": round(self.ratio, 1) if self.ratio is not None else None,
            "book_projection": None if book is None else book.as_dict(),
            "verdicts": [asdict(v) for v in self.verdicts],
            "locust": self.locust,
            "environment": self.environment,
            "batch_size": self.batch_size,
            "causes": self.causes,
            "files": {k: p.name for k, p in self.files.items()},
        }


def reconcile_users(locust: Mapping[str, Any], config: Config, env_name: str, state: Any) -> Reconciliation | None:
    """Every user's staging table against its boards in the emulator; None when Locust listed no user."""
    users = locust.get("user_boards") or []
    if not users:
        return None
    total = Reconciliation()
    tables = build_tables()
    for user in users:
        engine = make_engine(str(user["db_url"]))
        try:
            total += reconcile_staging(
                engine,
                tables,
                config,
                env_name,
                state,
                board_id=str(user["board_id"]),
                subitem_board_id=str(user["subitem_board_id"]),
            )
        finally:
            engine.dispose()
    return total


def causes(result: LoadTestResult) -> list[str]:
    """Why a run did not pass, in the words a reviewer needs: missed verdicts, engine errors, Locust's own."""
    m, out = result.measured, []
    for v in result.verdicts:
        if v.gating and not v.passed:
            got = "not measured" if v.measured is None else f"{v.measured:,}"
            out.append(f"{v.name}: {got}, needs {v.comparison} {v.limit:,}" + (f" ({v.note})" if v.note else ""))
    per_write = m.records_per_write
    if (per_write is not None and per_write < result.batch_size / 2) or result.batch_size <= 1:
        out.append(
            f"batch size: {per_write or 0:.1f} records per write request "
            f"(config [sync] batch_size = {result.batch_size})"
        )
    rec = m.reconciliation
    out += list(rec.problems[:5]) if rec else []
    out += [f"engine: {e}" for e in result.locust.get("errors") or []]
    if "error" in result.locust:
        out.append(f"locust: {result.locust['error']}: {_log_tail(result.files['locust_log'])}")
    out += [f"baseline: {e}" for e in result.baseline.get("errors") or []]
    if result.locust_exit_code != 0 and not out:
        out.append(f"locust exited {result.locust_exit_code}: {_log_tail(result.files['locust_log'])}")
    return [] if result.passed else out


def _log_tail(path: Path, lines: int = 6) -> str:
    if not path.is_file():
        return "no locust.log"
    tail = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    return " | ".join(tail[-lines:]) or "locust.log is empty"


def read_locust_result(report_dir: Path) -> dict[str, Any]:
    path = report_dir / RESULT_FILE
    if not path.is_file():
        return {"error": f"{RESULT_FILE} missing: the locustfile did not reach its quitting listener"}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def measured_from(
    locust: Mapping[str, Any], peak_rss_mb: float, reconciliation: Reconciliation | None, baseline: Mapping[str, Any]
) -> Measured:
    """Fold the locustfile's numbers with what was measured here: RSS of the tree, reconciliation, baseline."""
    return Measured(
        records=int(locust.get("records", 0)),
        elapsed_s=float(locust.get("elapsed_s", 0.0)),
        requests=int(locust.get("requests", 0)),
        request_failures=int(locust.get("request_failures", 0)),
        records_failed=int(locust.get("records_failed", 0)),
        peak_rss_mb=round(peak_rss_mb, 1) if peak_rss_mb > 0 else None,
        http_429=int(locust.get("http_429", 0)),
        reconciliation=reconciliation,
        runs=int(locust.get("runs", 0)),
        latency_ms={k: float(v) for k, v in (locust.get("latency_ms") or {}).items()},
        record_writes=int(locust.get("record_writes", 0)),
        records_applied=int(locust.get("records_applied", 0)),
        baseline_records=int(baseline["records"]) if "records" in baseline else None,
    )


# ---------------------------------------------------------------------------------------------- gate
def describe(result: LoadTestResult) -> list[str]:
    """The figures and verdicts of a run as printable lines (the CLI and ``python -m`` print these)."""
    m, b = result.measured, result.baseline
    ratio = round(result.ratio, 1) if result.ratio is not None else None
    latency = ", ".join(f"{k} {v:.0f}" for k, v in m.latency_ms.items()) or "none"
    lines = [
        f"profile {result.profile.name}: {m.records} records in {m.elapsed_s:.1f}s = {m.records_per_s:.1f}/s "
        f"over {m.runs} runs; baseline {b.get('records_per_s')}/s; engine/baseline {ratio}x",
        f"write latency ms {latency}; peak RSS {m.peak_rss_mb} MB; 429s {m.http_429}; "
        + (
            f"lost {m.reconciliation.lost}, duplicated {m.reconciliation.duplicated}, "
            f"not synced {m.reconciliation.not_synced}"
            if m.reconciliation
            else "not reconciled"
        ),
    ]
    for v in result.verdicts:
        mark = "PASS" if v.passed else ("FAIL" if v.gating else "below (info)")
        lines.append(f"  {mark:12} {v.name}: {v.measured} {v.comparison} {v.limit} {v.note}".rstrip())
    lines += [f"  cause: {c}" for c in result.causes]
    lines.append(f"report: {result.files['html']}")
    return lines
