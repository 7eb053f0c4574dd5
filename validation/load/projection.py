"""What a measured load run says about the whole book: calls per record, and days per monday plan.

monday counts every API call against the account's daily limit (reset at midnight UTC; the
limits per plan are :data:`sync.monday.plans.PLAN_LIMITS`). From the measured run:

* **calls per record** = HTTP requests / records synced, for the engine (aliased batches,
  board reads and group creates included) and for the naive client (one request per record);
* **book records** = the profile's ``book_orders`` x records per order measured in the
  reconciled staging (orders + lines) / orders;
* **days per plan** = ceil(book records x calls per record / the plan's daily calls)
  (:func:`validation.gates.volume_model.days_by_plan`, the same sum the volume gate uses).

A side with no records (the baseline did not run) has no projection: it shows as unknown,
never as zero.
"""

from __future__ import annotations

__all__ = ["BookProjection", "ClientCalls", "project_book"]

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sync.monday.plans import PLAN_LIMITS, MondayPlan
from validation.gates.volume_model import days_by_plan
from validation.load.rules import Measured


@dataclass(frozen=True)
class ClientCalls:
    """One client's measured calls and records."""

    name: str
    calls: int
    records: int

    @property
    def calls_per_record(self) -> float | None:
        """Calls per record synced; None when nothing was synced (no evidence)."""
        return self.calls / self.records if self.records > 0 else None

    def days(self, book_records: int) -> dict[MondayPlan, int] | None:
        """Days of each plan's daily calls the whole book needs at this rate."""
        rate = self.calls_per_record
        return None if rate is None else days_by_plan(math.ceil(book_records * rate))


@dataclass(frozen=True)
class BookProjection:
    """The whole book priced at each client's measured calls per record."""

    book_orders: int
    records_per_order: float
    engine: ClientCalls
    naive: ClientCalls

    @property
    def book_records(self) -> int:
        """Items + subitems of the whole book."""
        return math.ceil(self.book_orders * self.records_per_order)

    def rows(self) -> list[tuple[str, int, int | None, int | None]]:
        """(plan, daily calls, engine days, naive days) per monday plan."""
        engine, naive = self.engine.days(self.book_records), self.naive.days(self.book_records)
        return [
            (
                plan.value,
                limits.daily_calls,
                None if engine is None else engine[plan],
                None if naive is None else naive[plan],
            )
            for plan, limits in PLAN_LIMITS.items()
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (``loadtest.json``)."""
        return {
            "book_orders": self.book_orders,
            "records_per_order": round(self.records_per_order, 3),
            "book_records": self.book_records,
            "calls_per_record": {
                c.name: None if c.calls_per_record is None else round(c.calls_per_record, 4)
                for c in (self.engine, self.naive)
            },
            "days_by_plan": [
                {"plan": plan, "daily_calls": daily, "engine": e, "naive": n} for plan, daily, e, n in self.rows()
            ],
        }


def project_book(measured: Measured, baseline: Mapping[str, Any], book_orders: int) -> BookProjection | None:
    """The projection, or None when the run reconciled no order (records per order unknown)."""
    rec = measured.reconciliation
    if rec is None or rec.orders <= 0:
        return None
    engine = ClientCalls("engine", measured.requests, measured.records)
    naive = ClientCalls("naive client", int(baseline.get("requests") or 0), int(baseline.get("records") or 0))
    return BookProjection(book_orders, (rec.orders + rec.lines) / rec.orders, engine, naive)
