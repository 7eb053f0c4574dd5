"""Aliased write batches against a fake monday behind httpx.MockTransport."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Set as AbstractSet
from typing import Any

import httpx
import pytest

from sync.monday.client import MondayClient
from sync.monday.errors import MondayFatalError, MondayRecordError, MondayRetriableError
from sync.monday.models import ItemUpdate, NewItem, NewSubitem
from sync.monday.operations import plan_batches
from sync.monday.pacing import Pacer
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

ALIAS = re.compile(r"(i\d+): (\w+)\(")


class FakeMonday:
    """Answers aliased mutations in shuffled order; names in ``bad`` fail with ColumnValueException."""

    def __init__(
        self,
        *,
        bad: AbstractSet[str] = frozenset(),
        fail_first: list[httpx.Response | Exception] | None = None,
        alias_throttle_once: AbstractSet[str] = frozenset(),
        alias_fatal: AbstractSet[str] = frozenset(),
        timeout_after: int | None = None,
    ) -> None:
        self.bad = bad
        self.timeout_after = timeout_after
        self.fail_first = list(fail_first or [])
        self.alias_throttle_once = set(alias_throttle_once)
        self.alias_fatal = alias_fatal
        self.requests: list[dict[str, Any]] = []
        self.keys: list[str | None] = []
        self.rng = random.Random(4)

    def handler(self, request: httpx.Request) -> httpx.Response:
        """The MockTransport entry point."""
        body = json.loads(request.content)
        self.requests.append(body)
        self.keys.append(request.headers.get("Idempotency-Key"))
        if self.fail_first:
            failure = self.fail_first.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        if self.timeout_after is not None and len(self.requests) > self.timeout_after:
            return httpx.Response(
                503, json={"errors": [{"message": "Timeout", "extensions": {"code": "TIMEOUT_EXCEEDED"}}]}
            )
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        variables = body["variables"]
        for alias, field in ALIAS.findall(body["query"]):
            n = alias[1:]
            name = variables.get(f"n{n}") or variables.get(f"id{n}")
            if name in self.alias_throttle_once:
                self.alias_throttle_once.discard(name)
                errors.append(_error(alias, "tooManyRequests", "Too many requests", status=400))
                data[alias] = None
            elif name in self.alias_fatal:
                errors.append(_error(alias, "ItemsLimitationException", "exceeded the limit of 10,000 items"))
                data[alias] = None
            elif name in self.bad:
                errors.append(_error(alias, "ColumnValueException", "invalid value", column="numbers"))
                data[alias] = None
            else:
                data[alias] = {"id": str(_id_for(str(name), field))}
        shuffled = dict(self.rng.sample(list(data.items()), len(data)))
        shuffled["complexity"] = {
            "before": 1_000_000,
            "after": 990_000,
            "query": 10_000,
            "reset_in_x_seconds": 30,
        }
        payload: dict[str, Any] = {
            "data": shuffled,
            "extensions": {"request_id": f"req-{len(self.requests)}"},
        }
        if errors:
            payload["errors"] = self.rng.sample(errors, len(errors))
        return httpx.Response(200, json=payload)


def _error(
    alias: str, code: str, message: str, *, status: int | None = None, column: str | None = None
) -> dict[str, Any]:
    ext: dict[str, Any] = {"code": code, "error_data": {"column_id": column} if column else {}}
    if status:
        ext["status_code"] = status
    return {"message": message, "path": [alias], "locations": [{"line": 2, "column": 3}], "extensions": ext}


def _id_for(name: str, field: str) -> int:
    """Deterministic fake ids: 'order-7' -> 5007 for creates; item ids are echoed for updates/deletes."""
    if field in ("create_item", "create_subitem"):
        return 5000 + int(name.rsplit("-", 1)[1])
    return int(name)


def rate_limited(retry_after: str = "2") -> httpx.Response:
    """monday's 2026 minute-limit answer."""
    return httpx.Response(
        429,
        headers={"Retry-After": retry_after},
        json={
            "errors": [
                {
                    "message": "Minute rate limit exceeded",
                    "extensions": {"code": "MINUTE_RATE_LIMIT_EXCEEDED", "retry_in_seconds": 2},
                }
            ],
            "extensions": {"request_id": "rl-1"},
        },
    )


