"""MondayClient.get_items (root ``items`` by id, chunks of 100) and subitem ids on every item read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import graphql
import httpx

import sync.monday
from sync.emulator import EmulatorTransport
from sync.emulator.testing import make_emulator
from sync.monday import operations as ops
from sync.monday.client import MondayClient
from sync.monday.models import ColumnValueRecord, NewItem, NewSubitem
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

SCHEMA = Path(sync.monday.__file__).with_name("schema.graphql")
DEV_BOARD = 9609317401


def mock_client(seen: list[dict[str, Any]], answer: Any = None) -> MondayClient:
    """A client whose fake server records each body and answers every asked id (or ``answer(body)``)."""

    def respond(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        if answer is not None:
            return httpx.Response(200, json=answer(body))
        items = [raw_item(int(i)) for i in body["variables"]["ids"]]
        return httpx.Response(200, json={"data": {"items": items}})

    http = build_http_client(
        api_url="https://api.monday.test/v2", token="secret-token", transport=httpx.MockTransport(respond)
    )
    return MondayClient(http, retry=RetryPolicy(), pacer=None, sleep=lambda s: None)


def raw_item(n: int, *, state: str = "active", subitems: tuple[int, ...] = ()) -> dict[str, Any]:
    """An item as root ``items`` returns it."""
    return {
        "id": str(n),
        "name": f"Order {n}",
        "state": state,
        "group": {"id": "topics"},
        "parent_item": None,
        "column_values": [{"id": "order_no", "text": f"A{n}", "value": json.dumps(f"A{n}")}],
        "subitems": [{"id": str(s)} for s in subitems],
    }


def test_get_items_chunks_by_100() -> None:
    """250 ids go out as ItemsById requests of 100, 100 and 50, each with limit = chunk size."""
    seen: list[dict[str, Any]] = []
    records = mock_client(seen).get_items(list(range(1, 251)))
    assert [len(b["variables"]["ids"]) for b in seen] == [100, 100, 50]
    assert [b["variables"]["limit"] for b in seen] == [100, 100, 50]
    assert {b["operationName"] for b in seen} == {"ItemsById"}
    assert seen[0]["variables"]["ids"][0] == "1"  # ids travel as strings (GraphQL ID)
    assert [r.id for r in records] == list(range(1, 251))


def test_get_items_parses_state_subitems_and_values() -> None:
    """State, subitem ids, group and column values (text + raw JSON) are all read."""
    seen: list[dict[str, Any]] = []

    def answer(body: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"items": [raw_item(7, state="deleted", subitems=(70, 71)), None]}}

    [record] = mock_client(seen, answer).get_items([7, 8])
    assert record.state == "deleted"
    assert record.subitem_ids == (70, 71)
    assert record.group_id == "topics"
    assert record.values["order_no"] == ColumnValueRecord("A7", '"A7"')


def test_get_items_asks_each_id_once_and_nothing_for_none() -> None:
    """Repeated ids are asked once; an empty request sends nothing."""
    seen: list[dict[str, Any]] = []
    client = mock_client(seen)
    assert client.get_items([]) == []
    assert seen == []
    client.get_items([5, 5, 6, 5])
    assert seen[0]["variables"]["ids"] == ["5", "6"]


def test_items_by_id_document_asks_state_and_subitems() -> None:
    """ItemsById validates against schema.graphql and selects state and subitems { id }."""
    schema = graphql.build_schema(SCHEMA.read_text())
    parsed = graphql.parse(ops.ITEMS_BY_ID)
    assert graphql.validate(schema, parsed) == []
    assert "state" in ops.ITEMS_BY_ID
    assert "subitems { id }" in ops.ITEM_FIELDS


def test_iter_items_fills_subitem_ids() -> None:
    """Board pages carry each item's subitem ids; state stays None there (pages only hold active items)."""
    page = {"cursor": None, "items": [raw_item(1, subitems=(10, 11)) | {"state": None}, raw_item(2)]}
    seen: list[dict[str, Any]] = []
    client = mock_client(seen, lambda body: {"data": {"boards": [{"items_page": page}]}})
    first, second = client.iter_items(5)
    assert first.subitem_ids == (10, 11)
    assert first.state is None
    assert second.subitem_ids == ()


def test_get_items_against_emulator_sees_deleted_items() -> None:
    """Through the emulator: a deleted item is still returned by id, with state 'deleted' and its subitems."""
    emulator, _clock = make_emulator()
    transport = EmulatorTransport(emulator)
    http = build_http_client(api_url="https://api.monday.com/v2", token=None, transport=transport)
    client = MondayClient(http, retry=RetryPolicy(), pacer=None, sleep=lambda s: None)
    new = [NewItem("a", "Order A", None, {})]
    [made] = client.create_items(DEV_BOARD, new, create_labels=False, idempotency_key="k")
    assert made.item_id is not None
    subs = client.create_subitems(
        [NewSubitem("s1", made.item_id, "Size S", {}), NewSubitem("s2", made.item_id, "Size M", {})],
        create_labels=False, idempotency_key="s",
    )
    sub_ids = tuple(s.item_id for s in subs)
    [listed] = list(client.iter_items(DEV_BOARD))
    assert listed.subitem_ids == sub_ids
    [deleted] = client.delete_items([made.item_id], idempotency_key="d")
    assert deleted.ok
    [record] = client.get_items([made.item_id, 999_999_999])
    assert (record.id, record.state) == (made.item_id, "deleted")
    assert list(client.iter_items(DEV_BOARD)) == []
