"""The registered ordering gate end to end: a faulted sandbox sync of an environment's mapping."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import validation.gates.ordering as ordering
from sync.config import load_config
from sync.monday.client import MondayClient
from validation.gates.ordering import OrderingGate
from validation.gates.runner import GateContext, GateResult, GateStatus

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "ordersync.toml")


def _run(tmp_path: Path, orders: int = 30, seed: int = 3, env: str = "production") -> GateResult:
    return OrderingGate().run(GateContext(CONFIG, env, tmp_path, options={"orders": orders, "seed": seed}))


def test_ordering_gate_passes_with_evidence_and_recoveries(tmp_path: Path) -> None:
    """Answers lost for good drive the engine's look-up recovery; the gate counts it and passes."""
    result = _run(tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    assert {p.name for p in result.evidence} == {"ordering.json", "timeline.md"}
    assert result.metrics["orders"] == 30
    assert result.metrics["faults_seen_by_client"] > 0
    assert result.metrics["answers_lost"] > 0
    assert result.metrics["recoveries"] > 0
    assert "recovered by look-up" in result.summary
    payload = json.loads((tmp_path / "ordering" / "ordering.json").read_text(encoding="utf-8"))
    assert sum(r["adopted"] for r in payload["rounds"]) == result.metrics["recoveries"]
    assert "create_group" in (tmp_path / "ordering" / "timeline.md").read_text(encoding="utf-8")


@pytest.mark.seeded_defect(gate="ordering", kind="config")
def test_fault_profile_without_lost_answers_is_inconclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No answer lost -> no recovery ran -> the gate cannot vouch for it: inconclusive, never passed."""
    monkeypatch.setattr(ordering, "DEFAULT_FAULTS", replace(ordering.DEFAULT_FAULTS, rate_answer_lost=0.0))
    result = _run(tmp_path)
    assert result.status is GateStatus.INCONCLUSIVE
    assert_gate_caught(result, "no unknown-outcome recovery happened")
    assert result.metrics["recoveries"] == 0


@pytest.mark.seeded_defect(gate="ordering", kind="config")
def test_ordering_gate_fails_the_seed_production_mapping(tmp_path: Path) -> None:
    """With the seed's mkp* mapping nothing can be written, and the gate says which orders stayed behind."""
    faulty = load_config(REPO / "tests" / "fixtures" / "seed_faulty_production.toml")
    result = OrderingGate().run(GateContext(faulty, "production", tmp_path, options={"orders": 20}))
    assert_gate_caught(result, "every order synced")


@pytest.mark.seeded_defect(gate="ordering", kind="product")
def test_items_sent_before_their_group_exists_are_an_ordering_violation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that reports groups created without sending them: monday refuses the items, the attempted-write
    log names them."""

    def assume_groups(self: MondayClient, board_id: int, names: Any, *, idempotency_key: str) -> dict[str, Any]:
        return {name: f"group_never_made_{n}" for n, name in enumerate(names)}  # nothing sent

    monkeypatch.setattr(MondayClient, "create_groups", assume_groups)
    result = _run(tmp_path)
    assert_gate_caught(result, "groups before items", "before any create_group made it", "refused")
    assert result.metrics["writes_refused"] > 0


@pytest.mark.seeded_defect(gate="ordering", kind="product")
def test_engine_without_unknown_outcome_recovery_duplicates_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recovery that never finds the applied write: a lost answer is resent, and the duplicates are named."""

    def find_nothing(self: MondayClient, board_id: int, column_id: str, values: Any) -> dict[str, list[int]]:
        return {v: [] for v in values}  # the look-up after an unknown outcome never finds the applied write

    monkeypatch.setattr(MondayClient, "find_items_by_column", find_nothing)
    result = _run(tmp_path, orders=60, seed=3)
    assert_gate_caught(result, "one item per order number")
