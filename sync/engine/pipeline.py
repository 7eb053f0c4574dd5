"""All of a run's concurrency: the two board workers, the one queue between them, the stop flag,
and the lease's heartbeat thread (:func:`hold_lease`).

Writes to one board are serial (monday warns that concurrent mutations on one board can
corrupt it); throughput comes from aliased batches and from pipelining the two boards:
while the items board takes batch *n+1*, the subitems board takes the subitems of chunk
*n*, whose parents already exist. Counters are shared and update under their own lock.

A stop (SIGTERM / SIGINT, the ``--until`` / ``--max-requests`` budget, monday's daily
limit) is checked before every batch: the batch in flight finishes and is settled, no new
one starts, and the run is recorded ``INTERRUPTED`` or ``PAUSED``.
"""

from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.db import Tables
from sync.engine import store
from sync.engine.capacity import board_full, is_board_full, is_daily_limit
from sync.engine.lease import DEFAULT_TTL_S, Lease
from sync.engine.ledger import OpKind, RunStatus, utcnow
from sync.engine.options import RunParts
from sync.engine.plan import (
    Batch,
    ItemOp,
    RowReject,
    SubitemOp,
    item_batches,
    move_batches,
    plan_items,
    plan_subitems,
    subitem_batches,
)
from sync.engine.writer import Writer
from sync.engine.writes import GroupWrite, ItemWrite, MoveWrite, SubitemWrite
from sync.errors import FatalError
from sync.mapping import BoardColumns

__all__ = ["Boards", "Pipeline", "hold_lease", "pause_on_daily_limit", "stop_on_signals"]

#: How messages name the two boards.
ITEMS, SUBITEMS = "items board", "subitems board"
#: The signals that stop a run after the batch in flight.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@dataclass
class Boards:
    """The two boards' columns and the items board's groups (name -> id, updated as groups are created)."""

    items: BoardColumns
    subitems: BoardColumns
    groups: dict[str, str]


