"""Pricing and projection for ``volume-feasibility``: pure functions over counted work.

Requests are priced from the batches the client really builds: the engine splits each chunk
of ``CHUNK_ROWS`` orders into batches of ``sync.batch_size`` and the client splits each batch
again by its alias cap and the per-request complexity cap (:meth:`MondayClient.batch_plan`),
each alias costing the client's own estimate (:meth:`MondayClient.alias_cost`). Nothing here
reads ``batch_size`` to guess a request count.

Minutes per bound (the largest binds):

* complexity per minute: a request is never split, so a minute carries only whole requests:
  ``floor(budget / request cost) x request cost`` points, the request cost being the
  client's biggest request. A fresh minute is spent at once; the push needs
  ``ceil(points / carried)`` minutes, the last one only as long as its requests' round trips;
* requests per minute: the same for the request count;
* round trips: each board is written serially, the two boards in parallel, so the busier
  board's requests x the per-request latency.

Daily calls are not a wait inside a window: the schedule gives each window at most what is
left of its UTC day's calls (:func:`schedule`).
"""

from __future__ import annotations

__all__ = [
    "BatchPlanner",
    "Capacity",
    "PendingWork",
    "Priced",
    "Projection",
    "VolumeLimits",
    "Window",
    "days_by_plan",
    "price",
    "project",
    "schedule",
]

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sync.monday.plans import PLAN_LIMITS, MondayPlan

MINUTES_PER_DAY = 24 * 60
#: The engine reads updates' current board values in one ``items(ids:)`` request per batch.
BOARD_READ = "items"
#: Reads every push makes once: ``boards { columns groups }`` of both boards.
FIXED_READS = 1
MAX_WINDOWS = 366


class BatchPlanner(Protocol):
    """What the gate needs from the client: its batch plan and its per-alias price."""

    def batch_plan(self, operation: str, count: int) -> list[range]: ...

    def alias_cost(self, operation: str) -> int: ...


@dataclass(frozen=True)
class VolumeLimits:
    """The minute budgets, the per-request latency and the plan's daily calls; every number is a knob."""

    complexity_per_minute: int = 10_000_000  # personal tokens
    requests_per_minute: int = 5_000
    daily_calls: int = 25_000
    request_latency_s: float = 0.25
    window_hours: float = 4.0
    engine_batch: int = 50
    chunk_rows: int = 1_000


@dataclass(frozen=True)
class PendingWork:
    """What the next push has to do, counted in the database."""

    staging_rows: int
    new_items: int
    changed_items: int
    subitems: int
    new_subitems: int
    new_groups: int


@dataclass(frozen=True)
class Priced:
    """Requests and points per board, from the client's batch plan."""

    item_requests: int
    subitem_requests: int
    group_requests: int
    read_requests: int
    points: int
    aliases_per_request: float
    request_points: int

    @property
    def requests(self) -> int:
        """Every call the push makes (each counts 1 toward the daily limit)."""
        return self.item_requests + self.subitem_requests + self.group_requests + self.read_requests


@dataclass(frozen=True)
class Projection:
    """Minutes each bound needs; ``binding`` is the largest."""

    minutes: Mapping[str, float]
    binding: str
    projected_minutes: float


@dataclass(frozen=True)
class Capacity:
    """One board's room: what is on it, its cap and what the push adds."""

    board: str
    board_id: int
    items_count: int
    items_limit: int | None
    planned: int

    @property
    def fit(self) -> int:
        """How many of the planned creates fit."""
        if self.items_limit is None:
            return 0
        return max(0, min(self.planned, self.items_limit - self.items_count))

    @property
    def overflow(self) -> int:
        """Planned creates that do not fit (all of them when the cap is unknown)."""
        return self.planned - self.fit

    def describe(self) -> str:
        """'items board 123: 10,000 of 12,000 planned creates fit (0 on it, items_limit 10,000); 2,000 do not'."""
        if self.items_limit is None:
            return f"{self.board} {self.board_id}: monday reported no items_limit, capacity unknown"
        head = (
            f"{self.board} {self.board_id}: {self.fit:,} of {self.planned:,} planned creates fit "
            f"({self.items_count:,} on it, items_limit {self.items_limit:,})"
        )
        return head + (f"; {self.overflow:,} do not" if self.overflow else "")


@dataclass(frozen=True)
class Window:
    """One window of the schedule: its calls, its share of the orders and when it ends."""

    number: int
    start_minute: float
    end_minute: float
    calls: int
    first_order: int
    last_order: int
    starts_at: datetime | None

    @property
    def ends_at(self) -> datetime | None:
        """Clock time the window's work ends, when the first window's start is known."""
        if self.starts_at is None:
            return None
        return self.starts_at + timedelta(minutes=self.end_minute - self.start_minute)


def _chunked_requests(planner: BatchPlanner, operation: str, count: int, limits: VolumeLimits) -> int:
    """Requests for ``count`` writes sent chunk by chunk, batch by batch, as the engine does."""

    def per_chunk(n: int) -> int:
        full, rest = divmod(n, limits.engine_batch)
        sizes = [limits.engine_batch] * full + ([rest] if rest else [])
        return sum(len(planner.batch_plan(operation, size)) for size in sizes)

    chunks, rest = divmod(count, limits.chunk_rows)
    return chunks * per_chunk(limits.chunk_rows) + per_chunk(rest)


