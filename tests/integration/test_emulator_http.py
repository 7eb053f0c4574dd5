"""The emulator over real HTTP on loopback: boards query, oplog endpoint, concurrency and persistence."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.emulator import FaultProfile, build_emulator, open_persistent, serve


@pytest.fixture
def server_url() -> Iterator[str]:
    """A served emulator with 150 ms latency on a free loopback port."""
    emulator = build_emulator(faults=FaultProfile(latency_ms=150))
    server = serve("127.0.0.1", 0, emulator)
    host, port = server.server_address[:2]
    try:
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()


def test_boards_query_over_http(server_url: str) -> None:
    """A boards query over HTTP returns the packaged dev board, echoes API-Version and carries RateLimit."""
    response = httpx.post(
        f"{server_url}/v2",
        json={
            "query": '{ boards(ids: [9609317401]) { name columns(ids: ["dropdown_mkr542p2"]) { title } } }'
        },
        headers={"Authorization": "token", "API-Version": "2026-10"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["boards"][0]["name"] == "Customer Master Schedule (dev copy)"
    assert response.headers["API-Version"] == "2026-10"
    assert "complexityMinute" in response.headers["RateLimit"]
    assert response.json()["extensions"]["request_id"]


def test_missing_token_over_http_is_401(server_url: str) -> None:
    """Without Authorization the served emulator answers 401."""
    assert httpx.post(f"{server_url}/v2", json={"query": "{ complexity { query } }"}).status_code == 401


def test_oplog_endpoint_lists_applied_mutations(server_url: str) -> None:
    """GET /_emulator/oplog returns every applied mutation in order; ?since filters by seq."""
    query = 'mutation { g: create_group(board_id: 9609317401, group_name: "G") { id } }'
    httpx.post(f"{server_url}/v2", json={"query": query}, headers={"Authorization": "t"})
    httpx.post(f"{server_url}/v2", json={"query": query}, headers={"Authorization": "t"})
    ops = httpx.get(f"{server_url}/_emulator/oplog").json()["operations"]
    assert [(op["seq"], op["op"]) for op in ops] == [(1, "create_group"), (2, "create_group")]
    assert ops[0]["group_id"].startswith("group_mk")
    assert len(httpx.get(f"{server_url}/_emulator/oplog?since=1").json()["operations"]) == 1
    assert httpx.get(f"{server_url}/_emulator/health").json()["status"] == "ok"
    assert httpx.post(f"{server_url}/_emulator/reset").status_code == 200
    assert httpx.get(f"{server_url}/_emulator/oplog").json()["operations"] == []


def test_latency_sleeps_run_in_parallel() -> None:
    """Eight concurrent requests are all inside their latency sleep at once (a barrier of 8 is reached).

    No wall-clock threshold (the machine may be loaded): if the emulator slept under a lock, or served
    one request at a time, the barrier would time out and the requests would fail.
    """
    barrier = threading.Barrier(8, timeout=20)
    emulator = build_emulator(faults=FaultProfile(latency_ms=150), sleep=lambda _s: barrier.wait())
    server = serve("127.0.0.1", 0, emulator)
    url = f"http://127.0.0.1:{server.server_address[1]}/v2"
    statuses: list[int] = []

    def call() -> None:
        body = {"query": "{ complexity { query } }"}
        response = httpx.post(url, json=body, headers={"Authorization": "t"}, timeout=30)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        server.shutdown()
        server.server_close()
    assert not barrier.broken
    assert statuses == [200] * 8


def test_timeout_fault_over_http_is_503_timeout_exceeded() -> None:
    """Over HTTP a timeout fault is answered as 503 TIMEOUT_EXCEEDED ([MCP] gateway fixtures) with X-Emulator-Fault."""
    server = serve("127.0.0.1", 0, build_emulator(require_token=False, faults=FaultProfile(rate_timeout=1.0)))
    host, port = server.server_address[:2]
    try:
        response = httpx.post(f"http://{host!s}:{port}/v2", json={"query": "{ complexity { query } }"})
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 503
    assert response.headers["X-Emulator-Fault"] == "timeout"
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT_EXCEEDED"


def test_persistent_state_round_trip(tmp_path: Path) -> None:
    """open_persistent saves after each mutation; a second session sees the same items, labels and oplog."""
    state = tmp_path / "emulator.json"
    create = """mutation { create_item(board_id: 9609317401, item_name: "kept",
        column_values: "{\\"dropdown_mkr58de6\\": {\\"labels\\": [\\"2030 WINTER\\"]}}",
        create_labels_if_missing: true) { id } }"""
    body = json.dumps({"query": create}).encode()
    with open_persistent(state, require_token=False) as emulator:
        status, _, payload = emulator.handle("POST", "/v2", {}, body)
        item_id = json.loads(payload)["data"]["create_item"]["id"]
        assert status == 200
        assert json.loads(state.read_text())["items"][0]["id"] == item_id
    with open_persistent(state, require_token=False) as emulator:
        read = (
            'query($i: [ID!]) { items(ids: $i) { name column_values(ids: ["dropdown_mkr58de6"]) { text } } }'
        )
        query = json.dumps({"query": read, "variables": {"i": [item_id]}})
        data = json.loads(emulator.handle("POST", "/v2", {}, query.encode())[2])["data"]
        assert data["items"] == [{"name": "kept", "column_values": [{"text": "2030 WINTER"}]}]
        assert [op.op for op in emulator.operation_log] == ["create_item"]
        next_id = json.loads(emulator.handle("POST", "/v2", {}, body)[2])["data"]["create_item"]["id"]
        assert int(next_id) > int(item_id)
