"""The load test's sign-off page: ``loadtest.html`` (self-contained) and ``loadtest.json``.

The throughput chart is drawn as inline SVG from Locust's ``locust_stats_history.csv``
(written with ``--csv-full-history``): the ``records`` rows carry, per batch, the number of
records monday applied as their size, so *count x average size* is the cumulative number of
records at each second, and its slope is records/s. Request rates come from the ``mutation``
rows the same way. No script, no external asset: the page opens from a CI artifact as is.
The page is the packaged Jinja2 template ``loadtest.html.j2``; it shows the threshold that was
actually enforced and, for a failed run, the causes the runner named.
"""

from __future__ import annotations

import csv
import html
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validation.render import render, trusted

if TYPE_CHECKING:
    from validation.load.outcome import LoadTestResult

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


def write_report(result: LoadTestResult) -> None:
    """Write ``loadtest.json`` and ``loadtest.html`` into the result's report folder."""
    data = result.as_dict()
    result.files["json"].write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    result.files["html"].write_text(_html(result, data), encoding="utf-8")


def _html(result: LoadTestResult, data: Mapping[str, Any]) -> str:
    m, p, b = result.measured, result.profile, result.baseline
    enforced = p.thresholds.min_records_per_s
    reference = {f"enforced {enforced:g} records/s": enforced} if enforced else {}
    if p.budget_bound_per_s:
        reference[f"budget bound {p.budget_bound_per_s:.1f} records/s"] = p.budget_bound_per_s
    chart = svg_chart(history_series(result.files["locust_history"]), reference=reference)
    if "<svg" not in chart and result.causes:
        chart = f"<p><em>No throughput history: {html.escape(result.causes[0])}</em></p>"
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
    figures = [
        ("records synced (items + subitems, from RunSummary)", f"{m.records:,}"),
        ("users' working window", f"{m.elapsed_s:.1f} s over {m.runs} sync runs"),
        ("engine records/s", f"{m.records_per_s:,.1f}"),
        ("records per write request (config batch size)", f"{m.records_per_write or 0:.1f} ({result.batch_size})"),
        (
            "baseline records/s (one request per record)",
            f"{b.get('records_per_s')} ({b.get('records')} records, {b.get('duration_s')} s, {b.get('users')} users)",
        ),
        ("engine / baseline", f"{ratio}x" if ratio is not None else "— (no baseline)"),
        (
            "write latency p50 / p95 / p99 / max ms",
            " / ".join(_ms(m.latency_ms.get(k)) for k in ("p50", "p95", "p99", "max")),
        ),
        ("HTTP requests / failed", f"{m.requests:,} / {m.request_failures:,}"),
        ("records failed", f"{m.records_failed:,}"),
        ("HTTP 429 answers", f"{m.http_429:,}"),
        ("peak RSS of the Locust process tree", f"{m.peak_rss_mb} MB"),
        ("eligible staging orders / lines", f"{rec.orders:,} / {rec.lines:,}" if rec else "not reconciled"),
        ("lost / duplicated / not SYNCED", f"{rec.lost} / {rec.duplicated} / {rec.not_synced}" if rec else "—"),
    ]
    return render(
        "loadtest.html.j2",
        p=p,
        m=m,
        status="PASSED" if result.passed else "FAILED",
        passed=result.passed,
        causes=result.causes,
        environment=result.environment,
        batch_size=result.batch_size,
        locust_exit_code=result.locust_exit_code,
        verdicts=result.verdicts,
        chart=trusted(chart),
        figures=figures,
        book=result.book,
        problems=list(rec.problems) if rec else [],
        stats=stats,
        baseline=b,
        links=[f.name for k, f in result.files.items() if k != "html" and f.is_file()],
    )


def _ms(value: object) -> str:
    """A latency for the figures table: whole milliseconds, or a dash when unknown."""
    return f"{float(value):.0f}" if isinstance(value, int | float) else "—"
