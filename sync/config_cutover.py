"""``[cutover]``: the window(s) the first production load must fit and the monday plan it runs on.

A first load of a large book does not fit one cutover window (100,000 orders cost about
5 billion complexity points, ~8 h at 10M/min). The cutover then *declares* a multi-window
initial load, and the volume gate passes only when the book fits the declared windows::

    [cutover]
    monday_plan = "enterprise"        # free | basic | standard | pro | enterprise: daily calls, requests/min
    window_hours = 4                  # length of one window
    initial_load_windows = 3          # > 1 declares a multi-window initial load
    window_every_hours = 24           # from one window's start to the next
    first_window_start = 2026-12-05T20:00:00Z   # optional; the schedule then shows clock times (UTC)
"""

from __future__ import annotations

__all__ = ["CutoverPlan"]

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sync.monday.plans import MondayPlan


class CutoverPlan(BaseModel):
    """How the initial load is scheduled; the volume gate judges the pending book against it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monday_plan: MondayPlan = MondayPlan.ENTERPRISE
    window_hours: Annotated[float, Field(gt=0, le=24)] = 4.0
    initial_load_windows: Annotated[int, Field(ge=1, le=60)] = 1
    window_every_hours: Annotated[float, Field(gt=0, le=24 * 7)] = 24.0
    first_window_start: datetime | None = None

    @field_validator("first_window_start")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"must carry a time zone (e.g. {value.isoformat()}Z), got {value.isoformat()}")
        return value

    @model_validator(mode="after")
    def _windows_do_not_overlap(self) -> CutoverPlan:
        if self.initial_load_windows > 1 and self.window_every_hours < self.window_hours:
            raise ValueError(
                f"window_every_hours ({self.window_every_hours:g}) is shorter than window_hours "
                f"({self.window_hours:g}): the windows would overlap"
            )
        return self

    @property
    def multi_window(self) -> bool:
        """The cutover declares an initial load across several windows."""
        return self.initial_load_windows > 1
