"""Undo one run from its ledger: on the board, then in the database. Safe to run twice.

First :func:`~sync.rollback_plan.plan_rollback` checks the database, the boards and the
groups; if anything stands in the way nothing is changed and ``refused`` says why. Then,
per ledger operation kind (one entry in ``UNDO`` per kind), in aliased batches with the
sync's batch size and pacing: items moved by the run go back to their group, changed
items get the values monday held before, created items and subitems are deleted (or
archived; a subitem whose parent goes needs no request of its own: monday deletes it with
the parent) and groups the run created are deleted once empty. Every undone operation is
marked ``UNDONE``. Only when the board is done is the database restored: rows the run
inserted are removed, changed rows get their pre-images back, and sync columns the push
changed get each operation's ``before``. A rollback that stops midway leaves the run
``ROLLBACK_PARTIAL``; the next one finishes the job, and ``remaining`` lists what is left.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.engine.pipeline import hold_lease
from sync.ledger import Ledger, OpStatus, new_run_id
from sync.monday import operations as ops_docs
from sync.monday.client import MondayClient
from sync.monday.errors import MondayError
from sync.monday.models import ItemUpdate, Outcome
from sync.rollback_db import restore_database
from sync.rollback_plan import ROLLED_BACK, UNDO_STATUSES, LedgerOp, RollbackPlan, plan_rollback

__all__ = ["UNDO", "RollbackReport", "rollback_run", "rollback_with"]

_WRITABLE_KEYS = ("ids", "labels", "index", "label", "date", "time", "text", "checked", "personsAndTeams")
_GONE = ("ResourceNotFoundException", "InvalidItemIdException", "ItemNotFound", "InvalidGroupIdException")
_CHUNK = 500


@dataclass
class RollbackReport:
    """What a rollback undid; ``refused`` (nothing changed) or ``remaining`` (run it again) when not complete."""

    run_id: str
    already_rolled_back: bool = False
    deleted: int = 0
    restored: int = 0
    moved_back: int = 0
    groups_deleted: int = 0
    db_rows_removed: int = 0
    db_rows_restored: int = 0
    api_requests: int = 0
    refused: list[str] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """True when nothing is left to do."""
        return not self.remaining and not self.refused

    def lines(self) -> list[str]:
        """Readable lines for an operator (no Python reprs)."""
        if self.refused:
            return [f"run {self.run_id}: rollback refused, nothing was changed"] + [f"  why: {r}" for r in self.refused]
        head = (
            f"run {self.run_id}: {self.deleted} item(s)/subitem(s) deleted, {self.restored} restored, "
            f"{self.moved_back} moved back, {self.groups_deleted} group(s) deleted, "
            f"{self.db_rows_removed} DB row(s) removed, {self.db_rows_restored} restored "
            f"in {self.api_requests} API request(s)"
        )
        if self.already_rolled_back:
            head += " (already rolled back)"
        return [head] + [f"  left to do: {r}" for r in self.remaining]


@dataclass
class _Undo:
    """What one undo step works with."""

    plan: RollbackPlan
    client: MondayClient
    db: Engine
    tables: Tables
    archive: bool
    report: RollbackReport
    key: str

    def mark(self, done: Iterable[LedgerOp]) -> None:
        """Record these operations as UNDONE (the ledger stays exact after a stop midway)."""
        ids = [op.op_id for op in done]
        operations = self.tables.operations
        with self.db.begin() as conn:
            for start in range(0, len(ids), _CHUNK):
                part = ids[start : start + _CHUNK]
                conn.execute(operations.update().where(operations.c.op_id.in_(part)).values(status=OpStatus.UNDONE))

    def settle(self, todo: Sequence[LedgerOp], answered: tuple[list[Outcome], str | None], verb: str) -> int:
        """Mark confirmed (or already gone) ones UNDONE; name the others, and what was never sent, in ``remaining``."""
        outcomes, stopped = answered
        by_key = {o.key: o for o in outcomes}
        done, unsent = [], []
        for op in todo:
            outcome = by_key.get(str(self.plan.monday_id(op)))
            if outcome is None:
                unsent.append(op)
            elif outcome.ok or getattr(outcome.error, "code", "") in _GONE:
                done.append(op)
            else:
                self.report.remaining.append(f"{op.describe()}: could not {verb} ({outcome.error})")
        self.mark(done)
        if unsent:
            self.report.remaining.append(_left(unsent, verb, stopped))
        return len(done)


def _delete_created(u: _Undo, todo: list[LedgerOp]) -> None:
    """Created items and subitems: one aliased batch; subitems of deleted items go with their parent."""
    known = [op for op in todo if u.plan.monday_id(op)]
    u.mark(op for op in todo if not u.plan.monday_id(op))  # never reached the board
    parents = {u.plan.monday_id(op) for op in known if op.operation == "create_item"} | u.plan.deleted_parents
    with_parent = [op for op in known if op.operation == "create_subitem" and _parent(op) in parents]
    riding = {op.op_id for op in with_parent}
    send = [op for op in known if op.op_id not in riding]
    ids = list(dict.fromkeys(int(str(u.plan.monday_id(op))) for op in send))
    answered = _completed(lambda: u.client.delete_items(ids, archive=u.archive, idempotency_key=f"{u.key}-del"))
    u.report.deleted += u.settle(send, answered, "delete")
    gone = {o.key for o in answered[0] if o.ok} | u.plan.deleted_parents
    went_with_parent = [op for op in with_parent if _parent(op) in gone]
    u.mark(went_with_parent)
    u.report.deleted += len(went_with_parent)


def _restore_values(u: _Undo, todo: list[LedgerOp]) -> None:
    """Changed items / subitems get the values monday held before the run, one batch per board."""
    for board in sorted({op.board_id for op in todo}):
        ops = [op for op in todo if op.board_id == board and op.monday_id]
        u.mark(op for op in todo if op.board_id == board and not op.monday_id)  # never reached the board
        updates = [(op, {c: _writable(v) for c, v in (op.before.get("monday_values") or {}).items()}) for op in ops]
        nothing = [op for op, values in updates if not values]
        u.mark(nothing)
        u.report.restored += len(nothing)
        send = [(op, values) for op, values in updates if values]
        batch = [ItemUpdate(str(op.monday_id), int(str(op.monday_id)), values) for op, values in send]
        key = f"{u.key}-upd-{board}"
        outcomes = _completed(partial(u.client.update_items, board, batch, create_labels=False, idempotency_key=key))
        u.report.restored += u.settle([op for op, _ in send], outcomes, "restore its values")


def _move_back(u: _Undo, todo: list[LedgerOp]) -> None:
    """Items the run moved to another group go back to the group they came from."""
    moves = [(str(op.monday_id), int(str(op.monday_id)), str(op.before.get("group_id"))) for op in todo]
    outcomes = _completed(lambda: u.client.move_items_to_group(moves, idempotency_key=f"{u.key}-move"))
    u.report.moved_back += u.settle(todo, outcomes, "move it back")


def _delete_groups(u: _Undo, todo: list[LedgerOp]) -> None:
    """Groups the run created (the plan proved them empty but for what this rollback removed)."""
    if u.report.remaining:
        u.report.remaining.append(f"{len(todo)} group(s) created by the run wait until their items are gone")
        return
    for board in sorted({op.board_id for op in todo}):
        mine = [op for op in todo if op.board_id == board and op.monday_id]
        live = {g.id for b in u.client.get_boards([board]) for g in b.groups}
        gone = [op for op in mine if op.monday_id not in live]
        send = [op for op in mine if op.monday_id in live]
        u.mark(gone)
        for start in range(0, len(send), u.client.max_batch):
            part = send[start : start + u.client.max_batch]
            doc = ops_docs.delete_groups_document(board, [str(op.monday_id) for op in part])
            try:  # the client has no aliased group delete of its own yet
                result = u.client._send(doc, "delete_group", idempotency_key=f"{u.key}-grp-{board}-{start}")
            except MondayError as exc:
                u.report.remaining.append(f"{len(send) - start} group(s) on board {board} not deleted ({exc})")
                return
            u.client.stats.mutations += len(part)
            failed = {n for n, e in result.alias_errors.items() if e.code not in _GONE}
            done = [op for n, op in zip(doc.aliases, part, strict=True) if n not in failed]
            u.report.remaining += [
                f"{op.describe()}: could not delete the group"
                for n, op in zip(doc.aliases, part, strict=True)
                if n in failed
            ]
            u.mark(done)
            u.report.groups_deleted += len(done)
        with u.db.begin() as conn:
            ids = [str(op.monday_id) for op in mine]
            groups = u.tables.groups
            conn.execute(groups.delete().where(groups.c.board_id == board, groups.c.group_id.in_(ids)))


def _deleted_by_run(u: _Undo, todo: list[LedgerOp]) -> None:
    """A subitem the run deleted cannot be brought back; its line is restored and the next sync recreates it."""
    u.report.remaining += [
        f"subitem {op.monday_id} was deleted by the run; run `ordersync sync` to recreate it" for op in todo
    ]
    u.mark(todo)


#: Ledger operation kind -> how to undo it. Steps run in this order; a new kind is one entry.
UNDO: dict[str, Callable[[_Undo, list[LedgerOp]], None]] = {
    "move_item": _move_back,
    "update_item": _restore_values,
    "update_subitem": _restore_values,
    "create_subitem": _delete_created,
    "create_item": _delete_created,
    "create_group": _delete_groups,
    "delete_subitem": _deleted_by_run,
}


def rollback_run(config: Config, env_name: str, run_id: str, *, archive: bool = False) -> RollbackReport:
    """Open the environment and roll ``run_id`` back."""
    engine, tables = open_db(config, env_name)
    try:
        with open_client(config, env_name) as client:
            return rollback_with(config, env_name, run_id, client=client, db=engine, tables=tables, archive=archive)
    finally:
        engine.dispose()


def rollback_with(
    config: Config,
    env_name: str,
    run_id: str,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    archive: bool = False,
    plan: RollbackPlan | None = None,
) -> RollbackReport:
    """Roll ``run_id`` back with a given client and database (``plan``: one already checked).

    Holds the environment's lease throughout: no sync, retry or other rollback writes meanwhile.
    """
    with hold_lease(db, tables, env_name, new_run_id(env_name, "rollback-lease")):
        return _rollback_held(config, env_name, run_id, client=client, db=db, tables=tables, archive=archive, plan=plan)


def _rollback_held(
    config: Config,
    env_name: str,
    run_id: str,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    archive: bool,
    plan: RollbackPlan | None,
) -> RollbackReport:
    plan = plan or plan_rollback(config, env_name, run_id, client=client, db=db, tables=tables, kinds=UNDO)
    report = RollbackReport(run_id, already_rolled_back=plan.already_rolled_back, refused=list(plan.blockers))
    if report.refused:
        return report
    requests_before = client.stats.requests
    rollback_id = new_run_id(env_name, "rollback")  # each attempt its own idempotency keys: a rerun is new work
    undo = _Undo(plan, client, db, tables, archive, report, rollback_id)
    steps: dict[Callable[[_Undo, list[LedgerOp]], None], list[LedgerOp]] = {}
    for kind, step in UNDO.items():
        steps.setdefault(step, []).extend(op for op in plan.ops if op.operation == kind)
    for step, todo in steps.items():
        if not todo:
            continue
        try:
            step(undo, todo)
        except MondayError as exc:  # a read or a single request failed: the ledger says exactly what is left
            report.remaining.append(f"stopped by: {str(exc).splitlines()[0]}")
            break
    if report.remaining:
        left = _still_to_undo(db, tables, run_id)
        if left:
            report.remaining.append(_left(left, "undo", None))
    report.api_requests = client.stats.requests - requests_before
    if plan.already_rolled_back and not plan.ops:
        return report
    with db.begin() as conn:
        if report.complete:
            restore_database(conn, tables, run_id, report)
        conn.execute(
            tables.runs.update()
            .where(tables.runs.c.run_id == run_id)
            .values(status=ROLLED_BACK if report.complete else "ROLLBACK_PARTIAL")
        )
        if not report.complete:
            report.remaining.append("database not restored yet (the board comes first); run this rollback again")
        ledger = Ledger(tables, rollback_id)
        ledger.start(conn, env_name, "rollback", rolls_back=run_id)
        ledger.finish(conn, "SUCCEEDED" if report.complete else "FAILED", report.__dict__)
    return report


def _completed(call: Callable[[], list[Outcome]]) -> tuple[list[Outcome], str | None]:
    """The outcomes of a batched write; when it stops midway, those known before it stopped, and why."""
    try:
        return call(), None
    except MondayError as exc:
        return list(exc.completed), str(exc).splitlines()[0]


def _left(ops: Sequence[LedgerOp], verb: str, stopped: str | None) -> str:
    """``12 operation(s) still to delete on board 1 (create_item 5, ...)``: what a rerun will do."""
    boards = ", ".join(str(b) for b in sorted({op.board_id for op in ops}))
    shown = ", ".join(f"{op.operation} {op.monday_id or op.record_key}" for op in ops[:10])
    more = f" and {len(ops) - 10} more" if len(ops) > 10 else ""
    why = f"; stopped by: {stopped}" if stopped else ""
    return f"{len(ops)} operation(s) still to {verb} on board {boards} ({shown}{more}){why}; run this rollback again"


def _still_to_undo(db: Engine, tables: Tables, run_id: str) -> list[LedgerOp]:
    operations = tables.operations
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(operations)
            .where(operations.c.run_id == run_id, operations.c.status.in_(UNDO_STATUSES))
            .order_by(operations.c.seq.desc())
        ).mappings()
        return [LedgerOp.from_row(r) for r in rows]


def _parent(op: LedgerOp) -> str | None:
    parent = op.before.get("parent_item_id")
    return str(parent) if parent not in (None, "", 0) else None


def _writable(raw: str | None) -> object:
    """A value as monday *reads* it, turned into what a write accepts (None clears)."""
    if raw in (None, "", "null"):
        return None
    value = json.loads(raw) if isinstance(raw, str) else raw
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k in _WRITABLE_KEYS} or None
    return value
