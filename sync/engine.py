"""Execute a sync: detect changes, plan, push groups -> items -> subitems, write back, summarise.

Writes to one board are serial (monday warns that concurrent mutations on one board can
corrupt it); throughput comes from aliased batches and from pipelining the two boards:
while the items board takes batch *n+1*, the subitems board takes the subitems of batch
*n*, whose parents already exist. Every request is preceded by ledger rows (``SENT``) and
followed by the write-back of its answer, so a crash or a timeout never duplicates an
item: the next run looks ``SENT`` orders up on the board by ``AAG ORDER NUMBER`` first.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.changes import detect_changes
from sync.config import Config, EnvironmentConfig
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.errors import FatalError, RetriableError
from sync.ledger import Ledger, OpStatus, new_run_id, utcnow
from sync.mapping import BoardColumns
from sync.monday.client import MondayClient
from sync.monday.models import ItemUpdate, NewItem, NewSubitem, Outcome
from sync.plan import ItemOp, RowReject, SubitemOp, plan_items, plan_subitems
from sync.states import ActionType, SyncState
from sync.summary import RunCounters, RunSummary, build_summary
from sync.writeback import mark_item_errors, mark_items_synced, mark_line_errors, mark_lines_synced, remove_lines

__all__ = ["RunSummary", "SyncOptions", "run_sync", "run_with"]

CHUNK_ROWS = 1_000


@dataclass(frozen=True)
class SyncOptions:
    """What one run should do; the CLI maps its flags onto this."""

    dry_run: bool = False
    limit: int | None = None
    customer: str | None = None
    detect: bool = True
    states: tuple[str, ...] = (SyncState.PENDING.value,)
    max_retries: int | None = None
    kind: str = "sync"
    record_uuids: tuple[str, ...] | None = None
    on_progress: Callable[[int, int], None] | None = field(default=None, compare=False)


def run_sync(config: Config, env_name: str, options: SyncOptions = SyncOptions()) -> RunSummary:
    """Open the environment's database and monday, run once, return the summary."""
    engine, tables = open_db(config, env_name)
    try:
        with open_client(config, env_name) as client:
            return run_with(config, env_name, options, client=client, db=engine, tables=tables)
    finally:
        engine.dispose()


def run_with(
    config: Config, env_name: str, options: SyncOptions, *, client: MondayClient, db: Engine, tables: Tables
) -> RunSummary:
    """Run once with a given client and database (tests and load tests inject both)."""
    run = _Run(config, env_name, config.environment(env_name), options, client, db, tables)
    return run.execute()


