"""Response bodies and headers in monday's 2025-01+ unified shape.

Every body carries root ``extensions.request_id`` and ``account_id``; every
response carries ``API-Version`` and ``RateLimit`` headers; every limit error
carries ``extensions.retry_in_seconds`` and a ``Retry-After`` header, which is
what a correct client keys on (monday-api.md §5).
"""

from __future__ import annotations

__all__ = ["ACCOUNT_ID", "format_errors", "limit_error", "render", "simple_error"]

import json
from typing import Any

from graphql import GraphQLError

from sync.emulator.errors import ApiError

ACCOUNT_ID = 1
Response = tuple[int, dict[str, str], bytes]


def render(
    status: int, payload: dict[str, Any], request_id: str, headers: dict[str, str] | None = None
) -> Response:
    """Serialise ``payload`` with ``account_id`` and ``extensions.request_id`` added."""
    body = dict(payload)
    body.setdefault("account_id", ACCOUNT_ID)
    body["extensions"] = {**body.get("extensions", {}), "request_id": request_id}
    out = {"Content-Type": "application/json; charset=utf-8", "X-Request-Id": request_id}
    out.update(headers or {})
    return status, out, json.dumps(body, ensure_ascii=False).encode("utf-8")


def simple_error(status: int, code: str, message: str, request_id: str, **extensions: Any) -> Response:
    """A transport-level error (401, 400, 404, 409, 500, 504) with one ``errors[]`` entry."""
    payload = {
        "errors": [{"message": message, "extensions": {"code": code, "status_code": status, **extensions}}],
        "error_message": message,
        "status_code": status,
    }
    headers = {"Retry-After": str(extensions["retry_in_seconds"])} if "retry_in_seconds" in extensions else {}
    return render(status, payload, request_id, headers)


def limit_error(code: str, message: str, retry_in_seconds: int, request_id: str) -> Response:
    """HTTP 429 with ``extensions {code, retry_in_seconds}`` (the 2025-07+ simplified shape)."""
    payload = {
        "errors": [{"message": message, "extensions": {"code": code, "retry_in_seconds": retry_in_seconds}}]
    }
    return render(429, payload, request_id, {"Retry-After": str(retry_in_seconds)})


def format_errors(errors: list[GraphQLError], *, validation: bool) -> list[dict[str, Any]]:
    """GraphQL errors with monday ``extensions``; validation errors get ``GRAPHQL_VALIDATION_FAILED``."""
    out = []
    for error in errors:
        entry: dict[str, Any] = {"message": error.message}
        if error.locations:
            entry["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
        if error.path:
            entry["path"] = list(error.path)
        original = error.original_error
        if isinstance(original, ApiError):
            entry["extensions"] = original.extensions
        elif validation or original is None:
            entry["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED", "status_code": 200}
        else:
            entry["message"] = f"Internal server error: {original!r}"
            entry["extensions"] = {"code": "INTERNAL_SERVER_ERROR", "status_code": 500, "error_data": {}}
        out.append(entry)
    return out
