"""The emulator answers every error and limit in monday's documented shape, for both API-Version families.

Sources, as cited in /work/shared/reference/monday-api.md:
* [DOCS error-handling] 2026 (§5): unified format from 2025-01, status table, 401, InvalidItemIdException;
* [DOCS errors] older version (§5): legacy top-level ``error_code`` bodies, ``{message, locations}`` validation errors;
* [DOCS rate-limits] (§4, §8): daily calls, concurrency, RateLimit headers, FIELD_LIMIT_EXCEEDED, 0.1-call accounting;
* [MCP] error.utils.test.ts gateway fixtures (§5): 2026 limit codes, 429 without Retry-After, 503 TIMEOUT_EXCEEDED;
* changelog hotfix + airbyte #31539 (§5): legacy ComplexityException at HTTP 200 with the wait in the message.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from sync.emulator import FaultProfile
from sync.emulator.model import Item
from sync.emulator.shapes import ErrorFormat, error_format
from sync.emulator.testing import graphql, make_emulator

BOARD = "9609317401"
UNIFIED, LEGACY = "2026-10", "2024-10"
VERSIONS = [UNIFIED, LEGACY]
CREATE = """mutation($board: ID!, $name: String!, $values: JSON) {
  create_item(board_id: $board, item_name: $name, column_values: $values) { id }
}"""
READ = "{ boards(ids: [9609317401]) { items_page(limit: 5) { items { id subitems { id } column_values { id } } } } }"


def post(emulator: Any, query: str, version: str, variables: dict[str, Any] | None = None) -> tuple[int, Any, Any]:
    return graphql(emulator, query, variables, headers={"API-Version": version})


def new_item(emulator: Any) -> str:
    body = graphql(emulator, CREATE, {"board": BOARD, "name": "x"})[2]
    return str(body["data"]["create_item"]["id"])


def assert_legacy_top_level(body: dict[str, Any], code: str | None, status_code: int) -> None:
    """[DOCS errors] (older): top-level error fields, no path, account_id, no extensions envelope."""
    if code is None:
        assert "error_code" not in body
    else:
        assert body["error_code"] == code
    assert body["status_code"] == status_code
    assert "path" not in json.dumps(body.get("errors", []))
    assert body["account_id"] == 1
    assert "extensions" not in body


def test_version_families() -> None:
    """2025-01 and later are unified; 2024-10 and older legacy; aliases and unknown strings get Current's."""
    assert [error_format(v) for v in ("2024-10", "2025-01", "2026-10", "dev", "current")] == [
        ErrorFormat.LEGACY,
        ErrorFormat.UNIFIED,
        ErrorFormat.UNIFIED,
        ErrorFormat.UNIFIED,
        ErrorFormat.UNIFIED,
    ]


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_dropdown_label_is_column_value_exception(version: str) -> None:
    """[DOCS error-handling] / [PP] #21: unknown dropdown label without create_labels, HTTP 200."""
    emulator, _ = make_emulator()
    values = json.dumps({"dropdown_mkr542p2": {"labels": ["NO SUCH CUSTOMER"]}})
    status, _, body = post(emulator, CREATE, version, {"board": BOARD, "name": "x", "values": values})
    assert status == 200
    if version == UNIFIED:
        [error] = body["errors"]
        assert error["path"] == ["create_item"]
        assert error["extensions"]["code"] == "ColumnValueException"
        assert error["extensions"]["status_code"] == 200
        assert error["extensions"]["error_data"]["column_id"] == "dropdown_mkr542p2"
        assert error["extensions"]["service"] == "monolith"
        assert body["data"] == {"create_item": None}
        assert body["extensions"]["request_id"]
    else:
        assert_legacy_top_level(body, "ColumnValueException", 200)
        assert "NO SUCH CUSTOMER" in body["error_message"]
        assert body["error_data"]["column_id"] == "dropdown_mkr542p2"
        assert "data" not in body and "errors" not in body


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "mutation",
    [
        'change_multiple_column_values(board_id: 9609317401, item_id: 77, column_values: "{}") { id }',
        "delete_item(item_id: 77) { id }",
        "archive_item(item_id: 77) { id }",
        'create_subitem(parent_item_id: 77, item_name: "s") { id }',
    ],
)
def test_unknown_item_is_invalid_item_id_at_http_200(version: str, mutation: str) -> None:
    """[DOCS error-handling]: a missing item is InvalidItemIdException 'Item not found', HTTP 200, not a 404."""
    emulator, _ = make_emulator()
    status, _, body = post(emulator, "mutation { " + mutation + " }", version)
    assert status == 200
    if version == UNIFIED:
        assert body["errors"][0]["extensions"]["code"] == "InvalidItemIdException"
        assert body["errors"][0]["message"] == "Item not found"
    else:
        assert_legacy_top_level(body, "InvalidItemIdException", 200)
        assert body["error_message"] == "Item not found"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (UNIFIED, {"errors": [{"message": "Not Authenticated", "extensions": {"code": "NOT_AUTHENTICATED"}}]}),
        (LEGACY, {"errors": ["Not Authenticated"]}),
    ],
)
def test_401_is_monday_body_and_nothing_else(version: str, expected: dict[str, Any]) -> None:
    """[DOCS error-handling]: 401 carries NOT_AUTHENTICATED (or the legacy bare string), no invented code."""
    emulator, _ = make_emulator(require_token=True)
    status, _, body = post(emulator, "{ complexity { query } }", version)
    assert (status, body) == (401, expected)


