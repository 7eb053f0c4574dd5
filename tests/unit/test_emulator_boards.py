"""Board definitions: the packaged boards, JSON board files and vcrpy cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from sync.emulator import boards_from_cassette, boards_from_file, default_boards
from sync.emulator.boards import load_boards


def test_packaged_boards_share_column_ids_and_link_subitem_boards() -> None:
    """Dev and prod items boards have identical column ids; each links its own subitems board."""
    boards = {b.id: b for b in default_boards()}
    dev, prod = boards["9609317401"], boards["9200517329"]
    assert list(dev.columns) == list(prod.columns)
    assert dev.subitems_board_id() == "9609317948"
    assert prod.subitems_board_id() == "9200771505"
    assert dev.columns["numeric_mktb1d19"].type == "numbers"
    assert dev.columns["dropdown_mkr5tgaa"].type == "dropdown"
    assert [g.id for g in dev.groups] == ["topics"]
    assert boards["9609317948"].columns["pulse_id_mkrag4a3"].type == "item_id"


def test_board_file_accepts_settings_str_and_a_single_board(tmp_path: Path) -> None:
    """A board file may hold one board whose columns carry settings_str, as a boards query returns them."""
    path = tmp_path / "board.json"
    column = {"id": "color_x", "title": "S", "type": "status", "settings_str": '{"labels": {"1": "Done"}}'}
    path.write_text(json.dumps({"id": "1", "name": "B", "columns": [column]}))
    (board,) = boards_from_file(path)
    assert board.columns["color_x"].settings == {"labels": {"1": "Done"}}
    assert "name" in board.columns
    assert board.groups[0].id == "topics"


def test_boards_from_cassette_reads_recorded_boards_answer(tmp_path: Path) -> None:
    """A vcrpy cassette holding a boards{columns groups} answer yields those boards (via load_boards too)."""
    answer = {
        "data": {
            "boards": [
                {
                    "id": "42",
                    "name": "Recorded",
                    "columns": [{"id": "text_a", "title": "A", "type": "text", "settings_str": "{}"}],
                    "groups": [{"id": "group_mkabcdef", "title": "G"}],
                }
            ]
        }
    }
    cassette = {
        "interactions": [
            {
                "request": {"body": "{}"},
                "response": {"status": {"code": 200}, "body": {"string": json.dumps(answer)}},
            },
            {
                "request": {"body": "{}"},
                "response": {"status": {"code": 200}, "body": {"string": '{"data": {}}'}},
            },
        ],
        "version": 1,
    }
    path = tmp_path / "boards.yaml"
    path.write_text(yaml.safe_dump(cassette))
    (board,) = boards_from_cassette(path)
    assert (board.id, board.name, list(board.columns), board.groups[0].id) == (
        "42",
        "Recorded",
        ["name", "text_a"],
        "group_mkabcdef",
    )
    assert load_boards(path)[0].id == "42"
