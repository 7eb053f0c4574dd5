"""Before a rollback changes anything: read the ledger, check the database, the boards and the groups.

:func:`plan_rollback` only reads (plus one no-op write that proves the database takes
writes). It returns a :class:`RollbackPlan`; when ``blockers`` is not empty the rollback
must not start, and each blocker says why and what to do first.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.db import Tables
from sync.errors import OrdersyncError
from sync.ledger import OpStatus
from sync.monday.client import MondayClient

__all__ = ["UNDO_STATUSES", "LedgerOp", "RollbackPlan", "plan_rollback"]

ROLLED_BACK = "ROLLED_BACK"
#: Operations a rollback undoes: applied, unknown outcome (SENT), and adopted creates
#: (an item found on the board after an unknown outcome is the run's own creation).
UNDO_STATUSES = (OpStatus.APPLIED, OpStatus.SENT, getattr(OpStatus, "ADOPTED", "ADOPTED"))
ORDER_KEY = "AAG ORDER NUMBER"
CREATE_ITEM, CREATE_SUBITEM, CREATE_GROUP, MOVE_ITEM = "create_item", "create_subitem", "create_group", "move_item"


@dataclass(frozen=True)
class LedgerOp:
    """One ledger operation as the rollback reads it."""

    op_id: int
    seq: int
    board_id: int
    operation: str
    entity: str
    record_key: str | None
    monday_id: str | None
    status: str
    before: dict[str, Any]

    @classmethod
    def from_row(cls, row: Mapping[str, Any] | sa.RowMapping) -> LedgerOp:
        """From an ``ordersync_operations`` row (``before`` is JSON text)."""
        before = json.loads(row["before"] or "null")
        return cls(
            op_id=int(row["op_id"]),
            seq=int(row["seq"]),
            board_id=int(row["board_id"]),
            operation=str(row["operation"]),
            entity=str(row["entity"]),
            record_key=row["record_key"],
            monday_id=str(row["monday_id"]) if row["monday_id"] not in (None, "") else None,
            status=str(row["status"]),
            before=before if isinstance(before, dict) else {},
        )

    def describe(self) -> str:
        """``create_item 123 (order record abc)``: how an operator finds it."""
        what = f"{self.operation} {self.monday_id or '(no monday id)'}"
        return f"{what} on board {self.board_id}" + (f", record {self.record_key}" if self.record_key else "")


@dataclass
class RollbackPlan:
    """What a rollback of ``run_id`` will do, and whether it may start."""

    run_id: str
    env_name: str
    run_status: str
    ops: list[LedgerOp] = field(default_factory=list)
    #: op id -> monday id found on the board for a create whose answer never came.
    found: dict[int, str] = field(default_factory=dict)
    blockers: list[str] = field(default_factory=list)
    #: Items of this run an earlier, stopped rollback already deleted (their subitems went with them).
    deleted_parents: set[str] = field(default_factory=set)

    @property
    def already_rolled_back(self) -> bool:
        """The run was rolled back completely before."""
        return self.run_status == ROLLED_BACK

    def monday_id(self, op: LedgerOp) -> str | None:
        """The op's monday id, or the one the look-up found."""
        return op.monday_id or self.found.get(op.op_id)


