"""The emulator's log of attempted writes (refused ones included) and the answer_lost fault."""

from __future__ import annotations

import json

import httpx
import pytest

from sync.emulator import Emulator, EmulatorTransport, FaultProfile, default_boards
from sync.emulator.oplog import OperationLog, OpOutcome

ITEMS_BOARD = "9609317401"
CREATE = """mutation ($board: ID!, $group: String) {
  a: create_item(board_id: $board, item_name: "A", group_id: $group) { id }
  b: create_item(board_id: $board, item_name: "B", group_id: "group_nowhere") { id }
}"""


def _post(emulator: Emulator, query: str, variables: dict[str, object], key: str | None = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    with httpx.Client(transport=EmulatorTransport(emulator), base_url="https://api.monday.com") as http:
        return http.post("/v2", json={"query": query, "variables": variables}, headers=headers)


def test_refused_writes_are_logged_with_their_arguments_and_code() -> None:
    """An item sent into a group that does not exist is refused, and the attempt is in the log; applied too."""
    emulator = Emulator(default_boards(), require_token=False)
    body = _post(emulator, CREATE, {"board": ITEMS_BOARD, "group": "topics"}).json()
    assert body["data"]["a"]["id"] and body["data"]["b"] is None
    attempts = emulator.attempted_operations
    assert [(r.op, r.outcome, r.item_name) for r in attempts] == [
        ("create_item", OpOutcome.APPLIED, "A"),
        ("create_item", OpOutcome.REFUSED, "B"),
    ]
    refused = attempts[1]
    assert (refused.board_id, refused.group_id, refused.error_code) == (
        ITEMS_BOARD,
        "group_nowhere",
        "ResourceNotFoundException",
    )
    assert [r.item_name for r in emulator.operation_log] == ["A"]  # applied writes only, as before
    restored = OperationLog.from_list(json.loads(json.dumps(emulator.state.oplog.to_list())))
    assert restored.records()[1].outcome is OpOutcome.REFUSED


def test_answer_lost_applies_once_and_every_retry_times_out() -> None:
    """answer_lost: the write is applied, and retries with the same key never get the answer."""
    emulator = Emulator(default_boards(), require_token=False, faults=FaultProfile(rate_answer_lost=1.0))
    query = 'mutation ($board: ID!) { a: create_item(board_id: $board, item_name: "A", group_id: "topics") { id } }'
    for _ in range(3):
        with pytest.raises(httpx.ReadTimeout):
            _post(emulator, query, {"board": ITEMS_BOARD}, key="k-1")
    assert [r.item_name for r in emulator.operation_log] == ["A"]
    assert emulator.lost_answers == {"k-1"}
