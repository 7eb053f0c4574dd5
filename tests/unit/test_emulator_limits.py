"""Complexity budget, rate limit, idempotency replay, seeded faults, timeouts and cursor expiry."""

from __future__ import annotations

import json

import httpx
import pytest

from sync.emulator import EmulatorTransport, FaultProfile
from sync.emulator.faults import Faults
from sync.emulator.testing import graphql, make_emulator

CREATE = 'mutation { create_item(board_id: 9609317401, item_name: "x") { id } }'
BATCH = (
    "mutation {"
    + " ".join(f'a{n}: create_item(board_id: 9609317401, item_name: "i{n}") {{ id }}' for n in range(3))
    + "}"
)


def test_complexity_reports_the_request_cost_and_budget() -> None:
    """complexity{before after query} reports the real cost of the request against the minute budget."""
    emulator, _ = make_emulator(complexity_budget=100_000)
    query = """mutation {
      create_item(board_id: 9609317401, item_name: "x") { id } complexity { before after query } }"""
    data = graphql(emulator, query)[2]["data"]["complexity"]
    assert data["before"] == 100_000
    assert data["query"] >= 10_000
    assert data["after"] == data["before"] - data["query"]


def test_exhausted_complexity_budget_is_429_with_retry_in_seconds() -> None:
    """Once the budget is spent the emulator answers 429 COMPLEXITY_BUDGET_EXHAUSTED and applies nothing."""
    emulator, clock = make_emulator(complexity_budget=25_000)
    assert graphql(emulator, CREATE)[0] == 200
    assert graphql(emulator, CREATE)[0] == 200
    clock.now += 15
    status, headers, body = graphql(emulator, CREATE)
    assert status == 429
    assert body["errors"][0]["extensions"] == {"code": "COMPLEXITY_BUDGET_EXHAUSTED", "retry_in_seconds": 45}
    assert "Retry-After" not in headers  # monday's 2026 gateway: the wait only in the body
    assert len(emulator.operation_log) == 2
    clock.now += 45
    assert graphql(emulator, CREATE)[0] == 200


def test_requests_per_minute_limit_is_429_minute_rate_limit_exceeded() -> None:
    """Requests beyond rate_limit_per_minute get 429 MINUTE_RATE_LIMIT_EXCEEDED with Retry-After."""
    emulator, clock = make_emulator(rate_limit_per_minute=2)
    assert [graphql(emulator, "{ complexity { query } }")[0] for _ in range(2)] == [200, 200]
    status, headers, body = graphql(emulator, "{ complexity { query } }")
    assert status == 429
    assert body["errors"][0]["extensions"]["code"] == "MINUTE_RATE_LIMIT_EXCEEDED"
    assert body["errors"][0]["extensions"]["retry_in_seconds"] == 60
    assert "Retry-After" not in headers
    assert "minuteRate" in headers["RateLimit"]
    clock.now += 60
    assert graphql(emulator, "{ complexity { query } }")[0] == 200


