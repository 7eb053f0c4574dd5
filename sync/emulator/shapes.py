"""Every error the emulator sends, described once and rendered in the format the ``API-Version`` asks for.

monday changed its error format in API 2025-01 (monday-api.md §5, [DOCS error-handling]):

* **unified** (2025-01 and later): ``errors[]`` entries with ``message``, ``path``
  and ``extensions {code, status_code, error_data, retry_in_seconds, service}``;
  application errors at HTTP 200, limits at 429, timeouts at 503;
* **legacy** (2024-10 and earlier): a top-level ``error_code`` / ``status_code`` /
  ``error_message`` / ``error_data`` body with no ``path``, ``errors[]`` as bare
  strings where monday sent them, and GraphQL-style ``{message, locations}``
  entries (no code) for parse and validation errors.

The envelope changed in 2025-07: from then on every body carries
``extensions.request_id``; older bodies carry ``account_id`` instead.

An :class:`ErrorSpec` is the one description; :func:`error_body` renders it for
either family, so the two cannot drift apart. :data:`LIMIT_ANSWERS` describes
each limit answer in both spellings (the legacy complexity error was
``ComplexityException`` at HTTP 200 with the wait only in its message).

    body = error_body([spec], error_format("2024-10"))
"""

from __future__ import annotations

__all__ = [
    "ACCOUNT_ID",
    "CURRENT_API_VERSION",
    "LIMIT_ANSWERS",
    "REQUEST_ID_FROM",
    "UNIFIED_FROM",
    "ErrorFormat",
    "ErrorSpec",
    "LimitAnswer",
    "LimitCode",
    "envelope",
    "error_body",
    "error_format",
    "limit_http_status",
    "limit_spec",
]

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ACCOUNT_ID = 1
CURRENT_API_VERSION = "2026-10"  # the version answered when a request names none (monday-api.md §6)
UNIFIED_FROM = "2025-01"  # "2025-01: unified error format" (monday-api.md §6)
REQUEST_ID_FROM = "2025-07"  # envelopes carry extensions.request_id from here on
_VERSION = re.compile(r"^\d{4}-\d{2}$")


class ErrorFormat(StrEnum):
    """monday's two error-format families."""

    UNIFIED = "unified"
    LEGACY = "legacy"


def error_format(api_version: str) -> ErrorFormat:
    """The family for an ``API-Version`` header; aliases and unknown strings get Current's (unified)."""
    if _VERSION.match(api_version) and api_version < UNIFIED_FROM:
        return ErrorFormat.LEGACY
    return ErrorFormat.UNIFIED


def envelope(body: dict[str, Any], api_version: str, request_id: str) -> dict[str, Any]:
    """``body`` with monday's envelope: ``extensions.request_id`` (2025-07+) or ``account_id`` (older)."""
    out = dict(body)
    if _VERSION.match(api_version) and api_version < REQUEST_ID_FROM:
        out.setdefault("account_id", ACCOUNT_ID)
    else:
        out["extensions"] = {**out.get("extensions", {}), "request_id": request_id}
    return out


@dataclass(frozen=True)
class ErrorSpec:
    """One monday error, format-free.

    ``status_code`` is the status monday writes into the body (``extensions.status_code``
    or the legacy top-level one); ``retry_in_legacy_message`` says the legacy body
    carries the wait only in its message text (``ComplexityException``).
    """

    code: str | None
    message: str | None
    status_code: int = 200
    error_data: Mapping[str, Any] = field(default_factory=dict)
    retry_in_seconds: int | None = None
    path: tuple[str | int, ...] = ()
    locations: tuple[tuple[int, int], ...] = ()
    service: str | None = "monolith"
    validation: bool = False  # a GraphQL parse/validation error (legacy: message + locations, no code)
    legacy_code: str | None = None  # the pre-2025 spelling when it differs ("" = the legacy body had no code)
    legacy_message: str | None = None
    legacy_strings: bool = False  # the legacy body also lists errors[] as bare strings
    retry_in_legacy_message: bool = False
    bare_status: bool = False  # unified entry without status_code / error_data (limit and auth answers)
    extra: Mapping[str, Any] = field(default_factory=dict)  # more extensions keys (legacy: into error_data)

    def unified(self) -> dict[str, Any]:
        """The 2025-01+ ``errors[]`` entry."""
        entry: dict[str, Any] = {}
        if self.message is not None:
            entry["message"] = self.message
        if self.locations:
            entry["locations"] = [{"line": line, "column": col} for line, col in self.locations]
        if self.path:
            entry["path"] = list(self.path)
        ext: dict[str, Any] = {"code": self.code}
        if not self.bare_status:
            ext["status_code"] = self.status_code
            ext["error_data"] = dict(self.error_data)
        if self.retry_in_seconds is not None:
            ext["retry_in_seconds"] = self.retry_in_seconds
        ext.update(self.extra)
        if self.service:
            ext["service"] = self.service
        entry["extensions"] = ext
        return entry

    def legacy(self) -> dict[str, Any]:
        """The pre-2025 top-level fields of a body answering with this error."""
        out: dict[str, Any] = {}
        code = self.code if self.legacy_code is None else self.legacy_code
        if code:
            out["error_code"] = code
        out["status_code"] = self.status_code
        message = self.legacy_message if self.legacy_message is not None else self.message
        if message is not None:
            out["error_message"] = message
        data = {**self.error_data, **self.extra}
        if self.retry_in_seconds is not None and not self.retry_in_legacy_message:
            data["retry_in_seconds"] = self.retry_in_seconds
        if code:
            out["error_data"] = data
        return out


