"""The load-test page: the enforced threshold, and for a failed run its real cause (not an empty chart)."""

from __future__ import annotations

from pathlib import Path

from validation.load.outcome import LoadTestResult, causes
from validation.load.reconcile import Reconciliation
from validation.load.report import write_report
from validation.load.rules import Measured, evaluate, load_profile


def _result(folder: Path, measured: Measured, locust: dict[str, object], code: int, batch: int = 50) -> LoadTestResult:
    files = {
        "locust_history": folder / "locust_stats_history.csv",
        "locust_stats": folder / "locust_stats.csv",
        "locust_log": folder / "locust.log",
        "json": folder / "loadtest.json",
        "html": folder / "loadtest.html",
    }
    profile = load_profile("ci")
    baseline = {"method": "one request per record", "records": 0, "records_per_s": 0.0, "errors": []}
    result = LoadTestResult(
        profile, measured, evaluate(profile, measured), baseline, code, folder, files, dict(locust), "production", batch
    )
    result.causes.extend(causes(result))
    write_report(result)
    return result


def test_a_crashed_locust_run_shows_its_traceback_not_an_empty_chart(tmp_path: Path) -> None:
    """Locust died at import: the page says why (the log's last lines), the enforced 200/s, and FAILED."""
    (tmp_path / "locust.log").write_text(
        "Traceback (most recent call last):\n  File 'locustfile.py'\nModuleNotFoundError: No module named 'gevent'\n",
        encoding="utf-8",
    )
    nothing = Measured(0, 0.0, 0, 0, 0, None, 0, None)
    result = _result(tmp_path, nothing, {"error": "locust_result.json missing"}, 1)
    page = result.files["html"].read_text(encoding="utf-8")
    assert not result.passed
    assert "Why it failed" in page and "ModuleNotFoundError: No module named &#39;gevent&#39;" in page
    assert "locust_result.json missing" in page
    assert "Enforced: ≥ 200 records/s" in page and "FAILED" in page
    assert "No history rows" not in page


def test_a_slow_run_names_the_missed_threshold_and_the_batch_size_achieved(tmp_path: Path) -> None:
    """150 records/s with 1 record per request: both the missed 200 and the batch size are on the page."""
    slow = Measured(
        1_500, 10.0, 1_500, 0, 0, 120.0, 0, Reconciliation(300, 1_200), 4, {}, 1_500, 1_500, baseline_records=20
    )
    result = _result(tmp_path, slow, {}, 1, batch=1)
    page = result.files["html"].read_text(encoding="utf-8")
    assert "records/s: 150.0, needs &gt;= 200" in page
    assert "1.0 records per write request (config [sync] batch_size = 1)" in page
