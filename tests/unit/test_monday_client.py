"""Reads, single mutations, headers and documents of the monday client (MockTransport, no network)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest

import sync.monday
from sync.monday import operations as ops
from sync.monday.client import MondayClient
from sync.monday.errors import MondayFatalError, MondayRecordError
from sync.monday.models import ColumnValueRecord, NewItem
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

SCHEMA = Path(sync.monday.__file__).with_name("schema.graphql")
Handler = Callable[[dict[str, Any]], dict[str, Any]]


def client_for(handler: Handler, seen: list[httpx.Request] | None = None) -> MondayClient:
    """A client whose fake server answers each JSON body with ``handler(body)`` as HTTP 200."""

    def respond(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(200, json=handler(json.loads(request.content)))

    http = build_http_client(
        api_url="https://api.monday.test/v2", token="secret-token", transport=httpx.MockTransport(respond)
    )
    return MondayClient(http, retry=RetryPolicy(), pacer=None, sleep=lambda s: None)


def item(n: int, *, order: str, group: str = "topics", parent: int | None = None) -> dict[str, Any]:
    """An item as monday returns it from the ItemFields fragment."""
    return {
        "id": str(n),
        "name": f"Order {n}",
        "group": {"id": group},
        "parent_item": {"id": str(parent)} if parent else None,
        "column_values": [
            {"id": "order_no", "text": order, "value": json.dumps(order)},
            {"id": "status", "text": "Done", "value": {"index": 1}},
        ],
    }


def test_headers_token_version_and_endpoint() -> None:
    """Requests carry Authorization, API-Version and JSON content type, posted to /v2 exactly."""
    seen: list[httpx.Request] = []
    client = client_for(
        lambda b: {"data": {"complexity": {"before": 10, "after": 9, "query": 1, "reset_in_x_seconds": 40}}},
        seen,
    )
    info = client.complexity()
    assert (info.after, info.reset_in_x_seconds) == (9, 40)
    [request] = seen
    assert request.url == "https://api.monday.test/v2"
    assert request.headers["Authorization"] == "secret-token"
    assert request.headers["API-Version"] == "2026-10"
    assert request.headers["Content-Type"] == "application/json"
    assert "Idempotency-Key" not in request.headers
    assert "secret-token" not in repr(client.http)


def test_no_token_no_authorization_header() -> None:
    """Without a token (emulator) no Authorization header is sent."""
    http = build_http_client(api_url="http://emulator/v2", token=None)
    assert "Authorization" not in http.headers


def test_get_boards_parses_columns_and_groups() -> None:
    """Board ids become ints, settings_str is parsed, groups keep their opaque ids."""
    board = {
        "id": "123",
        "name": "Orders",
        "columns": [
            {"id": "status", "title": "Status", "type": "status", "settings_str": '{"labels":{"1":"Done"}}'},
            {"id": "text0", "title": "AAG ORDER NUMBER", "type": "text", "settings_str": "{}"},
            {"id": "odd", "title": "Odd", "type": "text", "settings_str": "not json"},
        ],
        "groups": [{"id": "topics", "title": "Open"}],
    }
    client = client_for(lambda b: {"data": {"boards": [board]}})
    [info] = client.get_boards([123])
    assert info.id == 123
    assert info.columns[0].settings == {"labels": {"1": "Done"}}
    assert info.columns[2].settings == {}
    assert info.groups[0].id == "topics"


def test_iter_items_follows_cursor() -> None:
    """items_page, then next_items_page until the cursor is null."""
    pages = {
        None: ("c1", [item(1, order="A1")]),
        "c1": ("c2", [item(2, order="A2", parent=1)]),
        "c2": (None, [item(3, order="A3", group="group_mk1")]),
    }

    def handler(body: dict[str, Any]) -> dict[str, Any]:
        cursor = body["variables"].get("cursor")
        nxt, items = pages[cursor]
        page = {"cursor": nxt, "items": items}
        if cursor is None:
            assert body["operationName"] == "ItemsPage"
            return {"data": {"boards": [{"items_page": page}]}}
        assert body["operationName"] == "NextItemsPage"
        return {"data": {"next_items_page": page}}

    records = list(client_for(handler).iter_items(5, limit=1))
    assert [r.id for r in records] == [1, 2, 3]
    assert records[1].parent_id == 1
    assert records[2].group_id == "group_mk1"
    assert records[0].values["order_no"] == ColumnValueRecord("A1", '"A1"')
    assert records[0].values["status"].value == '{"index": 1}'


def test_iter_items_unknown_board_is_fatal() -> None:
    """An empty boards list means the board is missing or invisible: fatal."""
    with pytest.raises(MondayFatalError):
        list(client_for(lambda b: {"data": {"boards": []}}).iter_items(5))


def test_find_items_by_column_groups_ids_by_value() -> None:
    """Every requested value gets a list, empty when monday has no such item; duplicates are kept."""

    def handler(body: dict[str, Any]) -> dict[str, Any]:
        assert body["variables"]["columns"] == [
            {"column_id": "order_no", "column_values": ["A1", "A2", "A9"]}
        ]
        return {
            "data": {
                "items_page_by_column_values": {
                    "cursor": None,
                    "items": [item(1, order="A1"), item(2, order="A2"), item(3, order="A2")],
                }
            }
        }

    found = client_for(handler).find_items_by_column(5, "order_no", ["A1", "A2", "A9"])
    assert found == {"A1": [1], "A2": [2, 3], "A9": []}


def test_create_group_returns_string_id() -> None:
    """create_group returns monday's opaque group id."""
    client = client_for(lambda b: {"data": {"i0": {"id": "group_mkpbd6vy", "title": b["variables"]["name"]}}})
    assert client.create_group(5, "2026-05") == "group_mkpbd6vy"


