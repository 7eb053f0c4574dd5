"""The client's error mapping run over the emulator's answers in BOTH error formats (API 2024-10 and 2026-10).

Each test seeds one monday answer (see tests/unit/test_emulator_shapes.py for the doc each shape comes
from) and asserts the caller action: wait the time the body names and go on, mark only that row, or stop
with an error that names the cause.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.emulator import EmulatorTransport, FaultProfile
from sync.emulator.app import Emulator
from sync.emulator.faults import Faults
from sync.emulator.testing import FakeClock, make_emulator
from sync.monday.client import MondayClient
from sync.monday.errors import MondayDailyLimitError, MondayFatalError, MondayRecordError
from sync.monday.models import NewItem
from sync.monday.pacing import Pacer
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

BOARD = 9609317401
VERSIONS = ["2024-10", "2026-10"]
CUSTOMER = "dropdown_mkr542p2"  # labels may not be created in this column


def client_for(emulator: Emulator, clock: FakeClock, version: str, *, on_sleep: Any = None, **kw: Any) -> MondayClient:
    """A client on the in-process emulator speaking ``version``; its sleeps advance the fake clock."""
    http = build_http_client(
        api_url="https://api.monday.com/v2", token="t", api_version=version, transport=EmulatorTransport(emulator)
    )

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if on_sleep is not None:
            on_sleep()

    return MondayClient(http, retry=RetryPolicy(max_attempts=4), pacer=None, sleep=sleep, clock=clock, **kw)


def fails_once(emulator: Emulator, profile: FaultProfile) -> Any:
    """Inject ``profile`` now; the client's first sleep turns it off again (so the retry must succeed)."""
    emulator.faults = Faults(profile)
    return lambda: setattr(emulator, "faults", Faults(FaultProfile()))


def items(n: int, values: dict[str, object] | None = None) -> list[NewItem]:
    return [NewItem(f"k{i}", f"order {i}", "topics", values or {}) for i in range(n)]


@pytest.mark.parametrize("version", VERSIONS)
def test_field_limit_waits_the_body_time_and_completes(version: str) -> None:
    """FIELD_LIMIT_EXCEEDED (429, subitems) is a wait-and-retry: the body's wait is honoured, no header needed."""
    emulator, clock = make_emulator()
    client_for(emulator, clock, version).create_items(BOARD, items(3), create_labels=False, idempotency_key="k")
    off = fails_once(emulator, FaultProfile(rate_field_limit=1.0, retry_in_seconds=7))
    client = client_for(emulator, clock, version, on_sleep=off)
    assert len(list(client.iter_items(BOARD))) == 3
    assert clock.slept == [7.0]
    assert client.stats.errors_by_code == {"FIELD_LIMIT_EXCEEDED": 1}


@pytest.mark.parametrize(("profile", "code"), [
    (FaultProfile(rate_concurrency=1.0, retry_in_seconds=15), "MAX_CONCURRENCY_EXCEEDED"),
    (FaultProfile(rate_429=1.0, retry_in_seconds=15), "MINUTE_RATE_LIMIT_EXCEEDED"),
    (FaultProfile(rate_nested=1.0), "tooManyRequests"),
    (FaultProfile(rate_timeout=1.0), "CLIENT_TIMEOUT"),  # in-process a timeout is httpx.ReadTimeout
])
def test_unified_limits_and_timeouts_are_retried(profile: FaultProfile, code: str) -> None:
    """2026 limit answers (wait only in the body) and 503 timeouts are retried; the wait is the body's."""
    emulator, clock = make_emulator()
    client_for(emulator, clock, "2026-10").create_items(BOARD, items(2), create_labels=False, idempotency_key="k")
    client = client_for(emulator, clock, "2026-10", on_sleep=fails_once(emulator, profile))
    client.retry = RetryPolicy(max_attempts=4, base_delay=0.5, jitter=0.0)
    assert len(list(client.iter_items(BOARD))) == 2
    assert list(client.stats.errors_by_code) == [code]
    assert clock.slept == [15.0 if profile.rate_concurrency or profile.rate_429 else 0.5]


@pytest.mark.parametrize("version", VERSIONS)
def test_complexity_exhausted_waits_then_writes(version: str) -> None:
    """Legacy ComplexityException (HTTP 200, wait only in the message) and 2025+ COMPLEXITY_BUDGET_EXHAUSTED."""
    emulator, clock = make_emulator(complexity_budget=25_000)
    client = client_for(emulator, clock, version, max_batch=1)
    outcomes = client.create_items(BOARD, items(3), create_labels=False, idempotency_key="k")
    assert all(o.ok for o in outcomes)
    assert len(clock.slept) == 1 and 0 < clock.slept[0] <= 60
    code = "ComplexityException" if version == "2024-10" else "COMPLEXITY_BUDGET_EXHAUSTED"
    assert client.stats.errors_by_code == {code: 1}


