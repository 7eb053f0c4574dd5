"""What a cutover rollback checks before it changes anything: the config, the runs after the promotion, the canaries.

Each check only reads; what stands in the way is appended to the outcome's ``remaining``
with the next step, and the caller then changes nothing.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.db import Tables
from sync.monday.client import MondayClient
from sync.rollback import UNDO
from sync.rollback_plan import UNDO_STATUSES, RollbackPlan, plan_rollback
from validation.cutover.promote import Promotion, backup_path, read_cutover, read_promotion_log, sha256_of

if TYPE_CHECKING:
    from validation.cutover.rollback import RollbackOutcome

__all__ = ["check_config", "check_target", "next_promotion_at", "runs_between"]


def runs_between(
    engine: Engine, tables: Tables, env_name: str, start: datetime, end: datetime | None
) -> list[dict[str, Any]]:
    """Ledger runs of ``env_name`` started in ``[start, end)`` (naive UTC), oldest first."""
    runs = tables.runs
    where = [runs.c.environment == env_name, runs.c.started_at >= start]
    if end is not None:
        where.append(runs.c.started_at < end)
    with engine.connect() as conn:
        return [
            dict(r)
            for r in conn.execute(
                sa.select(runs.c.run_id, runs.c.kind, runs.c.status, runs.c.started_at, runs.c.rolls_back)
                .where(*where)
                .order_by(runs.c.started_at, runs.c.run_id)
            ).mappings()
        ]


def check_config(config_path: Path, promotion: Promotion, outcome: RollbackOutcome) -> bool:
    """Step 1, checked only: True when the backup must be put back; a blocker in ``remaining`` otherwise."""
    backup = backup_path(config_path, promotion.cutover_id)
    current = config_path.read_bytes() if config_path.exists() else b""
    if backup.exists() and current == backup.read_bytes():
        outcome.config = "already the pre-cutover file"
        return False
    if backup.exists() and sha256_of(current) == promotion.sha256_after:
        return True
    if _active_environment(current) == promotion.from_env:
        outcome.config = f"set back to {promotion.from_env!r} by hand; left as it is"
        return False
    if not backup.exists():
        outcome.remaining.append(
            f"backup {backup} is missing; set active_environment back to {promotion.from_env!r} by hand, "
            "then run this again (nothing was changed)"
        )
    else:
        outcome.remaining.append(
            f"{config_path} was edited after the promotion; not overwritten and nothing else changed. Compare it "
            f"with {backup}, set active_environment = {promotion.from_env!r} by hand, then run this again"
        )
    return False


def check_target(
    config: Config, engine: Engine, tables: Tables, client: MondayClient, promotion: Promotion, outcome: RollbackOutcome
) -> list[RollbackPlan]:
    """Steps 2-4, checked only: runs after the promotion, and each canary's rollback plan (newest first)."""
    env_name = promotion.to_env
    start = datetime.fromisoformat(promotion.at).replace(tzinfo=None)
    runs = runs_between(engine, tables, env_name, start, next_promotion_at(config_path=config.path, after=promotion))
    details = (read_cutover(config, env_name, promotion.cutover_id) or {"details": {}})["details"]
    canaries = list(
        dict.fromkeys([*details.get("canary_run_ids", []), *(r["run_id"] for r in runs if r["kind"] == "canary")])
    )
    rolled_back = {r["rolls_back"] for r in runs if r["kind"] == "rollback"}
    others = [
        r["run_id"]
        for r in runs
        if r["kind"] not in ("canary", "rollback") and r["status"] != "ROLLED_BACK" and r["run_id"] not in rolled_back
    ]
    writers = _runs_that_wrote(engine, tables, others)
    outcome.remaining += [
        f"run {run_id} wrote to {env_name} after the promotion; roll it back first "
        f"(ordersync rollback --run {run_id} --env {env_name}), then run this again (nothing was changed)"
        for run_id in writers
    ]
    plans = []
    for run_id in reversed(canaries):  # newest first: a later canary may use a group an earlier one created
        plan = plan_rollback(config, env_name, run_id, client=client, db=engine, tables=tables, kinds=UNDO)
        outcome.remaining += [f"run {run_id}: {why} (nothing was changed)" for why in plan.blockers]
        plans.append(plan)
    return plans


def _runs_that_wrote(engine: Engine, tables: Tables, run_ids: list[str]) -> list[str]:
    """The runs among ``run_ids`` whose ledger holds an operation that reached (or may have reached) the board."""
    if not run_ids:
        return []
    ops = tables.operations
    with engine.connect() as conn:
        wrote = set(
            conn.execute(
                sa.select(ops.c.run_id).where(ops.c.run_id.in_(run_ids), ops.c.status.in_(UNDO_STATUSES)).distinct()
            ).scalars()
        )
    return [r for r in run_ids if r in wrote]


def _active_environment(raw: bytes) -> str | None:
    try:
        value = tomllib.loads(raw.decode("utf-8")).get("active_environment")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return str(value) if value is not None else None


def next_promotion_at(*, config_path: Path, after: Promotion) -> datetime | None:
    seen = False
    for entry in read_promotion_log(config_path):
        if entry.get("action") != "promote":
            continue
        if seen:
            return datetime.fromisoformat(entry["at"]).replace(tzinfo=None)
        seen = entry.get("cutover_id") == after.cutover_id
    return None
