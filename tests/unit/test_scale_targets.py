"""The scale benchmark judges its own figures against issue 14's targets, and fails when one is missed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

# loadtests/ is the checkout's benchmark folder, not part of the installed package: load it by path.
_SPEC = importlib.util.spec_from_file_location(
    "loadtests_scale_targets", Path(__file__).resolve().parents[2] / "loadtests" / "scale_targets.py"
)
assert _SPEC is not None and _SPEC.loader is not None
scale_targets = sys.modules.setdefault(_SPEC.name, importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(scale_targets)
verdicts = scale_targets.verdicts


def _result(orders: int, first: float, second: float, peak: float, database: str = "sqlite") -> dict[str, Any]:
    return {
        "orders": orders,
        "database": database,
        "first_pass_s": first,
        "second_pass_s": second,
        "first_peak_rss_mb": peak,
        "detect_peak_rss_mb": peak - 1,
        "second_peak_rss_mb": peak - 2,
    }


def _missed(results: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(v.orders, v.metric) for v in verdicts(results, 300.0) if not v.met]


def test_figures_inside_every_target_pass() -> None:
    results = [_result(10_000, 1.0, 0.1, 125), _result(100_000, 10.0, 1.3, 233), _result(1_000_000, 127.1, 22.6, 239)]
    judged = verdicts(results, 300.0)
    assert all(v.met for v in judged)
    assert {(v.orders, v.metric) for v in judged} >= {
        (100_000, "first_pass_s"),
        (100_000, "second_pass_s"),
        (1_000_000, "first_pass_s"),
        (1_000_000, "peak_rss_flat_mb"),
        (10_000, "peak_rss_mb"),
    }


def test_each_missed_target_is_named() -> None:
    assert _missed([_result(100_000, 15.5, 1.0, 233)]) == [(100_000, "first_pass_s")]
    assert _missed([_result(100_000, 10.0, 3.2, 233)]) == [(100_000, "second_pass_s")]
    assert _missed([_result(1_000_000, 151.0, 20.0, 239)]) == [(1_000_000, "first_pass_s")]
    assert _missed([_result(10_000, 1.0, 0.1, 301)]) == [(10_000, "peak_rss_mb")]
    growing = [_result(100_000, 10.0, 1.0, 200), _result(1_000_000, 120.0, 20.0, 260)]
    assert _missed(growing) == [(1_000_000, "peak_rss_flat_mb")]
    line = next(v for v in verdicts(growing, 300.0) if not v.met).line()
    assert "peak_rss_flat_mb" in line and "NOT MET" in line and "220.0" in line


def test_postgresql_times_are_printed_not_judged() -> None:
    judged = verdicts([_result(100_000, 40.0, 9.0, 150, database="postgresql")], 300.0)
    assert [(v.metric, v.met) for v in judged] == [("peak_rss_mb", True)]
