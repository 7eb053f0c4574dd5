"""Undo a cutover: config back byte for byte, canary runs off the board, probe group gone, DB state restored.

The seed's rollback procedure in its order: switch back first (so nothing else writes to
the target), then clean the board, then restore the sync state. Every part is idempotent
and checks before it acts, so a second call finds nothing to do and says so. What cannot
be undone safely is never forced; it is listed in ``remaining`` with the exact next step:

* the config file was edited after the promotion -> not overwritten;
* a newer cutover was promoted and not reverted -> nothing touched;
* a non-canary run wrote to the target after the promotion -> board and DB left alone.

    outcome = rollback_cutover(Path("ordersync.toml"))          # the last cutover
    sys.exit(0 if outcome.complete else 1)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from sync.config import Config, load_config
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.errors import ConfigError, OrdersyncError
from sync.monday.client import MondayClient
from sync.monitoring import send_alert
from sync.rollback import rollback_with
from sync.rollback_plan import RollbackPlan
from validation.cutover.promote import (
    Promotion,
    backup_path,
    last_promotion,
    read_cutover,
    read_promotion_log,
    record_cutover,
    revert_promotion,
)
from validation.cutover.rollback_checks import check_config, check_target, runs_between
from validation.cutover.snapshot import restore_snapshot

__all__ = ["RollbackOutcome", "rollback_cutover", "runs_between"]

log = logging.getLogger(__name__)


@dataclass
class RollbackOutcome:
    """What undoing a cutover did; ``remaining`` names anything a person still has to do."""

    cutover_id: str
    to_env: str | None = None
    promoted: bool = True
    config: str = "not touched"
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)
    probe_group: str = "none"
    database: dict[str, Any] = field(default_factory=dict)
    remaining: list[str] = field(default_factory=list)
    #: True when a check failed before anything was changed (``remaining`` says why).
    refused: bool = False

    @property
    def complete(self) -> bool:
        """True when nothing is left to undo by hand."""
        return not self.remaining

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**self.__dict__, "complete": self.complete}


def rollback_cutover(
    config_path: Path, cutover_id: str | None = None, *, who: str | None = None, reason: str | None = None
) -> RollbackOutcome:
    """Undo ``cutover_id`` (``None`` or ``"last"``: the newest promotion in the log).

    Everything is checked first (the config, the database, the runs after the promotion,
    each canary's board and groups); when something stands in the way nothing is changed
    and ``remaining`` says why. A run after the promotion that wrote nothing does not block.
    """
    wanted = None if cutover_id in (None, "last") else cutover_id
    promotion = last_promotion(config_path, wanted)
    if promotion is None:
        if wanted is None:
            raise OrdersyncError(f"no promotion recorded next to {config_path}; nothing to roll back")
        return RollbackOutcome(wanted, promoted=False, config="never promoted; nothing to undo")
    outcome = RollbackOutcome(promotion.cutover_id, promotion.to_env)
    newer = _unreverted_newer(config_path, promotion)
    if newer:
        outcome.remaining.append(
            f"cutover {newer} was promoted after this one and is still in force; "
            f"roll it back first (ordersync rollback --cutover {newer})"
        )
        return _done(config_path, outcome, who, reason)
    revert = check_config(config_path, promotion, outcome)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        outcome.remaining.append(f"the config does not load ({exc}); nothing was changed")
        return _done(config_path, outcome, who, reason)
    if outcome.remaining:
        return _refused(config_path, outcome, who, reason, config)
    try:
        engine, tables = open_db(config, promotion.to_env)
    except Exception as exc:  # database down or locked: nothing has been touched yet
        outcome.remaining.append(
            f"cannot open the {promotion.to_env} database ({type(exc).__name__}: {_one_line(exc)}); "
            "nothing was changed; run this again when it is reachable"
        )
        return _refused(config_path, outcome, who, reason, config)
    try:
        with open_client(config, promotion.to_env) as client:
            plans = check_target(config, engine, tables, client, promotion, outcome)
            if outcome.remaining:
                return _refused(config_path, outcome, who, reason, config)
            if revert:
                revert_promotion(config_path, promotion.cutover_id, who=who)
                backup = backup_path(config_path, promotion.cutover_id).name
                outcome.config = f"reverted to {backup} (active_environment = {promotion.from_env!r})"
            _undo_target(config, engine, tables, client, promotion, plans, outcome)
    finally:
        engine.dispose()
    return _done(config_path, outcome, who, reason, config=config)


def _undo_target(
    config: Config,
    engine: Engine,
    tables: Tables,
    client: MondayClient,
    promotion: Promotion,
    plans: list[RollbackPlan],
    outcome: RollbackOutcome,
) -> None:
    """Steps 2-4 on the target environment: canary runs, probe group, database snapshot."""
    env_name, cutover_id = promotion.to_env, promotion.cutover_id
    details = (read_cutover(config, env_name, cutover_id) or {"details": {}})["details"]
    board_done = True
    for plan in plans:
        if plan.already_rolled_back:
            outcome.runs[plan.run_id] = {"already_rolled_back": True, "complete": True}
            continue
        try:
            report = rollback_with(config, env_name, plan.run_id, client=client, db=engine, tables=tables, plan=plan)
        except OrdersyncError as exc:  # keep going; name what is left and how to finish
            board_done = False
            outcome.remaining.append(
                f"run {plan.run_id}: rollback stopped ({_one_line(exc)}); "
                f"run `ordersync rollback --cutover {cutover_id}` again"
            )
            continue
        outcome.runs[plan.run_id] = {**report.__dict__, "complete": report.complete}
        outcome.remaining += [f"run {plan.run_id}: {item}" for item in report.remaining]
        board_done = board_done and report.complete
    _remove_probe(client, details.get("probe_group"), outcome)
    if not board_done:
        # The ledger still knows what is on the board; the sync state waits so a rerun works in order.
        outcome.remaining.append(
            f"database sync state not restored yet (the board comes first); "
            f"run `ordersync rollback --cutover {cutover_id}` again"
        )
        return
    try:
        restored = restore_snapshot(engine, tables, cutover_id)
    except Exception as exc:  # report it, never half-hide it
        outcome.remaining.append(
            f"database sync state not restored ({type(exc).__name__}: {_one_line(exc)}); "
            f"run `ordersync rollback --cutover {cutover_id}` again"
        )
        return
    outcome.database = restored.as_dict()
    outcome.remaining += restored.remaining


def _remove_probe(client: MondayClient, probe: dict[str, Any] | None, outcome: RollbackOutcome) -> None:
    if not probe:
        return
    if probe.get("deleted"):
        outcome.probe_group = f"{probe['group_id']} was deleted by the cutover"
        return
    board, group_id = int(probe["board_id"]), str(probe["group_id"])
    try:
        live = {g.id for b in client.get_boards([board]) for g in b.groups}
        if group_id in live:
            client.delete_group(board, group_id)
            outcome.probe_group = f"deleted {group_id} from board {board}"
        else:
            outcome.probe_group = f"{group_id} already gone"
    except OrdersyncError as exc:
        outcome.remaining.append(
            f"probe group {group_id} on board {board}: could not delete ({_one_line(exc)}); run this again"
        )


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _refused(
    config_path: Path, outcome: RollbackOutcome, who: str | None, reason: str | None, config: Config
) -> RollbackOutcome:
    """Nothing was changed: say so (alert), record nothing."""
    outcome.refused = True
    return _done(config_path, outcome, who, reason, config=None, alert_config=config)


def _unreverted_newer(config_path: Path, promotion: Promotion) -> str | None:
    entries = read_promotion_log(config_path)
    promoted_after, reverted = [], set()
    seen = False
    for entry in entries:
        if entry.get("action") == "promote" and entry.get("cutover_id") == promotion.cutover_id:
            seen = True
            continue
        if seen and entry.get("action") == "promote":
            promoted_after.append(entry["cutover_id"])
        if entry.get("action") == "revert":
            reverted.add(entry.get("cutover_id"))
    pending = [c for c in promoted_after if c not in reverted]
    return pending[-1] if pending else None


def _done(
    config_path: Path,
    outcome: RollbackOutcome,
    who: str | None,
    reason: str | None,
    config: Config | None = None,
    alert_config: Config | None = None,
) -> RollbackOutcome:
    status = "ROLLED_BACK" if outcome.complete else "ROLLBACK_INCOMPLETE"
    verb = "rollback refused, nothing changed" if outcome.refused else "rolled back"
    text = f"cutover {outcome.cutover_id} to {outcome.to_env} {verb}" + (f" ({reason})" if reason else "")
    if not outcome.complete:
        text += "; STILL TO DO: " + "; ".join(outcome.remaining)
    if config is not None and outcome.to_env:
        try:
            record_cutover(
                config,
                outcome.to_env,
                outcome.cutover_id,
                status=status,
                who=who,
                finished=True,
                details={"rollback": outcome.as_dict(), **({"reason": reason} if reason else {})},
            )
        except Exception as exc:  # a leftover probe group is named, not fatal
            outcome.remaining.append(f"rollback not recorded in ordersync_cutovers: {exc}")
    alert_config = alert_config or config
    if alert_config is None:
        try:
            alert_config = load_config(config_path)
        except ConfigError:
            alert_config = None
    if alert_config is not None:
        send_alert(
            alert_config,
            "rollback" if outcome.complete else "rollback_incomplete",
            text,
            cutover_id=outcome.cutover_id,
            environment=outcome.to_env,
            remaining=outcome.remaining,
        )
    log.warning(
        "cutover rolled back" if outcome.complete else "cutover rollback incomplete",
        extra={"cutover_id": outcome.cutover_id, "left_to_do": len(outcome.remaining)},
    )
    return outcome