def test_delete_group_alias_error_is_raised() -> None:
    """A record error on a single mutation is raised to the caller."""
    body = {
        "data": {"i0": None},
        "errors": [
            {"message": "Group not found", "path": ["i0"], "extensions": {"code": "InvalidArgumentException"}}
        ],
    }
    with pytest.raises(MondayRecordError):
        client_for(lambda b: body).delete_group(5, "nope")


def test_record_error_outside_alias_is_fatal() -> None:
    """A record-type error that no alias owns fails the request as fatal."""
    body = {
        "data": {"boards": None},
        "errors": [
            {
                "message": "Board not found",
                "path": ["boards"],
                "extensions": {"code": "ResourceNotFoundException"},
            }
        ],
    }
    with pytest.raises(MondayFatalError) as info:
        client_for(lambda b: body).get_boards([1])
    assert info.value.code == "ResourceNotFoundException"


DOCUMENTS = [
    ops.Document("GetBoards", ops.BOARDS),
    ops.Document("ItemsPage", ops.ITEMS_PAGE),
    ops.Document("NextItemsPage", ops.NEXT_ITEMS_PAGE),
    ops.Document("ItemsPageByColumnValues", ops.ITEMS_PAGE_BY_COLUMN_VALUES),
    ops.Document("ItemsById", ops.ITEMS_BY_ID),
    ops.Document("Complexity", ops.COMPLEXITY),
    ops.create_items_document(1, [("a", "g", '{"x":1}'), ("b", None, None)], create_labels=True),
    ops.create_subitems_document([(2, "s", None)], create_labels=False),
    ops.change_column_values_document(1, [(3, "{}")], create_labels=False),
    ops.delete_items_document([4, 5], archive=False),
    ops.delete_items_document([6], archive=True),
    ops.create_group_document(1, "g"),
    ops.create_groups_document(1, ["g1", "g2"]),
    ops.delete_group_document(1, "g"),
]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=[d.operation_name for d in DOCUMENTS])
def test_documents_validate_against_schema_subset(doc: ops.Document) -> None:
    """Every document the client can send validates against schema.graphql and names its operation."""
    schema = graphql.build_schema(SCHEMA.read_text())
    parsed = graphql.parse(doc.query)
    assert graphql.validate(schema, parsed) == []
    names = [
        d.name.value for d in parsed.definitions if isinstance(d, graphql.OperationDefinitionNode) and d.name
    ]
    assert names == [doc.operation_name]


def test_public_api_is_pinned() -> None:
    """sync.monday exports exactly its documented names, all importable."""
    assert sorted(sync.monday.__all__) == sorted(set(sync.monday.__all__))
    for name in sync.monday.__all__:
        assert hasattr(sync.monday, name)
    assert {"MondayClient", "RetryPolicy", "Pacer", "build_http_client", "encode_value"} <= set(
        sync.monday.__all__
    )


def test_null_alias_without_error_is_a_record_outcome() -> None:
    """An alias that comes back null with no error fails only that item (code NO_DATA)."""
    body = {"data": {"i0": {"id": "10"}, "i1": None}}
    client = client_for(lambda b: body)
    new = [NewItem("a", "A", None, {}), NewItem("b", "B", None, {})]
    first, second = client.create_items(1, new, create_labels=False, idempotency_key="n")
    assert first.item_id == 10
    assert second.error is not None
    assert second.error.code == "NO_DATA"
