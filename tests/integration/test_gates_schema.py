"""schema-readiness on a demo database: passes as built, names a dropped column with its table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.config import load_config
from sync.db import make_engine
from validation.gates.runner import GateContext, GateStatus, run_gates
from validation.gates.schema import SchemaGate

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]


def _run(config_path: Path, tmp_path: Path) -> tuple[GateStatus, str, dict[str, object]]:
    config = load_config(config_path)
    result = run_gates(GateContext(config, "development", tmp_path / "run"), [SchemaGate()]).results[0]
    data = json.loads((tmp_path / "run" / "schema-readiness" / "schema.json").read_text(encoding="utf-8"))
    return result.status, result.summary, data


def test_schema_gate_passes_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The demo schema has every table, mapped, sync and size column."""
    status, summary, data = _run(build_demo(tmp_path / "demo", monkeypatch, database_url), tmp_path)
    assert status is GateStatus.PASSED, summary
    assert data["metrics"]["checked"] > 100
    assert any(c["column"] == "S/M" and c["ok"] for c in data["checks"])


def test_schema_gate_names_a_dropped_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Dropping a mapped and a sync column fails the gate naming table and column."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    engine = make_engine(load_config(config_path).database_url("development"))
    with engine.begin() as conn:
        conn.execute(sa.text('ALTER TABLE "swp_ORDER_LIST_SYNC" DROP COLUMN "DESIGN FEE"'))
        conn.execute(sa.text('ALTER TABLE "FACT_ORDER_LIST" DROP COLUMN "item_name"'))
    engine.dispose()
    status, summary, data = _run(config_path, tmp_path)
    assert status is GateStatus.FAILED
    assert "swp_ORDER_LIST_SYNC.DESIGN FEE: column missing" in summary
    assert "FACT_ORDER_LIST.item_name: column missing" in summary
    md = (tmp_path / "run" / "schema-readiness" / "schema.md").read_text(encoding="utf-8")
    assert "DESIGN FEE" in md
    assert data["metrics"]["problems"] == 2
