"""The monday client against the emulator served over HTTP on 127.0.0.1, faults included."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from engine_support import ENV, Demo, make_demo

from sync.connect import build_client
from sync.emulator import Emulator, EmulatorTransport, FaultProfile, build_emulator, serve
from sync.emulator.faults import Faults
from sync.emulator.testing import FakeClock
from sync.engine import SyncOptions, run_with
from sync.monday.client import MondayClient
from sync.monday.models import NewItem
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client
from sync.rollback import rollback_with
from sync.verify import verify

BOARD = 9609317401
CUSTOMER_COLUMN = "dropdown_mkr542p2"  # CUSTOMER NAME; label creation not allowed


def _client(url: str) -> MondayClient:
    http = build_http_client(api_url=url, token="test-token", timeout_s=10)
    return MondayClient(
        http,
        retry=RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=5),
        pacer=None,
        max_batch=10,
        sleep=lambda _s: None,
    )


def test_429_storm_and_timeouts_after_apply_end_with_one_item_per_order() -> None:
    """A seeded storm of 429s, 500s and applied-then-timed-out requests: every order lands exactly once."""
    faults = FaultProfile(rate_429=0.25, rate_500=0.1, rate_timeout_after_apply=0.15, seed=5)
    emulator = build_emulator(faults=faults, sleep=lambda _s: None)
    server = serve(port=0, emulator=emulator)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v2"
        client = _client(url)
        group = client.create_group(BOARD, "GREYSON 2025 FALL", idempotency_key="it-group")
        items = [NewItem(f"k{i}", f"order {i}", group, {"text_mkr5wya6": f"GRE-{i:05d}"}) for i in range(120)]
        outcomes = client.create_items(BOARD, items, create_labels=False, idempotency_key="it-batch")
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok][:3]
        assert client.stats.http_429 > 0 and client.stats.retries > 0
        on_board = Counter(r.values["text_mkr5wya6"].text for r in client.iter_items(BOARD, limit=100))
        assert len(on_board) == 120 and set(on_board.values()) == {1}
        creates = [op for op in emulator.operation_log if op.op == "create_item"]
        assert len(creates) == 120
    finally:
        server.shutdown()
        server.server_close()


def test_boards_query_over_http_returns_the_packaged_boards() -> None:
    """A plain boards query over loopback answers with columns and groups."""
    server = serve(port=0, emulator=build_emulator())
    try:
        client = _client(f"http://127.0.0.1:{server.server_address[1]}/v2")
        (items, subitems) = client.get_boards([BOARD, 9609317948])
        assert {c.id for c in items.columns} >= {"text_mkr5wya6", "dropdown_mkr542p2", "dropdown_mkr58de6"}
        assert {c.id for c in subitems.columns} >= {"dropdown_mkrak7qp", "numeric_mkra7j8e"}
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("version", ["2024-10", "2026-10"])
def test_503_timeouts_and_body_only_429s_over_http_are_retried(version: str) -> None:
    """Over a socket: 503 TIMEOUT_EXCEEDED (with and without a message) and 429s whose wait is only in the
    body are retried in both error formats; the boards come back."""
    faults = FaultProfile(rate_timeout=0.4, rate_concurrency=0.3, retry_in_seconds=2, seed=3)
    server = serve(port=0, emulator=build_emulator(faults=faults, sleep=lambda _s: None))
    try:
        http = build_http_client(
            api_url=f"http://127.0.0.1:{server.server_address[1]}/v2", token="t", api_version=version, timeout_s=10
        )
        slept: list[float] = []
        client = MondayClient(http, retry=RetryPolicy(max_attempts=20, base_delay=0.01), pacer=None, sleep=slept.append)
        for _ in range(4):
            assert client.get_boards([BOARD])[0].id == BOARD
        codes = set(client.stats.errors_by_code)
        assert "TIMEOUT_EXCEEDED" in codes
        assert codes & {"MAX_CONCURRENCY_EXCEEDED", "maxConcurrencyExceeded"}
        assert 2.0 in slept  # the concurrency answers' wait, read from the body (no Retry-After sent)
    finally:
        server.shutdown()
        server.server_close()


# ---- acceptance of issue 15: verify, rollback and sync against monday's real answers -----------------------
# In-process (EmulatorTransport) on the demo: the emulator's clock is swapped for a FakeClock after the sync
# so a test can move it past a cursor's 60-minute lifetime in the middle of a walk.

CURSOR_LIFETIME_S = 60 * 60


class CursorKiller(httpx.BaseTransport):
    """Moves the emulator's clock past a cursor's lifetime before the first ``expiries`` next_items_page calls."""

    def __init__(self, inner: httpx.BaseTransport, clock: FakeClock, expiries: int = 1) -> None:
        self.inner, self.clock, self.expiries = inner, clock, expiries

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.expiries and b"next_items_page" in request.read():
            self.clock.advance(CURSOR_LIFETIME_S + 1)
            self.expiries -= 1
        return self.inner.handle_request(request)


def _killer_client(demo: Demo) -> tuple[MondayClient, CursorKiller]:
    clock = FakeClock(time.time())
    demo.emulator.clock = clock
    killer = CursorKiller(EmulatorTransport(demo.emulator), clock)
    client = build_client(demo.config, ENV, killer, "test-token")
    client._sleep = lambda _s: None
    return client, killer


def test_verify_completes_when_the_walk_outlives_its_cursor(tmp_path: Path, database_url: str) -> None:
    """150 orders (> 500 subitems: two pages); the cursor dies before page 2; verify restarts and is clean."""
    with make_demo(tmp_path, database_url, orders=150) as demo:
        assert demo.sync().status == "SUCCEEDED"
        assert len(demo.ops("create_subitem")) > 500
        client, killer = _killer_client(demo)
        report = verify(demo.config, ENV, client=client, db=demo.db, tables=demo.tables)
        assert killer.expiries == 0, "the walk never used a second page: the test proves nothing"
        assert client.stats.cursor_restarts == 1
        assert report.ok, report.as_dict()


def test_rollback_completes_when_the_walk_outlives_its_cursor(tmp_path: Path, database_url: str) -> None:
    """Rollback walks the items board (ids and groups, 500 per page) before deleting a group; a dead cursor
    restarts the walk (600 foreign items: the walk needs a second page)."""
    with make_demo(tmp_path, database_url, orders=8) as demo:
        run = demo.sync()
        others = [NewItem(f"o{i}", f"not ours {i}", "topics", {}) for i in range(600)]
        assert all(o.ok for o in demo.client().create_items(BOARD, others, create_labels=False, idempotency_key="x"))
        client, killer = _killer_client(demo)
        report = rollback_with(demo.config, ENV, run.run_id, client=client, db=demo.db, tables=demo.tables)
        assert killer.expiries == 0 and client.stats.cursor_restarts >= 1
        assert report.complete, report.remaining
        assert report.groups_deleted >= 1
        assert len(list(demo.client().iter_items(BOARD))) == 600  # the other items are untouched


class FieldLimited(httpx.BaseTransport):
    """Every other request that reads ``subitems`` meets FIELD_LIMIT_EXCEEDED (emulator fault, 3 s in the body)."""

    def __init__(self, inner: httpx.BaseTransport, emulator: Emulator) -> None:
        self.inner, self.emulator, self.reads = inner, emulator, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        hit = b"subitems { id }" in request.read() and self.reads % 2 == 0
        self.reads += b"subitems { id }" in request.read()
        profile = FaultProfile(rate_field_limit=1.0 if hit else 0.0, retry_in_seconds=3)
        self.emulator.faults = Faults(profile)
        return self.inner.handle_request(request)


def test_a_run_meeting_field_limit_waits_and_completes(tmp_path: Path, database_url: str) -> None:
    """FIELD_LIMIT_EXCEEDED on every other read of subitems: verify's walks wait the body's 3 s (no
    Retry-After header is sent), read again and complete clean."""
    with make_demo(tmp_path, database_url, orders=30) as demo:
        assert demo.sync().status == "SUCCEEDED"
        slept: list[float] = []
        client = build_client(demo.config, ENV, FieldLimited(EmulatorTransport(demo.emulator), demo.emulator), "t")
        client._sleep = slept.append
        report = verify(demo.config, ENV, client=client, db=demo.db, tables=demo.tables)
        assert report.ok, report.as_dict()
        assert client.stats.errors_by_code.get("FIELD_LIMIT_EXCEEDED", 0) >= 2
        assert slept and set(slept) == {3.0}


class LabelRemover(httpx.BaseTransport):
    """After the engine read the boards, a person deletes one dropdown label on monday."""

    def __init__(self, inner: httpx.BaseTransport, emulator: Emulator, column: str, label: str) -> None:
        self.inner, self.emulator, self.column, self.label = inner, emulator, column, label

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if b'"GetBoards"' in request.read():
            settings = self.emulator.state.boards[str(BOARD)].columns[self.column].settings
            settings["labels"] = [lab for lab in settings["labels"] if lab["name"] != self.label]
        return response


def _copy_orders(demo: Demo, customer: str) -> None:
    """Two new orders that need no new label: one copy of a ``customer`` order, one of another customer's."""
    staging = demo.tables.staging
    with demo.db.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(staging).order_by(staging.c["AAG ORDER NUMBER"])).mappings()]
    picked = [
        next(r for r in rows if r["CUSTOMER NAME"] == customer),
        next(r for r in rows if r["CUSTOMER NAME"] != customer),
    ]
    copies = [
        {**r, "record_uuid": str(uuid.uuid4()), "AAG ORDER NUMBER": f"{r['AAG ORDER NUMBER']}-COPY"} for r in picked
    ]
    demo.execute(staging.insert().values(copies))


