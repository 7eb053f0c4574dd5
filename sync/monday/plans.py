"""monday's per-plan API limits, defined once (monday-api.md §4 "Rate limits").

Daily calls reset at midnight UTC: 1,000 on Free/Basic/Standard, 10,000 on Pro, 25,000 on
Enterprise. Requests per minute: 5,000 on Enterprise, 2,500 on Pro, 1,000 on the others.
Concurrent requests: 250 on Enterprise, 100 on Pro, 40 on the others.

    PLAN_LIMITS[MondayPlan.PRO].daily_calls  # 10000
"""

from __future__ import annotations

__all__ = ["PLAN_LIMITS", "MondayPlan", "PlanLimits"]

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class MondayPlan(StrEnum):
    """The account plans whose API limits differ."""

    FREE = "free"
    BASIC = "basic"
    STANDARD = "standard"
    PRO = "pro"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class PlanLimits:
    """The account-wide limits of one plan."""

    daily_calls: int
    requests_per_minute: int
    concurrency: int = 40


PLAN_LIMITS: Mapping[MondayPlan, PlanLimits] = {
    MondayPlan.FREE: PlanLimits(1_000, 1_000),
    MondayPlan.BASIC: PlanLimits(1_000, 1_000),
    MondayPlan.STANDARD: PlanLimits(1_000, 1_000),
    MondayPlan.PRO: PlanLimits(10_000, 2_500, 100),
    MondayPlan.ENTERPRISE: PlanLimits(25_000, 5_000, 250),
}
