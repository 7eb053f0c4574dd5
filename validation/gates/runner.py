"""The gate contract and the fail-closed runner.

A *gate* is one executable cutover check (schema, data, environment, volume, ...). It
receives a :class:`GateContext`, writes evidence files into its own folder and returns a
:class:`GateResult`. The runner, not the gate, has the last word on the status, because a
gate that cannot prove what it checked must not let a cutover through:

* a gate that raised is ``error`` (its traceback is saved as its evidence); the other
  gates still run and the run as a whole simply does not pass;
* a gate whose ``metrics["checked"]`` is ``0`` is ``failed``: it ran nothing;
* a gate that says ``passed`` but whose metrics do not say how much it checked (no
  positive ``metrics["checked"]``), or that lists no evidence, or whose evidence files are
  missing or empty, is ``inconclusive``: it ran but cannot show what it judged. Inconclusive
  blocks a cutover exactly like a failure.

A run is *ready* only when every gate of the environment's required set (see
:func:`validation.gates.registry.required_gates`) has a result and every result passed; a
required gate that was skipped (``--only``), lost (ran without a result) or never registered
is listed in :attr:`GateRun.missing` with the reason, and the run is NOT READY.

Usage::

    ctx = GateContext(config, "production", report_dir=Path("reports/20250726T101500Z-production"))
    run = run_gates(ctx, select_gates(None), required=required_gates("production"))
    sys.exit(0 if run.ready else 1)
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from sync.config import Config

__all__ = [
    "Gate",
    "GateContext",
    "GateResult",
    "GateRun",
    "GateStatus",
    "MissingGate",
    "MissingReason",
    "gate_result",
    "missing_gates",
    "run_gates",
]

#: Gates read the database and monday; two at a time keeps a laptop responsive and a
#: production database unbothered while still overlapping the slow GX import with I/O.
DEFAULT_WORKERS = 2


class GateStatus(StrEnum):
    """``passed`` lets a cutover through; ``failed`` is a finding; ``inconclusive``: it ran but could not
    judge (no count of what it checked, evidence missing or empty); ``error``: the gate itself broke."""

    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


class MissingReason(StrEnum):
    """Why a required gate has no result in a run."""

    NOT_REGISTERED = "not registered"
    SKIPPED = "skipped (not selected)"
    LOST = "lost (selected, but no result came back)"


@dataclass(frozen=True)
class MissingGate:
    """A required gate the run has no result for, and why; the run is then NOT READY."""

    name: str
    reason: MissingReason

    def describe(self) -> str:
        """``change-detection: not registered``."""
        return f"{self.name}: {self.reason.value}"


@dataclass(frozen=True)
class GateResult:
    """What one gate found. ``evidence`` are files a person can open; ``metrics`` are JSON-ready numbers."""

    name: str
    environment: str
    status: GateStatus
    summary: str
    metrics: dict[str, Any] = field(default_factory=dict)
    evidence: list[Path] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        """True only for ``passed``; ``error`` never counts as passing."""
        return self.status is GateStatus.PASSED

    def to_dict(self, relative_to: Path | None = None) -> dict[str, Any]:
        """JSON-ready form; evidence paths relative to ``relative_to`` when given (for reports)."""
        return {
            "name": self.name,
            "environment": self.environment,
            "status": self.status.value,
            "summary": self.summary,
            "metrics": self.metrics,
            "evidence": [_rel(p, relative_to) for p in self.evidence],
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True)
class GateContext:
    """What a gate may use: the loaded config, the environment under test and the run's report folder.

    ``options`` carries command-line knobs (``window_hours``, ...) that the strict config
    model has no key for; a gate documents the options it reads.
    """

    config: Config
    env_name: str
    report_dir: Path
    options: Mapping[str, Any] = field(default_factory=dict)

    def evidence_dir(self, gate_name: str) -> Path:
        """The gate's own evidence folder ``<report_dir>/<gate_name>/`` (created on first use)."""
        path = self.report_dir / gate_name
        path.mkdir(parents=True, exist_ok=True)
        return path


@runtime_checkable
class Gate(Protocol):
    """One cutover check. ``run`` must not raise on a finding: findings are a ``failed`` result."""

    name: str
    description: str

    def run(self, ctx: GateContext) -> GateResult:
        """Check, write evidence into ``ctx.evidence_dir(self.name)`` and return the result."""
        ...


