"""The load test's sign-off page: ``loadtest.html`` (self-contained) and ``loadtest.json``.

The throughput chart is drawn as inline SVG from Locust's ``locust_stats_history.csv``
(written with ``--csv-full-history``): the ``records`` rows carry, per batch, the number of
records monday applied as their size, so *count x average size* is the cumulative number of
records at each second, and its slope is records/s. Request rates come from the ``mutation``
rows the same way. No script, no external asset: the page opens from a CI artifact as is.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validation.load.runner import LoadTestResult

__all__ = ["history_series", "svg_chart", "write_report"]

Series = list[tuple[float, float]]


def history_series(path: Path, smooth_s: int = 5) -> dict[str, Series]:
    """Per-second ``records/s``, ``requests/s`` (mutations) and ``users`` from a stats-history CSV."""
    if not path.is_file():
        return {}
    records: dict[float, float] = defaultdict(float)
    requests: dict[float, float] = defaultdict(float)
    users: dict[float, float] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            stamp = float(row["Timestamp"])
            count = float(row.get("Total Request Count") or 0)
            if row["Type"] == "records":
                records[stamp] += count * float(row.get("Total Average Content Size") or 0)
            elif row["Type"] == "mutation":
                requests[stamp] += count
            elif row["Name"] == "Aggregated":
                users[stamp] = float(row.get("User Count") or 0)
    stamps = sorted(set(records) | set(requests) | set(users))
    if not stamps:
        return {}
    origin = stamps[0]
    return {
        "records/s": _rate(records, stamps, origin, smooth_s),
        "mutation requests/s": _rate(requests, stamps, origin, smooth_s),
        "users": [(s - origin, users.get(s, 0.0)) for s in stamps],
    }


def _rate(cumulative: Mapping[float, float], stamps: Sequence[float], origin: float, window: int) -> Series:
    """Slope of a cumulative counter over the last ``window`` seconds (missing seconds carry forward)."""
    values, last = [], 0.0
    for s in stamps:
        last = max(last, cumulative.get(s, last))
        values.append((s, last))
    out = []
    for i, (s, v) in enumerate(values):
        j = max(0, i - window)
        span = s - values[j][0]
        out.append((s - origin, (v - values[j][1]) / span if span > 0 else 0.0))
    return out


def svg_chart(
    series: Mapping[str, Series],
    *,
    width: int = 760,
    height: int = 260,
    reference: Mapping[str, float] | None = None,
) -> str:
    """A small line chart (time on x) as an inline ``<svg>``; ``reference``: labelled horizontal lines."""
    colours = ("#1f6feb", "#d1242f", "#8250df", "#1a7f37")
    plotted = {k: v for k, v in series.items() if v and k != "users"}
    if not plotted:
        return "<p><em>No history rows: Locust wrote no stats history.</em></p>"
    left, bottom, top, right = 56, 28, 12, 12
    x_max = max(x for pts in plotted.values() for x, _ in pts) or 1.0
    y_max = max([y for pts in plotted.values() for _, y in pts] + list((reference or {}).values()) + [1.0]) * 1.1

    def sx(x: float) -> float:
        return left + (width - left - right) * x / x_max

    def sy(y: float) -> float:
        return height - bottom - (height - bottom - top) * y / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="throughput over time">',
        f'<rect x="{left}" y="{top}" width="{width - left - right}" height="{height - top - bottom}" '
        'fill="#fff" stroke="#d0d7de"/>',
    ]
    for i in range(5):
        y = y_max * i / 4
        parts.append(f'<text x="{left - 6}" y="{sy(y) + 4:.1f}" font-size="10" text-anchor="end">{y:,.0f}</text>')
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eee"/>')
    for i in range(6):
        x = x_max * i / 5
        parts.append(f'<text x="{sx(x):.1f}" y="{height - 10}" font-size="10" text-anchor="middle">{x:.0f}s</text>')
    for label, value in (reference or {}).items():
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(value):.1f}" y2="{sy(value):.1f}" '
            'stroke="#9a6700" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{width - right - 4}" y="{sy(value) - 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#9a6700">{html.escape(label)}</text>'
        )
    for n, (name, pts) in enumerate(plotted.items()):
        colour = colours[n % len(colours)]
        points = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{points}"/>')
        parts.append(
            f'<text x="{left + 8}" y="{top + 14 + 13 * n}" font-size="11" fill="{colour}">{html.escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _stats_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(result: LoadTestResult) -> None:
    """Write ``loadtest.json`` and ``loadtest.html`` into the result's report folder."""
    data = result.as_dict()
    result.files["json"].write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    result.files["html"].write_text(_html(result, data), encoding="utf-8")


