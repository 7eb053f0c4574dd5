"""Pure batches (sync.engine.plan) and the run lease (sync.engine.lease) on SQLite in memory and for SQL Server."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from engine_units import make_run
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateTable

from sync.engine.lease import Lease, LeaseHeldError
from sync.engine.ledger import OpKind, utcnow
from sync.engine.pipeline import hold_lease
from sync.engine.plan import ItemOp, SubitemOp, item_batches, move_batches, subitem_batches


def _item(
    n: int, *, item_id: int | None = None, group: str = "G NEW", old: str | None = None, labels: bool = False
) -> ItemOp:
    return ItemOp(f"u{n}", f"ORD-{n}", "C", f"item {n}", group, {}, labels, item_id, {"group_name": old})


def _line(n: int, action: str, *, labels: bool = False) -> SubitemOp:
    return SubitemOp(f"l{n}", "u1", "ORD-1", 1, action, f"Size {n}", {}, labels, None if action == "INSERT" else n, {})


def test_item_batches_create_before_update_split_by_label_policy_and_size() -> None:
    """Creates first, then updates; a request never mixes label policies; none exceeds the size."""
    ops = [_item(n, labels=n % 3 == 0) for n in range(7)] + [_item(n, item_id=n) for n in range(7, 10)]
    batches = item_batches(ops, 2)
    kinds = [b.kind for b in batches]
    assert kinds == sorted(kinds, key=[OpKind.CREATE_ITEM, OpKind.UPDATE_ITEM].index)
    assert all(len(b.ops) <= 2 and {op.create_labels for op in b.ops} == {b.create_labels} for b in batches)
    assert sorted(op.record_uuid for b in batches for op in b.ops) == sorted(op.record_uuid for op in ops)


def test_only_items_whose_group_changed_are_moved() -> None:
    """An item moves when it exists and its group name differs from the one it is in."""
    ops = [
        _item(1, item_id=11, group="G NEW", old="G OLD"),
        _item(2, item_id=12, group="G SAME", old="G SAME"),
        _item(3, group="G NEW", old="G OLD"),  # not on the board yet: a create, not a move
        _item(4, item_id=14, group="G NEW", old=None),  # group never recorded: nothing to move from
    ]
    moves = move_batches(ops, 10)
    assert [[op.record_uuid for op in b.ops] for b in moves] == [["u1"]]
    assert moves[0].kind is OpKind.MOVE_ITEM and ops[0].moved_from == "G OLD"


def test_subitem_batches_create_then_update_then_delete() -> None:
    """Subitem writes go creates -> updates -> deletes."""
    ops = [_line(1, "DELETE"), _line(2, "UPDATE"), _line(3, "INSERT"), _line(4, "INSERT", labels=True)]
    kinds = [b.kind for b in subitem_batches(ops, 5)]
    assert kinds == [OpKind.CREATE_SUBITEM, OpKind.CREATE_SUBITEM, OpKind.UPDATE_SUBITEM, OpKind.DELETE_SUBITEM]


def _no_http(_request: httpx.Request) -> httpx.Response:
    raise AssertionError("the lease never talks to monday")


def test_one_holder_at_a_time_expiry_takeover_and_release() -> None:
    """A second claimant is refused naming the holder; after expiry it takes over; the old holder learns it lost."""
    run = make_run(httpx.MockTransport(_no_http))
    first = Lease(run.db, run.tables, "development", "run-first", ttl_s=60)
    first.acquire()
    second = Lease(run.db, run.tables, "development", "run-second", ttl_s=60)
    with pytest.raises(LeaseHeldError, match=r"locked by run run-first .*pid"):
        second.acquire()
    Lease(run.db, run.tables, "production", "run-prod").acquire()  # another environment is independent
    with run.db.begin() as conn:
        leases = run.tables.leases
        conn.execute(
            leases.update().where(leases.c.owner == "run-first").values(expires_at=utcnow() - timedelta(seconds=1))
        )
    second.acquire()
    assert second.taken_over_from == "run-first"
    assert first.renew() is False
    with pytest.raises(LeaseHeldError):
        first.acquire()
    first.release()  # not ours any more: releases nothing
    with pytest.raises(LeaseHeldError, match="run-second"):
        Lease(run.db, run.tables, "development", "run-third").acquire()
    second.release()
    with hold_lease(run.db, run.tables, "development", "run-fourth", ttl_s=60) as lease:
        assert lease.renew() and not lease.lost
    with hold_lease(run.db, run.tables, "development", "run-fifth"):
        pass


def test_the_lease_table_and_statements_compile_for_sql_server() -> None:
    """DDL and every statement of the lease compile with the mssql dialect (production is SQL Server)."""
    run = make_run(httpx.MockTransport(_no_http))
    dialect = mssql.dialect()
    ddl = str(CreateTable(run.tables.leases).compile(dialect=dialect))
    assert "CREATE TABLE ordersync_leases" in ddl and "PRIMARY KEY (environment)" in ddl
    lease = Lease(run.db, run.tables, "production", "run-x")
    now = utcnow()
    for statement in (
        lease.insert_statement(now),
        lease.take_over_statement(now),
        lease.renew_statement(now),
        lease.release_statement(),
    ):
        sql = str(statement.compile(dialect=dialect))
        assert "ordersync_leases" in sql
    assert "expires_at <" in str(lease.take_over_statement(now).compile(dialect=dialect))
