"""The monday client against the emulator served over HTTP on 127.0.0.1, faults included."""

from __future__ import annotations

from collections import Counter

from sync.emulator import FaultProfile, build_emulator, serve
from sync.monday.client import MondayClient
from sync.monday.models import NewItem
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

BOARD = 9609317401


def _client(url: str) -> MondayClient:
    http = build_http_client(api_url=url, token="test-token", timeout_s=10)
    return MondayClient(
        http,
        retry=RetryPolicy(max_attempts=12, base_delay=0.01, max_delay=5),
        pacer=None,
        max_batch=10,
        sleep=lambda _s: None,
    )


def test_429_storm_and_timeouts_after_apply_end_with_one_item_per_order() -> None:
    """A seeded storm of 429s, 500s and applied-then-timed-out requests: every order lands exactly once."""
    faults = FaultProfile(rate_429=0.25, rate_500=0.1, rate_timeout_after_apply=0.15, seed=5)
    emulator = build_emulator(faults=faults, sleep=lambda _s: None)
    server = serve(port=0, emulator=emulator)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v2"
        client = _client(url)
        group = client.create_group(BOARD, "GREYSON 2025 FALL", idempotency_key="it-group")
        items = [NewItem(f"k{i}", f"order {i}", group, {"text_mkr5wya6": f"GRE-{i:05d}"}) for i in range(120)]
        outcomes = client.create_items(BOARD, items, create_labels=False, idempotency_key="it-batch")
        assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok][:3]
        assert client.stats.http_429 > 0 and client.stats.retries > 0
        on_board = Counter(r.values["text_mkr5wya6"].text for r in client.iter_items(BOARD, limit=100))
        assert len(on_board) == 120 and set(on_board.values()) == {1}
        creates = [op for op in emulator.operation_log if op.op == "create_item"]
        assert len(creates) == 120
    finally:
        server.shutdown()
        server.server_close()


def test_boards_query_over_http_returns_the_packaged_boards() -> None:
    """A plain boards query over loopback answers with columns and groups."""
    server = serve(port=0, emulator=build_emulator())
    try:
        client = _client(f"http://127.0.0.1:{server.server_address[1]}/v2")
        (items, subitems) = client.get_boards([BOARD, 9609317948])
        assert {c.id for c in items.columns} >= {"text_mkr5wya6", "dropdown_mkr542p2", "dropdown_mkr58de6"}
        assert {c.id for c in subitems.columns} >= {"dropdown_mkrak7qp", "numeric_mkra7j8e"}
    finally:
        server.shutdown()
        server.server_close()
