"""monday.com failures, classified by what the caller must do next.

::

    MondayError                       code, message, request_id, http_status, retry_after, path
    ├── MondayRetriableError          (RetriableError) 429 limits, 5xx, 423, timeouts, IDEMPOTENCY_CONFLICT
    │   └── MondayCursorExpiredError  the 60-minute pagination cursor died: restart the walk at page 1
    ├── MondayFatalError              (FatalError)     auth, bad query, unknown board, full board
    │   └── MondayDailyLimitError     DAILY_LIMIT_EXCEEDED: ``resets_at`` says when calls come back
    └── MondayRecordError             (RecordError)    one alias/row: bad column value, unknown item, ...

monday has answered errors in at least four shapes over the years (legacy
``error_code`` bodies, GraphQL ``errors[]`` without codes or as bare strings,
the 2025-01+ ``errors[].extensions.code`` shape and bare HTTP statuses).
:func:`classify_all` reads all of them through ONE table, :data:`CODE_TABLE`;
codes missing from the table fall back to the status monday attached, then to
the HTTP status, and finally to fatal, because an error nobody has seen before
deserves a person. The wait before a retry is read body first, header last
(:mod:`sync.monday.hints`).

:func:`map_transport_errors` does the same for httpx's own exceptions, so no raw
``httpx`` error leaves :mod:`sync.monday`.
"""

from __future__ import annotations

__all__ = [
    "CODE_TABLE",
    "MondayCursorExpiredError",
    "MondayDailyLimitError",
    "MondayError",
    "MondayFatalError",
    "MondayRecordError",
    "MondayRetriableError",
    "classify",
    "classify_all",
    "map_transport_errors",
]

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from sync.errors import FatalError, OrdersyncError, RecordError, RetriableError
from sync.monday.hints import int_or_none, request_id_of, retry_after_header, wait_hint

if TYPE_CHECKING:
    from sync.monday.models import Outcome


class MondayError(OrdersyncError):
    """An error monday.com (or the road to it) reported; the fields are what support asks for."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        request_id: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        path: Sequence[str | int] = (),
        error_data: Mapping[str, Any] | None = None,
    ) -> None:
        # Exception.__init__ directly: the sibling bases take different keywords.
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.request_id = request_id
        self.http_status = http_status
        self.retry_after = retry_after
        self.path: tuple[str | int, ...] = tuple(path)
        self.error_data: dict[str, Any] = dict(error_data or {})
        #: Outcomes already known when a multi-batch call raised (see MondayClient).
        self.completed: tuple[Outcome, ...] = ()
        # RecordError's fields, so every MondayError can be handled as any branch.
        self.column: str | None = _column_of(self.error_data)
        self.value: object = None

    @property
    def alias(self) -> str | None:
        """The mutation alias this error belongs to (``path[0]``), if any."""
        return str(self.path[0]) if self.path else None

    def __str__(self) -> str:
        rid = f" request_id={self.request_id}" if self.request_id else ""
        where = f" path={'.'.join(map(str, self.path))}" if self.path else ""
        return f"{self.code}: {self.message}{where}{rid}"

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(code={self.code!r}, message={self.message!r}, http_status={self.http_status})"


class MondayRetriableError(MondayError, RetriableError):
    """Try the same request again later; ``retry_after`` is monday's hint in seconds."""


class MondayFatalError(MondayError, FatalError):
    """Stop the run: nothing else will work until a person fixes token, board, quota or query."""


class MondayRecordError(MondayError, RecordError):
    """Only this item failed; mark it and carry on with the rest of the batch."""


class MondayCursorExpiredError(MondayRetriableError):
    """The ``items_page`` cursor outlived its 60 minutes: re-sending it is useless, restart at page 1.

    :class:`~sync.monday.retry.RetryPolicy` gives up on it at once; the client's page walk
    catches it and starts over, skipping the item ids it already yielded.
    """