def test_idempotency_key_replays_the_first_answer_without_reapplying() -> None:
    """A retry with the same Idempotency-Key is replayed (same ids, header set); nothing is created twice."""
    emulator, _ = make_emulator()
    first = graphql(emulator, BATCH, headers={"Idempotency-Key": "k1"})
    again = graphql(emulator, BATCH, headers={"Idempotency-Key": "k1"})
    assert again[2] == first[2]
    assert again[1]["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first[1]
    assert len(emulator.operation_log) == 3
    assert {op.idempotency_key for op in emulator.operation_log} == {"k1"}


def test_idempotency_cache_expires_after_30_minutes() -> None:
    """After 30 minutes the same key executes again."""
    emulator, clock = make_emulator()
    graphql(emulator, CREATE, headers={"Idempotency-Key": "k"})
    clock.now += 30 * 60
    assert "Idempotency-Replayed" not in graphql(emulator, CREATE, headers={"Idempotency-Key": "k"})[1]
    assert len(emulator.operation_log) == 2


def test_refused_requests_are_not_cached_for_idempotency() -> None:
    """A 429 is not stored under its Idempotency-Key, so the retry after the wait really executes."""
    emulator, _clock = make_emulator(complexity_budget=5_000)
    assert graphql(emulator, CREATE, headers={"Idempotency-Key": "k"})[0] == 429
    emulator.complexity.capacity = None
    status, headers, _ = graphql(emulator, CREATE, headers={"Idempotency-Key": "k"})
    assert status == 200
    assert "Idempotency-Replayed" not in headers
    assert len(emulator.operation_log) == 1


def fault_sequence(seed: int) -> list[int]:
    emulator, _ = make_emulator(faults=FaultProfile(rate_429=0.2, rate_500=0.2, rate_timeout=0.1, seed=seed))
    return [graphql(emulator, "{ complexity { query } }")[0] for _ in range(40)]


def test_faults_are_seeded_and_reproducible() -> None:
    """The same seed yields the same fault sequence; a different seed a different one."""
    first = fault_sequence(7)
    assert first == fault_sequence(7)
    assert first != fault_sequence(8)
    assert {429, 500, 503, 200} <= set(first)


def test_latency_and_jitter_sleep_outside_execution() -> None:
    """latency_ms/jitter_ms make each request sleep (injected sleep) between latency and latency+jitter."""
    emulator, clock = make_emulator(faults=FaultProfile(latency_ms=100, jitter_ms=50, seed=1))
    for _ in range(5):
        graphql(emulator, "{ complexity { query } }")
    assert len(clock.slept) == 5
    assert all(0.1 <= s <= 0.15 for s in clock.slept)


def test_timeout_before_apply_raises_read_timeout_and_applies_nothing() -> None:
    """In-process, a timeout fault raises httpx.ReadTimeout and the mutation is not applied."""
    emulator, _ = make_emulator(faults=FaultProfile(rate_timeout=1.0))
    client = httpx.Client(transport=EmulatorTransport(emulator), base_url="https://api.monday.com")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v2", json={"query": CREATE})
    assert emulator.operation_log == []


def test_timeout_after_apply_applies_and_idempotent_retry_replays() -> None:
    """A timeout after apply records the mutation; a retry with the same key replays, not duplicates."""
    emulator, _ = make_emulator(faults=FaultProfile(rate_timeout_after_apply=1.0))
    client = httpx.Client(transport=EmulatorTransport(emulator), base_url="https://api.monday.com")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/v2", json={"query": BATCH}, headers={"Idempotency-Key": "batch-1"})
    assert len(emulator.operation_log) == 3
    emulator.faults = Faults(FaultProfile())
    retry = client.post("/v2", json={"query": BATCH}, headers={"Idempotency-Key": "batch-1"})
    assert retry.headers["Idempotency-Replayed"] == "true"
    assert [retry.json()["data"][f"a{n}"]["id"] for n in range(3)] == [
        op.item_id for op in emulator.operation_log
    ]
    assert len(emulator.operation_log) == 3


def test_items_page_cursor_pages_and_expires_after_60_minutes() -> None:
    """items_page returns a cursor; next_items_page follows it; after 60 minutes it expires."""
    emulator, clock = make_emulator()
    for n in range(5):
        graphql(emulator, f'mutation {{ create_item(board_id: 9609317401, item_name: "i{n}") {{ id }} }}')
    first = graphql(
        emulator, "{ boards(ids: [9609317401]) { items_page(limit: 2) { cursor items { name } } } }"
    )
    page = first[2]["data"]["boards"][0]["items_page"]
    assert [i["name"] for i in page["items"]] == ["i0", "i1"]
    query = "query($c: String!) { next_items_page(cursor: $c, limit: 2) { cursor items { name } } }"
    second = graphql(emulator, query, {"c": page["cursor"]})[2]["data"]["next_items_page"]
    assert [i["name"] for i in second["items"]] == ["i2", "i3"]
    clock.now += 3601
    expired = graphql(emulator, query, {"c": second["cursor"]})[2]
    assert expired["errors"][0]["extensions"]["code"] == "CursorException"


def test_items_page_by_column_values_any_of_within_and_across_columns() -> None:
    """Values of one column are ANY_OF (case-insensitive whole text); separate columns are ANDed."""
    emulator, _ = make_emulator()
    create = """mutation($n: String!, $v: JSON) {
      create_item(board_id: 9609317401, item_name: $n, column_values: $v) { id } }"""
    for po, customer in (("PO-1", "GREYSON"), ("PO-2", "PELOTON"), ("PO-3", "GREYSON")):
        values = json.dumps({"text_mkr5ej2x": po, "dropdown_mkr542p2": {"labels": [customer]}})
        graphql(emulator, create, {"n": po, "v": values})
    query = """{ items_page_by_column_values(board_id: 9609317401, columns: [
        {column_id: "text_mkr5ej2x", column_values: ["po-1", "PO-2", "PO-3"]},
        {column_id: "dropdown_mkr542p2", column_values: ["greyson"]}]) { items { name } } }"""
    names = [i["name"] for i in graphql(emulator, query)[2]["data"]["items_page_by_column_values"]["items"]]
    assert names == ["PO-1", "PO-3"]
