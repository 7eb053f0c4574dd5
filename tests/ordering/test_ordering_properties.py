"""Ordering invariants hold for any small order book under any seeded mix of faults (emulator oplog)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.config import load_config
from sync.db import DEFAULT_SIZES
from sync.demo import CUSTOMERS, SEASONS, generate_orders
from sync.emulator import FaultProfile, OpRecord
from sync.monday.client import MondayClient
from sync.monday.models import ItemRecord
from validation.gates.ordering import (
    BoardSnapshot,
    check_ordering,
    expected_unsyncable,
    snapshot,
)
from validation.gates.sandbox import open_sandbox

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "ordersync.toml")
ENV = "development"
KEY_COLUMN = CONFIG.environment(ENV).mapping.items["AAG ORDER NUMBER"].column


@st.composite
def order_books(draw: st.DrawFn) -> list[dict[str, Any]]:
    """5-40 demo orders with random customers, seasons (some missing) and size runs."""
    count = draw(st.integers(min_value=5, max_value=40))
    base = next(generate_orders(count, seed=draw(st.integers(0, 10_000))))
    rows = []
    for row in base:
        customer = draw(st.sampled_from(CUSTOMERS))[0]
        aag = draw(st.sampled_from((*SEASONS, None)))
        customer_season = draw(st.sampled_from(("FA25 X", "SP26 Y", "HO25 Z", None, None)))
        sizes = draw(st.lists(st.sampled_from(DEFAULT_SIZES), min_size=0, max_size=6, unique=True))
        quantities = {s: draw(st.integers(min_value=0, max_value=400)) for s in sizes}
        clean = {k: v for k, v in row.items() if k not in DEFAULT_SIZES}
        rows.append(
            {
                **clean,
                "CUSTOMER NAME": customer,
                "AAG SEASON": aag,
                "CUSTOMER SEASON": customer_season,
                **quantities,
                "TOTAL QTY": sum(quantities.values()),
            }
        )
    return rows


fault_profiles = st.builds(
    FaultProfile,
    rate_429=st.floats(0, 0.08),
    rate_500=st.floats(0, 0.08),
    rate_timeout=st.floats(0, 0.05),
    rate_timeout_after_apply=st.floats(0, 0.08),
    seed=st.integers(0, 2**16),
    rate_answer_lost=st.floats(0, 0.1),  # unknown outcomes that only the look-up recovery can settle
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rows=order_books(), faults=fault_profiles)
def test_ordering_invariants_hold_under_faults(rows: list[dict[str, Any]], faults: FaultProfile) -> None:
    """Groups before items before subitems, nothing twice, every order and line synced (or refused)."""
    with open_sandbox(CONFIG, ENV, rows=rows, faults=faults, seed=faults.seed) as box:
        initial = {g.id for g in box.boards()[box.items_board_id].groups}
        box.sync_until_done()
        snap = snapshot(box, initial)
    unsyncable = expected_unsyncable(CONFIG, snap.staging)
    failed = [c for c in check_ordering(snap, key_column=KEY_COLUMN, unsyncable=unsyncable) if c.violation_count]
    assert failed == []


def test_checker_finds_each_kind_of_violation() -> None:
    """A hand-made log with every mistake: each invariant reports it."""

    def op(seq: int, kind: str, **fields: Any) -> OpRecord:
        return OpRecord(
            seq=seq,
            time=0.0,
            request_id="r",
            idempotency_key=None,
            op=kind,
            board_id=fields.pop("board", "1"),
            **fields,
        )

    item = ItemRecord(id=10, name="A", group_id="g1", parent_id=None, values={"key": _cell("ORD-1")})
    twin = ItemRecord(id=11, name="A", group_id="g1", parent_id=None, values={"key": _cell("ORD-1")})
    sub = ItemRecord(id=20, name="Size S", group_id="topics", parent_id=10, values={})
    snap = BoardSnapshot(
        oplog=[
            op(1, "create_item", group_id="g1", item_id="10"),
            op(2, "create_group", group_id="g1"),
            op(3, "create_subitem", board="2", item_id="20", parent_item_id="99"),
            op(4, "create_group", group_id="g2"),
        ],
        items_board_id=1,
        subitems_board_id=2,
        initial_groups=frozenset({"topics"}),
        groups={"g1": "ACME FA25", "g2": "ACME FA25"},
        items=[item, twin],
        subitems=[sub, sub],
        staging=[{"AAG ORDER NUMBER": "ORD-1"}, {"AAG ORDER NUMBER": "ORD-2"}],
        orders=[
            {
                "AAG ORDER NUMBER": "ORD-1",
                "record_uuid": "u1",
                "sync_state": "SYNCED",
                "monday_item_id": 10,
                "sync_error_message": None,
                "group_name": "ACME FA25",
            }
        ],
        lines=[
            {
                "record_uuid": "u1",
                "size_code": "M",
                "qty": 5,
                "sync_state": "ERROR",
                "monday_subitem_id": None,
                "sync_error_message": "boom",
            }
        ],
    )
    results = {c.name: c for c in check_ordering(snap, key_column="key")}
    assert all(not c.ok for c in results.values()), {n: c.violations for n, c in results.items() if c.ok}
    assert "created later (seq 2)" in results["groups before items"].violations[0]
    assert "which no create_item made" in results["items before subitems"].violations[0]
    assert "'ACME FA25' is on the board 2 times" in results["no duplicate group titles"].violations[0]
    assert "ORD-2 never reached" in results["every order synced"].violations[0]


def _cell(text: str) -> Any:
    from sync.monday.models import ColumnValueRecord

    return ColumnValueRecord(text=text, value=None)


def test_gate_catches_group_creation_without_idempotency_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a create_groups retried after a timeout-after-apply without its key duplicates groups."""
    original = MondayClient._send

    def no_key_for_groups(self: MondayClient, doc: Any, operation: str, *, idempotency_key: str | None = None) -> Any:
        return original(self, doc, operation, idempotency_key=None if operation == "create_group" else idempotency_key)

    monkeypatch.setattr(MondayClient, "_send", no_key_for_groups)
    faults = FaultProfile(rate_timeout_after_apply=0.4, seed=3)
    with open_sandbox(CONFIG, ENV, orders=30, seed=3, faults=faults) as box:
        box.sync_until_done()
        snap = snapshot(box, {"topics"})
    checks = {c.name: c for c in check_ordering(snap, key_column=KEY_COLUMN)}
    assert not checks["no duplicate group titles"].ok
