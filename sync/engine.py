"""Execute a sync: detect changes, plan, push groups -> items -> subitems, write back, summarise.

Writes to one board are serial (monday warns that concurrent mutations on one board can
corrupt it); throughput comes from aliased batches and from pipelining the two boards:
while the items board takes batch *n+1*, the subitems board takes the subitems of batch
*n*, whose parents already exist. Every request is preceded by ledger rows (``SENT``) and
followed by the write-back of its answer, so a crash or a timeout never duplicates an
item: the next run looks ``SENT`` orders up on the board by ``AAG ORDER NUMBER`` first.

This module drives the batches; what to read is ``sync.pending``, groups are
``sync.groups``, unknown outcomes are ``sync.recovery``, and the write-back is
``sync.writeback``.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Engine

from sync.changes import detect_changes
from sync.config import Config
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.errors import FatalError, RetriableError
from sync.groups import ensure_groups, known_groups
from sync.ledger import Ledger, OpStatus, new_run_id
from sync.mapping import BoardColumns
from sync.monday.client import MondayClient
from sync.monday.models import ItemUpdate, NewItem, NewSubitem, Outcome
from sync.pending import count_pending_headers, count_pending_lines, header_chunks, pending_lines
from sync.plan import ItemOp, RowReject, SubitemOp, plan_items, plan_subitems
from sync.recovery import adopt_by_order_number, resolve_unknown_outcomes
from sync.run_parts import RunParts, SyncOptions
from sync.states import ActionType
from sync.summary import RunSummary, build_summary
from sync.writeback import mark_item_errors, mark_items_synced, mark_line_errors, mark_lines_synced, remove_lines

__all__ = ["RunSummary", "SyncOptions", "run_sync", "run_with"]


def run_sync(config: Config, env_name: str, options: SyncOptions | None = None) -> RunSummary:
    """Open the environment's database and monday, run once, return the summary."""
    engine, tables = open_db(config, env_name)
    try:
        with open_client(config, env_name) as client:
            return run_with(config, env_name, options or SyncOptions(), client=client, db=engine, tables=tables)
    finally:
        engine.dispose()


def run_with(
    config: Config, env_name: str, options: SyncOptions, *, client: MondayClient, db: Engine, tables: Tables
) -> RunSummary:
    """Run once with a given client and database (tests and load tests inject both)."""
    run_id = new_run_id(env_name, options.kind)
    parts = RunParts(
        config, env_name, config.environment(env_name), options, client, db, tables, run_id, Ledger(tables, run_id)
    )
    return _Run(parts).execute()


