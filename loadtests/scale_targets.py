"""The scale benchmark's targets (issue 14), judged on its own figures: what it prints is what it enforces.

On SQLite, this machine class (2 cores):

* 100,000 orders: change detection + dry-run plan (``first_pass_s``) ≤ 15 s, and the
  second pass with nothing changed (``second_pass_s``) ≤ 3 s;
* 1,000,000 orders: ``first_pass_s`` ≤ 150 s;
* every size: peak RSS ≤ ``max_rss_mb`` (300 MB), and *flat in N*: from 100,000 orders up,
  no size's peak is more than 10 % above the 100,000-order peak (below that size the
  bounded page cache is still filling).

PostgreSQL runs are printed, not judged: its server's CPU is not this process's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["FLAT_FROM", "FLAT_SLACK", "TIME_TARGETS", "Verdict", "verdicts"]

#: (orders, figure) -> the most seconds it may take, on SQLite.
TIME_TARGETS: dict[tuple[int, str], float] = {
    (100_000, "first_pass_s"): 15.0,
    (100_000, "second_pass_s"): 3.0,
    (1_000_000, "first_pass_s"): 150.0,
}
FLAT_FROM = 100_000
FLAT_SLACK = 1.10
_PEAKS = ("first_peak_rss_mb", "detect_peak_rss_mb", "second_peak_rss_mb")


@dataclass(frozen=True)
class Verdict:
    """One target checked against one measured figure."""

    orders: int
    metric: str
    measured: float
    limit: float
    met: bool

    def line(self) -> str:
        """``100,000 orders  first_pass_s  10.0 <= 15.0  met``."""
        word = "met" if self.met else "NOT MET"
        return f"{self.orders:>9,} orders  {self.metric:<22} {self.measured:>8.2f} <= {self.limit:<8.2f} {word}"


def _peak(result: Mapping[str, Any]) -> float:
    return max(float(result[name]) for name in _PEAKS)


def verdicts(results: Sequence[Mapping[str, Any]], max_rss_mb: float) -> list[Verdict]:
    """Every target that applies to these results (one result per order count)."""
    out: list[Verdict] = []
    for result in results:
        orders = int(result["orders"])
        peak = _peak(result)
        out.append(Verdict(orders, "peak_rss_mb", peak, max_rss_mb, peak <= max_rss_mb))
        if result.get("database") != "sqlite":
            continue
        for (size, metric), limit in TIME_TARGETS.items():
            if orders == size:
                measured = float(result[metric])
                out.append(Verdict(orders, metric, measured, limit, measured <= limit))
    base = next((r for r in results if int(r["orders"]) == FLAT_FROM), None)
    if base is not None:
        limit = round(_peak(base) * FLAT_SLACK, 1)
        for result in results:
            if int(result["orders"]) > FLAT_FROM:
                peak = _peak(result)
                out.append(Verdict(int(result["orders"]), "peak_rss_flat_mb", peak, limit, peak <= limit))
    return out