@pytest.mark.parametrize("version", VERSIONS)
def test_daily_limit_is_typed_fatal_naming_reset(version: str) -> None:
    """DAILY_LIMIT_EXCEEDED stops at once (no retry) with a typed error naming the limit and its reset."""
    emulator, clock = make_emulator(daily_call_limit=1)
    client = client_for(emulator, clock, version)
    client.get_boards([BOARD])
    with pytest.raises(MondayDailyLimitError) as info:
        client.get_boards([BOARD])
    assert "daily API call limit" in str(info.value) and "resets at" in str(info.value)
    assert info.value.retry_after is not None and info.value.retry_after > 0
    assert client.stats.retries == 0 and clock.slept == []
    clock.next_day()
    assert client.get_boards([BOARD])


@pytest.mark.parametrize("version", VERSIONS)
def test_unauthenticated_is_fatal(version: str) -> None:
    """Both 401 bodies (NOT_AUTHENTICATED and ["Not Authenticated"]) stop the run."""
    emulator, clock = make_emulator(require_token=True)
    client = client_for(emulator, clock, version)
    del client.http.headers["Authorization"]
    with pytest.raises(MondayFatalError) as info:
        client.get_boards([BOARD])
    assert info.value.http_status == 401
    assert "Not Authenticated" in str(info.value)


@pytest.mark.parametrize("version", VERSIONS)
def test_bad_label_on_a_one_mutation_request_fails_only_its_row(version: str) -> None:
    """An unknown dropdown label (ColumnValueException; legacy: top-level, no path) marks that row only."""
    emulator, clock = make_emulator()
    client = client_for(emulator, clock, version, max_batch=1)
    rows = [*items(2), NewItem("bad", "bad order", "topics", {CUSTOMER: {"labels": ["NO SUCH CUSTOMER"]}}), *items(1)]
    rows[-1] = NewItem("k9", "order 9", "topics", {})
    outcomes = client.create_items(BOARD, rows, create_labels=False, idempotency_key="k")
    assert [o.ok for o in outcomes] == [True, True, False, True]
    error = outcomes[2].error
    assert isinstance(error, MondayRecordError)
    assert error.code == "ColumnValueException" and error.column == CUSTOMER
    assert "NO SUCH CUSTOMER" in error.message
    assert len(emulator.operation_log) == 3


def test_legacy_record_error_in_a_multi_mutation_request_stays_fatal() -> None:
    """With several mutations in one legacy request the row cannot be known: fatal, known outcomes kept."""
    emulator, clock = make_emulator()
    client = client_for(emulator, clock, "2024-10", max_batch=5)
    rows = [*items(2), NewItem("bad", "bad order", "topics", {CUSTOMER: {"labels": ["NO SUCH CUSTOMER"]}})]
    with pytest.raises(MondayFatalError) as info:
        client.create_items(BOARD, rows, create_labels=False, idempotency_key="k")
    assert info.value.code == "ColumnValueException"


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_item_on_delete_is_that_rows_record_error(version: str) -> None:
    """InvalidItemIdException (HTTP 200) on a one-mutation delete is that row's error, in both formats."""
    emulator, clock = make_emulator()
    client = client_for(emulator, clock, version, max_batch=1)
    [outcome] = client.delete_items([424242], idempotency_key="d")
    assert isinstance(outcome.error, MondayRecordError)
    assert outcome.error.code == "InvalidItemIdException"


@pytest.mark.parametrize("version", VERSIONS)
def test_pacer_waits_on_ratelimit_header_instead_of_meeting_a_429(version: str) -> None:
    """The pacer reads RateLimit: after "minuteRate";r=0 it waits t seconds, so no 429 is ever met."""
    emulator, clock = make_emulator(rate_limit_per_minute=2)
    client = client_for(emulator, clock, version)
    client.pacer = Pacer(budget_per_minute=None, requests_per_minute=None, sleep=clock.sleep, clock=clock)
    for _ in range(3):
        client.get_boards([BOARD])
    assert client.stats.http_429 == 0
    assert client.pacer.waited_s == pytest.approx(60.0)


def test_versions_really_differ() -> None:
    """Guard: the two families answer one bad label in different shapes (so the tests above cover both)."""
    emulator, _ = make_emulator()
    bodies = []
    for version in VERSIONS:
        values = json.dumps({CUSTOMER: {"labels": ["NOPE"]}})
        query = 'mutation($v: JSON) { i0: create_item(board_id: 9609317401, item_name: "x", column_values: $v) { id } }'
        payload = json.dumps({"query": query, "variables": {"v": values}}).encode()
        bodies.append(json.loads(emulator.handle("POST", "/v2", {"API-Version": version}, payload)[2]))
    assert "error_code" in bodies[0] and "errors" not in bodies[0]
    assert "error_code" not in bodies[1] and bodies[1]["errors"][0]["path"] == ["i0"]