class _Run:
    """One run's state; the methods follow the order of the work."""

    def __init__(self, parts: RunParts) -> None:
        self.parts = parts
        self.config, self.env, self.options = parts.config, parts.env, parts.options
        self.client, self.db, self.tables = parts.client, parts.db, parts.tables
        self.run_id, self.ledger, self.counters = parts.run_id, parts.ledger, parts.counters
        self.batch_size = parts.config.sync.batch_size
        self.groups: dict[str, str] = {}
        self._batch_no = 0
        self._sub_queue: queue.Queue[tuple[str, ...] | None] = queue.Queue(maxsize=8)
        self._sub_error: BaseException | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ top level
    def execute(self) -> RunSummary:
        started = time.perf_counter()
        changes: dict[str, Any] = {}
        if self.options.dry_run:
            return self._dry_run(started)
        with self.db.begin() as conn:
            self.ledger.start(conn, self.parts.env_name, self.options.kind)
        status = "FAILED"
        try:
            if self.options.detect:
                with self.db.begin() as conn:
                    changes = detect_changes(
                        conn, self.config, self.env, self.tables, snapshot_run=self.run_id
                    ).as_dict()
            self._load_boards()
            resolve_unknown_outcomes(self.parts)
            self._push()
            status = "SUCCEEDED"
        except FatalError as exc:
            self.counters.fatal = str(exc)
            raise
        finally:
            summary = build_summary(self.parts, changes, time.perf_counter() - started, status)
            with self.db.begin() as conn:
                self.ledger.finish(conn, summary.status, summary.as_dict())
        return summary

    def _dry_run(self, started: float) -> RunSummary:
        self._load_boards()
        changes: dict[str, Any] = {}
        with self.db.connect() as conn:
            trans = conn.begin()
            try:
                if self.options.detect:
                    changes = detect_changes(conn, self.config, self.env, self.tables).as_dict()
                for headers in header_chunks(conn, self.parts):
                    ops, rejects, warnings = plan_items(self.config, self.env, headers, self.items_board)
                    self.counters.note_plan(ops, rejects, warnings, self.groups)
                    uuids = [h["record_uuid"] for h in headers]
                    self.counters.planned_lines += count_pending_lines(conn, self.parts, uuids)
            finally:
                trans.rollback()
        return build_summary(self.parts, changes, time.perf_counter() - started, "DRY_RUN")

    def _load_boards(self) -> None:
        wanted = (self.env.monday.board_id, self.env.monday.subitem_board_id)
        boards = {b.id: b for b in self.client.get_boards(list(wanted))}
        missing = [b for b in wanted if b not in boards]
        if missing:
            raise FatalError(f"board(s) {missing} not found or not accessible with this token")
        self.items_board = BoardColumns.from_board(boards[self.env.monday.board_id])
        self.subitems_board = BoardColumns.from_board(boards[self.env.monday.subitem_board_id])
        self.groups = known_groups(self.parts, boards[self.env.monday.board_id])

    # ------------------------------------------------------------------ push
    def _push(self) -> None:
        worker = threading.Thread(target=self._subitem_worker, name="subitems-board", daemon=True)
        worker.start()
        try:
            total = count_pending_headers(self.parts)
            done = 0
            with self.db.connect() as reader:
                for headers in header_chunks(reader, self.parts):
                    reader.rollback()  # end the read transaction: writers must not wait on it
                    self._push_items(headers)
                    done += len(headers)
                    if self.options.on_progress:
                        self.options.on_progress(done, total)
                    self._check_worker()
            self._sub_queue.put(())  # sweep: lines pending under parents that are already synced
        finally:
            self._sub_queue.put(None)
            worker.join()
        self._check_worker()

    def _check_worker(self) -> None:
        if self._sub_error is not None:
            raise self._sub_error

    def _push_items(self, headers: list[dict[str, Any]]) -> None:
        ops, rejects, warnings = plan_items(self.config, self.env, headers, self.items_board)
        self.counters.warnings.extend(warnings)
        self._reject(rejects)
        failed_groups = ensure_groups(self.parts, self.groups, sorted({op.group_name for op in ops}))
        if failed_groups:
            self._reject(
                [
                    RowReject(
                        "ITEM",
                        op.record_uuid,
                        op.order_number,
                        f"order {op.order_number}: {failed_groups[op.group_name]}",
                    )
                    for op in ops
                    if op.group_name in failed_groups
                ]
            )
            ops = [op for op in ops if op.group_name not in failed_groups]
        creates = [op for op in ops if op.item_id is None]
        updates = [op for op in ops if op.item_id is not None]
        for flag in (False, True):
            subset = [op for op in creates if op.create_labels is flag]
            for batch in _batches(subset, self.batch_size):
                self._item_batch(batch, flag, update=False)
            subset = [op for op in updates if op.create_labels is flag]
            for batch in _batches(subset, self.batch_size):
                self._item_batch(batch, flag, update=True)
        self._sub_queue.put(tuple(h["record_uuid"] for h in headers))

    def _reject(self, rejects: Sequence[RowReject]) -> None:
        if not rejects:
            return
        self.counters.rejected.extend(rejects)
        with self.db.begin() as conn:
            items = [(r.key, r.message) for r in rejects if r.entity == "ITEM"]
            mark_item_errors(conn, self.tables, items)
            mark_line_errors(conn, self.tables, [(r.key, r.message) for r in rejects if r.entity == "SUBITEM"])

    def _next_key(self, what: str) -> str:
        with self._lock:
            self._batch_no += 1
            return f"{self.run_id}-{what}-{self._batch_no}"

    def _item_batch(self, batch: Sequence[ItemOp], create_labels: bool, *, update: bool) -> None:
        """Create or update one batch of items: ledger first, then the request, then the write-back."""
        key = self._next_key("item-updates" if update else "items")
        board = self.env.monday.board_id
        before_board = self._board_values(batch) if update else {}
        with self.db.begin() as conn:
            op_ids = self.ledger.intend(
                conn,
                [
                    {
                        "board_id": board,
                        "operation": "update_item" if update else "create_item",
                        "entity": "ITEM",
                        "record_key": op.record_uuid,
                        "monday_id": str(op.item_id) if update else None,
                        "idempotency_key": key,
                        "before": {**op.before, "monday_values": before_board.get(op.item_id or 0, {})},
                        "after": {"name": op.name, "group": op.group_name, "values": op.values},
                    }
                    for op in batch
                ],
            )
        keys = [op.record_uuid for op in batch]
        if update:
            updates = [ItemUpdate(op.record_uuid, int(op.item_id or 0), op.values) for op in batch]
            outcomes = self._call(
                lambda: self.client.update_items(board, updates, create_labels=create_labels, idempotency_key=key),
                keys,
            )
        else:
            items = [NewItem(op.record_uuid, op.name, self.groups[op.group_name], op.values) for op in batch]
            outcomes = self._call(
                lambda: self.client.create_items(board, items, create_labels=create_labels, idempotency_key=key),
                keys,
            )
            unknown = {op.record_uuid: op.order_number for op in batch if op.record_uuid not in outcomes}
            if unknown:
                adopt_by_order_number(self.parts, unknown, [])
        self._settle_items(batch, op_ids, outcomes, update=update)
        if create_labels:
            self._learn_labels(self.items_board, [op.values for op in batch])

    def _settle_items(
        self, batch: Sequence[ItemOp], op_ids: Sequence[int], outcomes: Mapping[str, Outcome], *, update: bool
    ) -> None:
        self.counters.items_attempted += len(batch)
        synced: list[dict[str, Any]] = []
        errors: list[tuple[str, str]] = []
        settled: list[tuple[int, str, str | None, str | None]] = []
        for op, op_id in zip(batch, op_ids, strict=True):
            outcome = outcomes.get(op.record_uuid)
            if outcome is None:
                self.counters.unknown += 1
                continue
            item_id = op.item_id if update else outcome.item_id
            if outcome.ok and item_id is not None:
                synced.append(
                    {
                        "record_uuid": op.record_uuid,
                        "item_id": item_id,
                        "group_id": self.groups.get(op.group_name),
                        "group_name": op.group_name,
                        "item_name": op.name,
                    }
                )
                settled.append((op_id, OpStatus.APPLIED, str(item_id), None))
                if update:
                    self.counters.items_updated += 1
                else:
                    self.counters.items_created += 1
                self.counters.note_customer(op.customer, True)
            else:
                message = f"order {op.order_number}: {outcome.error}"
                errors.append((op.record_uuid, message))
                settled.append((op_id, OpStatus.FAILED, None, message))
                self.counters.note_error("ITEM", op.order_number, message)
                self.counters.note_customer(op.customer, False)
        with self.db.begin() as conn:
            mark_items_synced(conn, self.tables, synced)
            mark_item_errors(conn, self.tables, errors)
            self.ledger.settle(conn, settled)

    def _board_values(self, batch: Sequence[ItemOp | SubitemOp]) -> dict[int, dict[str, str | None]]:
        """The raw values monday holds now for the columns about to change (what rollback restores)."""
        ids = [op.item_id if isinstance(op, ItemOp) else op.subitem_id for op in batch]
        wanted = {c for op in batch for c in op.values}
        records = self.client.get_items([i for i in ids if i is not None])
        return {r.id: {c: v.value for c, v in r.values.items() if c in wanted} for r in records}

    def _call(self, send: Callable[[], list[Outcome]], keys: Sequence[str]) -> dict[str, Outcome]:
        """Send one logical batch; a request that exhausted its retries leaves its keys unknown."""
        try:
            return {o.key: o for o in send()}
        except RetriableError as exc:
            completed = getattr(exc, "completed", None) or []
            self.counters.note_error("REQUEST", None, f"gave up after retries: {exc}")
            return {o.key: o for o in completed if o.key in set(keys)}

    @staticmethod
    def _learn_labels(board: BoardColumns, values: Sequence[Mapping[str, object]]) -> None:
        for row in values:
            for column, value in row.items():
                if column in board.labels and isinstance(value, dict):
                    labels = value.get("labels") or ([value["label"]] if "label" in value else [])
                    board.labels[column].update(str(v) for v in labels)

    # ------------------------------------------------------------------ subitems (second board, own thread)
    def _subitem_worker(self) -> None:
        try:
            while True:
                job = self._sub_queue.get()
                if job is None:
                    return
                self._push_subitems(job or None)
        except BaseException as exc:  # surfaced on the main thread by _check_worker
            self._sub_error = exc
            while self._sub_queue.get() is not None:
                pass

    def _push_subitems(self, record_uuids: Sequence[str] | None) -> None:
        lines = pending_lines(self.parts, record_uuids)
        ops, rejects = plan_subitems(self.config, self.env, lines, self.subitems_board)
        self._reject(rejects)
        for action in (ActionType.INSERT.value, ActionType.UPDATE.value, ActionType.DELETE.value):
            for flag in (False, True):
                subset = [op for op in ops if op.action == action and op.create_labels is flag]
                for batch in _batches(subset, self.batch_size):
                    self._subitem_batch(batch, action, flag)

    def _subitem_batch(self, batch: Sequence[SubitemOp], action: str, create_labels: bool) -> None:
        key = self._next_key(f"subitems-{action.lower()}")
        board = self.env.monday.subitem_board_id
        operation = {"INSERT": "create_subitem", "UPDATE": "update_subitem", "DELETE": "delete_subitem"}[action]
        before_board = self._board_values(batch) if action == ActionType.UPDATE.value else {}
        with self.db.begin() as conn:
            op_ids = self.ledger.intend(
                conn,
                [
                    {
                        "board_id": board,
                        "operation": operation,
                        "entity": "SUBITEM",
                        "record_key": op.line_uuid,
                        "monday_id": str(op.subitem_id) if op.subitem_id else None,
                        "idempotency_key": key,
                        "before": {
                            **op.before,
                            "monday_values": before_board.get(op.subitem_id or 0, {}),
                            "parent_item_id": op.parent_item_id,
                            "name": op.name,
                        },
                        "after": {"values": op.values},
                    }
                    for op in batch
                ],
            )
        keys = [op.line_uuid for op in batch]
        if action == ActionType.INSERT.value:
            subs = [NewSubitem(op.line_uuid, op.parent_item_id, op.name, op.values) for op in batch]
            outcomes = self._call(
                lambda: self.client.create_subitems(subs, create_labels=create_labels, idempotency_key=key), keys
            )
        elif action == ActionType.UPDATE.value:
            ups = [ItemUpdate(op.line_uuid, int(op.subitem_id or 0), op.values) for op in batch]
            outcomes = self._call(
                lambda: self.client.update_items(board, ups, create_labels=create_labels, idempotency_key=key), keys
            )
        else:
            raw = self._call(
                lambda: self.client.delete_items([int(op.subitem_id or 0) for op in batch], idempotency_key=key),
                [str(op.subitem_id) for op in batch],
            )
            outcomes = {op.line_uuid: raw[str(op.subitem_id)] for op in batch if str(op.subitem_id) in raw}
        self._settle_subitems(batch, op_ids, outcomes, action, create_labels)

    def _settle_subitems(
        self,
        batch: Sequence[SubitemOp],
        op_ids: Sequence[int],
        outcomes: Mapping[str, Outcome],
        action: str,
        create_labels: bool,
    ) -> None:
        synced: list[tuple[str, int, int]] = []
        errors: list[tuple[str, str]] = []
        settled: list[tuple[int, str, str | None, str | None]] = []
        removed: list[str] = []
        with self._lock:
            self.counters.subitems_attempted += len(batch)
        for op, op_id in zip(batch, op_ids, strict=True):
            outcome = outcomes.get(op.line_uuid)
            if outcome is None:
                with self._lock:
                    self.counters.unknown += 1
                continue
            if outcome.ok:
                sid = outcome.item_id if action == ActionType.INSERT.value else op.subitem_id
                settled.append((op_id, OpStatus.APPLIED, str(sid), None))
                if action == ActionType.DELETE.value:
                    removed.append(op.line_uuid)
                else:
                    synced.append((op.line_uuid, int(sid or 0), op.parent_item_id))
                with self._lock:
                    self.counters.count_subitem(action)
            else:
                message = f"order {op.order_number} line {op.name}: {outcome.error}"
                errors.append((op.line_uuid, message))
                settled.append((op_id, OpStatus.FAILED, None, message))
                with self._lock:
                    self.counters.note_error("SUBITEM", op.order_number, message)
        if create_labels:
            self._learn_labels(self.subitems_board, [op.values for op in batch])
        with self.db.begin() as conn:
            mark_lines_synced(conn, self.tables, synced)
            mark_line_errors(conn, self.tables, errors)
            remove_lines(conn, self.tables, removed)
            self.ledger.settle(conn, settled)


def _batches(ops: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ops), size):
        yield ops[start : start + size]
