"""Column value validation per monday column type, and the label creation policy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.emulator import Emulator
from sync.emulator.testing import graphql, make_emulator

DEV = "9609317401"
CREATE = """mutation($values: JSON, $create: Boolean) {
  create_item(board_id: 9609317401, item_name: "item", column_values: $values,
              create_labels_if_missing: $create) { id column_values { id text value } }
}"""


def create(emulator: Emulator, values: dict[str, Any], create_labels: bool = False) -> dict[str, Any]:
    return graphql(emulator, CREATE, {"values": json.dumps(values), "create": create_labels})[2]


def column(body: dict[str, Any], column_id: str) -> dict[str, Any]:
    return next(v for v in body["data"]["create_item"]["column_values"] if v["id"] == column_id)


def labels_of(emulator: Emulator, column_id: str) -> Any:
    return emulator.state.boards[DEV].columns[column_id].settings["labels"]


@pytest.mark.parametrize(
    ("column_id", "raw", "text"),
    [
        ("text_mkr5wya6", "AAG-42", "AAG-42"),
        ("long_text_mkr5hass", {"text": "two\nlines"}, "two\nlines"),
        ("long_text_mkr5hass", "plain", "plain"),
        ("numeric_mktb1d19", "12.5", "12.5"),
        ("numeric_mktb1d19", 7, "7"),
        ("numeric_mktb1d19", "-3", "-3"),
        ("date_mkr5zp5", {"date": "2025-07-01"}, "2025-07-01"),
        ("date_mkr5zp5", {"date": "2025-07-01", "time": "13:25:00"}, "2025-07-01 13:25:00"),
        ("color_mkr5yf27", {"label": "PAIR"}, "PAIR"),
        ("color_mkr5yf27", {"index": 0}, "EACH"),
        ("dropdown_mkr542p2", {"labels": ["PELOTON", "GREYSON"]}, "PELOTON, GREYSON"),
        ("dropdown_mkr542p2", {"ids": [1]}, "GREYSON"),
        ("dropdown_mkr542p2", "WHITE FOX", "WHITE FOX"),
    ],
)
def test_valid_values_read_back_as_monday_text(column_id: str, raw: Any, text: str) -> None:
    """A valid value of each type is stored and read back with monday's display text."""
    emulator, _ = make_emulator()
    body = create(emulator, {column_id: raw})
    assert "errors" not in body
    assert column(body, column_id)["text"] == text


@pytest.mark.parametrize(
    ("column_id", "raw"),
    [
        ("text_mkr5wya6", {"text": "x"}),
        ("numeric_mktb1d19", "twelve"),
        ("numeric_mktb1d19", True),
        ("date_mkr5zp5", {"date": "2025-02-30"}),
        ("date_mkr5zp5", {"date": "07/01/2025"}),
        ("date_mkr5zp5", {"date": "2025-07-01", "time": "25:00:00"}),
        ("color_mkr5yf27", {"index": 17}),
        ("color_mkr5yf27", 3),
        ("dropdown_mkr542p2", {"ids": [999]}),
        ("long_text_mkr5hass", {"body": "x"}),
        ("subitems_mkr5x0qz", "x"),
    ],
)
def test_invalid_values_raise_column_value_exception(column_id: str, raw: Any) -> None:
    """A value the column type cannot hold fails with ColumnValueException and creates nothing."""
    emulator, _ = make_emulator()
    body = create(emulator, {column_id: raw})
    assert body["data"]["create_item"] is None
    assert body["errors"][0]["extensions"]["code"] == "ColumnValueException"
    assert body["errors"][0]["extensions"]["error_data"]["column_id"] == column_id
    assert emulator.operation_log == []


def test_stored_value_json_matches_monday_read_shape() -> None:
    """Raw values come back as JSON strings in monday's read shape (numbers quoted, dropdown ids)."""
    emulator, _ = make_emulator()
    body = create(emulator, {"numeric_mktb1d19": "5", "dropdown_mkr518fc": {"labels": ["PRE-BOOK"]}})
    assert json.loads(column(body, "numeric_mktb1d19")["value"]) == "5"
    assert json.loads(column(body, "dropdown_mkr518fc")["value"]) == {"ids": [3]}
    assert column(body, "text_mkr5wya6") == {"id": "text_mkr5wya6", "text": "", "value": None}


