"""A multi-window initial load: which window a run belongs to, and what each window carried.

The cutover declares the load (``[cutover] initial_load_windows = N``, windows
``window_every_hours`` apart, each ``window_hours`` long, the first at ``first_window_start``).
The operator runs ``ordersync sync --window K`` in window K: the run is recorded in the ledger
with its window number (``ordersync_runs.summary`` holds ``"window": K`` from the moment it
starts) and, when the first window's start is known, pauses at window K's end unless
``--until`` says otherwise. Each window picks up where the previous one paused.

``ordersync verify --window K`` then checks that window's part: the orders the window's runs
carried (an item or a subitem created or changed, per the ledger; a write adopted by a later
run still counts for the run that sent it) must be on the board exactly as in the database.
It reuses :func:`sync.verify.verify` and keeps the findings about those orders; a window with
no recorded run, or whose runs carried nothing, has no evidence and does not pass.
"""

from __future__ import annotations

__all__ = ["WindowReport", "check_window", "verify_window", "window_end", "window_orders", "window_runs"]

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.config import Config
from sync.db import Tables
from sync.engine.ledger import OpStatus
from sync.errors import ConfigError, ConfigProblem
from sync.monday.client import MondayClient
from sync.verify import verify
from sync.verify_report import VerifyReport

#: The window's findings come from these verify categories (each entry names an order).
ORDER_CATEGORIES = ("missing", "duplicates", "value_mismatches", "subitem_mismatches", "wrong_groups")
#: Ledger writes that mean "this order's data reached the board in this run".
CARRIED = (OpStatus.APPLIED.value, OpStatus.ADOPTED.value)
WINDOW_KEY = "initial_load_windows"
#: verify keeps every finding for a window check (the window's share is filtered from them).
LISTED_FOR_WINDOW = 1_000_000


def check_window(config: Config, window: int) -> None:
    """Refuse a window number the cutover does not declare (exit 2, naming the key and the file)."""
    declared = config.cutover.initial_load_windows
    if declared < 2 or not 1 <= window <= declared:
        what = "declares no multi-window initial load" if declared < 2 else f"declares windows 1..{declared}"
        raise ConfigError(
            [ConfigProblem(str(config.path), f"cutover.{WINDOW_KEY}", f"window {window} asked, but [cutover] {what}")]
        )


def window_end(config: Config, window: int) -> datetime | None:
    """Naive UTC end of window ``window`` when ``first_window_start`` is known, else None."""
    plan = config.cutover
    if plan.first_window_start is None:
        return None
    start = plan.first_window_start.astimezone(UTC) + timedelta(hours=plan.window_every_hours * (window - 1))
    return (start + timedelta(hours=plan.window_hours)).replace(tzinfo=None)


def window_runs(conn: Connection, tables: Tables, env_name: str, window: int) -> list[str]:
    """Run ids recorded for ``window`` in this environment, oldest first."""
    runs = tables.runs
    rows = conn.execute(
        sa.select(runs.c.run_id, runs.c.summary)
        .where(runs.c.environment == env_name, runs.c.summary.is_not(None))
        .order_by(runs.c.started_at, runs.c.run_id)
    )
    return [r.run_id for r in rows if _window_of(r.summary) == window]


def window_orders(conn: Connection, tables: Tables, run_ids: Sequence[str]) -> dict[str, str]:
    """record_uuid -> order number of every order the runs carried (item or line written)."""
    if not run_ids:
        return {}
    ops, lines, target = tables.operations, tables.lines, tables.target
    carried = sa.and_(ops.c.run_id.in_(run_ids), ops.c.status.in_(CARRIED))
    items = sa.select(ops.c.record_key).where(carried, ops.c.entity == "ITEM")
    via_lines = (
        sa.select(lines.c.record_uuid)
        .join(ops, ops.c.record_key == lines.c.line_uuid)
        .where(carried, ops.c.entity == "SUBITEM")
    )
    uuids = sa.union(items, via_lines).subquery()
    order = target.c["AAG ORDER NUMBER"]
    rows = conn.execute(sa.select(target.c.record_uuid, order).where(target.c.record_uuid.in_(sa.select(uuids))))
    return {str(r[0]): str(r[1]) for r in rows}


@dataclass
class WindowReport:
    """Window ``window``'s part of the load against the board."""

    environment: str
    window: int
    runs: list[str]
    orders: int
    findings: dict[str, list[Any]] = field(default_factory=dict)
    not_synced: int = 0
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Evidence exists and every order the window carried is on the board as in the database."""
        return self.problem is None and not any(self.findings.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "environment": self.environment,
            "window": self.window,
            "ok": self.ok,
            "runs": self.runs,
            "orders": self.orders,
            "not_synced": self.not_synced,
            "problem": self.problem,
            "counts": {c: len(v) for c, v in self.findings.items()},
            "findings": {c: [vars(e) for e in v] for c, v in self.findings.items()},
        }

    def lines(self) -> list[str]:
        """What the operator reads: the verdict, then each finding."""
        head = f"window {self.window} of {self.environment}: {len(self.runs)} run(s), {self.orders} order(s) carried"
        if self.problem:
            return [head, f"NOT VERIFIED: {self.problem}"]
        out = [head]
        for category, entries in self.findings.items():
            out += [f"{category}: {e}" for e in entries]
        if self.not_synced:
            out.append(f"{self.not_synced} row(s)/line(s) of these orders are not synced yet (not a mismatch)")
        out.append("clean: every order this window carried is on the board as in the database" if self.ok else "")
        return [line for line in out if line]


def verify_window(
    config: Config, env_name: str, window: int, *, client: MondayClient, db: Engine, tables: Tables
) -> WindowReport:
    """Check window ``window``'s part of the initial load against the board (see the module doc)."""
    check_window(config, window)
    with db.connect() as conn:
        runs = window_runs(conn, tables, env_name, window)
        orders = window_orders(conn, tables, runs)
    report = WindowReport(env_name, window, runs, len(orders))
    if not runs:
        report.problem = f"no sync run is recorded for window {window} (run `ordersync sync --window {window}`)"
        return report
    if not orders:
        report.problem = f"the {len(runs)} run(s) of window {window} carried no order: nothing to verify"
        return report
    full = verify(config, env_name, client=client, db=db, tables=tables, max_listed=LISTED_FOR_WINDOW)
    return _keep_window(report, orders, full)


def _keep_window(report: WindowReport, orders: dict[str, str], full: VerifyReport) -> WindowReport:
    """Keep the findings of ``full`` about the window's orders."""
    numbers = set(orders.values())
    for category in ORDER_CATEGORIES:
        if full.counts[category] > len(getattr(full, category)):
            report.problem = f"verify listed only {full.max_listed} of {full.counts[category]} {category}"
        report.findings[category] = [e for e in getattr(full, category) if e.order_number in numbers]
    report.not_synced = sum(1 for e in full.not_synced if e.order_number in numbers)
    return report


def _window_of(summary: str | None) -> int | None:
    try:
        value = json.loads(summary or "null")
    except ValueError:
        return None
    window = value.get("window") if isinstance(value, dict) else None
    return window if isinstance(window, int) else None
