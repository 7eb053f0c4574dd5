"""The cutover sign-off page: the checklists rendered with their verdicts, the canary and load figures.

One self-contained page (inline CSS and SVG, relative links into the cutover's report
folder) plus the same content as Markdown. Which item is ticked, crossed or open is
decided in ``validation.cutover.checklists``; this module only renders.

    paths = write_signoff(result.as_dict(), report_dir)   # signoff.html, signoff.md
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from validation.cutover.checklists import CHECKLISTS, Check, Mark, evaluate
from validation.gates.evidence import md_table

__all__ = ["write_signoff"]

LOAD_TARGET_PER_S = 200.0


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
_COLOUR = {
    "ticked": "#155724;background:#d4edda",
    "crossed": "#721c24;background:#f8d7da",
    "open": "#856404;background:#fff3cd",
    "person": "#383d41;background:#e2e3e5",
}

Marked = list[tuple[str, list[tuple[str, list[tuple[Check, Mark]]]]]]


def _verdict(data: Mapping[str, Any]) -> str:
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


def _html(data: Mapping[str, Any], marks: Marked, load: Mapping[str, Any] | None) -> str:
    e = html.escape
    ok = bool(data.get("ok"))
    tally = _tally(marks)
    sections = []
    for section, subs in marks:
        body = []
        for sub, rows in subs:
            trs = []
            for check, mark in rows:
                links = " ".join(f"<a href='{e(href)}'>{e(text)}</a>" for text, href in mark.links)
                blanks = (
                    "<td class='blank'>name: ____________________</td>"
                    "<td class='blank'>date: ____________</td>"
                    if mark.state == "person"
                    else "<td colspan='2'>" + (links or "—") + "</td>"
                )
                trs.append(
                    f"<tr><td class='mark' style='color:{_COLOUR[mark.state]}' "
                    f"title='{e(_LABEL[mark.state])}'>"
                    f"{_SYMBOL[mark.state]}</td><td>{e(check.text)}<div class='why'>{e(mark.why)}</div></td>"
                    f"{blanks}</tr>"
                )
            body.append(
                f"<h3>{e(sub)}</h3><table><tr><th></th><th>item</th><th colspan='2'>evidence</th></tr>"
                f"{''.join(trs)}</table>"
            )
        sections.append(f"<h2>{e(section)}</h2>{''.join(body)}")
    steps = "".join(
        f"<tr><td>{e(s['phase'])}</td><td>{e(s['name'])}</td><td class='mark' style='color:"
        f"{_COLOUR['ticked' if s['ok'] else 'crossed']}'>{'✔' if s['ok'] else '✘'}</td>"
        f"<td>{s['duration_s']}</td>"
        f"<td>{e(str(s['summary']))}</td></tr>"
        for s in data.get("steps") or []
    )
    canary = _canary_rows(data)
    canary_html = ""
    if canary:
        lat = {k: float(v) for k, v in (data["canary"].get("latency_ms") or {}).items()}
        canary_html = (
            "<h2>Canary</h2><table>"
            + "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in canary)
            + "</table>"
            + _svg_bars(lat, "canary API latency (ms)")
            + "<p><a href='canary-summary.json'>canary-summary.json</a> · "
            "<a href='canary-metrics.prom'>canary-metrics.prom</a> · "
            "<a href='verify.json'>verify.json</a></p>"
        )
    load_html = (
        "<h2>Load test</h2><p>No load-test gate ran in this cutover: the performance items stay open.</p>"
    )
    if load:
        metrics = "".join(
            f"<tr><th>{e(str(k))}</th><td>{e(str(v))}</td></tr>" for k, v in load["metrics"].items()
        )
        from validation.load.report import svg_chart

        chart = (
            svg_chart(
                load["series"], reference={f"target {LOAD_TARGET_PER_S:g} records/s": LOAD_TARGET_PER_S}
            )
            if load["series"]
            else "<p><em>No Locust history in the evidence: no chart.</em></p>"
        )
        links = " · ".join(f"<a href='{e(p)}'>{e(p)}</a>" for p in load["evidence"])
        load_html = (
            f"<h2>Load test</h2><p>gate <a href='index.html#{e(load['gate'])}'>{e(load['gate'])}</a>: "
            f"<b>{e(load['status'])}</b> — {e(load['summary'])}</p>"
            f"<table>{metrics}</table>{chart}<p>{links}</p>"
        )
    rollback = ""
    if data.get("rollback"):
        rb = data["rollback"]
        left = (
            "".join(f"<li>{e(x)}</li>" for x in rb["remaining"])
            or "<li>nothing: the rollback is complete</li>"
        )
        rollback = (
            f"<h2>Rollback</h2><table><tr><th>config</th><td>{e(rb['config'])}</td></tr><tr><th>canary runs"
            f"</th><td>{e(', '.join(rb['runs']) or 'none')}</td></tr><tr><th>probe group</th><td>"
            f"{e(rb['probe_group'])}</td></tr><tr><th>database</th><td>{e(str(rb['database']))}</td></tr></table>"
            f"<p>Still to do by hand:</p><ul>{left}</ul>"
        )
    colour = _COLOUR["ticked" if ok else "crossed"]
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ordersync cutover sign-off {e(data["cutover_id"])}</title>
<style>
body{{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em auto;max-width:1100px;color:#222}}
table{{border-collapse:collapse;width:100%;margin:.4em 0 1.2em}} th,td{{border:1px solid #ccc;padding:5px 8px;
text-align:left;vertical-align:top}} th{{background:#f3f3f3}}
.mark{{font-size:18px;text-align:center;width:2em}}
.why{{color:#666;font-size:12px}} .blank{{color:#999;white-space:nowrap}}
.verdict{{padding:.8em 1em;font-size:1.2em;
font-weight:bold;color:{colour}}} dl{{display:grid;grid-template-columns:max-content 1fr;gap:2px 1em}}
@media print{{a{{color:inherit;text-decoration:none}}}}
</style></head><body>
<h1>ordersync cutover sign-off</h1>
<div class="verdict">{e(_verdict(data))}</div>
<dl><dt>cutover</dt><dd><code>{e(data["cutover_id"])}</code></dd>
<dt>from → to</dt><dd>{e(data["from_env"])} → <b>{e(data["to_env"])}</b></dd>
<dt>run by</dt><dd>{e(data["who"])}</dd>
<dt>started / finished (UTC)</dt><dd>{e(data["started_at"])} / {e(str(data.get("finished_at")))}</dd>
<dt>config</dt><dd><code>{e(data["config_path"])}</code></dd>
<dt>checklist</dt><dd>{tally["ticked"]} ticked, {tally["crossed"]} crossed,
{tally["open"]} open (no evidence), {tally["person"]} for a person</dd>
<dt>gate report</dt><dd><a href="index.html">index.html</a> · <a href="gates.json">gates.json</a> ·
<a href="cutover.json">cutover.json</a></dd></dl>
<h2>Deployment sequence</h2>
<table><tr><th>phase</th><th>step</th><th></th><th>s</th><th>summary</th></tr>{steps}</table>
{rollback}{canary_html}{load_html}
{"".join(sections)}
<h2>Approval</h2><table><tr><th>role</th><th>name</th><th>decision</th><th>date</th></tr>
<tr><td>business owner</td><td></td><td></td><td></td></tr>
<tr><td>data owner</td><td></td><td></td><td></td></tr>
<tr><td>operator</td><td>{e(data["who"])}</td><td></td><td></td></tr></table>
</body></html>
"""


def _markdown(data: Mapping[str, Any], marks: Marked, load: Mapping[str, Any] | None) -> str:
    tally = _tally(marks)
    out = [
        f"# ordersync cutover sign-off `{data['cutover_id']}`\n",
        f"**{_verdict(data)}**\n",
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
        out.append(
            f"gate [{load['gate']}](index.html#{load['gate']}): **{load['status']}** — {load['summary']}\n"
        )
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
                    f"- {box} {_SYMBOL[mark.state]} {check.text} — {mark.why}"
                    + (f" ({links})" if links else "")
                )
            out.append("")
    return "\n".join(out) + "\n"