def make_client(fake: FakeMonday, **kwargs: Any) -> tuple[MondayClient, list[float]]:
    """A client on the fake with recorded (never real) sleeps."""
    sleeps: list[float] = []
    http = build_http_client(
        api_url="https://api.monday.test/v2", token="tok", transport=httpx.MockTransport(fake.handler)
    )
    client = MondayClient(
        http,
        retry=RetryPolicy(rng=lambda: 0.5),
        pacer=kwargs.pop("pacer", None),
        sleep=sleeps.append,
        clock=lambda: 0.0,
        **kwargs,
    )
    return client, sleeps


def items(n: int) -> list[NewItem]:
    """n orders with a numbers column."""
    return [
        NewItem(key=f"k{i}", name=f"order-{i}", group_id="topics", column_values={"numbers": str(i)})
        for i in range(n)
    ]


def test_aliases_map_back_by_alias_not_position() -> None:
    """Shuffled data and one ColumnValueException still land on the right keys, in input order."""
    fake = FakeMonday(bad={"order-3"})
    client, _ = make_client(fake)
    outcomes = client.create_items(1, items(8), create_labels=False, idempotency_key="run")
    assert [o.key for o in outcomes] == [f"k{i}" for i in range(8)]
    for i, outcome in enumerate(outcomes):
        if i == 3:
            assert isinstance(outcome.error, MondayRecordError)
            assert outcome.error.code == "ColumnValueException"
            assert outcome.error.column == "numbers"
            assert outcome.item_id is None
        else:
            assert outcome.ok
            assert outcome.item_id == 5000 + i
    assert client.stats.errors_by_code == {"ColumnValueException": 1}


def test_column_values_travel_as_json_string_variables() -> None:
    """column_values is a JSON string variable; create_labels is one value per request."""
    fake = FakeMonday()
    client, _ = make_client(fake)
    client.create_items(1, items(2), create_labels=True, idempotency_key="run")
    [body] = fake.requests
    assert body["operationName"] == "CreateItems"
    assert body["variables"]["v1"] == '{"numbers":"1"}'
    assert body["variables"]["labels"] is True
    assert '"1"' not in body["query"]


def test_batches_split_by_max_batch() -> None:
    """120 items with max_batch=50 become requests of 50, 50 and 20 aliases."""
    fake = FakeMonday()
    client, _ = make_client(fake, max_batch=50)
    outcomes = client.create_items(1, items(120), create_labels=False, idempotency_key="run")
    assert [len(ALIAS.findall(r["query"])) for r in fake.requests] == [50, 50, 20]
    assert [o.item_id for o in outcomes] == [5000 + i for i in range(120)]
    assert client.stats.mutations == 120
    assert client.stats.requests == 3


def test_batches_split_by_complexity_cap() -> None:
    """A 30,000-point cap at 10,000 per create allows three aliases per request."""
    fake = FakeMonday()
    client, _ = make_client(fake, max_batch=50, max_request_complexity=30_000)
    client.create_items(1, items(7), create_labels=False, idempotency_key="run")
    assert [len(ALIAS.findall(r["query"])) for r in fake.requests] == [3, 3, 1]


def test_plan_batches_bounds() -> None:
    """plan_batches respects both bounds and covers every index exactly once."""
    assert plan_batches(0) == []
    assert plan_batches(5, max_aliases=2) == [range(2), range(2, 4), range(4, 5)]
    assert plan_batches(10, max_aliases=50, cost_per_alias=10_000, max_complexity=5_000_000) == [range(10)]
    assert plan_batches(3, max_aliases=50, cost_per_alias=9_000_000) == [range(1), range(1, 2), range(2, 3)]
    with pytest.raises(ValueError):
        plan_batches(3, max_aliases=0)


def test_idempotency_key_is_deterministic_per_batch() -> None:
    """The same call twice sends the same keys: idempotency_key plus batch index."""
    first, second = FakeMonday(), FakeMonday()
    for fake in (first, second):
        client, _ = make_client(fake, max_batch=2)
        client.create_items(1, items(5), create_labels=False, idempotency_key="run-9")
    assert first.keys == second.keys == ["run-9-0", "run-9-1", "run-9-2"]


def test_429_then_success_reuses_key_and_counts() -> None:
    """A whole-request 429 is retried after the server hint with the same Idempotency-Key."""
    fake = FakeMonday(fail_first=[rate_limited()])
    client, sleeps = make_client(fake)
    outcomes = client.create_items(1, items(3), create_labels=False, idempotency_key="run")
    assert all(o.ok for o in outcomes)
    assert fake.keys == ["run-0", "run-0"]
    assert sleeps == [2.0]
    assert client.stats.retries == 1
    assert client.stats.http_429 == 1
    assert client.stats.requests == 2
    assert client.stats.errors_by_code == {"MINUTE_RATE_LIMIT_EXCEEDED": 1}
    assert len(client.stats.latencies) == 2


