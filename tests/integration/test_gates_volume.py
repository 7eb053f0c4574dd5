"""volume-feasibility on the demo: board capacity, the client's real batches, windows and the schedule."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import tomlkit

from sync.config import load_config
from sync.demo import init_demo
from sync.emulator import open_persistent
from sync.monday import operations as ops
from validation.gates.runner import GateContext, GateResult, GateStatus, run_gates
from validation.gates.volume import VolumeGate

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]


def _run(config_path: Path, run_dir: Path, **options: object) -> GateResult:
    ctx = GateContext(load_config(config_path), "development", run_dir, options=options)
    return run_gates(ctx, [VolumeGate()]).results[0]


def _set(config_path: Path, section: str, **values: object) -> None:
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    table = doc.setdefault(section, tomlkit.table())
    for key, value in values.items():
        table[key] = value  # type: ignore[index]
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _set_items_limit(config_path: Path, limit: int) -> None:
    """Give both development boards on the demo's emulator a capacity of ``limit`` items."""
    config = load_config(config_path)
    env = config.environment("development")
    state = config.emulator_state_path("development")
    assert state is not None
    with open_persistent(state, require_token=False) as emulator:
        for board_id in (env.monday.board_id, env.monday.subitem_board_id):
            emulator.state.boards[str(board_id)].items_limit = limit
        emulator.save(state)


def test_demo_fits_one_window_and_shows_its_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """All 300 demo orders are pending; they fit both boards and one window; the page has the schedule."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    result = _run(config_path, tmp_path / "run")
    assert result.status is GateStatus.PASSED, result.summary
    assert result.metrics["new_items"] == 300
    assert result.metrics["subitems"] == 1172  # lines of cancelled orders are never created
    assert result.metrics["items_board_items_limit"] == 10_000
    assert result.metrics["items_board_overflow"] == 0
    assert result.metrics["windows_needed"] == 1
    # 6 item requests (50 aliases each) + 24 subitem requests + group requests + the board read:
    # exactly what a sync of this demo sends (GetBoards 1, CreateGroups 2, CreateItems 6, CreateSubitems 24).
    assert result.metrics["requests"] == 6 + 24 + math.ceil(result.metrics["new_groups"] / 50) + 1
    assert "bound by complexity per minute" in result.summary
    folder = tmp_path / "run" / "volume-feasibility"
    data = json.loads((folder / "volume.json").read_text(encoding="utf-8"))
    assert set(data["minutes_by_bound"]) == {"complexity per minute", "requests per minute", "round trips"}
    page = (folder / "volume.md").read_text(encoding="utf-8")
    assert "| 1 | 1-300 |" in page
    assert "naive days" in page


@pytest.mark.seeded_defect(gate="volume-feasibility", kind="config")
def test_tiny_window_fails_and_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """A 36 s window cannot carry a 35 s+ push declared as one window: the gate says how many are needed."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    result = _run(config_path, tmp_path / "run", window_hours=0.002)
    assert_gate_caught(result, "windows of 0.002 h", "the cutover declares 1", "initial_load_windows = ")
    needed = result.metrics["windows_needed"]
    assert needed > 1
    _set(config_path, "cutover", initial_load_windows=needed, window_every_hours=24)
    again = _run(config_path, tmp_path / "run2", window_hours=0.002)
    assert again.status is GateStatus.PASSED, again.summary
    page = (tmp_path / "run2" / "volume-feasibility" / "volume.md").read_text(encoding="utf-8")
    assert f"{needed} window(s) needed, {needed} declared" in page
    assert "| 2 |" in page and "+24:00" in page


@pytest.mark.seeded_defect(gate="volume-feasibility", kind="config")
def test_twelve_thousand_orders_overflow_the_default_capacity(tmp_path: Path) -> None:
    """12,000 pending orders vs monday's default 10,000 items: fails naming capacity and overflow; 60,000 passes."""
    demo = init_demo(tmp_path / "demo", orders=12_000)
    _set(demo.config_path, "cutover", initial_load_windows=5)
    result = _run(demo.config_path, tmp_path / "run")
    assert_gate_caught(
        result,
        "items board 9609317401: 10,000 of 12,000 planned creates fit (0 on it, items_limit 10,000); 2,000 do not",
        "subitems board 9609317948: 10,000 of",
    )
    assert result.metrics["items_board_overflow"] == 2_000
    _set_items_limit(demo.config_path, 60_000)
    bigger = _run(demo.config_path, tmp_path / "run2")
    assert bigger.status is GateStatus.PASSED, bigger.summary
    assert bigger.metrics["items_board_items_limit"] == 60_000


@pytest.mark.seeded_defect(gate="volume-feasibility", kind="product")
def test_a_client_that_stops_batching_breaks_the_daily_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Seeded client defect: plan_batches sends one alias per request. batch_size still says 50, the
    gate prices the client's real requests (1,540 instead of 33) and the Free plan's 1,000 daily calls fail it."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    _set(config_path, "cutover", monday_plan="free")
    healthy = _run(config_path, tmp_path / "run0")
    assert healthy.status is GateStatus.PASSED, healthy.summary

    def one_per_request(count: int, **_: object) -> list[range]:
        return [range(i, i + 1) for i in range(count)]

    monkeypatch.setattr(ops, "plan_batches", one_per_request)
    result = _run(config_path, tmp_path / "run")
    assert_gate_caught(result, "needs 2 windows", "against 1,000 a day on plan free")
    assert result.metrics["aliases_per_request"] == 1.0


@pytest.mark.seeded_defect(gate="volume-feasibility", kind="product")
def test_an_emulator_that_hides_items_limit_cannot_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Seeded emulator defect: boards answer items_limit null. Capacity is unknown, so the gate fails."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    from sync.emulator import views

    monkeypatch.setattr(views.BoardView, "items_limit", property(lambda self: None))
    result = _run(config_path, tmp_path / "run")
    assert_gate_caught(result, "items board 9609317401: monday reported no items_limit, capacity unknown")


def test_projected_calls_are_the_calls_a_sync_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The gate's call count for the demo equals the requests the real engine then sends to the emulator."""
    from sync.connect import open_client, open_db
    from sync.engine import SyncOptions, run_with

    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    projected = _run(config_path, tmp_path / "run").metrics["requests"]
    config = load_config(config_path)
    engine, tables = open_db(config, "development")
    try:
        with open_client(config, "development") as client:
            summary = run_with(config, "development", SyncOptions(), client=client, db=engine, tables=tables)
    finally:
        engine.dispose()
    assert summary.status == "SUCCEEDED"
    assert client.stats.requests == projected
