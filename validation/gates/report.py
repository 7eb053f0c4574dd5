"""The sign-off record of a gate run: ``gates.json``, ``gates.md`` and a self-contained ``index.html``.

A cutover is approved by a person reading one page, possibly months later and offline, so
the HTML (Jinja2 template ``gates_index.html.j2``, package data) carries its own CSS, links
evidence by relative path inside the run folder, and states environment, config file,
timestamps and every gate's metrics. Layout::

    reports/<YYYYmmddTHHMMSSZ>-<env>/
        gates.json  gates.md  index.html
        <gate-name>/<evidence files>

    run_dir = new_run_dir(Path("reports"), "production")
    write_reports(run)          # after run_gates(...)
    print_summary(run, Console())
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from validation.gates.evidence import json_default, md_table
from validation.gates.runner import GateRun, GateStatus
from validation.render import render

__all__ = ["new_run_dir", "print_summary", "write_reports"]

_COLOURS = {
    GateStatus.PASSED: ("#d4edda", "#155724"),
    GateStatus.FAILED: ("#f8d7da", "#721c24"),
    GateStatus.ERROR: ("#fff3cd", "#856404"),
}
_RICH = {GateStatus.PASSED: "green", GateStatus.FAILED: "red", GateStatus.ERROR: "yellow"}


def new_run_dir(root: Path, env_name: str, now: datetime | None = None) -> Path:
    """A fresh ``<root>/<UTC timestamp>-<env>`` folder; a same-second rerun gets a ``-2`` suffix."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    candidate, n = root / f"{stamp}-{env_name}", 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{env_name}-{n}"
    candidate.mkdir(parents=True)
    return candidate


def write_reports(run: GateRun) -> list[Path]:
    """Write the three report files into ``run.report_dir`` and return their paths."""
    data = _as_dict(run)
    folder = run.report_dir
    json_path = folder / "gates.json"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=json_default) + "\n", encoding="utf-8")
    md_path = folder / "gates.md"
    md_path.write_text(_markdown(run, data), encoding="utf-8")
    html_path = folder / "index.html"
    html_path.write_text(_html(run, data), encoding="utf-8")
    return [json_path, md_path, html_path]


def print_summary(run: GateRun, console: Console) -> None:
    """A rich table: one row per gate with status, duration and summary, then the verdict."""
    table = Table(title=f"ordersync gates: {run.environment} ({run.config_path})")
    for column in ("gate", "status", "seconds", "summary"):
        table.add_column(column, overflow="fold")
    for r in run.results:
        table.add_row(r.name, f"[{_RICH[r.status]}]{r.status.value}[/]", f"{r.duration_s:.1f}", r.summary)
    console.print(table)
    verdict = "[green]ALL GATES PASSED[/]" if run.passed else "[red]NOT READY: at least one gate did not pass[/]"
    console.print(f"{verdict}  report: {run.report_dir / 'index.html'}", highlight=False)


def _as_dict(run: GateRun) -> dict[str, Any]:
    return {
        "environment": run.environment,
        "config_path": str(run.config_path.resolve()),
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": run.finished_at.isoformat(timespec="seconds"),
        "passed": run.passed,
        "counts": run.counts(),
        "gates": [r.to_dict(relative_to=run.report_dir) for r in run.results],
    }


def _markdown(run: GateRun, data: dict[str, Any]) -> str:
    verdict = "PASSED" if run.passed else "NOT PASSED"
    out = [
        f"# Cutover gates: {run.environment} — {verdict}\n",
        f"- config: `{data['config_path']}`",
        f"- started: {data['started_at']}",
        f"- finished: {data['finished_at']}",
        f"- counts: {data['counts']}\n",
        md_table(
            ["gate", "status", "seconds", "summary"],
            [(g["name"], g["status"], g["duration_s"], g["summary"]) for g in data["gates"]],
        ),
    ]
    for g in data["gates"]:
        out.append(f"\n## {g['name']} ({g['status']})\n\n{g['summary']}\n")
        out.append(md_table(["metric", "value"], list(g["metrics"].items())))
        out.append("\nEvidence: " + (", ".join(f"[{e}]({e})" for e in g["evidence"]) or "none") + "\n")
    return "\n".join(out)


def _html(run: GateRun, data: dict[str, Any]) -> str:
    verdict = "ALL GATES PASSED" if run.passed else "NOT READY — at least one gate did not pass"
    bg, fg = _COLOURS[GateStatus.PASSED if run.passed else GateStatus.FAILED]
    gates = []
    for r, g in zip(run.results, data["gates"], strict=True):
        r_bg, r_fg = _COLOURS.get(r.status, _COLOURS[GateStatus.ERROR])
        gates.append({**g, "status": r.status.value, "duration_s": r.duration_s, "bg": r_bg, "fg": r_fg})
    return render(
        "gates_index.html.j2",
        environment=run.environment,
        data=data,
        gates=gates,
        verdict=verdict,
        verdict_bg=bg,
        verdict_fg=fg,
    )
