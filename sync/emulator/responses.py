"""Response bodies and headers, rendered for the request's ``API-Version`` (:mod:`sync.emulator.shapes`).

Every body gets monday's envelope (``extensions.request_id`` from 2025-07,
``account_id`` before); every response carries ``API-Version`` and ``RateLimit``
headers (added by the app). Limit answers carry their wait in the body
(``extensions.retry_in_seconds``, legacy ``error_data.retry_in_seconds`` or the
legacy complexity message); ``Retry-After`` is added only when the fault profile
asks for it, because monday's 2026 gateway often omits it (monday-api.md §5).
"""

from __future__ import annotations

__all__ = [
    "format_errors",
    "limit_error",
    "not_authenticated",
    "render",
    "simple_error",
    "spec_error",
    "timeout_error",
]

import json
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import GraphQLError

from sync.emulator.errors import ApiError
from sync.emulator.shapes import (
    CURRENT_API_VERSION,
    ErrorFormat,
    ErrorSpec,
    LimitCode,
    envelope,
    error_body,
    error_format,
    limit_http_status,
    limit_spec,
)

Response = tuple[int, dict[str, str], bytes]
_JSON = {"Content-Type": "application/json; charset=utf-8"}


def render(
    status: int,
    payload: dict[str, Any],
    request_id: str,
    headers: dict[str, str] | None = None,
    api_version: str = CURRENT_API_VERSION,
) -> Response:
    """Serialise ``payload`` inside monday's envelope for ``api_version``."""
    body = envelope(payload, api_version, request_id)
    out = {**_JSON, "X-Request-Id": request_id, **(headers or {})}
    return status, out, json.dumps(body, ensure_ascii=False).encode("utf-8")


def spec_error(
    status: int,
    specs: Sequence[ErrorSpec],
    request_id: str,
    api_version: str,
    *,
    data: Mapping[str, Any] | None = None,
    retry_after_header: bool = False,
    legacy_data: bool = False,
) -> Response:
    """An error response for ``specs`` in the family ``api_version`` belongs to."""
    body = error_body(specs, error_format(api_version), data, legacy_data=legacy_data)
    wait = specs[0].retry_in_seconds if specs else None
    headers = {"Retry-After": str(wait)} if retry_after_header and wait is not None else {}
    return render(status, body, request_id, headers, api_version)


def simple_error(
    status: int, code: str, message: str, request_id: str, api_version: str = CURRENT_API_VERSION, **data: Any
) -> Response:
    """A transport-level error (400, 404, 405, 409, 500) with one error, ``status_code`` = HTTP status."""
    wait = data.pop("retry_in_seconds", None)
    spec = ErrorSpec(code, message, status_code=status, error_data=data, retry_in_seconds=wait)
    return spec_error(status, [spec], request_id, api_version, retry_after_header=wait is not None)


def limit_error(
    code: LimitCode,
    retry_in_seconds: int | None,
    request_id: str,
    api_version: str,
    *,
    retry_after_header: bool = False,
    data: Mapping[str, Any] | None = None,
    paths: Sequence[tuple[str | int, ...]] = ((),),
    numbers: Mapping[str, int] | None = None,
) -> Response:
    """A limit answer (429, or 200 for the legacy complexity error and nested throttling).

    ``paths`` holds one path per throttled field for partial answers (one error each);
    ``numbers`` (cost, left, budget) fill the legacy complexity message.
    """
    specs = [limit_spec(code, retry_in_seconds, path=path, **(numbers or {})) for path in paths]
    status = limit_http_status(code, error_format(api_version))
    return spec_error(
        status,
        specs,
        request_id,
        api_version,
        data=data,
        retry_after_header=retry_after_header,
        legacy_data=data is not None,
    )


def not_authenticated(api_version: str) -> Response:
    """401 with monday's real body and nothing else: ``NOT_AUTHENTICATED`` or ``["Not Authenticated"]``."""
    if error_format(api_version) is ErrorFormat.LEGACY:
        body: dict[str, Any] = {"errors": ["Not Authenticated"]}
    else:
        body = {"errors": [{"message": "Not Authenticated", "extensions": {"code": "NOT_AUTHENTICATED"}}]}
    return 401, dict(_JSON), json.dumps(body).encode("utf-8")


def timeout_error(request_id: str, api_version: str, *, with_message: bool) -> Response:
    """HTTP 503 ``TIMEOUT_EXCEEDED``; monday sometimes sends it without a message ([MCP] fixtures)."""
    message = "Request timed out" if with_message else None
    spec = ErrorSpec("TIMEOUT_EXCEEDED", message, status_code=503, bare_status=True)
    return spec_error(503, [spec], request_id, api_version)


def format_errors(errors: list[GraphQLError], *, validation: bool) -> list[ErrorSpec]:
    """GraphQL errors as specs: ``ApiError``s keep their code, validation errors are ``GRAPHQL_VALIDATION_FAILED``."""
    out = []
    for error in errors:
        locations = tuple((loc.line, loc.column) for loc in error.locations or ())
        path = tuple(error.path or ())
        original = error.original_error
        if isinstance(original, ApiError):
            out.append(
                ErrorSpec(
                    original.code,
                    original.message,
                    status_code=original.status_code,
                    error_data=original.error_data,
                    path=path,
                    locations=locations,
                )
            )
        elif validation or original is None:
            out.append(
                ErrorSpec("GRAPHQL_VALIDATION_FAILED", error.message, locations=locations, path=path, validation=True)
            )
        else:
            out.append(
                ErrorSpec(
                    "INTERNAL_SERVER_ERROR",
                    f"Internal server error: {original!r}",
                    status_code=500,
                    path=path,
                    locations=locations,
                )
            )
    return out
