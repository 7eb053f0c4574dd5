"""schema-readiness on a demo database: passes as built, names a dropped column with its table, and
catches the seeded defects (a sync column the database lacks, a column the engine newly declares)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

import sync.db
from sync.cli import main
from sync.config import load_config
from sync.db import make_engine
from validation.gates.runner import GateContext, GateStatus, run_gates
from validation.gates.schema import SchemaGate

try:
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]


def _run(config_path: Path, tmp_path: Path) -> tuple[GateStatus, str, dict[str, object]]:
    config = load_config(config_path)
    result = run_gates(GateContext(config, "development", tmp_path / "run"), [SchemaGate()]).results[0]
    data = json.loads((tmp_path / "run" / "schema-readiness" / "schema.json").read_text(encoding="utf-8"))
    return result.status, result.summary, data


def test_schema_gate_passes_on_the_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """The demo schema has every table, mapped, sync and size column."""
    status, summary, data = _run(build_demo(tmp_path / "demo", monkeypatch, database_url), tmp_path)
    assert status is GateStatus.PASSED, summary
    assert data["metrics"]["checked"] > 100
    assert any(c["column"] == "S/M" and c["ok"] for c in data["checks"])


@pytest.mark.seeded_defect(gate="schema-readiness", kind="config")
def test_schema_gate_names_a_dropped_column(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """Dropping a mapped and a sync column fails the gate naming table and column."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    engine = make_engine(load_config(config_path).database_url("development"))
    with engine.begin() as conn:
        conn.execute(sa.text('ALTER TABLE "swp_ORDER_LIST_SYNC" DROP COLUMN "DESIGN FEE"'))
        conn.execute(sa.text('ALTER TABLE "FACT_ORDER_LIST" DROP COLUMN "item_name"'))
    engine.dispose()
    config = load_config(config_path)
    result = run_gates(GateContext(config, "development", tmp_path / "run"), [SchemaGate()]).results[0]
    assert_gate_caught(
        result, "swp_ORDER_LIST_SYNC.DESIGN FEE: column missing", "FACT_ORDER_LIST.item_name: column missing"
    )
    data = json.loads((tmp_path / "run" / "schema-readiness" / "schema.json").read_text(encoding="utf-8"))
    md = (tmp_path / "run" / "schema-readiness" / "schema.md").read_text(encoding="utf-8")
    assert "DESIGN FEE" in md
    assert data["metrics"]["problems"] == 2


@pytest.mark.seeded_defect(gate="schema-readiness", kind="config")
def test_missing_sync_pending_at_fails_and_db_upgrade_fixes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The database lacks the change-detection column sync_pending_at: the gate names it and the command
    that fixes it; that command really fixes it (the gate then passes)."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    engine = make_engine(load_config(config_path).database_url("development"))
    with engine.begin() as conn:
        conn.execute(sa.text('ALTER TABLE "FACT_ORDER_LIST" DROP COLUMN "sync_pending_at"'))
    engine.dispose()
    config = load_config(config_path)
    result = run_gates(GateContext(config, "development", tmp_path / "run"), [SchemaGate()]).results[0]
    assert_gate_caught(
        result, "FACT_ORDER_LIST.sync_pending_at: column missing", "fix: ordersync db upgrade --env development"
    )
    assert main(["--config", str(config_path), "db", "upgrade", "--env", "development"]) == 0
    again = run_gates(GateContext(config, "development", tmp_path / "run2"), [SchemaGate()]).results[0]
    assert again.status is GateStatus.PASSED, again.summary


@pytest.mark.seeded_defect(gate="schema-readiness", kind="product")
def test_a_column_the_engine_newly_declares_is_required_without_a_second_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The engine's table definitions (sync/db.py) gain a sync column the deployed database does not have:
    the gate requires it because it reads the same definitions, with no list of its own to update."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    declared = sync.db._sync_columns

    def with_new_column() -> list[sa.Column[object]]:
        return [*declared(), sa.Column("sync_batch_id", sa.String(64))]

    monkeypatch.setattr(sync.db, "_sync_columns", with_new_column)
    result = run_gates(GateContext(load_config(config_path), "development", tmp_path / "run"), [SchemaGate()]).results[
        0
    ]
    assert_gate_caught(
        result, "swp_ORDER_LIST_SYNC.sync_batch_id: column missing", "FACT_ORDER_LIST.sync_batch_id: column missing"
    )


@pytest.mark.seeded_defect(gate="schema-readiness", kind="config")
def test_a_sync_column_of_the_wrong_kind_is_named_with_what_the_engine_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """monday_parent_id recreated as text in the lines table: the gate names column, type and the kind needed."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    engine = make_engine(load_config(config_path).database_url("development"))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text('ALTER TABLE "ORDER_LIST_LINES" DROP COLUMN "monday_parent_id"'))
            conn.execute(sa.text('ALTER TABLE "ORDER_LIST_LINES" ADD COLUMN "monday_parent_id" VARCHAR(40)'))
    finally:
        engine.dispose()
    result = run_gates(GateContext(load_config(config_path), "development", tmp_path / "run"), [SchemaGate()]).results[
        0
    ]
    assert_gate_caught(result, "ORDER_LIST_LINES.monday_parent_id: VARCHAR(40): text, the engine needs integer")
