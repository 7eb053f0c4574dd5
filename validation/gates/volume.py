"""Gate ``volume-feasibility``: the pending book fits the boards, the plan's daily calls and the windows.

The origin pushed 29 records in 60 s and nobody had priced a full order book against
monday's limits. This gate counts the environment's pending work in the database
(:mod:`validation.gates.volume_count`), reads each board's ``items_count`` and
``items_limit`` through the environment's own client, prices the push from the batches
that client really builds (:mod:`validation.gates.volume_model`) and checks:

* **capacity**: items on the board + planned creates fit ``items_limit``, on the items board
  and on the subitems board; otherwise it says how many fit and how many do not;
* **windows**: the push, paced by the binding bound (complexity/minute, requests/minute or
  round trips) and cut by the plan's daily calls, needs N windows of ``[cutover]
  window_hours``; it passes only when ``[cutover] initial_load_windows`` >= N. The page shows
  the schedule: window k carries these orders and ends at roughly this time.

Knobs: ``[cutover] monday_plan`` (daily calls, requests/minute), ``[sync]
complexity_budget_per_minute`` / ``requests_per_minute`` (override the plan's), command-line
``--window-hours``; options ``request_latency_s`` etc. override :class:`VolumeLimits` fields.
"""

from __future__ import annotations

__all__ = ["VolumeGate", "limits_for_run"]

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import httpx

from sync.config import Config
from sync.connect import EMULATOR_TOKEN, build_client, open_client
from sync.db import make_engine
from sync.monday.client import MondayClient
from sync.monday.errors import MondayError, MondayFatalError
from sync.monday.plans import PLAN_LIMITS
from sync.pending import CHUNK_ROWS
from validation.gates.evidence import write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result
from validation.gates.volume_count import count_pending
from validation.gates.volume_model import Capacity, PendingWork, VolumeLimits, price, project, schedule
from validation.gates.volume_report import VolumeFindings, render


def limits_for_run(config: Config, options: dict[str, Any]) -> VolumeLimits:
    """The plan's limits, then the config's ``[sync]`` pacing keys, then command-line options."""
    plan = PLAN_LIMITS[config.cutover.monday_plan]
    limits = VolumeLimits(
        complexity_per_minute=config.sync.complexity_budget_per_minute or VolumeLimits.complexity_per_minute,
        requests_per_minute=config.sync.requests_per_minute or plan.requests_per_minute,
        daily_calls=plan.daily_calls,
        window_hours=config.cutover.window_hours,
        engine_batch=config.sync.batch_size,
        chunk_rows=CHUNK_ROWS,
    )
    known = {f.name for f in dataclasses.fields(VolumeLimits)}
    overrides = {k: v for k, v in options.items() if k in known and v is not None}
    return dataclasses.replace(limits, **overrides)


class VolumeGate:
    """Pending items and subitems fit the boards' capacity, the plan's daily calls and the declared windows."""

    name = "volume-feasibility"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = (
        "checked",
        "projected_minutes",
        "windows_needed",
        "windows_declared",
        "items_board_overflow",
        "subitems_board_overflow",
    )
    description = (
        "planned creates fit each board's items_limit; the push, priced from the client's batches, "
        "fits the declared cutover windows under the plan's daily calls"
    )

    def run(self, ctx: GateContext) -> GateResult:
        """Count, read capacity, price, schedule; write volume.json + volume.md."""
        config, env = ctx.config, ctx.config.environment(ctx.env_name)
        limits = limits_for_run(config, dict(ctx.options))
        engine = make_engine(config.database_url(ctx.env_name))
        try:
            work = count_pending(config, ctx.env_name, engine)
        finally:
            engine.dispose()
        problems: list[str] = []
        with _reader(config, ctx.env_name, ctx.options.get("transport")) as client:
            priced = price(work, client, limits)
            try:
                capacities = _capacities(client, env.monday.board_id, env.monday.subitem_board_id, work)
            except MondayError as exc:
                capacities = []
                problems.append(f"could not read items_count / items_limit of the boards: {exc}")
        projection = project(priced, limits)
        problems += [c.describe() for c in capacities if c.overflow]
        plan = config.cutover
        orders = work.new_items + work.changed_items
        windows = schedule(
            priced.requests,
            orders,
            projection.projected_minutes,
            window_minutes=limits.window_hours * 60,
            every_minutes=plan.window_every_hours * 60,
            daily_calls=limits.daily_calls,
            first_start=plan.first_window_start,
        )
        carried = sum(w.calls for w in windows)
        if carried < priced.requests:
            problems.append(
                f"the push needs {priced.requests:,} calls and {len(windows)} windows carry only {carried:,}"
            )
        elif len(windows) > plan.initial_load_windows:
            problems.append(
                f"the push needs {len(windows)} windows of {limits.window_hours:g} h "
                f"({projection.projected_minutes:,.0f} min bound by {projection.binding}, {priced.requests:,} calls "
                f"against {limits.daily_calls:,} a day on plan {plan.monday_plan.value}); the cutover declares "
                f"{plan.initial_load_windows}: set [cutover] initial_load_windows = {len(windows)} in {config.path}"
            )
        findings = VolumeFindings(
            ctx.env_name,
            plan.monday_plan.value,
            work,
            limits,
            priced,
            projection,
            capacities,
            windows,
            plan.initial_load_windows,
            problems,
        )
        metrics = _metrics(work, findings)
        folder = ctx.evidence_dir(self.name)
        evidence = [
            write_json(
                folder / "volume.json",
                {
                    "metrics": metrics,
                    "limits": asdict(limits),
                    "minutes_by_bound": dict(projection.minutes),
                    "capacity": [{**asdict(c), "fit": c.fit, "overflow": c.overflow} for c in capacities],
                    "schedule": [{**asdict(w), "ends_at": w.ends_at} for w in windows],
                    "problems": problems,
                },
            ),
            write_text(folder / "volume.md", render(findings)),
        ]
        return gate_result(
            ctx, self.name, passed=not problems, summary=_summary(findings), metrics=metrics, evidence=evidence
        )


