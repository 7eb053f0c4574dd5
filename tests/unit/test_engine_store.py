"""sync.engine.store on SQLite in memory: one pending filter for the count and the read; the success share."""

from __future__ import annotations

import httpx
import pytest
from engine_units import add_orders, make_run, order

from sync.engine import store
from sync.engine.options import SyncOptions


def _nothing(_request: httpx.Request) -> httpx.Response:
    raise AssertionError("the store never talks to monday")


@pytest.mark.parametrize(
    "options",
    [
        SyncOptions(),
        SyncOptions(customer="PELOTON"),
        SyncOptions(max_retries=2),
        SyncOptions(limit=7),
        SyncOptions(states=("ERROR",), max_retries=3, customer="GREYSON"),
        SyncOptions(record_uuids=("u0001", "u0002", "u0040")),
    ],
)
def test_the_count_and_the_read_use_the_same_filter(options: SyncOptions) -> None:
    """Whatever the scope, the progress total equals the rows the run reads."""
    run = make_run(httpx.MockTransport(_nothing), options)
    add_orders(
        run,
        *[order(n, customer="PELOTON" if n % 3 else "GREYSON", retries=n % 4) for n in range(20)],
        *[order(n, state="ERROR", retries=n % 5) for n in range(20, 30)],
        *[order(n, state="SYNCED") for n in range(30, 45)],
    )
    with run.db.connect() as conn:
        read = [row["record_uuid"] for chunk in store.header_chunks(conn, run) for row in chunk]
    assert store.count_pending_headers(run) == len(read)
    assert len(read) == len(set(read))


def test_synced_share_counts_rows_by_where_they_ended() -> None:
    """Rows set out to push that ended SYNCED, over all of them; a row deleted on purpose counts as done."""
    run = make_run(httpx.MockTransport(_nothing))
    add_orders(run, order(1, state="SYNCED"), order(2, state="SYNCED"), order(3, state="ERROR"), order(4))
    assert store.synced_share(run, ["u0001", "u0002", "u0003", "u0004"], []) == (2, 4)
    assert store.synced_share(run, ["u0001", "u0002"], ["gone-line"]) == (3, 3)
    assert store.synced_share(run, [], []) == (0, 0)


def test_adopting_never_overwrites_an_item_id() -> None:
    """A late adoption links only orders still without an item."""
    run = make_run(httpx.MockTransport(_nothing))
    add_orders(run, order(1), {**order(2, state="SYNCED"), "monday_item_id": 77})
    with run.db.begin() as conn:
        store.adopt_items(conn, run, {"u0001": 11, "u0002": 12})
    rows = {r["record_uuid"]: r for r in _rows(run)}
    assert (rows["u0001"]["monday_item_id"], rows["u0001"]["action_type"]) == (11, "UPDATE")
    assert (rows["u0002"]["monday_item_id"], rows["u0002"]["sync_state"]) == (77, "SYNCED")


def _rows(run: object) -> list[dict[str, object]]:
    import sqlalchemy as sa

    with run.db.connect() as conn:  # type: ignore[attr-defined]
        return [dict(r) for r in conn.execute(sa.select(run.tables.target)).mappings()]  # type: ignore[attr-defined]
