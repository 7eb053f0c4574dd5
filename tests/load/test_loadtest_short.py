"""A real, short Locust run of the engine against the emulator: verdicts, report files, no lost records."""

from __future__ import annotations

import json
from pathlib import Path

from validation.load.runner import exit_code, run_load_test


def test_ci_profile_runs_locust_for_real_and_judges_real_numbers(tmp_path: Path) -> None:
    """The ci profile syncs records through Locust, reconciles them with the oplog and writes the report."""
    result = run_load_test("ci", tmp_path, duration_s=12)
    m = result.measured
    assert m.records > 0
    assert m.runs > 0
    assert m.requests > 0
    assert m.reconciliation.orders > 0
    assert m.records == m.reconciliation.orders + m.reconciliation.lines
    assert (m.reconciliation.lost, m.reconciliation.duplicated, m.reconciliation.not_synced) == (0, 0, 0)
    rate = next(v for v in result.verdicts if v.name == "records/s")
    assert rate.measured == round(m.records / m.elapsed_s, 3)
    assert m.peak_rss_mb is not None
    assert m.peak_rss_mb > 0
    assert result.baseline["records"] > 0
    assert result.locust_exit_code == exit_code(result.verdicts)
    for key in ("html", "json", "locust_html", "locust_stats", "locust_history"):
        assert result.files[key].is_file(), key
    page = result.files["html"].read_text(encoding="utf-8")
    assert "<svg" in page
    assert "records/s" in page
    saved = json.loads(result.files["json"].read_text(encoding="utf-8"))
    assert saved["measured"]["records"] == m.records
    assert [v["name"] for v in saved["verdicts"]] == [v.name for v in result.verdicts]