@pytest.mark.parametrize("version", VERSIONS)
def test_validation_error_shape(version: str) -> None:
    """Unified: GRAPHQL_VALIDATION_FAILED code; legacy: {message, locations} with no code ([DOCS errors] shape 1)."""
    emulator, _ = make_emulator()
    body = post(emulator, "{ boards { nope } }", version)[2]
    entry = body["errors"][0]
    assert entry["locations"]
    if version == UNIFIED:
        assert entry["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    else:
        assert set(entry) == {"message", "locations"}
        assert body["account_id"] == 1


@pytest.mark.parametrize(
    ("version", "request_id", "account_id"),
    [("2026-10", True, False), ("2025-07", True, False), ("2025-04", False, True), ("2024-10", False, True)],
)
def test_envelope_request_id_from_2025_07_account_id_before(version: str, request_id: bool, account_id: bool) -> None:
    """Envelopes carry extensions.request_id from 2025-07 ([MCP] fixtures), account_id before ([DOCS errors])."""
    emulator, _ = make_emulator()
    status, headers, body = post(emulator, "{ complexity { query } }", version)
    assert status == 200
    assert ("request_id" in body.get("extensions", {})) is request_id
    assert ("account_id" in body) is account_id
    assert headers["API-Version"] == version


# ---- limit answers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_complexity_exhausted_shapes(version: str) -> None:
    """Unified: 429 COMPLEXITY_BUDGET_EXHAUSTED + retry_in_seconds. Legacy: ComplexityException at HTTP 200,
    status_code 429, the wait only in the message, errors[] as bare strings (changelog hotfix, airbyte #31539)."""
    emulator, clock = make_emulator(complexity_budget=15_000)
    assert post(emulator, CREATE, version, {"board": BOARD, "name": "a"})[0] == 200
    clock.advance(20)
    status, headers, body = post(emulator, CREATE, version, {"board": BOARD, "name": "b"})
    assert "Retry-After" not in headers
    if version == UNIFIED:
        assert status == 429
        assert body["errors"][0]["extensions"] == {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 40}
    else:
        assert status == 200
        assert_legacy_top_level(body, "ComplexityException", 429)
        assert body["error_message"].endswith("reset in 40 seconds")
        assert "budget remaining" in body["error_message"]
        assert body["errors"] == [body["error_message"]]
        assert "retry_in_seconds" not in json.dumps(body["error_data"])


@pytest.mark.parametrize("version", VERSIONS)
def test_field_limit_is_429_with_partial_data(version: str) -> None:
    """FIELD_LIMIT_EXCEEDED ([DOCS rate-limits] §8): 429, subitems nulled, the wait in the body only."""
    emulator, _ = make_emulator(faults=FaultProfile(rate_field_limit=1.0, retry_in_seconds=7))
    new_item(emulator)  # mutations read no subitems: unaffected
    status, headers, body = post(emulator, READ, version)
    assert status == 429
    assert "Retry-After" not in headers
    item = body["data"]["boards"][0]["items_page"]["items"][0]
    assert item["subitems"] is None and item["column_values"]
    if version == UNIFIED:
        [error] = body["errors"]
        assert error["extensions"] == {"code": "FIELD_LIMIT_EXCEEDED", "retry_in_seconds": 7}
        assert error["path"] == ["boards", 0, "items_page", "items", 0, "subitems"]
    else:
        assert_legacy_top_level(body, "FIELD_LIMIT_EXCEEDED", 429)
        assert body["error_data"] == {"retry_in_seconds": 7}


def test_nested_too_many_requests_is_200_partial() -> None:
    """Sub-service throttling (§5): HTTP 200, tooManyRequests status_code 400, service data-structure, nested path."""
    emulator, _ = make_emulator(faults=FaultProfile(rate_nested=1.0))
    new_item(emulator)
    status, _, body = post(emulator, READ, UNIFIED)
    assert status == 200
    [error] = body["errors"]
    assert error["path"] == ["boards", 0, "items_page", "items", 0, "column_values"]
    assert error["extensions"]["code"] == "tooManyRequests"
    assert error["extensions"]["status_code"] == 400
    assert error["extensions"]["service"] == "data-structure"
    assert body["data"]["boards"][0]["items_page"]["items"][0]["column_values"] is None


@pytest.mark.parametrize(
    ("rate", "code", "legacy_code", "legacy_message"),
    [
        ("rate_429", "MINUTE_RATE_LIMIT_EXCEEDED", None, "Rate Limit Exceeded."),
        ("rate_concurrency", "MAX_CONCURRENCY_EXCEEDED", "maxConcurrencyExceeded", "Max concurrency exceeded"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_injected_limit_answers(
    version: str, rate: str, code: str, legacy_code: str | None, legacy_message: str
) -> None:
    """[MCP] fixtures (unified codes, wait in the body) and [DOCS rate-limits] (legacy spellings), HTTP 429."""
    emulator, _ = make_emulator(faults=FaultProfile(**{rate: 1.0}, retry_in_seconds=15))
    status, headers, body = post(emulator, "{ complexity { query } }", version)
    assert status == 429
    assert "Retry-After" not in headers
    if version == UNIFIED:
        assert body["errors"][0]["extensions"] == {"code": code, "retry_in_seconds": 15}
        assert body["extensions"]["request_id"]
    else:
        assert_legacy_top_level(body, legacy_code, 429)
        assert body["error_message"] == legacy_message


def test_retry_after_header_only_when_the_profile_asks() -> None:
    """The 2026 gateway leaves Retry-After out; the switch adds it for clients of older gateways."""
    emulator, _ = make_emulator(faults=FaultProfile(rate_429=1.0, retry_in_seconds=9, retry_after_header=True))
    assert graphql(emulator, "{ complexity { query } }")[1]["Retry-After"] == "9"


@pytest.mark.parametrize("version", VERSIONS)
def test_timeout_is_503_sometimes_without_message(version: str) -> None:
    """[MCP] fixtures: HTTP 503 TIMEOUT_EXCEEDED; every other one carries no message."""
    emulator, _ = make_emulator(faults=FaultProfile(rate_timeout=1.0))
    first = post(emulator, "{ complexity { query } }", version)
    second = post(emulator, "{ complexity { query } }", version)
    assert first[0] == second[0] == 503
    if version == UNIFIED:
        messages = ["message" in b["errors"][0] for b in (first[2], second[2])]
        assert sorted(messages) == [False, True]
        assert all(b["errors"][0]["extensions"]["code"] == "TIMEOUT_EXCEEDED" for b in (first[2], second[2]))
    else:
        assert all(b["error_code"] == "TIMEOUT_EXCEEDED" and b["status_code"] == 503 for b in (first[2], second[2]))
        assert sorted("error_message" in b for b in (first[2], second[2])) == [False, True]


# ---- daily limit, concurrency, board capacity ----------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_daily_limit_with_monday_accounting_and_next_day(version: str) -> None:
    """[DOCS rate-limits]: DAILY_LIMIT_EXCEEDED past the plan's calls; refused calls and complexity-only
    queries count 0.1; the limit resets at midnight UTC (the fake clock's next_day)."""
    emulator, clock = make_emulator(daily_call_limit=2)
    assert post(emulator, "{ complexity { query } }", version)[0] == 200  # 0.1
    assert post(emulator, CREATE, version, {"board": BOARD, "name": "a"})[0] == 200  # 1.1
    assert post(emulator, CREATE, version, {"board": BOARD, "name": "b"})[0] == 200  # 2.1
    status, _, body = post(emulator, CREATE, version, {"board": BOARD, "name": "c"})
    assert status == 429
    if version == UNIFIED:
        ext = body["errors"][0]["extensions"]
        assert ext["code"] == "DAILY_LIMIT_EXCEEDED"
        assert 0 < ext["retry_in_seconds"] <= 86_400
    else:
        assert_legacy_top_level(body, "DAILY_LIMIT_EXCEEDED", 429)
        assert 0 < body["error_data"]["retry_in_seconds"] <= 86_400
    assert emulator.daily.used == pytest.approx(2.2)  # the refused call counted 0.1
    assert len(emulator.operation_log) == 2
    clock.next_day()
    assert post(emulator, CREATE, version, {"board": BOARD, "name": "c"})[0] == 200
    assert emulator.daily.used == pytest.approx(1.0)


def test_plan_sets_daily_limit_and_concurrency() -> None:
    """The plan table (sync.monday.plans) feeds the emulator's daily limit and concurrency cap."""
    from sync.monday.plans import MondayPlan

    emulator, _ = make_emulator(plan=MondayPlan.PRO)
    assert (emulator.daily.limit, emulator.in_flight.cap) == (10_000, 100)
    headers = graphql(emulator, "{ complexity { query } }")[1]
    assert '"concurrency";r=100' in headers["RateLimit"]
    assert '"concurrency";q=100' in headers["RateLimit-Policy"]


def test_requests_over_the_concurrency_cap_get_max_concurrency_exceeded() -> None:
    """In-flight requests over the cap are refused with 429 MAX_CONCURRENCY_EXCEEDED; a freed slot serves again."""
    release = threading.Event()
    entered = threading.Event()

    def slow_sleep(_seconds: float) -> None:
        entered.set()
        release.wait(5)

    emulator, _ = make_emulator(max_concurrency=1, faults=FaultProfile(latency_ms=1))
    emulator.sleep = slow_sleep
    results: list[int] = []
    holder = threading.Thread(target=lambda: results.append(graphql(emulator, "{ complexity { query } }")[0]))
    holder.start()
    assert entered.wait(5)
    status, _, body = graphql(emulator, "{ complexity { query } }")
    release.set()
    holder.join(5)
    assert status == 429
    assert body["errors"][0]["extensions"]["code"] == "MAX_CONCURRENCY_EXCEEDED"
    assert body["errors"][0]["extensions"]["retry_in_seconds"] > 0
    assert results == [200]
    assert graphql(emulator, "{ complexity { query } }")[0] == 200


@pytest.mark.parametrize("version", VERSIONS)
def test_the_10001st_item_is_refused_with_items_limitation_exception(version: str) -> None:
    """[DOCS error-handling]: ItemsLimitationException past 10,000 items per board; a deleted item frees a place."""
    emulator, _ = make_emulator()
    board = emulator.state.boards[BOARD]
    assert board.items_limit == 10_000
    for n in range(10_000):  # fill the board directly: 10,000 GraphQL creates would only test patience
        item_id = str(1_000_000 + n)
        emulator.state.items[item_id] = Item(item_id, f"filler {n}", BOARD, "topics")
        board.item_ids.append(item_id)
    status, _, body = post(emulator, CREATE, version, {"board": BOARD, "name": "10001st"})
    assert status == 200
    if version == UNIFIED:
        assert body["errors"][0]["extensions"]["code"] == "ItemsLimitationException"
        assert "10,000 items per board" in body["errors"][0]["message"]
    else:
        assert_legacy_top_level(body, "ItemsLimitationException", 200)
    assert emulator.operation_log == []
    emulator.state.items["1000000"].state = "deleted"
    assert "errors" not in post(emulator, CREATE, version, {"board": BOARD, "name": "fits"})[2]


@pytest.mark.parametrize("version", VERSIONS)
def test_request_over_max_complexity(version: str) -> None:
    """[DOCS rate-limits] (2025-10+): REQUEST_MAX_COMPLEXITY_EXCEEDED with extensions.cost and the cap."""
    emulator, _ = make_emulator(costs={"boards": 6_000_000})
    status, _, body = post(emulator, "{ boards { id } }", version)
    assert status == 200
    if version == UNIFIED:
        ext = body["errors"][0]["extensions"]
        assert ext["code"] == "REQUEST_MAX_COMPLEXITY_EXCEEDED"
        assert ext["cost"] > 5_000_000 and ext["max_complexity_per_request"] == 5_000_000
    else:
        assert_legacy_top_level(body, "REQUEST_MAX_COMPLEXITY_EXCEEDED", 200)
        assert body["error_data"]["max_complexity_per_request"] == 5_000_000


@pytest.mark.parametrize("version", VERSIONS)
def test_expired_cursor_is_cursor_exception(version: str) -> None:
    """monday-api.md §2 (airbyte source-monday): a cursor dies 60 min after the first page; the legacy
    answer is top-level CursorException, status_code 200, "CursorExpiredError: ..."."""
    emulator, clock = make_emulator()
    for _ in range(3):
        new_item(emulator)
    first = post(emulator, "{ boards(ids: [9609317401]) { items_page(limit: 1) { cursor } } }", version)[2]
    cursor = first["data"]["boards"][0]["items_page"]["cursor"]
    clock.advance(60 * 60 + 1)
    query = "query($c: String!) { next_items_page(cursor: $c, limit: 1) { cursor items { id } } }"
    status, _, body = post(emulator, query, version, {"c": cursor})
    assert status == 200
    if version == UNIFIED:
        assert body["errors"][0]["extensions"]["code"] == "CursorException"
        assert body["errors"][0]["path"] == ["next_items_page"]
    else:
        assert_legacy_top_level(body, "CursorException", 200)
        assert body["error_message"].startswith("CursorExpiredError: The cursor provided for pagination has expired")