class MondayDailyLimitError(MondayFatalError):
    """The account's daily call limit is spent; ``resets_at`` (UTC) is when calls work again.

    monday resets the limit at midnight UTC and usually says how long that is
    (``retry_in_seconds``); without a hint the next midnight UTC is assumed.
    """

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message, **fields)
        now = datetime.now(UTC)
        if self.retry_after is not None:
            self.resets_at = now + timedelta(seconds=self.retry_after)
        else:
            self.resets_at = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
        self.message = (
            f"monday's daily API call limit for this account is spent ({message}); "
            f"it resets at {self.resets_at:%Y-%m-%d %H:%M:%S} UTC"
        )
        self.args = (self.message,)


_R, _F, _X = MondayRetriableError, MondayFatalError, MondayRecordError

#: The one place a monday code becomes a caller action. Both spellings are kept
#: where monday changed its mind (camelCase in older docs, UPPER_CASE in 2025+).
#: Sources per code: monday-api.md §4-§5 ([DOCS error-handling], [DOCS rate-limits],
#: the [MCP] gateway fixtures) and §2 (CursorException, airbyte source-monday).
CODE_TABLE: dict[str, type[MondayError]] = {
    # limits: wait and retry
    "MINUTE_RATE_LIMIT_EXCEEDED": _R,
    "RateLimitExceeded": _R,
    "rateLimitExceeded": _R,
    "COMPLEXITY_BUDGET_EXHAUSTED": _R,
    "ComplexityException": _R,
    "complexityBudgetExhausted": _R,
    "MAX_CONCURRENCY_EXCEEDED": _R,
    "maxConcurrencyExceeded": _R,
    "IP_RATE_LIMIT_EXCEEDED": _R,
    "tooManyRequests": _R,
    "FIELD_LIMIT_EXCEEDED": _R,  # per-field concurrency (subitems { id }): wait retry_in_seconds
    "TIMEOUT_EXCEEDED": _R,
    "IDEMPOTENCY_CONFLICT": _R,
    "RESOURCE_LOCKED": _R,
    "INTERNAL_SERVER_ERROR": _R,
    "CLIENT_TIMEOUT": _R,
    "CONNECTION_ERROR": _R,
    # the walk's cursor died (60 min): restart from page 1
    "CursorException": MondayCursorExpiredError,
    # a person must act
    "Unauthorized": _F,
    "NOT_AUTHENTICATED": _F,
    "UserUnauthorizedException": _F,
    "USER_UNAUTHORIZED": _F,
    "USER_ACCESS_DENIED": _F,
    "missingRequiredPermissions": _F,
    "DAILY_LIMIT_EXCEEDED": MondayDailyLimitError,
    "API_TEMPORARILY_BLOCKED": _F,
    "InvalidVersionException": _F,
    "InvalidBoardIdException": _F,
    "ItemsLimitationException": _F,
    "DeleteLastGroupException": _F,
    "GRAPHQL_VALIDATION_FAILED": _F,
    "GRAPHQL_PARSE_FAILED": _F,
    "undefinedField": _F,
    "argumentLiteralsIncompatible": _F,
    "maxDepthExceeded": _F,
    "maxComplexityExceeded": _F,
    "REQUEST_MAX_COMPLEXITY_EXCEEDED": _F,
    "JsonParseException": _F,
    "BAD_REQUEST": _F,
    "CLIENT_MISCONFIGURED": _F,
    # this row only
    "ColumnValueException": _X,
    "CorrectedValueException": _X,
    "ItemNameTooLongException": _X,
    "InvalidColumnIdException": _X,
    "InvalidItemIdException": _X,
    "ResourceNotFoundException": _X,
    "InvalidArgumentException": _X,
    "RecordInvalidException": _X,
}

#: Synthetic codes for answers that carry only an HTTP status.
_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "Unauthorized",
    403: "USER_ACCESS_DENIED",
    423: "RESOURCE_LOCKED",
    429: "RateLimitExceeded",
    500: "INTERNAL_SERVER_ERROR",
}


