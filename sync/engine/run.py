"""One sync run, step by step: lease, recovery, change detection, push, summary. No SQL here.

The steps are: take the environment's lease (one writer at a time); settle what a crashed
run left ``SENT`` (looked up on the board, adopted or failed); detect changes in staging;
push groups -> items -> subitems through the one writer protocol; record the run and its
summary. SQL lives in :mod:`sync.engine.store`, concurrency in :mod:`sync.engine.pipeline`.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.engine import Engine

from sync.changes import detect_changes
from sync.config import Config
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.engine import recovery, store
from sync.engine.capacity import is_daily_limit
from sync.engine.lease import DEFAULT_TTL_S, Lease
from sync.engine.ledger import Ledger, OpKind, OpStatus, RunStatus, Settlement, new_run_id
from sync.engine.options import RunParts, SyncOptions
from sync.engine.pipeline import Boards, Pipeline, hold_lease, pause_on_daily_limit, stop_on_signals
from sync.engine.plan import plan_items
from sync.engine.plan_rows import cycle_collection_paused
from sync.errors import FatalError
from sync.mapping import BoardColumns
from sync.monday.client import MondayClient
from sync.summary import RunSummary, build_summary

__all__ = ["run_sync", "run_with", "settle_crashed"]


def run_sync(
    config: Config, env_name: str, options: SyncOptions | None = None, *, handle_signals: bool = False
) -> RunSummary:
    """Open the environment's database and monday, run once, return the summary.

    With ``handle_signals`` (the CLI), SIGTERM / SIGINT stop the run after the batch in flight.
    """
    engine, tables = open_db(config, env_name)
    try:
        with open_client(config, env_name) as client:
            return run_with(
                config,
                env_name,
                options or SyncOptions(),
                client=client,
                db=engine,
                tables=tables,
                handle_signals=handle_signals,
            )
    finally:
        engine.dispose()


def run_with(
    config: Config,
    env_name: str,
    options: SyncOptions,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    handle_signals: bool = False,
    lease_ttl_s: float = DEFAULT_TTL_S,
) -> RunSummary:
    """Run once with a given client and database (tests and load tests inject both)."""
    run_id = new_run_id(env_name, options.kind)
    run = RunParts(
        config, env_name, config.environment(env_name), options, client, db, tables, run_id, Ledger(tables, run_id)
    )
    if options.dry_run:
        return _dry_run(run)
    with hold_lease(db, tables, env_name, run_id, ttl_s=lease_ttl_s) as lease:
        if not handle_signals:
            return _execute(run, lease)
        with stop_on_signals(run):
            return _execute(run, lease)


def _execute(run: RunParts, lease: Lease) -> RunSummary:
    started = time.perf_counter()
    changes: dict[str, Any] = {}
    with run.db.begin() as conn:
        run.ledger.start(conn, run.env_name, run.options.kind, window=run.options.window)
    status = RunStatus.FAILED.value
    try:
        boards = _load_boards(run)
        settle_crashed(run)
        if run.options.detect:
            with run.db.begin() as conn:
                changes = detect_changes(conn, run.config, run.env, run.tables, snapshot_run=run.run_id).as_dict()
        Pipeline(run, boards, lease).push()
        status = run.counters.stopped or RunStatus.SUCCEEDED.value
    except FatalError as exc:
        if not is_daily_limit(exc):
            run.counters.fatal = str(exc)
            raise
        # Spent before the push began (board read, recovery look-ups): pause, the next day resumes.
        pause_on_daily_limit(run, exc)
        status = run.counters.stopped or RunStatus.PAUSED.value
    finally:
        counters = run.counters
        counters.ended_synced, counters.set_out = store.synced_share(run, counters.items, counters.lines)
        summary = build_summary(run, changes, time.perf_counter() - started, status)
        with run.db.begin() as conn:
            run.ledger.finish(conn, summary.status, summary.as_dict())
    return summary


def settle_crashed(run: RunParts) -> None:
    """Settle every operation a dead run left SENT (we hold the lease, so no live run owns one)."""
    sent = store.sent_operations(run)
    if not sent:
        return
    adoptions = recovery.resolve_sent(run, sent)
    items = {
        a.op.record_key: int(str(a.monday_id))
        for a in adoptions
        if a.op.operation is OpKind.CREATE_ITEM and a.monday_id
    }
    lines = [
        (a.op.record_key, int(str(a.monday_id)), int(a.op.parent_item_id or 0))
        for a in adoptions
        if a.op.operation is OpKind.CREATE_SUBITEM and a.monday_id
    ]
    groups: dict[str, dict[str, str]] = {}
    for a in adoptions:
        name = recovery.group_name(a.op)
        if a.op.operation is OpKind.CREATE_GROUP and a.monday_id and name:
            groups.setdefault(a.op.run_id, {})[name] = str(a.monday_id)
    with run.db.begin() as conn:
        store.adopt_items(conn, run, items)
        store.mark_lines_synced(conn, run, lines)
        for run_id, created in groups.items():
            store.register_groups(conn, run, run.env.monday.board_id, created, run_id)
        run.ledger.settle(conn, [Settlement(a.op.op_id, a.status, a.monday_id, a.error) for a in adoptions])
    run.counters.add(adopted=sum(1 for a in adoptions if a.status is OpStatus.ADOPTED))


def _load_boards(run: RunParts) -> Boards:
    monday = run.env.monday
    wanted = (monday.board_id, monday.subitem_board_id)
    boards = {b.id: b for b in run.client.get_boards(list(wanted))}
    missing = [b for b in wanted if b not in boards]
    if missing:
        raise FatalError(f"board(s) {missing} not found or not accessible with this token")
    items = boards[monday.board_id]
    registry = store.group_registry(run, items.id)
    on_board = {g.title: g.id for g in items.groups}
    live = set(on_board.values())
    groups = {name: gid for name, gid in registry.items() if gid in live}
    for title, gid in on_board.items():
        groups.setdefault(title, gid)
    return Boards(BoardColumns.from_board(items), BoardColumns.from_board(boards[monday.subitem_board_id]), groups)


def _dry_run(run: RunParts) -> RunSummary:
    started = time.perf_counter()
    boards = _load_boards(run)
    changes: dict[str, Any] = {}
    with run.db.connect() as conn:
        trans = conn.begin()
        try:
            if run.options.detect:
                changes = detect_changes(conn, run.config, run.env, run.tables).as_dict()
            # One pause for the whole plan: paused per chunk, the collector would still walk each
            # chunk's live operations and rows once when it resumes (a tenth of a 100k dry run).
            with cycle_collection_paused():
                for headers in store.header_chunks(conn, run):
                    ops, rejects, warnings = plan_items(run.config, run.env, headers, boards.items)
                    run.counters.note_plan(ops, rejects, warnings, boards.groups)
                    first, last = headers[0]["record_uuid"], headers[-1]["record_uuid"]
                    run.counters.planned_lines += store.count_pending_lines(conn, run, first, last)
        finally:
            trans.rollback()
    return build_summary(run, changes, time.perf_counter() - started, RunStatus.DRY_RUN.value)
