"""Readable evidence from Great Expectations results: one row per expectation, failing rows by order number.

GX's own Data Docs need a project folder and assets; a cutover reviewer needs one page
that says which rule failed, on which column, how often, and *which orders*. This module
flattens GX's JSON results into :class:`Outcome` rows and writes them as HTML and CSV.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validation.gates.evidence import json_default

__all__ = ["Outcome", "outcomes_from_results", "write_failures_csv", "write_results_html"]

SAMPLE_ROWS = 20


@dataclass(frozen=True)
class Outcome:
    """One expectation on one table: did it hold, how many rows broke it, a sample of those rows."""

    table: str
    expectation: str
    column: str
    success: bool
    unexpected: int | None
    why: str
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def outcomes_from_results(table: str, results: Mapping[str, Any]) -> list[Outcome]:
    """Flatten one suite's ``validation_result.to_json_dict()``; a raised expectation is a failure."""
    out = []
    for r in results.get("results", []):
        config = r.get("expectation_config") or {}
        kwargs = config.get("kwargs") or {}
        result = r.get("result") or {}
        info = r.get("exception_info") or {}
        error = info.get("exception_message") if info.get("raised_exception") else None
        samples = (
            result.get("partial_unexpected_index_list")
            or (result.get("details") or {}).get("unexpected_rows")
            or [{"value": v} for v in result.get("partial_unexpected_list") or []]
        )
        unexpected = result.get("unexpected_count")
        if unexpected is None and config.get("type") == "unexpected_rows_expectation":
            unexpected = result.get("observed_value")
        meta = config.get("meta") or {}
        out.append(
            Outcome(
                table=table,
                expectation=str(config.get("type")),
                column=str(kwargs.get("column") or config.get("description") or ""),
                success=bool(r.get("success")) and error is None,
                unexpected=unexpected,
                why=str(meta.get("why") or config.get("description") or ""),
                samples=[dict(s) for s in samples[:SAMPLE_ROWS]],
                error=error,
            )
        )
    return out


def write_failures_csv(path: Path, outcomes: Iterable[Outcome]) -> Path:
    """One CSV line per sampled failing row: table, expectation, column, order number, row values."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["table", "expectation", "column", "order_number", "row"])
        for o in outcomes:
            if o.success:
                continue
            if o.error:
                writer.writerow([o.table, o.expectation, o.column, "", f"ERROR: {o.error}"])
            for sample in o.samples:
                writer.writerow(
                    [
                        o.table,
                        o.expectation,
                        o.column,
                        sample.get("AAG ORDER NUMBER", ""),
                        json.dumps(_compact(sample), ensure_ascii=False, default=json_default),
                    ]
                )
    return path


def write_results_html(path: Path, title: str, counts: Mapping[str, Any], outcomes: list[Outcome]) -> Path:
    """A self-contained page: source counts, then every expectation, failures first with sample rows."""
    failed = [o for o in outcomes if not o.success]
    rows = []
    for o in sorted(outcomes, key=lambda o: o.success):
        status = "pass" if o.success else "FAIL"
        sample = "".join(
            f"<li><code>{html.escape(json.dumps(_compact(s), ensure_ascii=False, default=json_default))}</code></li>"
            for s in o.samples
        )
        detail = (f"<div class=err>{html.escape(o.error)}</div>" if o.error else "") + (
            f"<ul>{sample}</ul>" if sample and not o.success else ""
        )
        rows.append(
            f"<tr class={status.lower()}><td>{status}</td><td>{html.escape(o.table)}</td>"
            f"<td>{html.escape(o.expectation)}</td><td>{html.escape(o.column)}</td>"
            f"<td>{'' if o.unexpected is None else o.unexpected}</td>"
            f"<td>{html.escape(o.why)}{detail}</td></tr>"
        )
    count_rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in counts.items()
    )
    page = f"""<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>
<style>body{{font:14px system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}
tr.fail td:first-child{{background:#f8d7da;font-weight:bold}}
tr.pass td:first-child{{background:#d4edda}}code{{font-size:12px}}.err{{color:#a00}}</style></head><body>
<h1>{html.escape(title)}</h1><p>{len(outcomes)} expectations, {len(failed)} failed.</p>
<h2>Source data</h2><table>{count_rows}</table>
<h2>Expectations</h2><table><tr><th>status</th><th>table</th><th>expectation</th><th>column / rule</th>
<th>unexpected</th><th>why / failing rows (sample)</th></tr>{"".join(rows)}</table></body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def _compact(sample: Mapping[str, Any]) -> dict[str, Any]:
    """Drop empty size columns etc. so a sample row shows what matters."""
    return {k: v for k, v in sample.items() if v is not None}
