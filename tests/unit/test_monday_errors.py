"""Every monday error shape we know maps to the right caller action (one row per code)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sync.errors import FatalError, RecordError, RetriableError
from sync.monday.errors import (
    CODE_TABLE,
    MondayCursorExpiredError,
    MondayDailyLimitError,
    MondayError,
    MondayFatalError,
    MondayRecordError,
    MondayRetriableError,
    classify,
    classify_all,
    map_transport_errors,
)

RID = "b1a2c3d4-0000-4000-8000-000000000001"


def v2025(
    code: str,
    message: str,
    *,
    status: int | None = None,
    retry: float | None = None,
    path: list[Any] | None = None,
    error_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A 2025-01+ body: errors[].extensions.code, root extensions.request_id."""
    ext: dict[str, Any] = {"code": code}
    if status is not None:
        ext["status_code"] = status
    if retry is not None:
        ext["retry_in_seconds"] = retry
    if error_data is not None:
        ext["error_data"] = error_data
    entry: dict[str, Any] = {"message": message, "locations": [{"line": 2, "column": 3}], "extensions": ext}
    if path is not None:
        entry["path"] = path
    return {"data": None, "errors": [entry], "account_id": 9876, "extensions": {"request_id": RID}}


# (id, http status, body, headers, expected class, code, request_id, retry_after)
ROWS: list[
    tuple[str, int, dict[str, Any] | None, dict[str, str], type[MondayError], str, str | None, float | None]
] = [
    (  # monday-api.md §2: legacy expiry body (airbyte source-monday CONTRIBUTING, PR #66724)
        "cursor-expired-legacy",
        200,
        {
            "error_code": "CursorException",
            "status_code": 200,
            "error_message": "CursorExpiredError: The cursor provided for pagination has expired. "
            "Please refresh your query and obtain a new cursor",
        },
        {},
        MondayCursorExpiredError,
        "CursorException",
        None,
        None,
    ),
    (
        "cursor-expired-2025",
        200,
        v2025("CursorException", "CursorExpiredError: cursor expired", status=200, path=["next_items_page"]),
        {},
        MondayCursorExpiredError,
        "CursorException",
        RID,
        None,
    ),
    (  # monday-api.md §8: per-field concurrency, 429, wait in the body
        "field-limit-2025",
        429,
        v2025("FIELD_LIMIT_EXCEEDED", "Field limit exceeded", retry=4, path=["boards", 0, "items_page"]),
        {},
        MondayRetriableError,
        "FIELD_LIMIT_EXCEEDED",
        RID,
        4.0,
    ),
    (  # the older shape: the wait sits in error_data.retry_in_seconds
        "field-limit-legacy",
        429,
        {
            "error_code": "FIELD_LIMIT_EXCEEDED",
            "status_code": 429,
            "error_message": "Field limit exceeded",
            "error_data": {"retry_in_seconds": 6},
        },
        {"Retry-After": "30"},
        MondayRetriableError,
        "FIELD_LIMIT_EXCEEDED",
        None,
        6.0,
    ),
    (
        "field-limit-error-data-in-extensions",
        429,
        v2025("FIELD_LIMIT_EXCEEDED", "Field limit exceeded", error_data={"retry_in_seconds": 3}),
        {},
        MondayRetriableError,
        "FIELD_LIMIT_EXCEEDED",
        RID,
        3.0,
    ),
    (  # 2026 gateway: wait only in the body, no Retry-After header
        "minute-rate-no-header",
        429,
        v2025("MINUTE_RATE_LIMIT_EXCEEDED", "Minute rate limit exceeded", retry=41),
        {},
        MondayRetriableError,
        "MINUTE_RATE_LIMIT_EXCEEDED",
        RID,
        41.0,
    ),
    (  # [DOCS error-handling] 401, 2025-01+ body
        "not-authenticated-2025",
        401,
        {"errors": [{"message": "Not Authenticated", "extensions": {"code": "NOT_AUTHENTICATED"}}]},
        {},
        MondayFatalError,
        "NOT_AUTHENTICATED",
        None,
        None,
    ),
    (  # the legacy 401 body: errors[] holds a bare string
        "not-authenticated-legacy",
        401,
        {"errors": ["Not Authenticated"]},
        {},
        MondayFatalError,
        "Unauthorized",
        None,
        None,
    ),
    (  # [DOCS error-handling] / [ASYNC] response_parser.py: unknown item, HTTP 200
        "invalid-item-legacy",
        200,
        {
            "error_code": "InvalidItemIdException",
            "status_code": 200,
            "error_message": "Item not found",
            "error_data": {"item_id": 12},
        },
        {},
        MondayRecordError,
        "InvalidItemIdException",
        None,
        None,
    ),
    (  # [MCP] fixtures: 503 TIMEOUT_EXCEEDED, sometimes without a message
        "timeout-503-no-message",
        503,
        {"errors": [{"extensions": {"code": "TIMEOUT_EXCEEDED"}}], "extensions": {"request_id": RID}},
        {},
        MondayRetriableError,
        "TIMEOUT_EXCEEDED",
        RID,
        None,
    ),
    (
        "minute-rate",
        429,
        v2025("MINUTE_RATE_LIMIT_EXCEEDED", "Minute rate limit exceeded", status=429, retry=58),
        {"Retry-After": "58"},
        MondayRetriableError,
        "MINUTE_RATE_LIMIT_EXCEEDED",
        RID,
        58.0,
    ),
    (
        "complexity-2025-07",
        429,
        v2025("COMPLEXITY_BUDGET_EXHAUSTED", "Complexity budget exhausted", retry=22),
        {},
        MondayRetriableError,
        "COMPLEXITY_BUDGET_EXHAUSTED",
        RID,
        22.0,
    ),
    (
        "complexity-hint-beats-header",
        429,
        v2025("COMPLEXITY_BUDGET_EXHAUSTED", "Complexity budget exhausted", status=429, retry=7),
        {"Retry-After": "30"},
        MondayRetriableError,
        "COMPLEXITY_BUDGET_EXHAUSTED",
        RID,
        7.0,
    ),
    (
        "concurrency",
        429,
        v2025("MAX_CONCURRENCY_EXCEEDED", "Too many concurrent requests", retry=15),
        {},
        MondayRetriableError,
        "MAX_CONCURRENCY_EXCEEDED",
        RID,
        15.0,
    ),
    (
        "concurrency-docs-name",
        429,
        v2025("maxConcurrencyExceeded", "Max concurrency exceeded", status=429),
        {"Retry-After": "3"},
        MondayRetriableError,
        "maxConcurrencyExceeded",
        RID,
        3.0,
    ),
    (
        "ip-rate",
        429,
        v2025("IP_RATE_LIMIT_EXCEEDED", "IP rate limit exceeded", status=429),
        {"Retry-After": "10"},
        MondayRetriableError,
        "IP_RATE_LIMIT_EXCEEDED",
        RID,
        10.0,
    ),
    (
        "sub-service-throttle",
        200,
        v2025("tooManyRequests", "Too many requests", status=400, path=["boards", 0, "columns"]),
        {},
        MondayRetriableError,
        "tooManyRequests",
        RID,
        None,
    ),
    (
        "timeout-503",
        503,
        v2025("TIMEOUT_EXCEEDED", "Request timed out", status=503),
        {},
        MondayRetriableError,
        "TIMEOUT_EXCEEDED",
        RID,
        None,
    ),
    (
        "idempotency-conflict",
        409,
        v2025("IDEMPOTENCY_CONFLICT", "Request with this key is in progress", status=409),
        {"Retry-After": "2"},
        MondayRetriableError,
        "IDEMPOTENCY_CONFLICT",
        RID,
        2.0,
    ),
    (
        "locked-423",
        423,
        {"error_message": "Resource is currently locked, please try again later", "status_code": 423},
        {"Retry-After": "1"},
        MondayRetriableError,
        "RESOURCE_LOCKED",
        None,
        1.0,
    ),
    (
        "legacy-complexity",
        200,
        {
            "error_code": "ComplexityException",
            "status_code": 429,
            "error_message": "Complexity budget exhausted, query cost 30001 budget remaining "
            "8669 out of 1000000 reset in 13 seconds",
            "error_data": {},
            "errors": ["Complexity budget exhausted"],
        },
        {},
        MondayRetriableError,
        "ComplexityException",
        None,
        13.0,
    ),
    (
        "legacy-rate-limit",
        429,
        {"error_message": "Rate Limit Exceeded.", "status_code": 429},
        {},
        MondayRetriableError,
        "RateLimitExceeded",
        None,
        None,
    ),
    (
        "legacy-500",
        500,
        {"error_message": "Internal server error", "status_code": 500},
        {},
        MondayRetriableError,
        "INTERNAL_SERVER_ERROR",
        None,
        None,
    ),
    (
        "bare-502-html",
        502,
        None,
        {"x-request-id": "edge-1"},
        MondayRetriableError,
        "HTTP_502",
        "edge-1",
        None,
    ),
    (
        "unauthorized-401",
        401,
        {"errors": [{"message": "Not Authenticated"}], "status_code": 401},
        {},
        MondayFatalError,
        "Unauthorized",
        None,
        None,
    ),
    (
        "user-unauthorized",
        200,
        v2025("UserUnauthorizedException", "User unauthorized to perform action", status=403, path=["i0"]),
        {},
        MondayFatalError,
        "UserUnauthorizedException",
        RID,
        None,
    ),
    (
        "user-access-denied",
        403,
        v2025("USER_ACCESS_DENIED", "User does not have access", status=403),
        {},
        MondayFatalError,
        "USER_ACCESS_DENIED",
        RID,
        None,
    ),
    (
        "parse-error-legacy",
        200,
        {
            "errors": [
                {
                    "message": 'Parse error on "}" (RCURLY) at [1, 20]',
                    "locations": [{"line": 1, "column": 20}],
                }
            ],
            "account_id": 1,
        },
        {},
        MondayFatalError,
        "GRAPHQL_VALIDATION_FAILED",
        None,
        None,
    ),
    (
        "undefined-field",
        200,
        v2025("undefinedField", "Field 'itemz' doesn't exist on type 'Board'"),
        {},
        MondayFatalError,
        "undefinedField",
        RID,
        None,
    ),
    (
        "daily-limit",
        429,
        v2025("DAILY_LIMIT_EXCEEDED", "Daily limit exceeded", status=429, retry=3599),
        {},
        MondayDailyLimitError,
        "DAILY_LIMIT_EXCEEDED",
        RID,
        3599.0,
    ),
    (
        "invalid-board",
        200,
        {
            "error_code": "InvalidBoardIdException",
            "status_code": 200,
            "error_message": "The board does not exist. Please check your board ID and try again",
            "error_data": {"board_id": 42},
        },
        {},
        MondayFatalError,
        "InvalidBoardIdException",
        None,
        None,
    ),
    (
        "missing-permissions",
        200,
        v2025("missingRequiredPermissions", "Missing boards:write scope"),
        {},
        MondayFatalError,
        "missingRequiredPermissions",
        RID,
        None,
    ),
    (
        "api-blocked",
        200,
        v2025("API_TEMPORARILY_BLOCKED", "API usage temporarily blocked"),
        {},
        MondayFatalError,
        "API_TEMPORARILY_BLOCKED",
        RID,
        None,
    ),
    (
        "invalid-version",
        200,
        v2025("InvalidVersionException", "Invalid API version '2023'"),
        {},
        MondayFatalError,
        "InvalidVersionException",
        RID,
        None,
    ),
    (
        "items-limit",
        200,
        v2025("ItemsLimitationException", "exceeded the limit of 10,000 items per board", path=["i3"]),
        {},
        MondayFatalError,
        "ItemsLimitationException",
        RID,
        None,
    ),
    (
        "column-value",
        200,
        v2025(
            "ColumnValueException",
            "invalid value - label does not exist in column",
            path=["i1"],
            error_data={"column_type": "status", "column_id": "status"},
        ),
        {},
        MondayRecordError,
        "ColumnValueException",
        RID,
        None,
    ),
    (
        "corrected-value",
        200,
        v2025("CorrectedValueException", "Column doesn't accept simple strings", path=["i0"]),
        {},
        MondayRecordError,
        "CorrectedValueException",
        RID,
        None,
    ),
    (
        "name-too-long",
        200,
        v2025("ItemNameTooLongException", "Item name must be between 1 and 255 characters", path=["i2"]),
        {},
        MondayRecordError,
        "ItemNameTooLongException",
        RID,
        None,
    ),
    (
        "invalid-column",
        200,
        v2025("InvalidColumnIdException", "This column ID doesn't exist for the board", path=["i0"]),
        {},
        MondayRecordError,
        "InvalidColumnIdException",
        RID,
        None,
    ),
    (
        "resource-not-found",
        200,
        v2025("ResourceNotFoundException", "Item with id 77 not found", status=404, path=["i4"]),
        {},
        MondayRecordError,
        "ResourceNotFoundException",
        RID,
        None,
    ),
    (
        "invalid-argument",
        200,
        v2025("InvalidArgumentException", "Group not found", path=["i0"]),
        {},
        MondayRecordError,
        "InvalidArgumentException",
        RID,
        None,
    ),
    (
        "record-invalid",
        422,
        v2025("RecordInvalidException", "Validation failed", status=422, path=["i0"]),
        {},
        MondayRecordError,
        "RecordInvalidException",
        RID,
        None,
    ),
    (
        "unknown-code-is-fatal",
        200,
        v2025("SomethingNewException", "never seen before"),
        {},
        MondayFatalError,
        "SomethingNewException",
        RID,
        None,
    ),
]