def test_timeout_is_retried_with_same_key() -> None:
    """A read timeout (unknown outcome) is retried with the same key so monday can replay it."""
    fake = FakeMonday(fail_first=[httpx.ReadTimeout("timed out"), httpx.Response(502, text="<html>bad gw")])
    client, sleeps = make_client(fake)
    outcomes = client.update_items(
        1, [ItemUpdate("a", 11, {"text": "x"})], create_labels=False, idempotency_key="u"
    )
    assert outcomes[0].item_id == 11
    assert fake.keys == ["u-0", "u-0", "u-0"]
    assert sleeps == [0.5, 1.0]


def test_alias_level_throttle_resends_only_that_alias() -> None:
    """An alias failing with a retriable code is re-sent alone under a derived key."""
    fake = FakeMonday(alias_throttle_once={"order-1"})
    client, _ = make_client(fake)
    outcomes = client.create_items(1, items(3), create_labels=False, idempotency_key="run")
    assert [o.item_id for o in outcomes] == [5000, 5001, 5002]
    assert fake.keys == ["run-0", "run-0-r1"]
    assert len(ALIAS.findall(fake.requests[1]["query"])) == 1
    assert client.stats.retries == 1


def test_fatal_alias_error_raises_with_completed_outcomes() -> None:
    """A fatal alias error (board full) raises, but created items are on exc.completed."""
    fake = FakeMonday(alias_fatal={"order-3"})
    client, _ = make_client(fake, max_batch=2)
    with pytest.raises(MondayFatalError) as info:
        client.create_items(1, items(6), create_labels=False, idempotency_key="run")
    done = {o.key: o.item_id for o in info.value.completed}
    assert done == {"k0": 5000, "k1": 5001, "k2": 5002, "k3": None}
    assert len(fake.requests) == 2


def test_retries_exhausted_keep_earlier_batches() -> None:
    """When retries run out mid-call, outcomes of finished batches are on exc.completed."""
    client, _ = make_client(FakeMonday(timeout_after=1), max_batch=2)
    client.retry = RetryPolicy(max_attempts=2, rng=lambda: 0.5)
    with pytest.raises(MondayRetriableError) as info:
        client.create_items(1, items(4), create_labels=False, idempotency_key="run")
    assert [o.key for o in info.value.completed] == ["k0", "k1"]


def test_subitems_and_deletes_use_their_own_mutations() -> None:
    """create_subitems, delete_items and archive use create_subitem, delete_item and archive_item."""
    fake = FakeMonday()
    client, _ = make_client(fake)
    subs = client.create_subitems(
        [NewSubitem("s", 77, "order-4", {})], create_labels=False, idempotency_key="s"
    )
    gone = client.delete_items([12, 13], idempotency_key="d")
    archived = client.delete_items([14], archive=True, idempotency_key="a")
    assert subs[0].item_id == 5004
    assert [o.key for o in gone] == ["12", "13"]
    assert archived[0].item_id == 14
    assert [r["operationName"] for r in fake.requests] == ["CreateSubitems", "DeleteItems", "ArchiveItems"]
    assert fake.requests[0]["variables"]["p0"] == "77"


def test_duplicate_keys_rejected() -> None:
    """Two writes with the same key in one call are a programming error."""
    client, _ = make_client(FakeMonday())
    dup = [NewItem("k", "order-1", None, {}), NewItem("k", "order-2", None, {})]
    with pytest.raises(ValueError):
        client.create_items(1, dup, create_labels=False, idempotency_key="x")


def test_pacer_sees_every_request() -> None:
    """With a pacer, the complexity reported by monday feeds the next wait and stats.waited_s."""
    now = [0.0]
    pacer = Pacer(
        budget_per_minute=25_000,
        requests_per_minute=None,
        sleep=lambda s: now.__setitem__(0, now[0] + s),
        clock=lambda: now[0],
    )
    fake = FakeMonday()
    client, _ = make_client(fake, pacer=pacer, max_batch=1)
    client.create_items(1, items(3), create_labels=False, idempotency_key="p")
    assert client.stats.waited_s == pytest.approx(60.0)
    assert pacer.waited_s == pytest.approx(60.0)
