"""The column-wise planner gives exactly the plan the row-by-row one gave (tests/unit/plan_reference.py).

A few hundred demo headers plus seeded defects of every kind the planner judges: bad sizes,
no or too long a group name, an over-long item name, text in a numbers column, a bad date,
blank text, Decimal scale, labels the board lacks (creatable or not), a mapped column missing
from the board. Operations, encoded values, rejects and warnings must be equal, chunked or not.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import plan_reference as reference
import pytest

from sync.config import Config, load_config
from sync.db import build_tables
from sync.demo import bad_rows, generate_orders, shipped_config_path
from sync.mapping import BoardColumns, encode_rows
from sync.plan import plan_items, plan_subitems

ENV = "development"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(shipped_config_path())


def _column(config: Config, kind: str, *, creatable: bool | None = None) -> str:
    mapping = config.environment(ENV).mapping.items
    return next(
        c
        for c, m in mapping.items()
        if m.type == kind and c != "AAG ORDER NUMBER" and (creatable is None or m.create_labels_if_missing is creatable)
    )


def _headers(config: Config) -> list[dict[str, Any]]:
    """Demo headers in the target table's column order (as the engine reads them), with defects seeded."""
    target = build_tables().target
    raw = [row for chunk in generate_orders(300, 5) for row in chunk] + bad_rows(5)
    rows = [{c.name: row.get(c.name) for c in target.columns} for row in raw]
    number, dated = _column(config, "numbers"), _column(config, "date")
    dropdown = _column(config, "dropdown", creatable=False)
    price = "CUSTOMER PRICE"  # a column of Decimals: 1.10 and 1.1 are equal but encode apart
    assert isinstance(rows[0][price], Decimal)
    seeds: list[dict[str, Any]] = [
        {"M": -4},
        {"L": 2.5, "S": "abc"},
        {"XL": True},
        {"M": Decimal("3")},
        {number: "TBC"},
        {price: Decimal("1.10")},
        {price: Decimal("1.1")},
        {number: "  "},
        {dated: "not a date"},
        {dated: datetime(2026, 5, 1, 10, 30)},
        {dated: date(2026, 5, 1)},
        {"CUSTOMER NAME": None, "CUSTOMER SEASON": None, "AAG SEASON": None},
        {"CUSTOMER SEASON": "S" * 300},
        {"CUSTOMER STYLE": "X" * 200, "CUSTOMER COLOUR DESCRIPTION": "Y" * 200},
        {dropdown: "NEVER SEEN"},
        {"monday_item_id": 123456, "sync_state": "PENDING", "group_name": "OLD GROUP"},
        {"monday_item_id": 777, "action_type": "UPDATE", "retry_count": 2},
    ]
    for i, changes in enumerate(seeds):
        for row in rows[10 + i * 13 : 12 + i * 13]:
            row.update(changes)
    return rows