@pytest.mark.parametrize(
    ("status", "body", "headers", "cls", "code", "request_id", "retry_after"),
    [r[1:] for r in ROWS],
    ids=[r[0] for r in ROWS],
)
def test_classify_table(
    status: int,
    body: dict[str, Any] | None,
    headers: dict[str, str],
    cls: type[MondayError],
    code: str,
    request_id: str | None,
    retry_after: float | None,
) -> None:
    """Each recorded-style body maps to the expected class, code, request_id and retry hint."""
    err = classify(status, body, httpx.Headers(headers))
    assert type(err) is cls
    assert err.code == code
    assert err.request_id == request_id
    assert err.retry_after == retry_after
    assert err.http_status == status


def test_every_table_code_has_a_row_or_is_synthetic() -> None:
    """Every code in CODE_TABLE with a documented monday meaning is covered by a table row."""
    covered = {r[5] for r in ROWS}
    synthetic_or_alias = {
        "RateLimitExceeded",
        "rateLimitExceeded",
        "complexityBudgetExhausted",
        "INTERNAL_SERVER_ERROR",
        "CLIENT_TIMEOUT",
        "CONNECTION_ERROR",
        "USER_UNAUTHORIZED",
        "GRAPHQL_PARSE_FAILED",
        "maxDepthExceeded",
        "maxComplexityExceeded",
        "REQUEST_MAX_COMPLEXITY_EXCEEDED",
        "JsonParseException",
        "BAD_REQUEST",
        "CLIENT_MISCONFIGURED",
        "DeleteLastGroupException",
        "argumentLiteralsIncompatible",
        "GRAPHQL_VALIDATION_FAILED",
    }
    assert set(CODE_TABLE) - covered - synthetic_or_alias == set()