def classify(
    http_status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str]
) -> MondayError | None:
    """The single error that best describes a response (fatal > retriable > record), or None if it succeeded.

    err = classify(resp.status_code, resp.json(), resp.headers)
    """
    found = classify_all(http_status, body, headers)
    for kind in (MondayFatalError, MondayRetriableError, MondayRecordError):
        for err in found:
            if isinstance(err, kind):
                return err
    return None


def classify_all(
    http_status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str]
) -> list[MondayError]:
    """Every error in one response, in monday's order; each keeps its ``path`` so batches can split them."""
    body = body if isinstance(body, Mapping) else {}
    request_id = request_id_of(body, headers)
    header_hint = retry_after_header(headers)
    if "error_code" in body or "error_message" in body:  # legacy (<= 2024-10) top-level shape
        message = str(body.get("error_message") or body.get("error_code") or "")
        data = _mapping(body.get("error_data"))
        status = int_or_none(body.get("status_code")) or http_status
        hint = wait_hint({}, data, message, header_hint)
        return [_build(body.get("error_code"), message, status, http_status, request_id, hint, (), data)]
    out: list[MondayError] = []
    for entry in body.get("errors") or ():
        if not isinstance(entry, Mapping):  # legacy bodies list bare strings ("Not Authenticated")
            entry = {"message": str(entry)}
        ext = _mapping(entry.get("extensions"))
        data = _mapping(ext.get("error_data"))
        code = ext.get("code")
        message = str(entry.get("message") or "")
        if code is None and (entry.get("locations") or message.startswith("Parse error")):
            code = "GRAPHQL_VALIDATION_FAILED"  # pre-2025 validation errors carry no code at all
        path = [p for p in entry.get("path") or () if isinstance(p, str | int)]
        out.append(
            _build(
                code,
                message,
                int_or_none(ext.get("status_code")) or http_status,
                http_status,
                request_id or ext.get("request_id"),
                wait_hint(ext, data, message, header_hint),
                path,
                data,
            )
        )
    if not out and not 200 <= http_status < 300:
        out.append(
            _build(None, f"HTTP {http_status}", http_status, http_status, request_id, header_hint, (), None)
        )
    return out


@contextmanager
def map_transport_errors() -> Iterator[None]:
    """Turn httpx's transport exceptions into Monday errors (the httpx ``map_httpcore_exceptions`` idea).

    A timeout on a mutation means the outcome is unknown, not failed: retrying is
    safe only because mutations carry an Idempotency-Key.
    """
    try:
        yield
    except httpx.TimeoutException as exc:
        raise MondayRetriableError(f"{type(exc).__name__}: {exc}", code="CLIENT_TIMEOUT") from exc
    except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
        raise MondayFatalError(f"{type(exc).__name__}: {exc}", code="CLIENT_MISCONFIGURED") from exc
    except httpx.TransportError as exc:  # connect/read/write errors, server hung up, proxy trouble
        raise MondayRetriableError(f"{type(exc).__name__}: {exc}", code="CONNECTION_ERROR") from exc


def _build(
    code: object,
    message: str,
    status: int,
    http_status: int,
    request_id: object,
    retry_after: float | None,
    path: Sequence[str | int],
    error_data: object,
) -> MondayError:
    name = str(code) if code else _STATUS_CODES.get(status, f"HTTP_{status}")
    cls = CODE_TABLE.get(name) or _class_for_status(status)
    return cls(
        message or name,
        code=name,
        request_id=str(request_id) if request_id else None,
        http_status=http_status,
        retry_after=retry_after,
        path=path,
        error_data=error_data if isinstance(error_data, Mapping) else None,
    )


def _class_for_status(status: int) -> type[MondayError]:
    if status in (408, 409, 423, 429) or status >= 500:
        return MondayRetriableError
    if status == 422:
        return MondayRecordError
    return MondayFatalError  # unknown codes at 200/4xx: a person should look before we carry on


def _column_of(data: Mapping[str, Any]) -> str | None:
    col = data.get("column_id")
    return str(col) if col else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
