"""The load report's projection: calls per record and days for the whole book per monday plan, engine vs naive."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from sync.monday.plans import PLAN_LIMITS, MondayPlan
from validation.load.outcome import LoadTestResult
from validation.load.projection import project_book
from validation.load.reconcile import Reconciliation
from validation.load.report import write_report
from validation.load.rules import BOOK_ORDERS, LoadProfile, Measured, evaluate, load_profile

# 200 orders and 800 lines reconciled = 5 records per order; the engine synced 1,000 records in 40 requests.
MEASURED = Measured(1_000, 60.0, 40, 0, 0, 200.0, 0, Reconciliation(200, 800), 4, {}, 30, 1_000)
BASELINE = {"method": "one request per record", "records": 300, "requests": 300, "records_per_s": 15.0, "errors": []}


def _result(folder: Path, profile: LoadProfile, measured: Measured, baseline: dict[str, object]) -> LoadTestResult:
    names = ("locust_stats_history.csv", "locust_stats.csv", "locust.log", "loadtest.json", "loadtest.html")
    keys = ("locust_history", "locust_stats", "locust_log", "json", "html")
    files = {k: folder / n for k, n in zip(keys, names, strict=True)}
    result = LoadTestResult(profile, measured, evaluate(profile, measured), baseline, 0, folder, files, {}, "dev", 50)
    write_report(result)
    return result


def test_calls_per_record_and_days_per_plan_follow_the_measured_run() -> None:
    book = project_book(MEASURED, BASELINE, 100_000)
    assert book is not None
    assert book.engine.calls_per_record == pytest.approx(0.04)
    assert book.naive.calls_per_record == pytest.approx(1.0)
    assert book.book_records == 500_000  # 100,000 orders x 5 records
    rows = {plan: (daily, engine, naive) for plan, daily, engine, naive in book.rows()}
    assert set(rows) == {p.value for p in MondayPlan}
    for plan, limits in PLAN_LIMITS.items():
        daily, engine, naive = rows[plan.value]
        assert daily == limits.daily_calls
        assert engine == math.ceil(20_000 / limits.daily_calls)  # 500,000 x 0.04 calls
        assert naive == math.ceil(500_000 / limits.daily_calls)
    assert rows["enterprise"][1:] == (1, 20) and rows["free"][1:] == (20, 500)


def test_more_calls_per_record_means_more_days() -> None:
    chatty = replace(MEASURED, requests=400)  # 0.4 calls per record instead of 0.04
    quiet, loud = project_book(MEASURED, BASELINE, 100_000), project_book(chatty, BASELINE, 100_000)
    assert quiet is not None and loud is not None
    pairs = [(q[2] or 0, loud_row[2] or 0) for q, loud_row in zip(quiet.rows(), loud.rows(), strict=True)]
    assert all(b >= a for a, b in pairs) and any(b > a for a, b in pairs)
    assert {r[0]: r[2] for r in loud.rows()}["pro"] == 20  # 200,000 calls / 10,000 a day


def test_no_baseline_is_unknown_and_no_reconciliation_is_no_projection() -> None:
    book = project_book(MEASURED, {"records": 0, "requests": 0}, 1_000)
    assert book is not None and book.naive.calls_per_record is None
    assert all(naive is None for *_, naive in book.rows())
    assert project_book(replace(MEASURED, reconciliation=None), BASELINE, 1_000) is None
    assert project_book(replace(MEASURED, reconciliation=Reconciliation(0, 0)), BASELINE, 1_000) is None


def test_the_realistic_page_and_json_show_the_projection_side_by_side(tmp_path: Path) -> None:
    profile = load_profile("realistic")
    assert profile.book_orders == BOOK_ORDERS
    result = _result(tmp_path, profile, MEASURED, BASELINE)
    page = result.files["html"].read_text(encoding="utf-8")
    assert "The whole book under each monday plan" in page
    assert 'id="engine-calls-per-record">0.040<' in page and 'id="naive-calls-per-record">1.000<' in page
    engine_days = math.ceil(math.ceil(BOOK_ORDERS * 5 * 0.04) / 1_000)
    naive_days = math.ceil(BOOK_ORDERS * 5 / 1_000)
    assert f"<tr><td>free</td><td>1,000</td>\n<td>{engine_days:,}</td><td>{naive_days:,}</td></tr>" in page
    data = json.loads(result.files["json"].read_text(encoding="utf-8"))
    projection = data["book_projection"]
    assert projection["book_records"] == BOOK_ORDERS * 5
    assert projection["calls_per_record"] == {"engine": 0.04, "naive client": 1.0}
    assert {"plan": "free", "daily_calls": 1_000, "engine": engine_days, "naive": naive_days} in projection[
        "days_by_plan"
    ]


def test_a_run_with_nothing_reconciled_says_it_is_not_projected(tmp_path: Path) -> None:
    nothing = Measured(0, 0.0, 0, 0, 0, None, 0, None)
    result = _result(tmp_path, load_profile("realistic"), nothing, BASELINE)
    page = result.files["html"].read_text(encoding="utf-8")
    assert "Not projected: the run reconciled no order" in page and 'id="book-days"' not in page
    assert json.loads(result.files["json"].read_text(encoding="utf-8"))["book_projection"] is None
