"""Warnings are printed in the summary table, counted, and included in the JSON."""

from __future__ import annotations

import json

import pytest

from sync.commands.sync_cmd import print_summary
from sync.summary import RunSummary, warning_rows


def _summary(**overrides: object) -> RunSummary:
    values: dict[str, object] = {
        **dict.fromkeys(RunSummary.__dataclass_fields__, 0),
        "run_id": "20261202T000000Z-development-sync-0",
        "environment": "development",
        "kind": "sync",
        "status": "SUCCEEDED",
        "passed": True,
        "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0, "max": 4.0},
        "success_threshold": 0.95,
        "success_rate": 1.0,
        "states": {},
        "customers": {},
        "changes": {},
        "plan": {},
        "errors": [],
        "rejects": [],
        "warnings": [],
    }
    values.update(overrides)
    return RunSummary(**values)  # type: ignore[arg-type]


def _with_warnings(count: int) -> RunSummary:
    listed = [f"order JOO-{n:07d}: item name was 300 characters; truncated to 255" for n in range(min(count, 200))]
    return _summary(warnings=listed, warnings_count=count)


def test_the_summary_table_shows_the_count_and_each_warning(capsys: pytest.CaptureFixture[str]) -> None:
    print_summary(_with_warnings(2))
    out = capsys.readouterr().out
    assert "warnings" in out and " 2 " in out.split("warnings", 1)[1].splitlines()[0] + " "
    assert "JOO-0000000: item name was 300 characters; truncated to 255" in out
    assert "JOO-0000001" in out


def test_many_warnings_are_counted_and_the_rest_pointed_at(capsys: pytest.CaptureFixture[str]) -> None:
    rows = warning_rows(_with_warnings(250))
    assert rows[0] == ("warnings", "250")
    assert len([r for r in rows if r[0] == "warning"]) == 10
    assert "240 more" in rows[-1][1]
    print_summary(_with_warnings(250))
    assert "240 more" in capsys.readouterr().out


def test_no_warning_shows_a_zero_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert warning_rows(_summary()) == [("warnings", "0")]


def test_the_json_carries_the_warnings_and_their_count() -> None:
    data = json.loads(json.dumps(_with_warnings(3).as_dict()))
    assert data["warnings_count"] == 3 and len(data["warnings"]) == 3