def error_body(
    specs: Sequence[ErrorSpec],
    fmt: ErrorFormat,
    data: Mapping[str, Any] | None = None,
    *,
    legacy_data: bool = False,
) -> dict[str, Any]:
    """The response body for ``specs`` in ``fmt``.

    Unified bodies keep ``data`` (partial results). Legacy application errors carry none;
    ``legacy_data`` keeps it for the partial limit answers that did.
    """
    body: dict[str, Any] = {}
    if fmt is ErrorFormat.UNIFIED:
        if data is not None:
            body["data"] = dict(data)
        body["errors"] = [spec.unified() for spec in specs]
        return body
    validation = [s for s in specs if s.validation]
    if validation:  # legacy shape 1: GraphQL errors without codes
        body["errors"] = [
            {"message": s.message, "locations": [{"line": ln, "column": c} for ln, c in s.locations]}
            for s in validation
        ]
        return body
    first = specs[0]
    if data is not None and legacy_data:
        body["data"] = dict(data)
    body.update(first.legacy())
    if first.legacy_strings:
        body["errors"] = [str(body.get("error_message", ""))]
    return body


class LimitCode(StrEnum):
    """The limit answers the emulator can send (fault profile and real limits)."""

    MINUTE = "MINUTE_RATE_LIMIT_EXCEEDED"
    CONCURRENCY = "MAX_CONCURRENCY_EXCEEDED"
    DAILY = "DAILY_LIMIT_EXCEEDED"
    COMPLEXITY = "COMPLEXITY_BUDGET_EXHAUSTED"
    FIELD = "FIELD_LIMIT_EXCEEDED"
    NESTED = "tooManyRequests"


@dataclass(frozen=True)
class LimitAnswer:
    """How monday answers one limit, in both families; ``{retry}`` in a legacy message is the wait."""

    message: str
    http_status: int
    legacy_code: str | None
    legacy_message: str
    legacy_http_status: int
    status_code: int = 429
    legacy_strings: bool = False
    retry_in_legacy_message: bool = False
    service: str | None = None


#: Sources: [MCP] error.utils.test.ts gateway fixtures (2026 codes and messages);
#: [DOCS rate-limits] / [DOCS error-handling] (legacy "Rate Limit Exceeded.",
#: ``maxConcurrencyExceeded``, ``FIELD_LIMIT_EXCEEDED`` with ``error_data.retry_in_seconds``,
#: ``tooManyRequests`` partial answers from the data-structure service); the
#: changelog hotfix and airbyte #31539 (legacy ``ComplexityException`` at HTTP 200).
LIMIT_ANSWERS: Mapping[LimitCode, LimitAnswer] = {
    LimitCode.MINUTE: LimitAnswer("Minute rate limit exceeded", 429, None, "Rate Limit Exceeded.", 429),
    LimitCode.CONCURRENCY: LimitAnswer(
        "Too many concurrent requests", 429, "maxConcurrencyExceeded", "Max concurrency exceeded", 429
    ),
    LimitCode.DAILY: LimitAnswer("Daily limit exceeded", 429, "DAILY_LIMIT_EXCEEDED", "Daily limit exceeded", 429),
    LimitCode.COMPLEXITY: LimitAnswer(
        "Complexity budget exhausted",
        429,
        "ComplexityException",
        "Complexity budget exhausted, query cost {cost} budget remaining {left} out of {budget} "
        "reset in {retry} seconds",
        200,
        legacy_strings=True,
        retry_in_legacy_message=True,
    ),
    LimitCode.FIELD: LimitAnswer(
        "Field limit exceeded: too many concurrent requests for this field",
        429,
        "FIELD_LIMIT_EXCEEDED",
        "Field limit exceeded: too many concurrent requests for this field",
        429,
    ),
    LimitCode.NESTED: LimitAnswer(
        "Too many requests", 200, "tooManyRequests", "Too many requests", 200, status_code=400, service="data-structure"
    ),
}


def limit_spec(
    code: LimitCode, retry_in_seconds: int | None, *, path: tuple[str | int, ...] = (), **numbers: int
) -> ErrorSpec:
    """The :class:`ErrorSpec` of a limit answer; ``numbers`` fill the legacy message (cost, left, budget)."""
    answer = LIMIT_ANSWERS[code]
    values = {"cost": 0, "left": 0, "budget": 0, **numbers, "retry": retry_in_seconds or 0}
    return ErrorSpec(
        code.value,
        answer.message,
        status_code=answer.status_code,
        retry_in_seconds=retry_in_seconds,
        path=path,
        service=answer.service,
        legacy_code=answer.legacy_code or "",
        legacy_message=answer.legacy_message.format(**values),
        legacy_strings=answer.legacy_strings,
        retry_in_legacy_message=answer.retry_in_legacy_message,
        bare_status=code is not LimitCode.NESTED,
    )


def limit_http_status(code: LimitCode, fmt: ErrorFormat) -> int:
    """The HTTP status a limit answer travels with in ``fmt``."""
    answer = LIMIT_ANSWERS[code]
    return answer.http_status if fmt is ErrorFormat.UNIFIED else answer.legacy_http_status
