"""data-expectations with Great Expectations on the demo database: clean passes, bad rows are named, and the
seeded defects (an emulator handing out one item id, an emptied suite, an empty staging table) are caught."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.config import load_config
from sync.db import make_engine
from sync.emulator.state import EmulatorState
from sync.engine import SyncOptions, run_sync
from validation.gates.expectations import ExpectationsGate
from validation.gates.expectations_derive import BATCH_MARKER, unexpected_rows_sql
from validation.gates.runner import GateContext, GateResult, GateStatus, run_gates

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]
try:
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]


def _run(config_path: Path, tmp_path: Path) -> GateResult:
    ctx = GateContext(load_config(config_path), "development", tmp_path / "run")
    return run_gates(ctx, [ExpectationsGate()]).results[0]


def test_clean_demo_passes_with_counts_and_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The clean demo meets every expectation; counts and all evidence files are written."""
    result = _run(build_demo(tmp_path / "demo", monkeypatch, database_url), tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    assert result.metrics["total_rows"] == 300
    assert result.metrics["new_records"] == 300
    assert result.metrics["cancelled_records"] > 0
    assert result.metrics["checked"] > 15
    assert {p.name for p in result.evidence} == {
        "results.html",
        "results.json",
        "failures.csv",
        "source_counts.json",
        "index.html",
    }
    # The demo's target and lines tables are empty before the first sync: their rules are not evaluated.
    assert result.metrics["target_rows"] == 0 and result.metrics["not_evaluated"] > 0
    assert "not evaluated (FACT_ORDER_LIST is empty, ORDER_LIST_LINES is empty)" in result.summary
    folder = tmp_path / "run" / "data-expectations"
    docs = folder / "data_docs" / "index.html"
    assert docs in result.evidence and docs.stat().st_size > 0
    assert any((folder / "data_docs" / "validations").rglob("*.html"))  # GX rendered the checkpoint results
    page = (folder / "results.html").read_text(encoding="utf-8")
    assert "data_docs/index.html" in page and "not evaluated" in page


@pytest.mark.seeded_defect(gate="data-expectations", kind="config")
def test_bad_rows_fail_naming_order_and_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Bad rows fail the gate; evidence names the order number, the column and the value."""
    result = _run(build_demo(tmp_path / "demo", monkeypatch, database_url, with_bad_rows=True), tmp_path)
    assert_gate_caught(
        result, "swp_ORDER_LIST_SYNC.DESIGN FEE", "'TBC'", "GRE-900000", "CUSTOMER NAME", "UNLISTED CUSTOMER"
    )
    folder = tmp_path / "run" / "data-expectations"
    with (folder / "failures.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_column = {(r["column"], r["order_number"]) for r in rows}
    assert ("DESIGN FEE", "GRE-900000") in by_column
    assert ("CUSTOMER NAME", "PEL-900001") in by_column
    assert ("AAG ORDER NUMBER", "GRE-800000") in by_column  # duplicated business key
    assert any(r["column"].startswith("item name") and r["order_number"].startswith("LNG-") for r in rows)
    page = (folder / "results.html").read_text(encoding="utf-8")
    assert "GRE-900000" in page
    assert "TBC" in page
    assert "FAIL" in page


def test_gx_quotes_awkward_column_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """Columns with spaces, slashes and apostrophes validate as SQL (the regex rule runs, no exception)."""
    result = _run(build_demo(tmp_path / "demo", monkeypatch, database_url), tmp_path)
    raw = json.loads((tmp_path / "run" / "data-expectations" / "results.json").read_text(encoding="utf-8"))
    columns = {r["expectation_config"]["kwargs"].get("column"): r for r in raw["staging"]["results"]}
    assert not any(r["exception_info"].get("raised_exception") for r in raw["staging"]["results"])
    assert columns["DESIGN FEE"]["success"]  # coerce=true text column, regex pushed down
    assert result.status is GateStatus.PASSED


def test_unexpected_rows_sql_quotes_identifiers_for_the_dialect(tmp_path: Path) -> None:
    """Row-level SQL quotes names like CUSTOMER'S ... and RANGE / COLLECTION and runs against the table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    awkward = "CUSTOMER'S COLOUR CODE (CUSTOM FIELD) CUSTOMER PROVIDES THIS"
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE TABLE t ("{awkward.replace(chr(34), "")}" TEXT, "RANGE / COLLECTION" TEXT)'))
        conn.execute(sa.text("INSERT INTO t VALUES ('O''NEILL', 'CORE')"))
    query = (
        sa.select(sa.column(awkward), sa.column("RANGE / COLLECTION"))
        .select_from(sa.table(BATCH_MARKER))
        .where(sa.column("RANGE / COLLECTION") == "CORE")
    )
    sql = unexpected_rows_sql(query, engine.dialect)
    assert "{batch}" in sql
    assert f'"{awkward}"' in sql
    assert '"RANGE / COLLECTION"' in sql
    with engine.connect() as conn:
        assert conn.execute(sa.text(sql.format(batch="t"))).all() == [("O'NEILL", "CORE")]
    engine.dispose()


@pytest.mark.seeded_defect(gate="data-expectations", kind="product")
def test_an_emulator_that_hands_out_one_item_id_is_caught_on_the_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Emulator defect: every created item gets id 4242; a real sync writes it back to three orders and the
    target's unique monday_item_id rule names the column and the id."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    with monkeypatch.context() as patch:  # only the defect is undone after the sync (not the fixtures' env)
        patch.setattr(EmulatorState, "_new_item_id", lambda self: "4242")
        run_sync(load_config(config_path), "development", SyncOptions(limit=3))
    result = _run(config_path, tmp_path)
    assert_gate_caught(result, "FACT_ORDER_LIST.monday_item_id", "4242")


@pytest.mark.seeded_defect(gate="data-expectations", kind="config")
def test_a_suite_with_zero_expectations_fails_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Someone emptied expectations/target.json: an empty suite proves nothing, so the gate fails naming it."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    suite = load_config(config_path).project_file("expectations", "target.json").path
    raw = json.loads(suite.read_text(encoding="utf-8"))
    suite.write_text(json.dumps({**raw, "expectations": []}), encoding="utf-8")
    result = _run(config_path, tmp_path)
    assert_gate_caught(result, f"suite {suite} has no expectations")


@pytest.mark.seeded_defect(gate="data-expectations", kind="config")
def test_zero_staging_rows_fail_even_when_the_suite_drops_the_row_count_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The upstream load did not run and the suite lost its row-count rule: the gate's own rule still fails,
    with a readable message (never 'staging. (None rows)'), and no expectation on the empty tables passes."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    config = load_config(config_path)
    suite = config.project_file("expectations", "staging.json").path
    raw = json.loads(suite.read_text(encoding="utf-8"))
    kept = [e for e in raw["expectations"] if e["type"] != "expect_table_row_count_to_be_between"]
    suite.write_text(json.dumps({**raw, "expectations": kept}), encoding="utf-8")
    engine = make_engine(config.database_url("development"))
    with engine.begin() as conn:
        conn.execute(sa.delete(sa.table("swp_ORDER_LIST_SYNC")))
    engine.dispose()
    result = _run(config_path, tmp_path)
    assert_gate_caught(
        result,
        "staging table swp_ORDER_LIST_SYNC has 0 rows",
        "swp_ORDER_LIST_SYNC expect_table_row_count_to_be_between (observed 0)",
    )
    assert "None rows" not in result.summary
    page = (tmp_path / "run" / "data-expectations" / "results.html").read_text(encoding="utf-8")
    assert "<td>pass</td>" not in page  # every table is empty: nothing held on a row
