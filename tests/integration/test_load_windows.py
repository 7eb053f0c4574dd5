"""A two-window initial load from the command line: `sync --window K` and `verify --window K` on the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import tomlkit
from cutover_support import build_demo

from sync.cli import main
from sync.config import load_config
from sync.connect import open_db
from sync.load_windows import window_orders, window_runs

DEV = "development"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    config = build_demo(tmp_path / "demo", orders=30, alerts=False)
    doc = tomlkit.parse(config.read_text(encoding="utf-8"))
    doc["sync"]["batch_size"] = 5  # type: ignore[index]
    cutover = doc.setdefault("cutover", tomlkit.table())
    cutover["initial_load_windows"] = 2
    config.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return config


def _run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _run_json(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["--config", str(config), *args, "--json"])
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, data


def _ledger(config: Path) -> tuple[dict[int, list[str]], dict[int, dict[str, str]], list[dict[str, Any]]]:
    """Runs and orders per window, and the target rows."""
    cfg = load_config(config)
    engine, tables = open_db(cfg, DEV)
    try:
        with engine.connect() as conn:
            runs = {k: window_runs(conn, tables, DEV, k) for k in (1, 2)}
            orders = {k: window_orders(conn, tables, runs[k]) for k in (1, 2)}
            target = [dict(r) for r in conn.execute(sa.select(tables.target)).mappings()]
    finally:
        engine.dispose()
    return runs, orders, target


def _delete_on_board(config: Path, item_id: int) -> None:
    """Someone deletes one item on the board (the emulator's persisted state)."""
    path = load_config(config).emulator_state_path(DEV)
    assert path is not None
    raw = json.loads(path.read_text(encoding="utf-8"))
    [item] = [i for i in raw["items"] if str(i["id"]) == str(item_id)]
    item["state"] = "deleted"
    path.write_text(json.dumps(raw), encoding="utf-8")


def test_a_two_window_load_is_recorded_per_window_and_each_window_verifies_its_part(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _run(capsys, demo, "verify", "--env", DEV, "--window", "1")
    assert code == 1 and "no sync run is recorded for window 1" in out, out  # no evidence, no pass

    code, first = _run_json(capsys, demo, "sync", "--env", DEV, "--window", "1", "--max-requests", "8")
    assert code == 0, first
    assert first["status"] == "PAUSED" and first["window"] == 1 and 0 < first["items_created"] < 30

    code, out = _run(capsys, demo, "verify", "--env", DEV, "--window", "1")
    assert code == 0 and "clean" in out, out
    code, out = _run(capsys, demo, "verify", "--env", DEV, "--window", "2")
    assert code == 1 and "no sync run is recorded for window 2" in out, out

    code, second = _run_json(capsys, demo, "sync", "--env", DEV, "--window", "2")
    assert code == 0, second
    assert second["status"] == "SUCCEEDED" and second["window"] == 2
    assert first["items_created"] + second["items_created"] == 30

    runs, orders, target = _ledger(demo)
    assert runs == {1: [first["run_id"]], 2: [second["run_id"]]}
    assert len(orders[1]) == first["items_created"]  # window 1 pushed items only; its lines went in window 2
    assert set(orders[1]) | set(orders[2]) == {r["record_uuid"] for r in target}
    for k in (1, 2):
        code, report = _run_json(capsys, demo, "verify", "--env", DEV, "--window", str(k))
        assert code == 0 and report["ok"] and report["orders"] == len(orders[k]), report

    # Seed a defect in window 2's part only: an item that window 2 created is deleted on the board.
    only_two = sorted(set(orders[2]) - set(orders[1]))
    row = next(r for r in target if r["record_uuid"] == only_two[0])
    _delete_on_board(demo, int(row["monday_item_id"]))
    code, out = _run(capsys, demo, "verify", "--env", DEV, "--window", "2")
    assert code == 1 and "missing" in out and row["AAG ORDER NUMBER"] in out, out
    code, out = _run(capsys, demo, "verify", "--env", DEV, "--window", "1")
    assert code == 0, out  # window 1's orders are intact


def test_a_window_the_cutover_does_not_declare_is_a_usage_error(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("sync", "verify"):
        code, out = _run(capsys, demo, command, "--env", DEV, "--window", "3")
        assert code == 2 and "cutover.initial_load_windows" in out and "windows 1..2" in out, out
        assert str(demo) in out.replace("\n", ""), out
    doc = tomlkit.parse(demo.read_text(encoding="utf-8"))
    doc["cutover"]["initial_load_windows"] = 1  # type: ignore[index]
    demo.write_text(tomlkit.dumps(doc), encoding="utf-8")
    code, out = _run(capsys, demo, "sync", "--env", DEV, "--window", "1")
    assert code == 2 and "declares no multi-window initial load" in out, out


def test_a_window_with_a_known_start_pauses_at_its_end_and_refuses_when_it_is_over(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tomlkit.parse(demo.read_text(encoding="utf-8"))
    doc["cutover"]["first_window_start"] = "2020-01-01T20:00:00Z"  # type: ignore[index]
    demo.write_text(tomlkit.dumps(doc), encoding="utf-8")
    code, out = _run(capsys, demo, "sync", "--env", DEV, "--window", "2")
    assert code == 2 and "window 2 ended at 2020-01-03 00:00 UTC" in out.replace("\n", " "), out
