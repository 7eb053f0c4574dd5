"""POST one document and read monday's envelope: status and ``errors`` first, then ``data``.

monday answers most failures with HTTP 200, so the status code alone says
little. The rule for a batch of aliased mutations:

* an error whose ``path[0]`` is one of the document's aliases fails only that
  alias; the other aliases' ``data`` still counts;
* a record-type error with no path (the legacy top-level ``error_code`` shape
  has none) answering a document that holds exactly ONE mutation can only
  belong to that row, so it is pinned on that alias;
* any other error with no path (or a path outside the aliases), or a non-2xx
  status, fails the whole request and is raised.

A record-type error that cannot be pinned on an alias is raised as fatal: it
means the request itself is wrong, or several rows could be to blame.

    result = execute(http, doc, idempotency_key="run-7-0")
"""

from __future__ import annotations

__all__ = ["GraphQLResult", "execute"]

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.monday.errors import (
    MondayError,
    MondayFatalError,
    MondayRecordError,
    classify_all,
    map_transport_errors,
)
from sync.monday.models import ComplexityInfo, RateLimitInfo
from sync.monday.operations import Document
from sync.monday.parsing import parse_complexity, parse_rate_limit
from sync.monday.transport import endpoint_url


@dataclass(frozen=True)
class GraphQLResult:
    """A request that monday accepted; some aliases may still have failed."""

    data: dict[str, Any]
    alias_errors: dict[str, MondayError] = field(default_factory=dict)
    complexity: ComplexityInfo | None = None
    request_id: str | None = None
    replayed: bool = False
    rate_limit: RateLimitInfo | None = None


def execute(http: httpx.Client, document: Document, *, idempotency_key: str | None = None) -> GraphQLResult:
    """Send ``document``; return data and per-alias errors, or raise the whole-request MondayError."""
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    with map_transport_errors():
        response = http.post(endpoint_url(http), json=document.payload(), headers=headers)
    body = _json_body(response)
    alias_errors: dict[str, MondayError] = {}
    only = document.aliases[0] if len(document.aliases) == 1 else None
    for err in classify_all(response.status_code, body, response.headers):
        if response.is_success and only is not None and not err.path and isinstance(err, MondayRecordError):
            err.path = (only,)  # old-format error, one mutation: it is that row's
        if response.is_success and err.alias in document.aliases:
            alias_errors.setdefault(str(err.alias), err)
        else:
            raise _as_request_error(err)
    data = body.get("data") if body else None
    if not isinstance(data, dict) and only is not None and only in alias_errors:
        data = {only: None}  # legacy error bodies carry no data at all
    if not isinstance(data, dict):
        raise MondayFatalError(
            f"response without data (HTTP {response.status_code})",
            code="NO_DATA",
            http_status=response.status_code,
        )
    extensions = body.get("extensions") if body else None
    request_id = extensions.get("request_id") if isinstance(extensions, Mapping) else None
    return GraphQLResult(
        data=data,
        alias_errors=alias_errors,
        complexity=parse_complexity(data.get("complexity")),
        request_id=str(request_id) if request_id else None,
        replayed=response.headers.get("idempotency-replayed", "").lower() == "true",
        rate_limit=parse_rate_limit(response.headers.get("ratelimit")),
    )


def _json_body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = None  # an HTML 502 page from a proxy: the status alone classifies it
    if body is None and response.is_success:
        raise MondayFatalError(
            "monday answered with a non-JSON body", code="BAD_RESPONSE", http_status=response.status_code
        )
    return body if isinstance(body, dict) else None


def _as_request_error(err: MondayError) -> MondayError:
    if not isinstance(err, MondayRecordError):
        return err
    promoted = MondayFatalError(
        err.message,
        code=err.code,
        request_id=err.request_id,
        http_status=err.http_status,
        retry_after=err.retry_after,
        path=err.path,
        error_data=err.error_data,
    )
    promoted.__cause__ = err
    return promoted
