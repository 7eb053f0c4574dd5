"""volume-feasibility on the demo: counts pending work in SQL and names the binding bound."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.config import load_config
from validation.gates.runner import GateContext, GateStatus, run_gates
from validation.gates.volume import VolumeGate

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]


def test_volume_gate_reports_the_binding_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """All 300 demo orders are pending; the projection fits 4 h and names its binding bound."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    ctx = GateContext(load_config(config_path), "development", tmp_path / "run")
    result = run_gates(ctx, [VolumeGate()]).results[0]
    assert result.status is GateStatus.PASSED, result.summary
    assert result.metrics["new_items"] == 300
    assert result.metrics["subitems"] == 1221
    assert result.metrics["new_groups"] > 0
    assert result.metrics["binding_bound"] == "complexity per minute"
    assert "bound by complexity per minute" in result.summary
    data = json.loads((tmp_path / "run" / "volume-feasibility" / "volume.json").read_text(encoding="utf-8"))
    assert set(data["minutes_by_bound"]) == {"complexity per minute", "requests per minute", "daily calls"}


def test_tiny_window_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """A window shorter than the projection fails the gate."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    ctx = GateContext(
        load_config(config_path), "development", tmp_path / "run", options={"window_hours": 0.01}
    )
    result = run_gates(ctx, [VolumeGate()]).results[0]
    assert result.status is GateStatus.FAILED
    assert "does NOT fit" in result.summary
