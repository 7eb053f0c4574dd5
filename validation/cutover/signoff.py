"""The cutover sign-off page: the checklists rendered with their verdicts, the canary and load figures.

One self-contained page (the packaged Jinja2 template ``signoff.html.j2``: inline CSS and
SVG, relative links into the cutover's report folder) plus the same content as Markdown. A
promotion with any technical item not ticked shows "PROMOTED WITH OPEN ITEMS", never a plain
PROMOTED. Which item is ticked, crossed or open is
decided in ``validation.cutover.checklists``; this module only renders.

    paths = write_signoff(result.as_dict(), report_dir)   # signoff.html, signoff.md
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validation.cutover.checklists import CHECKLISTS, Check, Mark, evaluate, open_technical
from validation.gates.evidence import md_table
from validation.render import render, trusted

__all__ = ["write_signoff"]


def write_signoff(data: Mapping[str, Any], folder: Path) -> list[Path]:
    """Write ``signoff.html`` and ``signoff.md`` for one cutover into its report folder."""
    marks = [
        (section, [(sub, [(c, evaluate(c, data)) for c in checks]) for sub, checks in subs])
        for section, subs in CHECKLISTS
    ]
    load = _load_figures(data, folder)
    html_path = folder / "signoff.html"
    html_path.write_text(_html(data, marks, load), encoding="utf-8")
    md_path = folder / "signoff.md"
    md_path.write_text(_markdown(data, marks, load), encoding="utf-8")
    return [html_path, md_path]


# ------------------------------------------------------------------------------------- figures
def _load_figures(data: Mapping[str, Any], folder: Path) -> dict[str, Any] | None:
    """The load-test gate's metrics and, when its evidence folder has Locust's history CSV, the series."""
    results = (data.get("gates") or {}).get("results") or []
    gate = next((g for g in results if "load" in g["name"]), None)
    if gate is None:
        return None
    from validation.load.report import history_series  # the load test's own reader of its CSV

    candidates = [
        folder / gate["name"] / "locust_stats_history.csv",
        *((folder / rel).parent / "locust_stats_history.csv" for rel in gate.get("evidence") or []),
    ]
    series = next((history_series(p) for p in candidates if p.is_file()), {})
    return {
        "gate": gate["name"],
        "status": gate["status"],
        "summary": gate["summary"],
        "metrics": gate.get("metrics") or {},
        "series": series,
        "evidence": gate.get("evidence") or [],
    }


def _svg_bars(values: Mapping[str, float], label: str) -> str:
    width, bar, gap = 640, 22, 8
    height = 30 + len(values) * (bar + gap)
    top = max(values.values(), default=1.0) or 1.0
    rows = []
    for i, (name, value) in enumerate(values.items()):
        y = 24 + i * (bar + gap)
        w = (width - 200) * value / top
        rows.append(
            f"<text x='4' y='{y + 15}' font-size='12'>{html.escape(name)}</text>"
            f"<rect x='80' y='{y}' width='{w:.1f}' height='{bar}' fill='#1f6feb'/>"
            f"<text x='{84 + w:.1f}' y='{y + 15}' font-size='12'>{value:g}</text>"
        )
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img' "
        f"aria-label='{html.escape(label)}'><text x='4' y='14' font-size='12' font-weight='bold'>"
        f"{html.escape(label)}</text>{''.join(rows)}</svg>"
    )


def _canary_rows(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    c = data.get("canary")
    if not c:
        return []
    lat = c.get("latency_ms") or {}
    return [
        ("run", c["run_id"]),
        ("status", c["status"]),
        ("items created / updated", f"{c['items_created']} / {c['items_updated']}"),
        ("subitems created", c["subitems_created"]),
        ("groups created", c["groups_created"]),
        (
            "rows in error / rejected / unknown",
            f"{c['rows_error']} / {c['rows_rejected']} / {c['rows_unknown']}",
        ),
        ("records synced", f"{c['records_synced']} in {c['duration_s']} s ({c['records_per_s']}/s)"),
        ("run success rate", f"{c['success_rate']:.1%} (threshold {c['success_threshold']:.0%})"),
        ("API success rate", f"{c.get('api_success_rate', 0):.1%}"),
        ("API requests / retries / 429s", f"{c['api_requests']} / {c['retries']} / {c['http_429']}"),
        ("latency p50 / p95 / p99 ms", " / ".join(str(lat.get(k, "")) for k in ("p50", "p95", "p99"))),
    ]


# --------------------------------------------------------------------------------------- render
_SYMBOL = {"ticked": "✔", "crossed": "✘", "open": "○", "person": "☐"}
_LABEL = {
    "ticked": "ticked",
    "crossed": "crossed",
    "open": "open: no evidence",
    "person": "open: a person signs",
}

Marked = list[tuple[str, list[tuple[str, list[tuple[Check, Mark]]]]]]


def _open_items(marks: Marked) -> list[str]:
    return open_technical(pair for _, subs in marks for _, rows in subs for pair in rows)


def _verdict(data: Mapping[str, Any], open_items: list[str]) -> str:
    """The banner: a promotion with any technical item not ticked is never a plain PROMOTED."""
    if data.get("ok") and open_items:
        return (
            f"PROMOTED WITH OPEN ITEMS: {data['to_env']} is the active environment; "
            f"{len(open_items)} technical item(s) not ticked"
        )
    if data.get("ok"):
        return f"PROMOTED: {data['to_env']} is the active environment"
    reason = data.get("reason") or ""
    return f"NOT PROMOTED ({data.get('status')}): {reason}"


def _tally(marks: Marked) -> dict[str, int]:
    out = dict.fromkeys(_SYMBOL, 0)
    for _, subs in marks:
        for _, rows in subs:
            for _, mark in rows:
                out[mark.state] += 1
    return out


_CSS = {"ticked": "passed", "crossed": "failed", "open": "open", "person": "person"}


def _html(data: Mapping[str, Any], marks: Marked, load: Mapping[str, Any] | None) -> str:
    from validation.load.report import svg_chart

    canary = _canary_rows(data)
    canary_chart = ""
    if canary:
        lat = {k: float(v) for k, v in (data["canary"].get("latency_ms") or {}).items()}
        canary_chart = _svg_bars(lat, "canary API latency (ms)")
    load_chart = ""
    if load:
        enforced = load["metrics"].get("min_records_per_s")
        reference = {f"enforced {enforced:g} records/s": float(enforced)} if isinstance(enforced, int | float) else {}
        load_chart = (
            svg_chart(load["series"], reference=reference)
            if load["series"]
            else "<p><em>No Locust history in the evidence: no chart.</em></p>"
        )
    open_items = _open_items(marks)
    return render(
        "signoff.html.j2",
        data=data,
        banner=_verdict(data, open_items),
        banner_class="failed" if not data.get("ok") else "open" if open_items else "passed",
        open_items=open_items,
        tally=_tally(marks),
        marks=marks,
        rollback=data.get("rollback"),
        canary=canary,
        canary_chart=trusted(canary_chart),
        load=load,
        load_chart=trusted(load_chart),
        css=_CSS,
        labels=_LABEL,
        symbols=_SYMBOL,
    )


def _markdown(data: Mapping[str, Any], marks: Marked, load: Mapping[str, Any] | None) -> str:
    tally = _tally(marks)
    out = [
        f"# ordersync cutover sign-off `{data['cutover_id']}`\n",
        f"**{_verdict(data, _open_items(marks))}**\n",
        f"- from → to: {data['from_env']} → **{data['to_env']}**",
        f"- run by: {data['who']}",
        f"- started / finished (UTC): {data['started_at']} / {data.get('finished_at')}",
        f"- checklist: {tally['ticked']} ticked, {tally['crossed']} crossed, {tally['open']} open, "
        f"{tally['person']} for a person",
        "- reports: [index.html](index.html), [cutover.json](cutover.json)\n",
        "## Deployment sequence\n",
        md_table(
            ["phase", "step", "ok", "summary"],
            [(s["phase"], s["name"], "✔" if s["ok"] else "✘", s["summary"]) for s in data.get("steps") or []],
        ),
    ]
    if data.get("rollback"):
        rb = data["rollback"]
        out.append("## Rollback\n")
        out.append(
            f"- config: {rb['config']}\n- canary runs: {', '.join(rb['runs']) or 'none'}\n"
            f"- probe group: {rb['probe_group']}\n- database: {rb['database']}"
        )
        out.append("- still to do: " + ("; ".join(rb["remaining"]) or "nothing") + "\n")
    canary = _canary_rows(data)
    if canary:
        out += ["## Canary\n", md_table(["figure", "value"], canary)]
    out.append("## Load test\n")
    if load:
        out.append(f"gate [{load['gate']}](index.html#{load['gate']}): **{load['status']}** — {load['summary']}\n")
        out.append(md_table(["metric", "value"], list(load["metrics"].items())))
    else:
        out.append("No load-test gate ran in this cutover: the performance items stay open.\n")
    for section, subs in marks:
        out.append(f"## {section}\n")
        for sub, rows in subs:
            out.append(f"### {sub}\n")
            for check, mark in rows:
                box = "[x]" if mark.state == "ticked" else "[ ]"
                if mark.state == "person":
                    hint = f" ({check.hint})" if check.hint else ""
                    out.append(f"- {box} ☐ {check.text} — name: ____________ date: ________{hint}")
                    continue
                links = ", ".join(f"[{t}]({h})" for t, h in mark.links)
                out.append(
                    f"- {box} {_SYMBOL[mark.state]} {check.text} — {mark.why}" + (f" ({links})" if links else "")
                )
            out.append("")
    return "\n".join(out) + "\n"