@contextmanager
def stop_on_signals(run: RunParts) -> Iterator[None]:
    """While the block runs, SIGTERM and SIGINT ask the run to stop after the batch in flight."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def ask(signum: int, _frame: FrameType | None) -> None:
        counters = run.counters  # plain assignments: no lock in a signal handler
        counters.signal, counters.stop_reason = signum, f"interrupted by {signal.Signals(signum).name}"
        counters.stopped = RunStatus.INTERRUPTED.value

    previous = {s: signal.signal(s, ask) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def pause_on_daily_limit(run: RunParts, exc: BaseException) -> None:
    """Record the run ``PAUSED`` by the daily limit; the message names the limit and when it resets."""
    run.counters.stop(RunStatus.PAUSED, f"paused: monday's daily request limit is reached ({exc})")


class Pipeline:
    """Pushes the pending rows: groups -> items (this thread) -> subitems (a worker thread)."""

    def __init__(self, run: RunParts, boards: Boards, lease: Lease | None) -> None:
        self.run, self.boards, self.lease = run, boards, lease
        self.writer = Writer(run)
        self.size = run.config.sync.batch_size
        self._queue: queue.Queue[tuple[str, ...] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None

    def push(self) -> None:
        """Every pending chunk, then a sweep of lines pending under parents already synced."""
        worker = threading.Thread(target=self._subitem_worker, name="subitems-board", daemon=True)
        worker.start()
        try:
            total, done = store.count_pending_headers(self.run), 0
            with self.run.db.connect() as reader:
                for headers in store.header_chunks(reader, self.run):
                    reader.rollback()  # end the read transaction: writers must not wait on it
                    if self.stopping():
                        break
                    self._guard(ITEMS, self._push_items, headers)
                    done += len(headers)
                    if self.run.options.on_progress:
                        self.run.options.on_progress(done, total)
                    self._check_worker()
            if not self.stopping():
                self._queue.put(())
        finally:
            self._queue.put(None)
            worker.join()
        self._check_worker()

    def stopping(self) -> bool:
        """True once a signal, a budget or the daily limit asked the run to stop (checked before each batch)."""
        run, counters = self.run, self.run.counters
        if self.lease is not None:
            self.lease.check()
        if counters.stopped is None and run.options.until is not None and utcnow() >= run.options.until:
            counters.stop(RunStatus.PAUSED, f"paused at --until {run.options.until:%H:%M} UTC")
        limit = run.options.max_requests
        if counters.stopped is None and limit is not None and run.client.stats.requests >= limit:
            counters.stop(
                RunStatus.PAUSED, f"paused after {run.client.stats.requests} requests (--max-requests {limit})"
            )
        return counters.stopped is not None

    def _guard(self, board: str, step: Any, *args: Any) -> None:
        """Run a step; monday's daily limit pauses the run, a full board stops it with a clear error.

        Either way the writer has settled the batch in flight already.
        """
        try:
            step(*args)
        except FatalError as exc:
            if is_board_full(exc):
                monday = self.run.env.monday
                board_id = monday.board_id if board == ITEMS else monday.subitem_board_id
                pending = store.count_pending_headers(self.run) if board == ITEMS else None
                raise board_full(exc, board, board_id, pending) from exc
            if not is_daily_limit(exc):
                raise
            pause_on_daily_limit(self.run, exc)

    def _check_worker(self) -> None:
        if self._error is not None:
            raise self._error

    # ------------------------------------------------------------------ items board (this thread)
    def _push_items(self, headers: list[dict[str, Any]]) -> None:
        run, boards = self.run, self.boards
        ops, rejects, warnings = plan_items(run.config, run.env, headers, boards.items)
        run.counters.note_warnings(warnings)
        self._reject(rejects)
        names = sorted({op.group_name for op in ops if op.group_name not in boards.groups})
        if names:
            groups = GroupWrite(run, names, boards.groups)
            self.writer.write(groups)
            refused = groups.refused
            self._reject(
                [
                    RowReject(
                        "ITEM", op.record_uuid, op.order_number, f"order {op.order_number}: {refused[op.group_name]}"
                    )
                    for op in ops
                    if op.group_name in refused
                ]
            )
            ops = [op for op in ops if op.group_name in boards.groups]
        moved_off: set[str] = set()
        for batch in move_batches(ops, self.size):
            if self.stopping():
                return
            move = MoveWrite(run, batch, boards.groups)
            self.writer.write(move)
            moved_off |= move.failed
        run.counters.set_out_to_push(items=moved_off)
        for batch in item_batches([op for op in ops if op.record_uuid not in moved_off], self.size):
            if self.stopping():
                break
            run.counters.set_out_to_push(items=[op.record_uuid for op in batch.ops])
            values = self._board_values(batch) if batch.kind is OpKind.UPDATE_ITEM else {}
            self.writer.write(ItemWrite(run, batch, boards.groups, values))
            if batch.create_labels:
                _learn_labels(boards.items, [op.values for op in batch.ops])
        self._queue.put(tuple(h["record_uuid"] for h in headers))

    def _reject(self, rejects: Sequence[RowReject]) -> None:
        if not rejects:
            return
        self.run.counters.note_rejects(rejects)
        with self.run.db.begin() as conn:
            store.mark_item_errors(conn, self.run, [(r.key, r.message) for r in rejects if r.entity == "ITEM"])
            store.mark_line_errors(conn, self.run, [(r.key, r.message) for r in rejects if r.entity == "SUBITEM"])

    def _board_values(self, batch: Batch[ItemOp] | Batch[SubitemOp]) -> dict[int, dict[str, str | None]]:
        """The raw values monday holds now for the columns about to change (what rollback restores)."""
        ids = [op.item_id if isinstance(op, ItemOp) else op.subitem_id for op in batch.ops]
        wanted = {c for op in batch.ops for c in op.values}
        records = self.run.client.get_items([i for i in ids if i is not None])
        return {r.id: {c: v.value for c, v in r.values.items() if c in wanted} for r in records}

    # ------------------------------------------------------------------ subitems board (worker thread)
    def _subitem_worker(self) -> None:
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    return
                if not self.stopping():
                    self._guard(SUBITEMS, self._push_subitems, job or None)
        except BaseException as exc:  # surfaced on the main thread by _check_worker
            self._error = exc
            while self._queue.get() is not None:
                pass

    def _push_subitems(self, record_uuids: Sequence[str] | None) -> None:
        run = self.run
        lines = store.pending_lines(run, record_uuids)
        ops, rejects = plan_subitems(run.config, run.env, lines, self.boards.subitems)
        self._reject(rejects)
        for batch in subitem_batches(ops, self.size):
            if self.stopping():
                return
            run.counters.set_out_to_push(lines=[op.line_uuid for op in batch.ops])
            values = self._board_values(batch) if batch.kind is OpKind.UPDATE_SUBITEM else {}
            self.writer.write(SubitemWrite(run, batch, values))
            if batch.create_labels:
                _learn_labels(self.boards.subitems, [op.values for op in batch.ops])


def _learn_labels(board: BoardColumns, values: Sequence[Mapping[str, object]]) -> None:
    for row in values:
        for column, value in row.items():
            if column in board.labels and isinstance(value, dict):
                labels = value.get("labels") or ([value["label"]] if "label" in value else [])
                board.labels[column].update(str(v) for v in labels)


@contextmanager
def hold_lease(
    db: Engine, tables: Tables, environment: str, owner: str, *, ttl_s: float = DEFAULT_TTL_S
) -> Iterator[Lease]:
    """Hold the environment's lease for the block, renewed in the background; released on exit."""
    lease = Lease(db, tables, environment, owner, ttl_s)
    lease.acquire()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(ttl_s / 4):
            try:
                if not lease.renew():
                    return
            except sa.exc.SQLAlchemyError:
                continue  # the database blinked; the next beat tries again before the lease expires

    thread = threading.Thread(target=beat, name=f"lease-{environment}", daemon=True)
    thread.start()
    try:
        yield lease
    finally:
        done.set()
        thread.join()
        lease.release()
