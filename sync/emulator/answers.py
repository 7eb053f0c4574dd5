"""The answers the emulator gives instead of (or on top of) executing a request: faults and limits.

Kept apart from :mod:`sync.emulator.app` so the request path stays a short list
of steps. Every answer is rendered through :mod:`sync.emulator.responses`, i.e.
in the error format of the request's ``API-Version``.

    refusal = fault_answer("daily", profile, request_id, "2024-10", clock())
"""

from __future__ import annotations

__all__ = [
    "FIELD_LIMITED_FIELD",
    "NESTED_THROTTLED_FIELD",
    "POST_EXECUTION_FAULTS",
    "complexity_only",
    "fault_answer",
    "partial_answer",
    "rate_headers",
    "timed_out_after_apply",
    "too_complex",
]

from typing import Any

from graphql import FieldNode, OperationDefinitionNode

from sync.emulator import responses
from sync.emulator.faults import FaultProfile
from sync.emulator.limits import MinuteWindow
from sync.emulator.shapes import ErrorSpec, LimitCode
from sync.emulator.throttle import InFlight, seconds_to_midnight, throttle_fields

Response = tuple[int, dict[str, str], bytes]
FIELD_LIMITED_FIELD = "subitems"  # monday's per-field concurrency limit hits subitems { id }
NESTED_THROTTLED_FIELD = "column_values"  # served by a sub-service that throttles on its own
#: Fault kinds applied after execution (the request runs; the answer is altered).
POST_EXECUTION_FAULTS = frozenset({"timeout_after_apply", "answer_lost", "field_limit", "nested"})
_FAULT_LIMITS = {
    "429": LimitCode.MINUTE,
    "concurrency": LimitCode.CONCURRENCY,
    "daily": LimitCode.DAILY,
    "complexity": LimitCode.COMPLEXITY,
}


def fault_answer(
    kind: str, profile: FaultProfile, request_id: str, api_version: str, now: float, *, serial: int = 0
) -> Response:
    """The refusal for a pre-execution fault ``kind`` (``429``, ``500``, ``timeout``, limits).

    ``serial`` alternates timeouts with and without a message, as monday's gateway sends both.
    """
    code = _FAULT_LIMITS.get(kind)
    if code is not None:
        wait = seconds_to_midnight(now) if code is LimitCode.DAILY else profile.retry_in_seconds
        return responses.limit_error(
            code, wait, request_id, api_version, retry_after_header=profile.retry_after_header
        )
    if kind == "500":
        return responses.simple_error(500, "INTERNAL_SERVER_ERROR", "Internal server error", request_id, api_version)
    if kind != "timeout":
        raise ValueError(f"not a pre-execution fault: {kind!r}")
    status, out, body = responses.timeout_error(request_id, api_version, with_message=serial % 2 == 0)
    return status, {**out, "X-Emulator-Fault": "timeout", "X-Emulator-Applied": "false"}, body


def timed_out_after_apply(request_id: str, api_version: str, *, serial: int = 0) -> Response:
    """The timeout a client sees for a request that *was* applied."""
    status, out, body = responses.timeout_error(request_id, api_version, with_message=serial % 2 == 0)
    return status, {**out, "X-Emulator-Fault": "timeout", "X-Emulator-Applied": "true"}, body


def partial_answer(
    kind: str, data: dict[str, Any], profile: FaultProfile, request_id: str, api_version: str
) -> Response | None:
    """A partial answer for ``field_limit`` / ``nested``; None when the result has no such field."""
    if kind == "field_limit":
        code, name, wait = LimitCode.FIELD, FIELD_LIMITED_FIELD, profile.retry_in_seconds
    elif kind == "nested":
        code, name, wait = LimitCode.NESTED, NESTED_THROTTLED_FIELD, None
    else:
        return None
    paths = throttle_fields(data, name)
    if not paths:
        return None
    return responses.limit_error(
        code, wait, request_id, api_version, retry_after_header=profile.retry_after_header, data=data, paths=paths
    )


def too_complex(cost: int, maximum: int, request_id: str, api_version: str) -> Response:
    """``REQUEST_MAX_COMPLEXITY_EXCEEDED`` (2025-10+, [DOCS rate-limits]) with the cost and the cap."""
    spec = ErrorSpec(
        "REQUEST_MAX_COMPLEXITY_EXCEEDED",
        f"Query has complexity of {cost}, which exceeds max complexity of {maximum}",
        extra={"cost": cost, "max_complexity_per_request": maximum},
        bare_status=True,
    )
    return responses.spec_error(200, [spec], request_id, api_version)


def complexity_only(operation: OperationDefinitionNode) -> bool:
    """True for a query that asks for nothing but ``complexity`` (it counts 0.1 daily call)."""
    selections = operation.selection_set.selections
    return bool(selections) and all(
        isinstance(s, FieldNode) and s.name.value == "complexity" for s in selections
    )


def rate_headers(requests: MinuteWindow, complexity: MinuteWindow, in_flight: InFlight) -> dict[str, str]:
    """monday's ``RateLimit`` and ``RateLimit-Policy`` headers (IETF structured fields, monday-api.md §4)."""
    minute, budget = requests.peek(), complexity.peek()
    free = in_flight.remaining
    concurrency = f', "concurrency";r={free}' if free is not None else ""
    policy = f', "concurrency";q={in_flight.cap}' if in_flight.cap is not None else ""
    return {
        "RateLimit": f'"minuteRate";r={minute.before};t={minute.reset_in_seconds}{concurrency}, '
        f'"complexityMinute";r={budget.before};t={budget.reset_in_seconds}',
        "RateLimit-Policy": '"minuteRate";q=' + str(requests.capacity or 5_000) + ";w=60" + policy + ", "
        '"complexityMinute";q=' + str(complexity.capacity or 10_000_000) + ";w=60",
    }
