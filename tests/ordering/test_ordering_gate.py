"""The registered ordering gate end to end: a faulted sandbox sync of an environment's mapping."""

from __future__ import annotations

from pathlib import Path

from sync.config import load_config
from validation.gates.ordering import OrderingGate
from validation.gates.runner import GateContext, GateStatus

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "ordersync.toml")


def test_ordering_gate_passes_with_evidence(tmp_path: Path) -> None:
    """The registered gate: a faulted sandbox sync of the production mapping passes, with evidence."""
    result = OrderingGate().run(
        GateContext(CONFIG, "production", tmp_path, options={"orders": 60, "seed": 5})
    )
    assert result.status is GateStatus.PASSED, result.summary
    assert {p.name for p in result.evidence} == {"ordering.json", "timeline.md"}
    assert result.metrics["orders"] == 60
    assert result.metrics["faults_seen_by_client"] > 0
    assert "create_group" in (tmp_path / "ordering" / "timeline.md").read_text(encoding="utf-8")


def test_ordering_gate_fails_the_seed_production_mapping(tmp_path: Path) -> None:
    """With the seed's mkp* mapping nothing can be written, and the gate says which orders stayed behind."""
    faulty = load_config(REPO / "tests" / "fixtures" / "seed_faulty_production.toml")
    result = OrderingGate().run(GateContext(faulty, "production", tmp_path, options={"orders": 20}))
    assert result.status is GateStatus.FAILED
    assert "every order synced" in result.summary