class _Run:
    """One run's state; the methods follow the order of the work."""

    def __init__(
        self,
        config: Config,
        env_name: str,
        env: EnvironmentConfig,
        options: SyncOptions,
        client: MondayClient,
        db: Engine,
        tables: Tables,
    ) -> None:
        self.config, self.env_name, self.env, self.options = config, env_name, env, options
        self.client, self.db, self.tables = client, db, tables
        self.run_id = new_run_id(env_name, options.kind)
        self.ledger = Ledger(tables, self.run_id)
        self.counters = RunCounters()
        self.batch_size = config.sync.batch_size
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
            self.ledger.start(conn, self.env_name, self.options.kind)
        status = "FAILED"
        try:
            if self.options.detect:
                with self.db.begin() as conn:
                    changes = detect_changes(
                        conn, self.config, self.env, self.tables, snapshot_run=self.run_id
                    ).as_dict()
            self._load_boards()
            self._resolve_unknown_outcomes()
            self._push()
            status = "SUCCEEDED"
        except FatalError as exc:
            self.counters.fatal = str(exc)
            raise
        finally:
            summary = build_summary(self, changes, time.perf_counter() - started, status)
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
                for headers in self._header_chunks(conn):
                    ops, rejects, warnings = plan_items(self.config, self.env, headers, self.items_board)
                    self.counters.note_plan(ops, rejects, warnings, self.groups)
                    self.counters.planned_lines += self._count_pending_lines(conn, [h["record_uuid"] for h in headers])
            finally:
                trans.rollback()
        return build_summary(self, changes, time.perf_counter() - started, "DRY_RUN")

    # ------------------------------------------------------------------ reads
    def _load_boards(self) -> None:
        boards = {b.id: b for b in self.client.get_boards([self.env.monday.board_id, self.env.monday.subitem_board_id])}
        missing = [b for b in (self.env.monday.board_id, self.env.monday.subitem_board_id) if b not in boards]
        if missing:
            raise FatalError(f"board(s) {missing} not found or not accessible with this token")
        items_board = boards[self.env.monday.board_id]
        self.items_board = BoardColumns.from_board(items_board)
        self.subitems_board = BoardColumns.from_board(boards[self.env.monday.subitem_board_id])
        on_board = {g.title: g.id for g in items_board.groups}
        groups = self.tables.groups
        with self.db.connect() as conn:
            registry = dict(
                conn.execute(
                    sa.select(groups.c.group_name, groups.c.group_id).where(
                        groups.c.board_id == self.env.monday.board_id
                    )
                )
                .tuples()
                .all()
            )
        live_ids = set(on_board.values())
        self.groups = {n: gid for n, gid in registry.items() if gid in live_ids}
        for title, gid in on_board.items():
            self.groups.setdefault(title, gid)

    def _header_chunks(self, conn: Connection) -> Iterator[list[dict[str, Any]]]:
        t = self.tables.target
        where: list[sa.ColumnElement[bool]] = [t.c.sync_state.in_(self.options.states)]
        if self.options.customer:
            where.append(t.c["CUSTOMER NAME"] == self.options.customer)
        if self.options.record_uuids is not None:
            where.append(t.c.record_uuid.in_(list(self.options.record_uuids)))
        if self.options.max_retries is not None:
            where.append(t.c.retry_count < self.options.max_retries)
        remaining = self.options.limit
        last = ""
        while remaining is None or remaining > 0:
            size = CHUNK_ROWS if remaining is None else min(CHUNK_ROWS, remaining)
            rows = (
                conn.execute(sa.select(t).where(*where, t.c.record_uuid > last).order_by(t.c.record_uuid).limit(size))
                .mappings()
                .all()
            )
            if not rows:
                return
            last = rows[-1]["record_uuid"]
            if remaining is not None:
                remaining -= len(rows)
            yield [dict(r) for r in rows]

    def _count_pending_lines(self, conn: Connection, record_uuids: Sequence[str]) -> int:
        lines = self.tables.lines
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(lines)
                .where(lines.c.record_uuid.in_(list(record_uuids)), lines.c.sync_state.in_(self.options.states))
            ).scalar_one()
        )

    # ------------------------------------------------------------------ unknown outcomes
    def _resolve_unknown_outcomes(self) -> None:
        """Orders whose create is still SENT from an earlier run: adopt the item if monday has it."""
        ops, t = self.tables.operations, self.tables.target
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(ops.c.op_id, ops.c.record_key, t.c["AAG ORDER NUMBER"])
                .join(t, t.c.record_uuid == ops.c.record_key)
                .where(
                    ops.c.status == OpStatus.SENT,
                    ops.c.operation == "create_item",
                    ops.c.board_id == self.env.monday.board_id,
                    t.c.monday_item_id.is_(None),
                )
            ).all()
        if rows:
            self._adopt_by_order_number({r[1]: str(r[2]) for r in rows}, [r[0] for r in rows])
        self._resolve_unknown_subitems()

    def _adopt_by_order_number(self, orders: Mapping[str, str], op_ids: Sequence[int]) -> set[str]:
        """Look orders up by AAG ORDER NUMBER; write back the ids of those monday already has."""
        key_column = self.env.mapping.items["AAG ORDER NUMBER"].column
        found = self.client.find_items_by_column(self.env.monday.board_id, key_column, sorted(set(orders.values())))
        adopted: set[str] = set()
        with self.db.begin() as conn:
            t = self.tables.target
            for record_uuid, order in orders.items():
                ids = sorted(found.get(order, []))
                if not ids:
                    continue
                conn.execute(
                    t.update()
                    .where(t.c.record_uuid == record_uuid)
                    .values(
                        monday_item_id=ids[0],
                        action_type=ActionType.UPDATE.value,
                        sync_state=SyncState.PENDING.value,
                    )
                )
                adopted.add(record_uuid)
                self.counters.adopted += 1
            self.ledger.settle(
                conn, [(op_id, OpStatus.FAILED, None, "outcome unknown; resolved by look-up") for op_id in op_ids]
            )
        return adopted

    def _resolve_unknown_subitems(self) -> None:
        """Subitem creates still SENT: adopt a subitem with the same name under the parent, if any."""
        ops, lines, t = self.tables.operations, self.tables.lines, self.tables.target
        with self.db.connect() as conn:
            rows = conn.execute(
                sa.select(ops.c.op_id, lines.c.line_uuid, lines.c.size_code, t.c.monday_item_id)
                .select_from(
                    ops.join(lines, lines.c.line_uuid == ops.c.record_key).join(
                        t, t.c.record_uuid == lines.c.record_uuid
                    )
                )
                .where(
                    ops.c.status == OpStatus.SENT,
                    ops.c.operation == "create_subitem",
                    lines.c.monday_subitem_id.is_(None),
                    t.c.monday_item_id.is_not(None),
                )
            ).all()
        if not rows:
            return
        parents = self.client.get_items(sorted({int(r[3]) for r in rows}))
        sub_ids = [sid for p in parents for sid in p.subitem_ids]
        names = {s.id: s.name for s in self.client.get_items(sub_ids)} if sub_ids else {}
        by_parent = {p.id: {names.get(sid): sid for sid in p.subitem_ids} for p in parents}
        settled, synced = [], []
        for op_id, line_uuid, size_code, parent in rows:
            name = self.config.items.subitem_name_template.replace("{size_code}", str(size_code))
            sid = by_parent.get(int(parent), {}).get(name)
            if sid is not None:
                synced.append((line_uuid, sid, int(parent)))
                self.counters.adopted += 1
            settled.append((op_id, OpStatus.FAILED, None, "outcome unknown; resolved by look-up"))
        with self.db.begin() as conn:
            mark_lines_synced(conn, self.tables, synced)
            self.ledger.settle(conn, settled)

    # ------------------------------------------------------------------ push
    def _push(self) -> None:
        worker = threading.Thread(target=self._subitem_worker, name="subitems-board", daemon=True)
        worker.start()
        try:
            total = self._count_headers()
            done = 0
            with self.db.connect() as reader:
                for headers in self._header_chunks(reader):
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

    def _count_headers(self) -> int:
        t = self.tables.target
        with self.db.connect() as conn:
            count = int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(t).where(t.c.sync_state.in_(self.options.states))
                ).scalar_one()
            )
        return min(count, self.options.limit) if self.options.limit is not None else count

    def _check_worker(self) -> None:
        if self._sub_error is not None:
            raise self._sub_error

    def _push_items(self, headers: list[dict[str, Any]]) -> None:
        ops, rejects, warnings = plan_items(self.config, self.env, headers, self.items_board)
        self.counters.warnings.extend(warnings)
        self._reject(rejects)
        failed_groups = self._ensure_groups(sorted({op.group_name for op in ops}))
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

    def _ensure_groups(self, names: Sequence[str]) -> dict[str, str]:
        """Create the groups this chunk needs in one aliased request; reuse any the board already has."""
        board = self.env.monday.board_id
        missing = [name for name in names if name not in self.groups]
        if not missing:
            return {}
        with self.db.begin() as conn:
            op_ids = self.ledger.intend(
                conn,
                [
                    {
                        "board_id": board,
                        "operation": "create_group",
                        "entity": "GROUP",
                        "record_key": name[:64],
                        "after": {"group_name": name},
                    }
                    for name in missing
                ],
            )
        try:
            answers = self.client.create_groups(board, missing, idempotency_key=f"{self.run_id}-groups-{op_ids[0]}")
        except RetriableError:
            live = {g.title: g.id for b in self.client.get_boards([board]) for g in b.groups}
            if any(name not in live for name in missing):
                raise
            answers = {name: live[name] for name in missing}
        settled: list[tuple[int, str, str | None, str | None]] = []
        registry: list[dict[str, Any]] = []
        failed: dict[str, str] = {}
        for name, op_id in zip(missing, op_ids, strict=True):
            answer = answers[name]
            if isinstance(answer, str):
                self.groups[name] = answer
                self.counters.groups_created += 1
                settled.append((op_id, OpStatus.APPLIED, answer, None))
                registry.append(
                    {
                        "board_id": board,
                        "group_name": name,
                        "group_id": answer,
                        "created_run_id": self.run_id,
                        "created_at": utcnow(),
                    }
                )
            else:
                settled.append((op_id, OpStatus.FAILED, None, str(answer)))
                failed[name] = f"monday refused to create group {name!r}: {answer}"
        with self.db.begin() as conn:
            if registry:
                conn.execute(self.tables.groups.insert(), registry)
            self.ledger.settle(conn, settled)
        return failed

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
                self._adopt_by_order_number(unknown, [])
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

    def _pending_lines(self, record_uuids: Sequence[str] | None) -> list[dict[str, Any]]:
        lines, t = self.tables.lines, self.tables.target
        states = set(self.options.states) | {SyncState.PENDING.value}
        where = [
            lines.c.sync_state.in_(sorted(states)),
            t.c.monday_item_id.is_not(None),
            t.c.sync_state == SyncState.SYNCED.value,
        ]
        if record_uuids is not None:
            where.append(lines.c.record_uuid.in_(list(record_uuids)))
        elif self.options.record_uuids is not None:
            where.append(lines.c.record_uuid.in_(list(self.options.record_uuids)))
        if self.options.customer:
            where.append(t.c["CUSTOMER NAME"] == self.options.customer)
        with self.db.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(
                        lines, t.c["AAG ORDER NUMBER"].label("order_number"), t.c.monday_item_id.label("parent_item_id")
                    )
                    .join(t, t.c.record_uuid == lines.c.record_uuid)
                    .where(*where)
                    .order_by(lines.c.record_uuid, lines.c.size_code)
                )
                .mappings()
                .all()
            )
        return [dict(r) for r in rows]

    def _push_subitems(self, record_uuids: Sequence[str] | None) -> None:
        ops, rejects = plan_subitems(self.config, self.env, self._pending_lines(record_uuids), self.subitems_board)
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
