"""Locust users that drive the real sync engine (``sync.engine.run_with``) against one emulator server.

Each :class:`SyncUser` clones the template board pair on the emulator (``POST
/_emulator/boards/clone``), owns a SQLite staging slice in a temp folder, and loops: insert the
next ``orders_per_run`` generated orders, then run the same code path as ``ordersync sync``.
Every HTTP request the engine makes is reported to Locust (``mutation`` / ``query``, named
``create_item x200`` ...), every confirmed batch as ``records`` (size = records in it), every
run as ``sync run``. When Locust quits it writes its numbers, the engine's first errors and
every user's database and board pair to ``locust_result.json``, and sets the exit code from
the verdicts it can judge; the runner then reconciles each user's *staging* table with the
board (:mod:`validation.load.reconcile`) and judges the rest.

The config under test (``ORDERSYNC_LOAD_CONFIG``, JSON; default: the shipped config) and its
environment (``ORDERSYNC_LOAD_ENV``) give every user its mapping, batch size and client
settings; only the database and the (cloned) board ids are replaced.

Normally started by ``validation.load.runner.run_load_test``, which sets the environment:
``ORDERSYNC_LOAD_PROFILE`` (profile JSON), ``ORDERSYNC_LOAD_URL`` (emulator base URL),
``ORDERSYNC_LOAD_OUT`` (folder for ``locust_result.json``). By hand, see loadtests/README.md.
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
import httpx
import psutil
import sqlalchemy as sa
from locust import User, events, task
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import MasterRunner

from sync.config import Config, load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import build_tables, create_schema, make_engine
from sync.demo import generate_orders, insert_orders, shipped_config_path
from sync.engine import SyncOptions, run_with
from validation.load.rules import (
    CONFIG_ENV,
    ENV_NAME,
    ENV_NAME_ENV,
    OUT_ENV,
    PROFILE_ENV,
    RESULT_FILE,
    RUNNER_JUDGED,
    SCRATCH_ENV,
    URL_ENV,
    LoadProfile,
    Measured,
    evaluate,
    exit_code,
    load_profile,
    user_config,
)

WRITES = {
    "CreateItems": "create_item",
    "CreateSubitems": "create_subitem",
    "ChangeColumnValues": "change_column_values",
    "DeleteItems": "delete_item",
    "ArchiveItems": "archive_item",
    "CreateGroup": "create_group",
    "CreateGroups": "create_group",
    "DeleteGroup": "delete_group",
}
RECORD_WRITES = {"CreateItems", "CreateSubitems", "ChangeColumnValues", "DeleteItems"}


def _profile() -> LoadProfile:
    raw = os.environ.get(PROFILE_ENV)
    if raw:
        data = json.loads(raw)
        return LoadProfile.from_mapping(data.pop("name"), data)
    return load_profile(os.environ.get("ORDERSYNC_LOAD_PROFILE_NAME", "ci"))


def _base_config() -> Config:
    raw = os.environ.get(CONFIG_ENV)
    return Config.model_validate_json(raw) if raw else load_config(shipped_config_path())


PROFILE = _profile()
BASE = _base_config()
ENV = os.environ.get(ENV_NAME_ENV, ENV_NAME)
BATCH = PROFILE.batch_size or BASE.sync.batch_size
MAX_ERRORS = 5
URL = os.environ.get(URL_ENV, "http://127.0.0.1:8765").rstrip("/")
OUT = Path(os.environ.get(OUT_ENV, "."))
USER_NUMBERS = itertools.count()


class Tally:
    """This process's run-level numbers (Locust's stats hold the request-level ones)."""

    def __init__(self) -> None:
        self.records = self.records_failed = self.runs = self.http_429 = self.record_writes = 0
        self.records_applied = 0
        self.errors: list[str] = []
        self.first_start: float | None = None
        self.last_end: float | None = None
        self.peak_rss = 0
        self.users: list[SyncUser] = []


TALLY = Tally()


class LocustTransport(httpx.BaseTransport):
    """Real HTTP to the emulator, reporting each request to Locust as it completes."""

    def __init__(self, environment: Environment, batch_size: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.environment, self.batch_size = environment, batch_size

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send, read, classify and fire one Locust request event (plus a ``records`` event for writes)."""
        try:
            operation = str(json.loads(request.content or b"{}").get("operationName") or "request")
        except ValueError:
            operation = "request"
        started = time.perf_counter()
        error: Exception | None = None
        try:
            response = self.inner.handle_request(request)
            body = response.read()
        except httpx.HTTPError as exc:
            self._fire(operation, started, 0, exc)
            raise
        payload: dict[str, Any] = {}
        try:
            payload = json.loads(body) if body else {}
        except ValueError:
            error = RuntimeError(f"HTTP {response.status_code}: body is not JSON")
        if response.status_code == 429:
            TALLY.http_429 += 1
        errors = payload.get("errors") if isinstance(payload, dict) else None
        if response.status_code >= 400 or errors:
            code = (errors or [{}])[0].get("extensions", {}).get("code") if errors else None
            error = error or RuntimeError(f"HTTP {response.status_code} {code or ''}".strip())
        self._fire(operation, started, len(body), error)
        replayed = response.headers.get("idempotency-replayed") == "true"
        if operation in RECORD_WRITES:
            TALLY.record_writes += 1
        if operation in RECORD_WRITES and response.status_code == 200 and not replayed:
            data = payload.get("data") or {}
            applied = sum(1 for k, v in data.items() if k.startswith("i") and k[1:].isdigit() and v)
            TALLY.records_applied += applied
            self.environment.events.request.fire(  # type: ignore[no-untyped-call]
                request_type="records",
                name=f"applied per {WRITES[operation]} batch (size = count)",
                response_time=(time.perf_counter() - started) * 1000,
                response_length=applied,
                exception=None,
                context={},
            )
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=body,
            request=request,
            extensions=response.extensions,
        )

    def _fire(self, operation: str, started: float, length: int, error: Exception | None) -> None:
        write = WRITES.get(operation)
        name = (
            f"{write} x{self.batch_size}"
            if write in ("create_item", "create_subitem", "change_column_values", "delete_item")
            else (write or operation)
        )
        self.environment.events.request.fire(  # type: ignore[no-untyped-call]
            request_type="mutation" if write else "query",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=length,
            exception=error,
            context={},
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self.inner.close()


class SyncUser(User):
    """One operator's order book: its own board pair, its own database, the real engine."""

    wait_time = staticmethod(lambda: 0.0)

    def on_start(self) -> None:
        """Clone the board pair, build the database and the engine client."""
        runner = self.environment.runner
        worker = getattr(runner, "worker_index", 0) or 0
        self.number = worker * 1_000 + next(USER_NUMBERS)
        self.offset = 1 + self.number * PROFILE.orders_per_user
        self.inserted = self.slices = 0
        template = BASE.environment(ENV).monday.board_id
        answer = httpx.post(f"{URL}/_emulator/boards/clone", params={"from": template}, timeout=30)
        if answer.status_code != 200:
            _note(f"cannot clone board {template} of environment {ENV!r} on the emulator: {answer.text[:200]}")
            answer.raise_for_status()
        self.board_id = int(answer.json()["board_id"])
        self.subitem_board_id = int(answer.json()["subitem_board_id"])
        self.folder = Path(tempfile.mkdtemp(prefix=f"ordersync-load-u{self.number}-", dir=os.environ.get(SCRATCH_ENV)))
        self.db_url = f"sqlite:///{self.folder / 'orders.db'}"
        self.config = user_config(BASE, PROFILE, URL, self.db_url, self.board_id, self.subitem_board_id, env_name=ENV)
        self.tables = build_tables()
        self.db = make_engine(self.db_url)
        create_schema(self.db, self.tables)
        transport = LocustTransport(self.environment, BATCH)
        self.client = build_client(self.config, ENV, transport, EMULATOR_TOKEN)
        TALLY.users.append(self)

    @task
    def sync_next_slice(self) -> None:
        """Insert the next slice of orders and sync it with ``run_with``, the ``ordersync sync`` code path."""
        if self.inserted >= PROFILE.orders_per_user:
            raise StopUser  # this user's slice is done; the others go on
        count = min(PROFILE.orders_per_run, PROFILE.orders_per_user - self.inserted)
        seed = PROFILE.seed * 1_000_003 + self.number * 10_007 + self.slices
        insert_orders(self.db, self.tables.staging, generate_orders(count, seed, start=self.offset + self.inserted))
        self.inserted += count
        self.slices += 1
        started = time.time()
        TALLY.first_start = min(TALLY.first_start or started, started)
        error: Exception | None = None
        records = 0
        try:
            summary = run_with(self.config, ENV, SyncOptions(), client=self.client, db=self.db, tables=self.tables)
            records = summary.records_synced
            failed = summary.rows_error + summary.rows_rejected + summary.rows_unknown
            TALLY.records_failed += failed
            if summary.status != "SUCCEEDED" or failed:
                error = RuntimeError(f"run {summary.status}: {failed} rows failed; {summary.errors[:1]}")
        except Exception as exc:  # reported to Locust as a failed run; the loop goes on
            error = exc
            TALLY.records_failed += 1
        if error is not None:
            _note(f"user {self.number}: {type(error).__name__}: {error}{self._first_row_error()}")
        ended = time.time()
        TALLY.records += records
        TALLY.runs += 1
        TALLY.last_end = max(TALLY.last_end or ended, ended)
        self.environment.events.request.fire(
            request_type="sync",
            name="sync run (size = records)",
            response_time=(ended - started) * 1000,
            response_length=records,
            exception=error,
            context={},
        )

    def _first_row_error(self) -> str:
        """The first row-level error the engine wrote (it names the column and value), if any."""
        t = self.tables.target
        with self.db.connect() as conn:
            message = conn.execute(
                sa.select(t.c.sync_error_message).where(t.c.sync_error_message.is_not(None)).limit(1)
            ).scalar()
        return f"; first row error: {message}" if message else ""


def _note(message: str) -> None:
    """Keep the first few distinct errors: the page and the gate name the real cause of a failed run."""
    if message not in TALLY.errors and len(TALLY.errors) < MAX_ERRORS:
        TALLY.errors.append(message[:300])


# ------------------------------------------------------------------------------------------- listeners
@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _on_test_start(environment: Environment, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        return
    gevent.spawn(_sample_rss)


def _sample_rss() -> None:
    me = psutil.Process()
    while True:
        TALLY.peak_rss = max(TALLY.peak_rss, me.memory_info().rss)
        gevent.sleep(0.5)


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _on_quitting(environment: Environment, **_: Any) -> None:
    """Write what this process measured (and each user's database and boards), set the exit code.

    The exit code judges what the locustfile can see; the staging reconciliation and the baseline
    are judged by ``run_load_test`` afterwards (:data:`RUNNER_JUDGED`).
    """
    if isinstance(environment.runner, MasterRunner):
        return
    requests = failures = 0
    writes = None
    for (_name, method), entry in environment.stats.entries.items():
        if method in ("mutation", "query"):
            requests += entry.num_requests
            failures += entry.num_failures
        if method == "mutation" and entry.num_requests:
            if writes is None:
                from locust.stats import StatsEntry

                writes = StatsEntry(environment.stats, "writes", "mutation")
            writes.extend(entry)
    latency = (
        {}
        if writes is None
        else {f"p{int(q * 100)}": float(writes.get_response_time_percentile(q)) for q in (0.5, 0.95, 0.99)}
        | {"max": float(writes.max_response_time), "avg": round(float(writes.avg_response_time), 1)}
    )
    elapsed = (TALLY.last_end or 0.0) - (TALLY.first_start or 0.0)
    measured = Measured(
        records=TALLY.records,
        elapsed_s=max(elapsed, 0.0),
        requests=requests,
        request_failures=failures,
        records_failed=TALLY.records_failed,
        peak_rss_mb=TALLY.peak_rss / 1_048_576 if TALLY.peak_rss else None,
        http_429=TALLY.http_429,
        reconciliation=None,
        runs=TALLY.runs,
        latency_ms=latency,
        record_writes=TALLY.record_writes,
        records_applied=TALLY.records_applied,
    )
    verdicts = [v for v in evaluate(PROFILE, measured) if v.name not in RUNNER_JUDGED]
    environment.process_exit_code = exit_code(verdicts)
    result = {
        "profile": PROFILE.name,
        "users": len(TALLY.users),
        "records": measured.records,
        "records_failed": measured.records_failed,
        "elapsed_s": round(measured.elapsed_s, 3),
        "records_per_s": round(measured.records_per_s, 2),
        "runs": measured.runs,
        "requests": requests,
        "request_failures": failures,
        "http_429": TALLY.http_429,
        "latency_ms": latency,
        "peak_rss_mb_locust_process": round(measured.peak_rss_mb or 0.0, 1),
        "record_writes": TALLY.record_writes,
        "records_applied": TALLY.records_applied,
        "batch_size": BATCH,
        "environment": ENV,
        "errors": TALLY.errors,
        "user_boards": [
            {"db_url": u.db_url, "board_id": u.board_id, "subitem_board_id": u.subitem_board_id} for u in TALLY.users
        ],
        "verdicts": [v.__dict__ for v in verdicts],
        "exit_code": environment.process_exit_code,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / RESULT_FILE).write_text(json.dumps(result, indent=2), encoding="utf-8")
    for user in TALLY.users:  # the databases stay: the runner reconciles them, then removes the scratch folder
        user.client.http.close()
        user.db.dispose()