def _board(config: Config, rows: list[dict[str, Any]], *, lacking: str | None = None) -> BoardColumns:
    """The mapped columns (but ``lacking``); label columns know only the first half's labels."""
    mapping = config.environment(ENV).mapping.items
    types: dict[str, str] = {m.column: str(m.type) for m in mapping.values() if m.column != lacking}
    labels = {
        m.column: {str(r[db]).strip() for r in rows[: len(rows) // 2] if r.get(db) is not None}
        for db, m in mapping.items()
        if m.type in ("dropdown", "status")
    }
    return BoardColumns(types, dict.fromkeys(types, "t"), labels)


def _plan_in_chunks(
    config: Config, rows: list[dict[str, Any]], board: BoardColumns, size: int = 37
) -> tuple[list[Any], list[Any], list[Any]]:
    """``plan_items`` over ``rows`` in chunks of ``size`` (one board, as a run keeps it), outcomes joined."""
    env = config.environment(ENV)
    chunked: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
    for start in range(0, len(rows), size):
        ops, rejects, warnings = plan_items(config, env, rows[start : start + size], board)
        chunked[0].extend(ops)
        chunked[1].extend(rejects)
        chunked[2].extend(warnings)
    return chunked


def test_item_plan_is_the_row_by_row_plan(config: Config) -> None:
    env = config.environment(ENV)
    rows = _headers(config)
    board = _board(config, rows)
    expected = reference.plan_items(config, env, rows, copy.deepcopy(board))
    assert plan_items(config, env, rows, copy.deepcopy(board)) == expected
    assert _plan_in_chunks(config, rows, copy.deepcopy(board)) == expected
    ops, rejects, warnings = expected  # the comparison covers every outcome
    assert ops and warnings and any(op.create_labels for op in ops) and any(op.item_id for op in ops)
    messages = " ".join(r.message for r in rejects)
    for cause in ("size column 'M' has quantity -4", "no group name", "group name is", "'TBC'", "'not a date'"):
        assert cause in messages
    assert "label 'NEVER SEEN' does not exist" in messages
    assert len(ops) > len(rows) // 2


def test_item_plan_with_a_column_missing_from_the_board_matches(config: Config) -> None:
    """A mapped column the board lacks rejects every row with a value in it, in both planners."""
    env = config.environment(ENV)
    rows = _headers(config)
    board = _board(config, rows, lacking=env.mapping.items[_column(config, "text")].column)
    expected = reference.plan_items(config, env, rows, copy.deepcopy(board))
    assert plan_items(config, env, rows, copy.deepcopy(board)) == expected
    assert expected[1] and all("column does not exist on the board" in r.message for r in expected[1])


def test_no_two_operations_share_an_encoded_dict(config: Config) -> None:
    env = config.environment(ENV)
    rows = _headers(config)
    ops, _, _ = plan_items(config, env, rows, _board(config, rows))
    nested = [v for op in ops for v in op.values.values() if isinstance(v, dict | list)]
    inner = [x for v in nested if isinstance(v, dict) for x in v.values() if isinstance(x, dict | list)]
    assert nested and len({id(v) for v in nested}) == len(nested)
    assert len({id(v) for v in inner}) == len(inner)


def test_encode_rows_names_each_row_in_its_problem(config: Config) -> None:
    mapping = config.environment(ENV).mapping.items
    number = _column(config, "numbers")
    board = BoardColumns({m.column: m.type for m in mapping.values()}, {}, {})
    out = encode_rows([{number: "TBC"}, {number: "TBC"}, {number: 5}], mapping, board, ["order A", "order B", "c"])
    assert out[0].problems == [out[1].problems[0].replace("order B", "order A")]
    assert out[1].problems[0].startswith(f"order B: column {number!r} -> {mapping[number].column}: value 'TBC'")
    assert out[2].problems == [] and out[2].values == {mapping[number].column: "5"}


def test_subitem_plan_is_the_row_by_row_plan(config: Config) -> None:
    env = config.environment(ENV)
    column = env.mapping.subitems["size_code"].column
    board = BoardColumns({m.column: m.type for m in env.mapping.subitems.values()}, {}, {column: {"S", "M"}})
    lines = []
    for n, (size, qty, subitem_id, action) in enumerate(
        [
            ("S", 3, None, None),
            ("M", 0, None, None),
            ("L", 2, None, "INSERT"),
            ("XL", 0, 91, "UPDATE"),
            ("S", 5, 92, "UPDATE"),
            ("M", 0, 93, "DELETE"),
            ("  ", 4, None, None),
        ]
    ):
        lines.append(
            {
                "line_uuid": f"l{n}",
                "record_uuid": f"r{n}",
                "order_number": f"ORD-{n}",
                "size_code": size,
                "qty": qty,
                "parent_item_id": 1000 + n,
                "monday_subitem_id": subitem_id,
                "action_type": action,
                "sync_state": "PENDING",
            }
        )
    expected = reference.plan_subitems(config, env, lines, copy.deepcopy(board))
    assert plan_subitems(config, env, lines, copy.deepcopy(board)) == expected
    assert expected[0]


def test_fast_column_path_gives_the_row_by_row_plan(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every label on the board, clean chunks take the fast path; seeded chunks fall back; same plan."""
    import sync.mapping as mapping_module

    env = config.environment(ENV)
    rows = _headers(config)
    board = _board(config, rows)
    for db, m in env.mapping.items.items():
        if m.column in board.labels:
            board.labels[m.column] |= {str(r[db]).strip() for r in rows if r.get(db) is not None and str(r[db]).strip()}
    board.labels[env.mapping.items[_column(config, "dropdown", creatable=False)].column].discard("NEVER SEEN")
    taken: list[bool] = []
    real = mapping_module.fast_column

    def counting(*args: Any, **kwargs: Any) -> object:
        out = real(*args, **kwargs)
        taken.append(out is not None)
        return out

    monkeypatch.setattr(mapping_module, "fast_column", counting)
    expected = reference.plan_items(config, env, rows, copy.deepcopy(board))
    assert _plan_in_chunks(config, rows, board) == expected
    assert any(taken) and not all(taken)  # both paths ran


@pytest.mark.parametrize(
    ("column_type", "values", "labels", "tokens"),
    [
        ("text", ["a ", "  ", None], None, ["a ", None, None]),
        ("text", ["a", 5, Decimal("1.50")], None, ["a", "5", "1.50"]),
        ("text", [Decimal("Infinity")], None, None),
        ("text", [date(2026, 5, 1)], None, None),  # a date in a text column: the general encoder
        ("numbers", [Decimal("1.10"), 7, None, " 2.5 ", " "], None, ["1.10", "7", None, "2.5", None]),
        ("numbers", [Decimal("NaN")], None, None),
        ("numbers", ["1E+3"], None, ["1000"]),
        ("numbers", ["Infinity"], None, None),
        ("numbers", ["TBC"], None, None),
        ("numbers", [True], None, None),
        ("numbers", [1.5], None, None),
        ("date", [date(2026, 5, 1), None], None, ["2026-05-01", None]),
        ("date", [datetime(2026, 5, 1, 10, 30)], None, None),
        ("date", ["2026-05-01"], None, None),
        ("dropdown", [" Red ", "  "], {"Red"}, ["Red", None]),
        ("dropdown", ["Blue"], {"Red"}, None),  # a label the board lacks, and the column may not create it
        ("dropdown", ["Red"], None, None),
        ("status", ["Done"], {"Done"}, ["Done"]),
        ("status", ["D" * 31], {"D" * 31}, None),  # monday's 30-character cap
        ("status", [3], {"Done"}, None),  # a label index
        ("color", ["Anything"], None, ["Anything"]),  # no label check on color columns
        ("checkbox", ["yes"], None, None),
    ],
)
def test_column_tokens_take_only_what_they_are_sure_of(
    column_type: str, values: list[object], labels: set[str] | None, tokens: list[str | None] | None
) -> None:
    from sync.column_tokens import column_tokens

    found = column_tokens(column_type, values, labels)
    assert (found.tokens if found is not None else None) == tokens


def test_column_tokens_flag_labels_a_creating_column_lacks() -> None:
    from sync.column_tokens import column_tokens

    found = column_tokens("dropdown", ["Red", "Blue ", None], {"Red"}, may_create=True)
    assert found is not None and found.tokens == ["Red", "Blue", None] and found.new_labels == {"Blue"}
    assert column_tokens("dropdown", ["Blue"], {"Red"}, may_create=False) is None
