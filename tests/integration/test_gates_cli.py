"""``ordersync gates ENV`` end to end on the demo: exit codes and the report folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.cli import main

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]


def test_gates_pass_on_clean_demo_and_write_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Every gate passes on the clean demo: exit 0 and one timestamped report folder."""
    config = build_demo(tmp_path / "demo", monkeypatch, database_url)
    code = main(["--config", str(config), "gates", "development", "--report-dir", str(tmp_path / "reports")])
    assert code == 0
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert run_dir.name.endswith("-development")
    assert {p.name for p in run_dir.iterdir()} >= {"gates.json", "gates.md", "index.html", "schema-readiness"}


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


def test_unknown_gate_or_environment_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Unknown gate names and environments are config errors (exit 2)."""
    config = build_demo(tmp_path / "demo", monkeypatch, database_url)
    base = ["--config", str(config), "gates"]
    assert main([*base, "development", "--only", "nope", "--report-dir", str(tmp_path)]) == 2
    assert main([*base, "staging-typo", "--report-dir", str(tmp_path)]) == 2