@dataclass(frozen=True)
class GateRun:
    """All results of one ``ordersync gates`` invocation, in the order the gates were given."""

    environment: str
    config_path: Path
    report_dir: Path
    started_at: datetime
    finished_at: datetime
    results: list[GateResult]
    required: tuple[str, ...] = ()
    missing: tuple[MissingGate, ...] = ()

    @property
    def passed(self) -> bool:
        """Every gate that ran passed, and at least one ran (an empty run proves nothing)."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def ready(self) -> bool:
        """Every gate passed and no required gate is missing: the only verdict that may promote."""
        return self.passed and not self.missing

    def not_passed(self) -> list[str]:
        """``name (status)`` of each gate that did not pass, then ``name: reason`` of each missing one."""
        return [f"{r.name} ({r.status.value})" for r in self.results if not r.passed] + [
            m.describe() for m in self.missing
        ]

    def counts(self) -> dict[str, int]:
        """How many gates ended in each status."""
        return {s.value: sum(1 for r in self.results if r.status is s) for s in GateStatus}


def gate_result(
    ctx: GateContext,
    name: str,
    *,
    passed: bool,
    summary: str,
    metrics: Mapping[str, Any],
    evidence: Iterable[Path],
) -> GateResult:
    """Build a result for the current environment; the runner stamps timing and may downgrade it."""
    return GateResult(
        name=name,
        environment=ctx.env_name,
        status=GateStatus.PASSED if passed else GateStatus.FAILED,
        summary=summary,
        metrics=dict(metrics),
        evidence=list(evidence),
    )


def run_gates(
    ctx: GateContext,
    gates: Sequence[Gate],
    *,
    required: Sequence[str] = (),
    registered: Collection[str] | None = None,
    workers: int = DEFAULT_WORKERS,
) -> GateRun:
    """Run independent gates in parallel and apply the fail-closed rules to each result.

    ``required`` are the gate names the run must hold a passing result for to be ready;
    ``registered`` the names the registry knows, to tell "skipped" from "not registered"
    (default: the registry's own list).
    """
    if registered is None and required:
        from validation.gates.registry import gate_names  # the registry imports this module

        registered = gate_names()
    ctx.report_dir.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gate") as pool:
        results = list(pool.map(lambda gate: _run_one(ctx, gate), gates))
    missing = missing_gates(required, [g.name for g in gates], results, registered or ())
    return GateRun(
        ctx.env_name,
        ctx.config.path,
        ctx.report_dir,
        started,
        datetime.now(UTC),
        results,
        tuple(dict.fromkeys(required)),
        missing,
    )


def missing_gates(
    required: Iterable[str], selected: Collection[str], results: Iterable[GateResult], registered: Collection[str]
) -> tuple[MissingGate, ...]:
    """Each required gate without a result: lost when it was selected, skipped when registered, else not registered."""
    have = {r.name for r in results}
    out = []
    for name in dict.fromkeys(required):
        if name in have:
            continue
        if name in selected:
            reason = MissingReason.LOST
        elif name in registered:
            reason = MissingReason.SKIPPED
        else:
            reason = MissingReason.NOT_REGISTERED
        out.append(MissingGate(name, reason))
    return tuple(out)


def _run_one(ctx: GateContext, gate: Gate) -> GateResult:
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        result = gate.run(ctx)
        if not isinstance(result, GateResult):
            raise TypeError(f"gate {gate.name!r} returned {type(result).__name__}, not a GateResult")
    except Exception as exc:  # a broken gate fails itself, never the runner
        return _errored(ctx, gate.name, exc, started_at, time.perf_counter() - t0)
    stamped = dataclasses.replace(
        result,
        name=gate.name,
        environment=ctx.env_name,
        started_at=started_at,
        duration_s=time.perf_counter() - t0,
    )
    return _fail_closed(stamped)


def _fail_closed(result: GateResult) -> GateResult:
    """Downgrade a result that cannot prove what it checked."""
    if result.metrics.get("checked") == 0 and result.status is not GateStatus.ERROR:
        return dataclasses.replace(
            result,
            status=GateStatus.FAILED,
            summary=f"checked 0 things; a gate that ran nothing has failed ({result.summary})",
        )
    if not result.passed:
        return result
    checked = result.metrics.get("checked")
    if isinstance(checked, bool) or not isinstance(checked, int) or checked < 0:
        return _inconclusive(result, f"its metrics do not say how much it checked (checked = {checked!r})")
    if not result.evidence:
        return _inconclusive(result, "it produced no evidence; a pass without evidence is not a pass")
    for path in result.evidence:
        if not path.is_file():
            return _inconclusive(result, f"evidence file {path.name} is missing ({path})")
        if path.stat().st_size == 0:
            return _inconclusive(result, f"evidence file {path.name} is empty ({path})")
    return result


def _inconclusive(result: GateResult, why: str) -> GateResult:
    return dataclasses.replace(
        result, status=GateStatus.INCONCLUSIVE, summary=f"inconclusive: {why} (the gate said: {result.summary})"
    )


def _errored(
    ctx: GateContext, name: str, exc: Exception, started_at: datetime, duration: float
) -> GateResult:
    evidence: list[Path] = []
    try:
        path = ctx.evidence_dir(name) / "traceback.txt"
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        evidence.append(path)
    except OSError:  # the report folder itself is broken; the summary still names the error
        pass
    return GateResult(
        name=name,
        environment=ctx.env_name,
        status=GateStatus.ERROR,
        summary=f"gate raised {type(exc).__name__}: {exc}",
        metrics={},
        evidence=evidence,
        started_at=started_at,
        duration_s=duration,
    )


def _rel(path: Path, base: Path | None) -> str:
    if base is None:
        return str(path)
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return str(path)
