"""Error shapes for unknown boards, columns, groups and parents, name length and aliased batches."""

from __future__ import annotations

import json
from typing import Any

from sync.emulator.testing import graphql, make_emulator

CREATE = """mutation($board: ID!, $name: String!, $group: String, $values: JSON) {
  create_item(board_id: $board, item_name: $name, group_id: $group, column_values: $values) { id }
}"""


def first_error(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["errors"][0])


def test_unknown_board_is_invalid_board_id_exception() -> None:
    """create_item on a board that does not exist fails with InvalidBoardIdException and board_id data."""
    emulator, _ = make_emulator()
    body = graphql(emulator, CREATE, {"board": "123", "name": "x"})[2]
    error = first_error(body)
    assert error["extensions"] == {  # [MCP] gateway fixtures, with extensions.service as monday sends it
        "code": "InvalidBoardIdException",
        "status_code": 200,
        "error_data": {"board_id": 123},
        "service": "monolith",
    }
    assert error["path"] == ["create_item"]
    assert body["data"] == {"create_item": None}


def test_unknown_column_is_invalid_column_id_exception() -> None:
    """A column_values key that is not on the board fails with InvalidColumnIdException."""
    emulator, _ = make_emulator()
    body = graphql(emulator, CREATE, {"board": "9609317401", "name": "x", "values": '{"text_nope": "a"}'})[2]
    assert first_error(body)["extensions"]["code"] == "InvalidColumnIdException"
    assert first_error(body)["extensions"]["error_data"]["column_id"] == "text_nope"


def test_subitem_columns_are_not_parent_board_columns() -> None:
    """Parent-board column ids are rejected on create_subitem (subitems have their own board)."""
    emulator, _ = make_emulator()
    parent = graphql(emulator, CREATE, {"board": "9609317401", "name": "p"})[2]["data"]["create_item"]["id"]
    query = """mutation($p: ID!, $v: JSON) {
      create_subitem(parent_item_id: $p, item_name: "S", column_values: $v) { id } }"""
    body = graphql(emulator, query, {"p": parent, "v": '{"text_mkr5wya6": "a"}'})[2]
    assert first_error(body)["extensions"]["code"] == "InvalidColumnIdException"


def test_unknown_group_is_resource_not_found() -> None:
    """An unknown group_id fails with ResourceNotFoundException (status_code 404); nothing is created."""
    emulator, _ = make_emulator()
    body = graphql(emulator, CREATE, {"board": "9609317401", "name": "x", "group": "group_mkzzzzzz"})[2]
    assert first_error(body)["extensions"]["code"] == "ResourceNotFoundException"
    assert first_error(body)["extensions"]["status_code"] == 404
    assert emulator.operation_log == []


def test_unknown_parent_item_is_invalid_item_id() -> None:
    """create_subitem with a parent that does not exist: InvalidItemIdException "Item not found", HTTP 200.

    Source: [DOCS error-handling] (monday-api.md §5); not a 404-style ResourceNotFoundException.
    """
    emulator, _ = make_emulator()
    status, _, body = graphql(emulator, 'mutation { create_subitem(parent_item_id: 1, item_name: "S") { id } }')
    assert status == 200
    assert first_error(body)["extensions"]["code"] == "InvalidItemIdException"
    assert first_error(body)["message"] == "Item not found"


def test_item_name_must_be_1_to_255_characters() -> None:
    """Empty and over-long names fail with ItemNameTooLongException; 255 characters is fine."""
    emulator, _ = make_emulator()
    for name, ok in (("", False), ("x" * 256, False), ("x" * 255, True)):
        body = graphql(emulator, CREATE, {"board": "9609317401", "name": name})[2]
        assert ("errors" not in body) is ok
        if not ok:
            assert first_error(body)["extensions"]["code"] == "ItemNameTooLongException"