def test_unknown_dropdown_label_rejected_with_column_and_value_in_message() -> None:
    """Without create_labels_if_missing an unknown dropdown label fails; the message names column + value."""
    emulator, _ = make_emulator()
    body = create(emulator, {"dropdown_mkr542p2": {"labels": ["NEW CUSTOMER"]}})
    message = body["errors"][0]["message"]
    assert "dropdown_mkr542p2" in message
    assert "NEW CUSTOMER" in message
    assert len(labels_of(emulator, "dropdown_mkr542p2")) == 10


def test_dropdown_label_match_is_case_sensitive() -> None:
    """Dropdown labels match case-sensitively, as monday has since 2022."""
    emulator, _ = make_emulator()
    body = create(emulator, {"dropdown_mkr542p2": {"labels": ["greyson"]}})
    assert body["errors"][0]["extensions"]["code"] == "ColumnValueException"


def test_create_labels_if_missing_creates_dropdown_label_with_next_id() -> None:
    """With create_labels_if_missing a new dropdown label is added with the next integer id."""
    emulator, _ = make_emulator()
    body = create(emulator, {"dropdown_mkr58de6": {"labels": ["2027 SUMMER"]}}, create_labels=True)
    assert column(body, "dropdown_mkr58de6")["text"] == "2027 SUMMER"
    assert labels_of(emulator, "dropdown_mkr58de6")[-1] == {"id": 3, "name": "2027 SUMMER"}


def test_create_labels_if_missing_creates_status_label() -> None:
    """With create_labels_if_missing a new status label takes a free index (never the reserved 5)."""
    emulator, _ = make_emulator()
    body = create(emulator, {"color_mkr5yf27": {"label": "DOZEN"}}, create_labels=True)
    assert column(body, "color_mkr5yf27")["text"] == "DOZEN"
    assert labels_of(emulator, "color_mkr5yf27")["4"] == "DOZEN"


def test_status_labels_capped_at_forty() -> None:
    """A status column refuses to grow beyond 40 labels even with create_labels_if_missing."""
    emulator, _ = make_emulator()
    for n in range(36):
        assert "errors" not in create(emulator, {"color_mkr5yf27": {"label": f"L{n}"}}, create_labels=True)
    body = create(emulator, {"color_mkr5yf27": {"label": "ONE TOO MANY"}}, create_labels=True)
    assert body["errors"][0]["extensions"]["code"] == "ColumnValueException"
    assert len(labels_of(emulator, "color_mkr5yf27")) == 40


def test_labels_created_by_a_failed_mutation_are_rolled_back() -> None:
    """If another column in the same mutation fails, labels created for this mutation disappear again."""
    emulator, _ = make_emulator()
    body = create(
        emulator,
        {"dropdown_mkr58de6": {"labels": ["ROLLBACK"]}, "numeric_mktb1d19": "nan?"},
        create_labels=True,
    )
    assert body["errors"][0]["extensions"]["code"] == "ColumnValueException"
    assert [label["name"] for label in labels_of(emulator, "dropdown_mkr58de6")] == [
        "2025 FALL",
        "2026 SPRING",
    ]


def test_null_and_empty_clear_a_column() -> None:
    """null, "" and {} clear a value in change_multiple_column_values."""
    emulator, _ = make_emulator()
    item_id = create(emulator, {"text_mkr5wya6": "A", "numeric_mktb1d19": "1", "date_mkr5zp5": "2025-01-02"})[
        "data"
    ]["create_item"]["id"]
    change = """mutation($id: ID, $v: JSON!) {
      change_multiple_column_values(board_id: 9609317401, item_id: $id, column_values: $v) {
        column_values(ids: ["text_mkr5wya6", "numeric_mktb1d19", "date_mkr5zp5"]) { text } } }"""
    values = json.dumps({"text_mkr5wya6": None, "numeric_mktb1d19": "", "date_mkr5zp5": {}})
    body = graphql(emulator, change, {"id": item_id, "v": values})[2]
    texts = [v["text"] for v in body["data"]["change_multiple_column_values"]["column_values"]]
    assert texts == ["", "", ""]


def test_invalid_json_string_is_a_variable_error() -> None:
    """A column_values string that is not JSON fails coercion like monday's 'Syntax error in JSON input'."""
    emulator, _ = make_emulator()
    status, _, body = graphql(emulator, CREATE, {"values": "{not json", "create": False})
    assert status == 200
    assert "Syntax error in JSON input" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
