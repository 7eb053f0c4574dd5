"""The change-detection gate: sync, seed six kinds of change in staging, sync again, then a quiet third sync."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import sync.changes
from sync.config import Config, load_config
from sync.monday.client import MondayClient
from sync.monday.models import Outcome
from sync.states import ActionType, SyncState
from validation.gates.change_detection import ChangeDetectionGate
from validation.gates.registry import gate_names
from validation.gates.runner import GateContext, GateResult, GateStatus

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "ordersync.toml")
ENV = "production"
KINDS = ("quantity", "new size", "removed size", "cancelled", "mapped column", "group")


def _run(tmp_path: Path, config: Config = CONFIG, orders: int = 30) -> GateResult:
    return ChangeDetectionGate().run(GateContext(config, ENV, tmp_path, options={"orders": orders, "seed": 11}))


def _evidence(tmp_path: Path) -> dict[str, Any]:
    return json.loads((tmp_path / "change-detection" / "change_detection.json").read_text(encoding="utf-8"))


def _patch_everywhere(monkeypatch: pytest.MonkeyPatch, original: Callable[..., Any], fake: Callable[..., Any]) -> None:
    """Replace a function in every loaded ``sync`` module that bound it by name (the engine may be a package)."""
    for name, module in list(sys.modules.items()):
        if name == "sync" or name.startswith("sync."):
            for attr, value in list(vars(module).items()):
                if value is original:
                    monkeypatch.setattr(module, attr, fake)


def test_registered() -> None:
    assert "change-detection" in gate_names()


def test_changes_reach_the_board_exactly_and_a_third_sync_is_quiet(tmp_path: Path) -> None:
    """NEEDS the engine's move_item_to_group (engine branch): the group change moves the item; all else holds.

    The gate checks the item's group on the board; without the engine's move this test fails on
    the "group change" check, which is the gate doing its job.
    """
    result = _run(tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    assert result.metrics["changes_seeded"] == 6
    assert result.metrics["third_run_mutations"] == 0
    assert {p.name for p in result.evidence} == {"change_detection.json", "change_detection.md"}


def test_every_change_but_the_group_move_is_on_the_board(tmp_path: Path) -> None:
    """Evidence: six changes seeded, their updates observed, every non-group check holds, third run sends 0."""
    _run(tmp_path)
    payload = _evidence(tmp_path)
    assert [c["kind"] for c in payload["changes"]] == list(KINDS)
    group_order = next(c["order"] for c in payload["changes"] if c["kind"] == "group")
    checks = {c["name"]: c for c in payload["checks"]}
    for change in payload["changes"]:
        if change["kind"] != "group":
            assert checks[f"{change['kind']} change on order {change['order']}"]["ok"], change
    board = checks["board matches staging"]
    assert board["checked"] == 30
    assert all(group_order in v for v in board["violations"]), board["violations"]
    assert checks["third sync sends zero mutations"]["ok"]
    assert payload["metrics"]["third_run_mutations"] == 0
    observed = {o["kind"]: o["operations"] for o in payload["observed"]}
    assert any(op.startswith("create_subitem") for op in observed["new size"])
    assert len([op for op in observed["cancelled"] if "parent None" not in op]) >= 1  # its lines went to 0


@pytest.mark.seeded_defect(gate="change-detection", kind="product")
def test_subitem_updates_claimed_but_never_sent_are_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that reports subitem updates as done without sending them: quantity, removal, cancel all named."""
    original = MondayClient.update_items
    subitem_board = CONFIG.environment(ENV).monday.subitem_board_id

    def skip_subitems(self: MondayClient, board_id: int, updates: Any, **kwargs: Any) -> list[Outcome]:
        if board_id == subitem_board:
            return [Outcome(u.key, u.item_id, None) for u in updates]
        return original(self, board_id, updates, **kwargs)

    monkeypatch.setattr(MondayClient, "update_items", skip_subitems)
    result = _run(tmp_path)
    assert_gate_caught(result, "quantity change not applied", "removed size not applied", "cancellation not applied")


@pytest.mark.seeded_defect(gate="change-detection", kind="product")
def test_detection_that_flags_unchanged_rows_fails_the_quiet_third_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Change detection that marks every synced order changed: the third sync sends mutations, named."""
    original = sync.changes.detect_changes

    def flag_everything(conn: Any, config: Any, env: Any, tables: Any, **kwargs: Any) -> Any:
        report = original(conn, config, env, tables, **kwargs)
        conn.execute(
            sa.update(tables.target)
            .where(tables.target.c.sync_state == SyncState.SYNCED.value)
            .values(sync_state=SyncState.PENDING.value, action_type=ActionType.UPDATE.value)
        )
        return report

    _patch_everywhere(monkeypatch, original, flag_everything)
    result = _run(tmp_path)
    assert_gate_caught(result, "third sync sends zero mutations", "third sync sent change_column_values")


@pytest.mark.seeded_defect(gate="change-detection", kind="config")
def test_mapped_column_outside_the_hash_is_caught(tmp_path: Path) -> None:
    """include_mapped_columns = false and PO NUMBER not hashed: the edit never reaches monday, named."""
    detection = CONFIG.change_detection.model_copy(
        update={
            "include_mapped_columns": False,
            "hash_columns": [c for c in CONFIG.change_detection.hash_columns if c != "PO NUMBER"],
        }
    )
    result = _run(tmp_path, CONFIG.model_copy(update={"change_detection": detection}))
    assert_gate_caught(result, "mapped column edit not applied", "PO NUMBER")
