"""What one cutover did, step by step: the record behind ``cutover.json`` and the sign-off page."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from validation.cutover.rollback import RollbackOutcome
from validation.gates.evidence import json_default
from validation.gates.runner import GateRun

__all__ = ["CutoverResult", "Step", "dump"]


@dataclass
class Step:
    """One step of the sequence as the report shows it."""

    name: str
    phase: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0


@dataclass
class CutoverResult:
    """What one cutover did; ``ok`` only when it promoted and every check after it passed."""

    cutover_id: str
    config_path: Path
    from_env: str
    to_env: str
    who: str
    report_dir: Path
    started_at: datetime
    finished_at: datetime | None = None
    status: str = "RUNNING"  # SUCCEEDED | FAILED (nothing changed) | ROLLED_BACK | ROLLBACK_INCOMPLETE
    reason: str | None = None
    steps: list[Step] = field(default_factory=list)
    gate_run: GateRun | None = None
    canary: dict[str, Any] | None = None
    canary_run_ids: list[str] = field(default_factory=list)
    verify: dict[str, Any] | None = None
    rollback: RollbackOutcome | None = None
    artifacts: dict[str, str] = field(default_factory=dict)
    monitoring: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True only for a full success."""
        return self.status == "SUCCEEDED"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``cutover.json``; the sign-off page is rendered from it)."""
        gates = None
        if self.gate_run is not None:
            gates = {
                "passed": self.gate_run.passed,
                "ready": self.gate_run.ready,
                "missing": [m.describe() for m in self.gate_run.missing],
                "counts": self.gate_run.counts(),
                "results": [r.to_dict(relative_to=self.report_dir) for r in self.gate_run.results],
            }
        return {
            "cutover_id": self.cutover_id,
            "config_path": str(self.config_path.resolve()),
            "from_env": self.from_env,
            "to_env": self.to_env,
            "who": self.who,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "finished_at": self.finished_at.isoformat(timespec="seconds") if self.finished_at else None,
            "status": self.status,
            "ok": self.ok,
            "reason": self.reason,
            "steps": [s.__dict__ for s in self.steps],
            "gates": gates,
            "canary": self.canary,
            "canary_run_ids": self.canary_run_ids,
            "verify": self.verify,
            "rollback": self.rollback.as_dict() if self.rollback else None,
            "artifacts": self.artifacts,
            "monitoring": self.monitoring,
        }


def dump(result: CutoverResult) -> str:
    """The result as pretty JSON (for ``--json``)."""
    return json.dumps(result.as_dict(), indent=2, ensure_ascii=False, default=json_default)