def _html(result: LoadTestResult, data: Mapping[str, Any]) -> str:
    m, p, b = result.measured, result.profile, result.baseline
    verdict_rows = [
        (
            "PASS" if v.passed else ("FAIL" if v.gating else "below (info)"),
            v.name,
            "—" if v.measured is None else f"{v.measured:,}",
            f"{v.comparison} {v.limit:,}",
            v.note,
        )
        for v in result.verdicts
    ]
    reference = {"200 records/s gate": p.thresholds.min_records_per_s} if p.thresholds.min_records_per_s else {}
    if p.budget_bound_per_s:
        reference = {"budget bound": p.budget_bound_per_s}
    chart = svg_chart(history_series(result.files["locust_history"]), reference=reference)
    stats = [
        (
            r["Type"],
            r["Name"],
            r["Request Count"],
            r["Failure Count"],
            r["50%"],
            r["95%"],
            r["99%"],
            f"{float(r['Max Response Time'] or 0):.0f}",
            f"{float(r['Requests/s'] or 0):.1f}",
        )
        for r in _stats_rows(result.files["locust_stats"])
        if r["Name"] != "Aggregated"
    ]
    rec = m.reconciliation
    ratio = data.get("engine_over_baseline")
    status = "PASSED" if result.passed else "FAILED"
    links = " · ".join(
        f'<a href="{html.escape(p.name)}">{html.escape(p.name)}</a>'
        for k, p in result.files.items()
        if k not in ("html",) and p.is_file()
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ordersync load test: {html.escape(p.name)} — {status}</title>
<style>
body{{font:14px/1.45 system-ui,sans-serif;margin:24px;max-width:1000px;color:#1f2328}}
table{{border-collapse:collapse;margin:8px 0 18px}}
td,th{{border:1px solid #d0d7de;padding:3px 8px;text-align:left}}
th{{background:#f6f8fa}}.PASSED{{color:#1a7f37}}
.FAILED{{color:#d1242f}}code{{background:#f6f8fa;padding:1px 4px}}
</style></head><body>
<h1>Load test <code>{html.escape(p.name)}</code>: <span class="{status}">{status}</span></h1>
<p>{html.escape(p.description)}</p>
<p>{p.users} Locust users, each driving the real <code>sync.engine.run_with</code> on its own cloned board pair of
one emulator server ({p.latency_ms} ms ± {p.jitter_ms} ms latency, batch {p.batch_size} aliases,
budget {p.complexity_budget_per_minute or "none"}/min, request limit {p.rate_limit_per_minute or "none"}/min).
Locust exit code {result.locust_exit_code}.</p>
<h2>Verdicts</h2>
{_table(("verdict", "threshold", "measured", "limit", "note"), verdict_rows)}
<h2>Throughput over time</h2>
{chart}
<h2>Figures</h2>
{
        _table(
            ("figure", "value"),
            [
                ("records synced (items + subitems, from RunSummary)", f"{m.records:,}"),
                ("users' working window", f"{m.elapsed_s:.1f} s over {m.runs} sync runs"),
                ("engine records/s", f"{m.records_per_s:,.1f}"),
                (
                    "baseline records/s (one request per record)",
                    f"{b.get('records_per_s')} ({b.get('records')} records, "
                    f"{b.get('duration_s')} s, {b.get('users')} users)",
                ),
                ("engine / baseline", f"{ratio}x" if ratio is not None else "—"),
                (
                    "write latency p50 / p95 / p99 / max ms",
                    " / ".join(_ms(m.latency_ms.get(k)) for k in ("p50", "p95", "p99", "max")),
                ),
                ("HTTP requests / failed", f"{m.requests:,} / {m.request_failures:,}"),
                ("records failed", f"{m.records_failed:,}"),
                ("HTTP 429 answers", f"{m.http_429:,}"),
                ("peak RSS of the Locust process tree", f"{m.peak_rss_mb} MB"),
                ("reconciled orders / lines", f"{rec.orders:,} / {rec.lines:,}"),
                ("lost / duplicated / not SYNCED", f"{rec.lost} / {rec.duplicated} / {rec.not_synced}"),
            ],
        )
    }
{"<p>Reconciliation problems: " + html.escape("; ".join(rec.problems)) + "</p>" if rec.problems else ""}
<h2>Requests by name (Locust)</h2>
<p><code>records</code> rows count records applied per batch (size = records); <code>sync run</code> is one
whole engine run (size = records synced).</p>
{_table(("type", "name", "count", "failures", "p50 ms", "p95 ms", "p99 ms", "max ms", "per s"), stats)}
<h2>Baseline</h2>
<p>{html.escape(str(b.get("method", "")))}. Errors: {html.escape("; ".join(b.get("errors") or []) or "none")}.</p>
<p>Files: {links}</p>
</body></html>
"""


def _ms(value: object) -> str:
    """A latency for the figures table: whole milliseconds, or a dash when unknown."""
    return f"{float(value):.0f}" if isinstance(value, int | float) else "—"