def test_branches_subclass_the_root_tree() -> None:
    """Each Monday branch is also the matching sync.errors branch, so the engine needs no monday imports."""
    assert issubclass(MondayRetriableError, RetriableError)
    assert issubclass(MondayFatalError, FatalError)
    assert issubclass(MondayRecordError, RecordError)


def test_success_body_is_not_an_error() -> None:
    """A 200 with data and no errors classifies as None."""
    assert classify(200, {"data": {"i0": {"id": "1"}}}, httpx.Headers()) is None


def test_classify_all_keeps_paths_and_column() -> None:
    """Per-alias errors keep their alias and the column id from error_data."""
    body = v2025(
        "ColumnValueException", "bad", path=["i1", "column_values"], error_data={"column_id": "numbers"}
    )
    [err] = classify_all(200, body, httpx.Headers())
    assert err.alias == "i1"
    assert err.column == "numbers"
    assert "request_id=" in str(err)


def test_classify_prefers_fatal_over_record() -> None:
    """When a response carries several errors, classify returns the most severe one."""
    body = v2025("ColumnValueException", "bad", path=["i0"])
    body["errors"].append({"message": "nope", "extensions": {"code": "USER_ACCESS_DENIED"}})
    assert isinstance(classify(200, body, httpx.Headers()), MondayFatalError)


