"""Cloning template boards: fresh ids, the same structure, and subitems landing on the cloned pair."""

from __future__ import annotations

import json

from sync.emulator.testing import graphql, make_emulator

DEV_BOARD, DEV_SUBITEMS = "9609317401", "9609317948"


def test_clone_gives_a_fresh_pair_with_the_template_columns() -> None:
    """A clone has new ids, the template's columns and groups, and subtasks pointing at the new pair."""
    emulator, _ = make_emulator()
    board_id, sub_id = emulator.clone_boards(DEV_BOARD)
    assert sub_id is not None
    assert {board_id, sub_id}.isdisjoint({DEV_BOARD, DEV_SUBITEMS})
    template, copy = emulator.state.boards[DEV_BOARD], emulator.state.boards[board_id]
    assert list(copy.columns) == list(template.columns)
    assert [g.id for g in copy.groups] == [g.id for g in template.groups]
    assert copy.subitems_board_id() == sub_id
    assert list(emulator.state.boards[sub_id].columns) == list(emulator.state.boards[DEV_SUBITEMS].columns)


def test_clones_do_not_share_items_or_settings() -> None:
    """Items and subitems created on one clone stay on it; label settings are copies, not shared dicts."""
    emulator, _ = make_emulator()
    first, first_sub = emulator.clone_boards(DEV_BOARD)
    second, _ = emulator.clone_boards(DEV_BOARD)
    query = f'mutation {{ create_item(board_id: {first}, item_name: "x") {{ id }} }}'
    item = graphql(emulator, query)[2]["data"]["create_item"]["id"]
    sub = graphql(
        emulator,
        f'mutation {{ create_subitem(parent_item_id: {item}, item_name: "s") {{ id board {{ id }} }} }}',
    )
    assert sub[2]["data"]["create_subitem"]["board"]["id"] == first_sub
    assert emulator.state.boards[first].item_ids == [item]
    assert emulator.state.boards[second].item_ids == []
    column = next(c for c in emulator.state.boards[first].columns.values() if c.settings.get("labels"))
    before = len(emulator.state.boards[second].columns[column.id].settings["labels"])
    column.settings["labels"].append({"id": 999, "name": "ONLY ON THE FIRST CLONE"})
    assert len(emulator.state.boards[second].columns[column.id].settings["labels"]) == before


def test_clone_endpoint_answers_the_new_ids_and_404s_unknown_templates() -> None:
    """POST /_emulator/boards/clone?from=ID returns both ids; an unknown template is a 404."""
    emulator, _ = make_emulator()
    status, _, body = emulator.handle("POST", f"/_emulator/boards/clone?from={DEV_BOARD}", {}, b"")
    answer = json.loads(body)
    assert status == 200
    assert answer["board_id"] in emulator.state.boards
    assert answer["subitem_board_id"] in emulator.state.boards
    assert emulator.handle("POST", "/_emulator/boards/clone?from=123", {}, b"")[0] == 404