def plan_rollback(
    config: Config,
    env_name: str,
    run_id: str,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    kinds: Collection[str],
) -> RollbackPlan:
    """Read and check everything a rollback needs; change nothing. ``kinds``: operations it can undo."""
    runs, ops = tables.runs, tables.operations
    with db.connect() as conn:
        run = conn.execute(sa.select(runs.c.status).where(runs.c.run_id == run_id)).first()
        if run is None:
            raise OrdersyncError(f"no run {run_id} in the ledger of {env_name}")
        rows = conn.execute(
            sa.select(ops).where(ops.c.run_id == run_id, ops.c.status.in_(UNDO_STATUSES)).order_by(ops.c.seq.desc())
        ).mappings()
        plan = RollbackPlan(run_id, env_name, str(run.status), [LedgerOp.from_row(r) for r in rows])
        undone = conn.execute(
            sa.select(ops.c.monday_id).where(
                ops.c.run_id == run_id, ops.c.operation == CREATE_ITEM, ops.c.status == OpStatus.UNDONE
            )
        ).scalars()
        plan.deleted_parents = {str(m) for m in undone if m}
    with db.begin() as conn:  # the database takes writes (not read-only, not locked) before the board is touched
        conn.execute(runs.update().where(runs.c.run_id == run_id).values(status=runs.c.status))
    unknown = sorted({op.operation for op in plan.ops} - set(kinds))
    plan.blockers += [f"the ledger holds {kind} operations, which this ordersync cannot undo" for kind in unknown]
    if not plan.ops:
        return plan
    env = config.environment(env_name)
    wanted = {op.board_id for op in plan.ops}
    visible = {b.id: b for b in client.get_boards(sorted(wanted))}
    plan.blockers += [
        f"board {b} is not visible with this token (deleted, or another account)" for b in sorted(wanted - set(visible))
    ]
    if plan.blockers:
        return plan
    _find_unanswered_creates(plan, client, db, tables, (env.monday.board_id, env.mapping.items[ORDER_KEY].column))
    _check_groups(plan, client, {b: {g.id for g in info.groups} for b, info in visible.items()})
    return plan


def _find_unanswered_creates(
    plan: RollbackPlan, client: MondayClient, db: Engine, tables: Tables, board: tuple[int, str]
) -> None:
    """Creates still SENT (no answer): look their orders up on the board by the business key."""
    unanswered = [op for op in plan.ops if op.operation == CREATE_ITEM and op.monday_id is None and op.record_key]
    if not unanswered:
        return
    t = tables.target
    with db.connect() as conn:
        orders = dict(
            conn.execute(
                sa.select(t.c.record_uuid, t.c[ORDER_KEY]).where(
                    t.c.record_uuid.in_([op.record_key for op in unanswered])
                )
            ).all()
        )
    board_id, column = board
    wanted = sorted({str(o) for o in orders.values() if o is not None})
    found = client.find_items_by_column(board_id, column, wanted) if wanted else {}
    for op in unanswered:
        ids = found.get(str(orders.get(op.record_key)), [])
        if ids:
            plan.found[op.op_id] = str(ids[0])


def _check_groups(plan: RollbackPlan, client: MondayClient, live_groups: Mapping[int, set[str]]) -> None:
    """A group this run created may go only if every item in it leaves with this rollback."""
    groups = [op for op in plan.ops if op.operation == CREATE_GROUP and op.monday_id]
    groups = [op for op in groups if op.monday_id in live_groups.get(op.board_id, set())]
    if not groups:
        return
    leaving = {plan.monday_id(op) for op in plan.ops if op.operation in (CREATE_ITEM, MOVE_ITEM)}
    for board in sorted({op.board_id for op in groups}):
        mine = {str(op.monday_id) for op in groups if op.board_id == board}
        staying: dict[str, list[int]] = {}
        for item_id, group_id in _item_groups(client, board):
            if group_id in mine and str(item_id) not in leaving:
                staying.setdefault(group_id, []).append(item_id)
        for group_id, ids in sorted(staying.items()):
            shown = ", ".join(str(i) for i in ids[:5]) + (" ..." if len(ids) > 5 else "")
            plan.blockers.append(
                f"group {group_id} on board {board} was created by this run but holds {len(ids)} item(s) "
                f"this run did not create ({shown}); roll back the runs that put them there first"
            )


def _item_groups(client: MondayClient, board_id: int) -> Iterator[tuple[int, str]]:
    """(item id, group id) of every active item; a walk that outlives its cursor restarts (the client's)."""
    return client.item_groups(board_id)