def test_retry_after_http_date() -> None:
    """A Retry-After in HTTP-date form becomes a non-negative number of seconds."""
    err = classify(429, None, httpx.Headers({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}))
    assert err is not None
    assert err.retry_after == 0.0


@pytest.mark.parametrize(
    ("exc", "cls", "code"),
    [
        (httpx.ReadTimeout("read timed out"), MondayRetriableError, "CLIENT_TIMEOUT"),
        (httpx.ConnectTimeout("connect timed out"), MondayRetriableError, "CLIENT_TIMEOUT"),
        (httpx.ConnectError("connection refused"), MondayRetriableError, "CONNECTION_ERROR"),
        (httpx.RemoteProtocolError("server disconnected"), MondayRetriableError, "CONNECTION_ERROR"),
        (httpx.UnsupportedProtocol("ftp://"), MondayFatalError, "CLIENT_MISCONFIGURED"),
    ],
)
def test_transport_errors_are_mapped(exc: Exception, cls: type[MondayError], code: str) -> None:
    """httpx transport exceptions never leak: timeouts/connect errors retry, misconfiguration is fatal."""
    with pytest.raises(cls) as info, map_transport_errors():
        raise exc
    assert info.value.code == code
    assert info.value.__cause__ is exc


def test_daily_limit_names_the_limit_and_when_it_resets() -> None:
    """DAILY_LIMIT_EXCEEDED is a typed fatal error whose message names the limit and its reset time."""
    err = classify(429, v2025("DAILY_LIMIT_EXCEEDED", "Daily limit exceeded", retry=3599), httpx.Headers())
    assert isinstance(err, MondayDailyLimitError)
    assert isinstance(err, FatalError)
    assert "daily API call limit" in str(err)
    assert f"{err.resets_at:%Y-%m-%d %H:%M:%S} UTC" in str(err)
    assert err.retry_after == 3599.0


def test_daily_limit_without_hint_resets_at_midnight_utc() -> None:
    """Without retry_in_seconds the reset is the next midnight UTC, as monday documents."""
    err = classify(429, {"error_code": "DAILY_LIMIT_EXCEEDED", "status_code": 429}, httpx.Headers())
    assert isinstance(err, MondayDailyLimitError)
    assert (err.resets_at.hour, err.resets_at.minute, err.resets_at.second) == (0, 0, 0)


def test_body_wait_beats_header_in_every_shape() -> None:
    """The wait comes from the body first (extensions, error_data, message), the header last."""
    header = httpx.Headers({"Retry-After": "50"})
    legacy_msg = {"error_code": "ComplexityException", "status_code": 429, "error_message": "reset in 9 seconds"}
    assert classify(200, legacy_msg, header).retry_after == 9.0  # type: ignore[union-attr]
    legacy_data = {"error_code": "FIELD_LIMIT_EXCEEDED", "status_code": 429, "error_data": {"retry_in_seconds": 2}}
    assert classify(429, legacy_data, header).retry_after == 2.0  # type: ignore[union-attr]
    assert classify(429, v2025("MAX_CONCURRENCY_EXCEEDED", "x"), header).retry_after == 50.0  # type: ignore[union-attr]
