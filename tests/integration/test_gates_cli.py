"""``ordersync gates ENV`` end to end on the demo: exit codes and the report folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync.cli import main
from validation.gates.registry import gate_names, required_gates

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]


def test_gates_pass_on_clean_demo_and_write_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Every registered gate passes on the clean demo and one timestamped report folder is written; exit 0
    only when no required gate is missing (until change-detection is registered, exit 1 naming it)."""
    config = build_demo(tmp_path / "demo", monkeypatch, database_url)
    code = main(["--config", str(config), "gates", "development", "--report-dir", str(tmp_path / "reports")])
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert run_dir.name.endswith("-development")
    assert {p.name for p in run_dir.iterdir()} >= {"gates.json", "gates.md", "index.html", "schema-readiness"}
    data = json.loads((run_dir / "gates.json").read_text(encoding="utf-8"))
    assert [g["name"] for g in data["gates"]] == gate_names()
    assert all(g["status"] == "passed" for g in data["gates"]), data["verdict"]
    unregistered = [n for n in required_gates("development") if n not in gate_names()]
    assert data["missing"] == [{"name": n, "reason": "not registered"} for n in unregistered]
    assert code == (1 if unregistered else 0), data["verdict"]


def test_only_is_a_diagnosis_exit_by_the_selected_gate_but_never_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """``--only schema-readiness`` exits 0 when it passes, yet the report is NOT READY naming every skipped gate."""
    config = build_demo(tmp_path / "demo", monkeypatch, database_url)
    reports = tmp_path / "reports"
    args = ["--config", str(config), "gates", "development", "--only", "schema-readiness", "--report-dir", str(reports)]
    assert main(args) == 0
    data = json.loads(next(reports.glob("*/gates.json")).read_text(encoding="utf-8"))
    assert data["passed"] is True and data["ready"] is False
    assert data["verdict"].startswith("NOT READY: ")
    assert "environment-switching: skipped (not selected)" in data["verdict"]
    assert {m["name"] for m in data["missing"]} == set(required_gates("development")) - {"schema-readiness"}


def test_bad_rows_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """A failing gate makes the command exit 1."""
    config = build_demo(tmp_path / "demo", monkeypatch, database_url, with_bad_rows=True)
    args = [
        "--config",
        str(config),
        "gates",
        "development",
        "--only",
        "data-expectations",
        "--report-dir",
        str(tmp_path / "reports"),
    ]
    assert main(args) == 1


def test_unknown_gate_or_environment_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """Unknown gate names and environments are config errors (exit 2)."""
    config = build_demo(tmp_path / "demo", monkeypatch, database_url)
    base = ["--config", str(config), "gates"]
    assert main([*base, "development", "--only", "nope", "--report-dir", str(tmp_path)]) == 2
    assert main([*base, "staging-typo", "--report-dir", str(tmp_path)]) == 2
