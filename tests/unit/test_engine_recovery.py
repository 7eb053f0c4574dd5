"""sync.engine.recovery: lost answers are looked up on the board and returned as adoptions; nothing is written."""

from __future__ import annotations

import json

import sqlalchemy as sa
from engine_units import make_run

from sync.emulator import EmulatorTransport, build_emulator
from sync.engine import recovery
from sync.engine.ledger import OpKind, OpStatus
from sync.engine.store import SentOp
from sync.monday.models import NewItem, NewSubitem

BOARD = 9609317401


def _sent(op_id: int, kind: OpKind, key: str, **extra: object) -> SentOp:
    fields = {"after": None, "order_number": None, "parent_item_id": None, "size_code": None} | extra
    return SentOp(op_id, "crashed-run", kind, key, **fields)  # type: ignore[arg-type]


def test_creates_are_adopted_when_found_and_failed_when_not_and_nothing_is_written() -> None:
    """Item by order number, group by title, subitem by name under its parent; other writes are re-sent."""
    emulator = build_emulator(require_token=False, sleep=lambda _s: None)
    run = make_run(EmulatorTransport(emulator))
    order_column = run.env.mapping.items["AAG ORDER NUMBER"].column
    group = run.client.create_group(BOARD, "GREYSON 2026 SPRING")
    item = run.client.create_items(
        BOARD, [NewItem("u1", "an order", group, {order_column: "ORD-1"})], create_labels=False, idempotency_key="k"
    )[0].item_id
    assert item is not None
    sub_name = recovery.subitem_name(run, "M")
    sub = run.client.create_subitems([NewSubitem("l1", item, sub_name, {})], create_labels=False, idempotency_key="s")
    applied = len(emulator.operation_log)
    sent = [
        _sent(1, OpKind.CREATE_ITEM, "u1", order_number="ORD-1"),
        _sent(2, OpKind.CREATE_ITEM, "u2", order_number="ORD-2"),
        _sent(3, OpKind.CREATE_GROUP, "GREYSON 2026 SPRING", after=json.dumps({"group_name": "GREYSON 2026 SPRING"})),
        _sent(4, OpKind.CREATE_GROUP, "NOBODY", after=json.dumps({"group_name": "NOBODY"})),
        _sent(5, OpKind.CREATE_SUBITEM, "l1", parent_item_id=item, size_code="M"),
        _sent(6, OpKind.CREATE_SUBITEM, "l2", parent_item_id=item, size_code="XL"),
        _sent(7, OpKind.UPDATE_ITEM, "u3"),
    ]
    adoptions = {a.op.op_id: a for a in recovery.resolve_sent(run, sent)}
    assert (adoptions[1].status, adoptions[1].monday_id) == (OpStatus.ADOPTED, str(item))
    assert (adoptions[3].status, adoptions[3].monday_id) == (OpStatus.ADOPTED, group)
    assert (adoptions[5].status, adoptions[5].monday_id) == (OpStatus.ADOPTED, str(sub[0].item_id))
    for op_id in (2, 4, 6):
        assert adoptions[op_id].status is OpStatus.FAILED and "not on the board" in str(adoptions[op_id].error)
    assert adoptions[7].status is OpStatus.FAILED and adoptions[7].error == recovery.NOT_LOOKED_UP
    assert len(emulator.operation_log) == applied  # no mutation on monday
    with run.db.connect() as conn:  # and nothing in the database
        assert conn.execute(sa.select(sa.func.count()).select_from(run.tables.operations)).scalar_one() == 0