def test_aliased_batch_with_one_bad_alias_applies_the_others() -> None:
    """In an aliased batch only the bad alias fails (null data + error with its path); the rest apply."""
    emulator, _ = make_emulator()
    values = [json.dumps({"numeric_mktb1d19": v}) for v in ("1", "not a number", "3")]
    query = """mutation($a: JSON, $b: JSON, $c: JSON) {
      a: create_item(board_id: 9609317401, item_name: "A", column_values: $a) { id }
      b: create_item(board_id: 9609317401, item_name: "B", column_values: $b) { id }
      c: create_item(board_id: 9609317401, item_name: "C", column_values: $c) { id }
    }"""
    status, _, body = graphql(emulator, query, dict(zip("abc", values, strict=True)))
    assert status == 200
    assert body["data"]["a"]["id"]
    assert body["data"]["c"]["id"]
    assert body["data"]["b"] is None
    assert [e["path"] for e in body["errors"]] == [["b"]]
    assert [op.item_name for op in emulator.operation_log] == ["A", "C"]


def test_create_item_without_group_goes_to_top_group() -> None:
    """Without group_id the item lands in the board's top group."""
    emulator, _ = make_emulator()
    query = 'mutation { create_item(board_id: 9609317401, item_name: "x") { group { id } } }'
    assert graphql(emulator, query)[2]["data"]["create_item"]["group"]["id"] == "topics"


def test_deleting_the_last_group_is_refused() -> None:
    """delete_group on a board's only group fails with DeleteLastGroupException (409)."""
    emulator, _ = make_emulator()
    body = graphql(emulator, 'mutation { delete_group(board_id: 9609317401, group_id: "topics") { id } }')[2]
    assert first_error(body)["extensions"]["code"] == "DeleteLastGroupException"


def test_invalid_document_is_graphql_validation_failed() -> None:
    """A document that does not validate against the schema gets HTTP 200 with GRAPHQL_VALIDATION_FAILED."""
    emulator, _ = make_emulator()
    status, _, body = graphql(emulator, "{ boards { id no_such_field } }")
    assert status == 200
    assert first_error(body)["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in body
    assert body["extensions"]["request_id"]


def test_missing_token_is_401() -> None:
    """Without an Authorization header the emulator answers 401 unless built with require_token=False."""
    emulator, _ = make_emulator(require_token=True)
    status, _, body = graphql(emulator, "{ complexity { query } }")
    assert status == 401
    assert graphql(emulator, "{ complexity { query } }", headers={"Authorization": "t"})[0] == 200
    # [DOCS error-handling]: monday's real 401 body, nothing else (no invented code, no envelope)
    assert body == {"errors": [{"message": "Not Authenticated", "extensions": {"code": "NOT_AUTHENTICATED"}}]}


def test_delete_and_archive_cascade_to_subitems() -> None:
    """Deleting or archiving a parent changes its subitems' state too; items_page stops returning them."""
    emulator, _ = make_emulator()
    parent = graphql(emulator, CREATE, {"board": "9609317401", "name": "p"})[2]["data"]["create_item"]["id"]
    sub = graphql(
        emulator,
        'mutation($p: ID!) { create_subitem(parent_item_id: $p, item_name: "S") { id } }',
        {"p": parent},
    )[2]["data"]["create_subitem"]["id"]
    graphql(emulator, "mutation($i: ID) { archive_item(item_id: $i) { id } }", {"i": parent})
    states = graphql(
        emulator, "query($ids: [ID!]) { items(ids: $ids) { id state } }", {"ids": [parent, sub]}
    )[2]
    assert [i["state"] for i in states["data"]["items"]] == ["archived", "archived"]
    graphql(emulator, "mutation($i: ID) { delete_item(item_id: $i) { id } }", {"i": parent})
    assert emulator.state.items[sub].state == "deleted"
    page = graphql(emulator, "{ boards(ids: [9609317948]) { items_page { items { id } } } }")[2]
    assert page["data"]["boards"][0]["items_page"]["items"] == []
