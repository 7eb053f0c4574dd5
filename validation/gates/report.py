"""The sign-off record of a gate run: ``gates.json``, ``gates.md`` and a self-contained ``index.html``.

A cutover is approved by a person reading one page, possibly months later and offline, so
the HTML carries its own CSS, links evidence by relative path inside the run folder, and
states environment, config file, timestamps and every gate's metrics. Layout::

    reports/<YYYYmmddTHHMMSSZ>-<env>/
        gates.json  gates.md  index.html
        <gate-name>/<evidence files>

    run_dir = new_run_dir(Path("reports"), "production")
    write_reports(run)          # after run_gates(...)
    print_summary(run, Console())
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from validation.gates.evidence import json_default, md_table
from validation.gates.runner import GateResult, GateRun, GateStatus

__all__ = ["new_run_dir", "print_summary", "write_reports"]

_COLOURS = {
    GateStatus.PASSED: ("#d4edda", "#155724"),
    GateStatus.FAILED: ("#f8d7da", "#721c24"),
    GateStatus.ERROR: ("#fff3cd", "#856404"),
    GateStatus.INCONCLUSIVE: ("#e2e3e5", "#383d41"),
}
_RICH = {
    GateStatus.PASSED: "green",
    GateStatus.FAILED: "red",
    GateStatus.ERROR: "yellow",
    GateStatus.INCONCLUSIVE: "magenta",
}


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
    json_path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, default=json_default) + "\n", encoding="utf-8"
    )
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
    verdict = (
        "[green]ALL GATES PASSED[/]" if run.passed else "[red]NOT READY: at least one gate did not pass[/]"
    )
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
    e = html.escape
    verdict = "ALL GATES PASSED" if run.passed else "NOT READY — at least one gate did not pass"
    bg, fg = _COLOURS[GateStatus.PASSED if run.passed else GateStatus.FAILED]
    summary_rows = "".join(
        f"<tr><td><a href='#{e(r.name)}'>{e(r.name)}</a></td>{_status_cell(r)}"
        f"<td>{r.duration_s:.2f}</td><td>{e(r.summary)}</td></tr>"
        for r in run.results
    )
    sections = "".join(_gate_section(r, g) for r, g in zip(run.results, data["gates"], strict=True))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ordersync gates: {e(run.environment)}</title>
<style>
body{{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222}}
table{{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}}
th,td{{border:1px solid #ccc;padding:5px 8px;text-align:left;vertical-align:top}}
th{{background:#f3f3f3}}
.verdict{{padding:.8em 1em;font-size:1.2em;font-weight:bold;background:{bg};color:{fg}}}
.status{{font-weight:bold;text-transform:uppercase}} code{{font-size:12px}}
.signoff td{{height:2.2em}} dl{{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}}
</style></head><body>
<h1>ordersync cutover gates</h1>
<div class="verdict">{e(verdict)}</div>
<dl><dt>environment</dt><dd><b>{e(run.environment)}</b></dd>
<dt>config</dt><dd><code>{e(data["config_path"])}</code></dd>
<dt>started (UTC)</dt><dd>{e(data["started_at"])}</dd><dt>finished (UTC)</dt><dd>{e(data["finished_at"])}</dd>
<dt>gates</dt><dd>{e(", ".join(f"{v} {k}" for k, v in data["counts"].items()))}</dd></dl>
<h2>Summary</h2>
<table><tr><th>gate</th><th>status</th><th>seconds</th><th>summary</th></tr>{summary_rows}</table>
{sections}
<h2>Sign-off</h2>
<table class="signoff"><tr><th>role</th><th>name</th><th>decision</th><th>date</th></tr>
<tr><td>data owner</td><td></td><td></td><td></td></tr>
<tr><td>operator</td><td></td><td></td><td></td></tr></table>
</body></html>
"""


def _status_cell(result: GateResult) -> str:
    bg, fg = _COLOURS[result.status]
    return f"<td class='status' style='background:{bg};color:{fg}'>{html.escape(result.status.value)}</td>"


def _gate_section(result: GateResult, data: dict[str, Any]) -> str:
    e = html.escape
    metrics = "".join(
        f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in data["metrics"].items()
    )
    links = "".join(f"<li><a href='{e(p)}'>{e(p)}</a></li>" for p in data["evidence"]) or "<li>none</li>"
    return (
        f"<h2 id='{e(result.name)}'>{e(result.name)}</h2>"
        f"<table><tr><th>status</th>{_status_cell(result)}</tr>"
        f"<tr><th>started (UTC)</th><td>{e(data['started_at'])}</td></tr>"
        f"<tr><th>summary</th><td>{e(result.summary)}</td></tr>{metrics}</table>"
        f"<p>Evidence:</p><ul>{links}</ul>"
    )
