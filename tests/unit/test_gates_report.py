"""Gate reports: JSON, Markdown and a self-contained HTML page a person signs off."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from validation.gates.report import new_run_dir, print_summary, write_reports
from validation.gates.runner import GateResult, GateRun, GateStatus, MissingGate, MissingReason


def _run(tmp_path: Path) -> GateRun:
    run_dir = new_run_dir(tmp_path / "reports", "production", datetime(2025, 7, 26, 10, 15, tzinfo=UTC))
    evidence = run_dir / "schema-readiness" / "schema.md"
    evidence.parent.mkdir()
    evidence.write_text("# ok\n", encoding="utf-8")
    now = datetime(2025, 7, 26, 10, 15, 1, tzinfo=UTC)
    results = [
        GateResult(
            "schema-readiness",
            "production",
            GateStatus.PASSED,
            "all 5 checks passed",
            {"checked": 5},
            [evidence],
            now,
            0.2,
        ),
        GateResult(
            "data-expectations",
            "production",
            GateStatus.FAILED,
            "DESIGN FEE 'TBC' <script>",
            {"checked": 9, "failed": 1},
            [],
            now,
            1.5,
        ),
        GateResult(
            "volume-feasibility", "production", GateStatus.ERROR, "gate raised KeyError", {}, [], now, 0.0
        ),
    ]
    return GateRun("production", tmp_path / "ordersync.toml", run_dir, now, now, results)


def test_run_dir_is_timestamped_per_environment_and_never_reused(tmp_path: Path) -> None:
    """Run folders are <UTC stamp>-<env>; a same-second rerun gets its own folder."""
    when = datetime(2025, 7, 26, 10, 15, 0, tzinfo=UTC)
    first = new_run_dir(tmp_path, "production", when)
    second = new_run_dir(tmp_path, "production", when)
    assert first.name == "20250726T101500Z-production"
    assert second != first
    assert second.is_dir()


def test_reports_are_written_with_every_gate(tmp_path: Path) -> None:
    """gates.json, gates.md and index.html exist and name every gate and status."""
    run = _run(tmp_path)
    paths = write_reports(run)
    assert [p.name for p in paths] == ["gates.json", "gates.md", "index.html"]
    data = json.loads((run.report_dir / "gates.json").read_text(encoding="utf-8"))
    assert data["passed"] is False
    assert data["counts"] == {"passed": 1, "failed": 1, "error": 1, "inconclusive": 0}
    assert data["gates"][0]["evidence"] == ["schema-readiness/schema.md"]
    md = (run.report_dir / "gates.md").read_text(encoding="utf-8")
    assert "data-expectations" in md
    assert "NOT READY: data-expectations (failed); volume-feasibility (error)" in md


def test_html_is_self_contained_escaped_and_links_evidence(tmp_path: Path) -> None:
    """The HTML has inline CSS only, escapes summaries and links evidence relatively."""
    run = _run(tmp_path)
    write_reports(run)
    page = (run.report_dir / "index.html").read_text(encoding="utf-8")
    assert "<style>" in page
    assert not re.search(r"<link|<script|src=|https?://", page)
    assert "&lt;script&gt;" in page
    assert 'href="schema-readiness/schema.md"' in page
    assert "#d4edda" in page
    assert "#f8d7da" in page
    assert "#fff3cd" in page
    assert "production" in page
    assert "ordersync.toml" in page
    assert "Sign-off" in page


def test_terminal_summary_names_each_gate(tmp_path: Path) -> None:
    """The rich summary lists every gate and the overall verdict."""
    console = Console(record=True, width=200)
    print_summary(_run(tmp_path), console)
    text = console.export_text()
    assert "schema-readiness" in text
    assert "volume-feasibility" in text
    assert "NOT READY" in text


def test_missing_required_gates_show_as_not_run_and_the_verdict_names_them(tmp_path: Path) -> None:
    """A required gate without a result appears in every report as 'not run' with its reason; NOT READY names it."""
    base = _run(tmp_path)
    run = GateRun(
        base.environment,
        base.config_path,
        base.report_dir,
        base.started_at,
        base.finished_at,
        base.results[:1],
        required=("schema-readiness", "change-detection"),
        missing=(MissingGate("change-detection", MissingReason.NOT_REGISTERED),),
    )
    write_reports(run)
    data = json.loads((run.report_dir / "gates.json").read_text(encoding="utf-8"))
    assert data["passed"] is True and data["ready"] is False
    assert data["missing"] == [{"name": "change-detection", "reason": "not registered"}]
    assert data["verdict"] == "NOT READY: change-detection: not registered"
    page = (run.report_dir / "index.html").read_text(encoding="utf-8")
    assert "NOT READY: change-detection: not registered" in page
    assert "<td>change-detection</td>" in page and "not run" in page
    assert "change-detection | not run" in (run.report_dir / "gates.md").read_text(encoding="utf-8")
    console = Console(record=True, width=200)
    print_summary(run, console)
    assert "NOT READY: change-detection: not registered" in console.export_text()


def test_inconclusive_has_its_own_colour_and_label(tmp_path: Path) -> None:
    """Inconclusive is shown as such (not as passed, not folded into failed)."""
    base = _run(tmp_path)
    result = base.results[0]
    odd = GateResult(result.name, result.environment, GateStatus.INCONCLUSIVE, "inconclusive: x", {}, [])
    run = GateRun(base.environment, base.config_path, base.report_dir, base.started_at, base.finished_at, [odd])
    write_reports(run)
    page = (run.report_dir / "index.html").read_text(encoding="utf-8")
    assert ">inconclusive</td>" in page and "#e2e3f3" in page
    assert "NOT READY: schema-readiness (inconclusive)" in page
