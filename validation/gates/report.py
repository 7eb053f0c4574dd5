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

__all__ = ["NOT_RUN", "new_run_dir", "print_summary", "verdict", "write_reports"]

_COLOURS = {
    GateStatus.PASSED: ("#d4edda", "#155724"),
    GateStatus.FAILED: ("#f8d7da", "#721c24"),
    GateStatus.INCONCLUSIVE: ("#e2e3f3", "#383d75"),
    GateStatus.ERROR: ("#fff3cd", "#856404"),
}
_RICH = {
    GateStatus.PASSED: "green",
    GateStatus.FAILED: "red",
    GateStatus.INCONCLUSIVE: "magenta",
    GateStatus.ERROR: "yellow",
}
#: How a required gate without a result shows in the tables.
NOT_RUN = "not run"


def verdict(run: GateRun) -> str:
    """``READY: ...`` only when every required gate passed; otherwise NOT READY naming each gate and why."""
    if run.ready:
        return f"READY: all {len(run.results)} gate(s) passed"
    if not run.results and not run.missing:
        return "NOT READY: no gate ran"
    return "NOT READY: " + "; ".join(run.not_passed())


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
    for m in run.missing:
        table.add_row(m.name, f"[red]{NOT_RUN}[/]", "-", m.reason.value)
    console.print(table)
    colour = "green" if run.ready else "red"
    console.print(f"[{colour}]{verdict(run)}[/]", highlight=False, soft_wrap=True)
    console.print(f"report: {run.report_dir / 'index.html'}", highlight=False, soft_wrap=True)


def _as_dict(run: GateRun) -> dict[str, Any]:
    return {
        "environment": run.environment,
        "config_path": str(run.config_path.resolve()),
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": run.finished_at.isoformat(timespec="seconds"),
        "passed": run.passed,
        "ready": run.ready,
        "verdict": verdict(run),
        "required": list(run.required),
        "missing": [{"name": m.name, "reason": m.reason.value} for m in run.missing],
        "counts": run.counts(),
        "gates": [r.to_dict(relative_to=run.report_dir) for r in run.results],
    }


def _markdown(run: GateRun, data: dict[str, Any]) -> str:
    out = [
        f"# Cutover gates: {run.environment} — {verdict(run)}\n",
        f"- config: `{data['config_path']}`",
        f"- started: {data['started_at']}",
        f"- finished: {data['finished_at']}",
        f"- counts: {data['counts']}\n",
        md_table(
            ["gate", "status", "seconds", "summary"],
            [(g["name"], g["status"], g["duration_s"], g["summary"]) for g in data["gates"]]
            + [(m["name"], NOT_RUN, "-", m["reason"]) for m in data["missing"]],
        ),
    ]
    for g in data["gates"]:
        out.append(f"\n## {g['name']} ({g['status']})\n\n{g['summary']}\n")
        out.append(md_table(["metric", "value"], list(g["metrics"].items())))
        out.append("\nEvidence: " + (", ".join(f"[{e}]({e})" for e in g["evidence"]) or "none") + "\n")
    return "\n".join(out)


def _html(run: GateRun, data: dict[str, Any]) -> str:
    bg, fg = _COLOURS[GateStatus.PASSED if run.ready else GateStatus.FAILED]
    gates = []
    for r, g in zip(run.results, data["gates"], strict=True):
        r_bg, r_fg = _COLOURS[r.status]
        gates.append({**g, "status": r.status.value, "duration_s": r.duration_s, "bg": r_bg, "fg": r_fg})
    return render(
        "gates_index.html.j2",
        environment=run.environment,
        data=data,
        gates=gates,
        missing=[{"name": m.name, "reason": m.reason.value} for m in run.missing],
        not_run=NOT_RUN,
        required=", ".join(run.required) or "(none given)",
        verdict=verdict(run),
        verdict_bg=bg,
        verdict_fg=fg,
    )