def price(work: PendingWork, planner: BatchPlanner, limits: VolumeLimits) -> Priced:
    """Requests and complexity points of the push, batch by batch."""
    orders = work.new_items + work.changed_items
    items = _chunked_requests(planner, "create_item", work.new_items, limits)
    updates = _chunked_requests(planner, "change_multiple_column_values", work.changed_items, limits)
    reads = (FIXED_READS if work.new_items + work.changed_items + work.subitems else 0) + math.ceil(
        work.changed_items / limits.engine_batch
    )
    # Subitems travel per chunk of orders: spread the lines over the chunks like their orders.
    chunks = orders // limits.chunk_rows
    per_order = work.subitems / orders if orders else 0.0
    lines_full = round(per_order * limits.chunk_rows)
    lines_rest = work.subitems - chunks * lines_full
    subitems = chunks * _chunked_requests(planner, "create_subitem", lines_full, limits) + _chunked_requests(
        planner, "create_subitem", max(lines_rest, 0), limits
    )
    groups = len(planner.batch_plan("create_group", work.new_groups))
    points = (
        work.new_items * planner.alias_cost("create_item")
        + work.changed_items * planner.alias_cost("change_multiple_column_values")
        + work.subitems * planner.alias_cost("create_subitem")
        + work.new_groups * planner.alias_cost("create_group")
        + math.ceil(work.changed_items / limits.engine_batch) * planner.alias_cost(BOARD_READ)
    )
    writes = work.new_items + work.changed_items + work.subitems + work.new_groups
    write_requests = items + updates + subitems + groups
    kinds = (
        ("create_item", work.new_items),
        ("change_multiple_column_values", work.changed_items),
        ("create_subitem", work.subitems),
        ("create_group", work.new_groups),
    )
    biggest = max(
        (len(planner.batch_plan(op, min(n, limits.engine_batch))[0]) * planner.alias_cost(op) for op, n in kinds if n),
        default=0,
    )
    per_request = writes / write_requests if write_requests else 0.0
    return Priced(items + updates, subitems, groups, reads, points, per_request, biggest)


def project(priced: Priced, limits: VolumeLimits) -> Projection:
    """Minutes under each bound; the largest one binds."""
    rpm, cost = limits.requests_per_minute, max(priced.request_points, 1)
    carried = max(limits.complexity_per_minute // cost, 1) * cost
    busiest = max(priced.item_requests + priced.group_requests + priced.read_requests, priced.subitem_requests)
    minutes = {
        "complexity per minute": _minutes(priced.points, carried, cost, limits),
        "requests per minute": _minutes(priced.requests, rpm, 1, limits),
        "round trips": busiest * limits.request_latency_s / 60,
    }
    binding = max(minutes, key=lambda k: minutes[k])
    return Projection(minutes, binding, minutes[binding])


def _minutes(amount: int, per_minute: int, unit: int, limits: VolumeLimits) -> float:
    """Whole minutes of ``per_minute`` before the last one, then the last one's round trips."""
    if amount <= per_minute:
        return 0.0
    full = math.ceil(amount / per_minute) - 1
    last_requests = math.ceil((amount - full * per_minute) / unit)
    return full + last_requests * limits.request_latency_s / 60


def schedule(
    calls: int,
    orders: int,
    projected_minutes: float,
    *,
    window_minutes: float,
    every_minutes: float,
    daily_calls: int,
    first_start: datetime | None,
) -> list[Window]:
    """Cut the push into windows: each carries what its length and its UTC day's calls allow.

    Work is assumed to proceed at the projected pace (calls per minute); orders are shared in
    proportion to calls. Stops at ``MAX_WINDOWS``; a schedule that long does not complete.
    """
    if calls <= 0:
        return []
    pace = calls / projected_minutes if projected_minutes > 0 else math.inf
    offset = (first_start.hour * 60 + first_start.minute) if first_start else 0
    used: dict[int, float] = {}
    windows: list[Window] = []
    done = 0.0
    for k in range(MAX_WINDOWS):
        if done >= calls:
            break
        start = k * every_minutes
        day = int((offset + start) // MINUTES_PER_DAY)
        room = min(calls - done, window_minutes * pace, daily_calls - used.get(day, 0.0))
        if room <= 0:
            continue
        used[day] = used.get(day, 0.0) + room
        first = math.floor(done / calls * orders) + 1
        done += room
        last = math.floor(done / calls * orders) if done < calls else orders
        duration = room / pace if pace != math.inf else 0.0
        at = first_start + timedelta(minutes=start) if first_start else None
        windows.append(Window(len(windows) + 1, start, start + duration, math.ceil(room), first, last, at))
    return windows


def days_by_plan(calls: int) -> dict[MondayPlan, int]:
    """UTC days of daily calls the push needs on each plan."""
    return {plan: math.ceil(calls / lim.daily_calls) for plan, lim in PLAN_LIMITS.items()}