@contextmanager
def _reader(config: Config, env_name: str, transport: httpx.BaseTransport | None) -> Iterator[MondayClient]:
    """The environment's client; on the local emulator a read-only copy, so parallel gates never race a save."""
    state = config.emulator_state_path(env_name)
    if transport is not None or state is None:
        with open_client(config, env_name, transport=transport) as client:
            yield client
        return
    from sync.emulator import Emulator, EmulatorTransport

    emulator = Emulator.load(state) if state.exists() else Emulator(require_token=False)
    client = build_client(config, env_name, EmulatorTransport(emulator), EMULATOR_TOKEN)
    try:
        yield client
    finally:
        client.http.close()


def _capacities(client: MondayClient, board_id: int, subitem_board_id: int, work: PendingWork) -> list[Capacity]:
    found = {b.board_id: b for b in client.board_capacity([board_id, subitem_board_id])}
    out = []
    for label, bid, planned in (
        ("items board", board_id, work.new_items),
        ("subitems board", subitem_board_id, work.new_subitems),
    ):
        board = found.get(bid)
        if board is None:
            raise MondayFatalError(
                f"{label} {bid} not found or not visible with this token", code="InvalidBoardIdException"
            )
        out.append(Capacity(label, bid, board.items_count, board.items_limit, planned))
    return out


def _metrics(work: PendingWork, f: VolumeFindings) -> dict[str, Any]:
    records = work.new_items + work.changed_items + work.subitems
    return {
        "checked": work.staging_rows,
        **asdict(work),
        "points": f.priced.points,
        "requests": f.priced.requests,
        "aliases_per_request": round(f.priced.aliases_per_request, 2),
        "calls_per_record": round(f.priced.requests / records, 4) if records else 0.0,
        "binding_bound": f.projection.binding,
        "projected_minutes": round(f.projection.projected_minutes, 2),
        "window_minutes": f.limits.window_hours * 60,
        "daily_calls": f.limits.daily_calls,
        "monday_plan": f.plan,
        "windows_needed": len(f.windows),
        "windows_declared": f.declared_windows,
        **{f"{c.board.split()[0]}_board_overflow": c.overflow for c in f.capacities},
        **{f"{c.board.split()[0]}_board_items_limit": c.items_limit for c in f.capacities},
    }


def _summary(f: VolumeFindings) -> str:
    w = f.work
    head = (
        f"{w.new_items:,} new + {w.changed_items:,} changed items, {w.subitems:,} subitems, {w.new_groups:,} groups = "
        f"{f.priced.points:,} points / {f.priced.requests:,} calls; {f.projection.projected_minutes:,.1f} min bound by "
        f"{f.projection.binding}; needs {len(f.windows)} window(s) of {f.limits.window_hours:g} h, "
        f"{f.declared_windows} declared"
    )
    return head + ("" if not f.problems else ": " + "; ".join(f.problems))