def test_legacy_column_value_error_marks_its_row_and_the_run_goes_on(tmp_path: Path, database_url: str) -> None:
    """API 2024-10, one mutation per request: after the run read the boards, a person deletes a customer's
    dropdown label; that order's create gets the legacy ColumnValueException (top-level, no path) and only
    its row becomes ERROR, naming the label; the other new order syncs and the run does not fail."""
    with make_demo(tmp_path, database_url, orders=12) as demo:
        assert demo.sync().status == "SUCCEEDED"  # every label the data needs now exists
        target = demo.tables.target
        customer = demo.rows(target)[0]["CUSTOMER NAME"]
        _copy_orders(demo, customer)
        transport = LabelRemover(EmulatorTransport(demo.emulator), demo.emulator, CUSTOMER_COLUMN, customer)
        client = build_client(demo.config, ENV, transport, "test-token")
        client.http.headers["API-Version"] = "2024-10"
        client.max_batch = 1
        client._sleep = lambda _s: None
        summary = run_with(demo.config, ENV, SyncOptions(), client=client, db=demo.db, tables=demo.tables)
        copies = {r["AAG ORDER NUMBER"]: r for r in demo.rows(target) if r["AAG ORDER NUMBER"].endswith("-COPY")}
        states = {r["CUSTOMER NAME"] == customer: r["sync_state"] for r in copies.values()}
        assert states == {True: "ERROR", False: "SYNCED"}
        [bad] = [r for r in copies.values() if r["sync_state"] == "ERROR"]
        assert customer in bad["sync_error_message"]
        # the run went on: no fatal stop, the good copy and its lines were written after the bad one
        # (status is FAILED only because 1 of 2 new orders is below the success threshold)
        assert summary.rows_error == 1 and summary.items_created == 1 and summary.subitems_created >= 1
        assert not any("fatal" in str(e).lower() for e in summary.errors)
        assert "ColumnValueException" in json.dumps(summary.errors)
