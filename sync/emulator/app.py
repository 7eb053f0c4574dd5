"""The emulator's HTTP front, framework-free: ``Emulator.handle(method, path, headers, body)``.

One request goes through, in order: routing, auth (401), body and document
checks, idempotency replay, the daily call limit, the concurrency cap, the
requests-per-minute limit, injected faults and latency, the complexity budget,
execution (atomic under the state lock), then caching and persistence hooks.
Latency is slept *before* taking the state lock so concurrent requests overlap
their waits like they do against monday. Every answer is rendered in the error
format and envelope of the request's ``API-Version`` (:mod:`sync.emulator.shapes`).
"""

from __future__ import annotations

__all__ = ["DEFAULT_API_VERSION", "Emulator"]

import json
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from graphql import GraphQLError, OperationType

from sync.emulator import answers, responses
from sync.emulator.boards import default_boards
from sync.emulator.errors import ApiError
from sync.emulator.faults import FaultProfile, Faults
from sync.emulator.idempotency import IdempotencyCache
from sync.emulator.limits import DEFAULT_COSTS, MinuteWindow, estimate_cost
from sync.emulator.model import Board
from sync.emulator.oplog import OpRecord, refused_writes
from sync.emulator.schema import Executor, operation_of
from sync.emulator.shapes import CURRENT_API_VERSION, LimitCode
from sync.emulator.state import EmulatorState, RequestContext
from sync.emulator.throttle import (
    COMPLEXITY_ONLY_TENTHS,
    FULL_CALL_TENTHS,
    LIMITED_CALL_TENTHS,
    DailyCalls,
    InFlight,
)
from sync.monday.plans import PLAN_LIMITS, MondayPlan

DEFAULT_API_VERSION = CURRENT_API_VERSION
CONCURRENCY_RETRY_S = 15  # the wait monday's gateway announced for MAX_CONCURRENCY_EXCEEDED ([MCP] fixtures)
MAX_REQUEST_COMPLEXITY = 5_000_000
API_PATHS = frozenset({"/v2", "/v2/", "/"})
Response = tuple[int, dict[str, str], bytes]


class Emulator:
    """An in-memory monday.com account holding a few boards, served through :meth:`handle`.

    Usage: ``Emulator(default_boards(), require_token=False).handle("POST", "/v2", {}, body)``.
    Account limits: ``plan`` (a :class:`MondayPlan`) sets the daily calls and the concurrency cap;
    ``daily_call_limit`` / ``max_concurrency`` override them (``None`` everywhere = unlimited).
    """

    def __init__(
        self,
        boards: list[Board] | None = None,
        *,
        state: EmulatorState | None = None,
        seed: int = 0,
        require_token: bool = True,
        faults: FaultProfile | None = None,
        complexity_budget: int | None = None,
        rate_limit_per_minute: int | None = None,
        costs: Mapping[str, int] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        plan: MondayPlan | None = None,
        daily_call_limit: int | None = None,
        max_concurrency: int | None = None,
    ) -> None:
        self.state = state or EmulatorState(boards if boards is not None else default_boards(), seed=seed)
        self._initial = [b.to_dict(with_items=False) for b in self.state.boards.values()]
        self.require_token = require_token
        self.faults = Faults(faults or FaultProfile(seed=seed))
        self.costs: Mapping[str, int] = {**DEFAULT_COSTS, **(costs or {})}
        self.clock, self.sleep = clock, sleep
        self.complexity = MinuteWindow(complexity_budget, clock)
        self.requests = MinuteWindow(rate_limit_per_minute, clock, nominal=5_000)
        self.idempotency = IdempotencyCache(clock)
        limits = PLAN_LIMITS[plan] if plan is not None else None
        self.daily = DailyCalls(daily_call_limit or (limits.daily_calls if limits else None), clock)
        self.in_flight = InFlight(max_concurrency or (limits.concurrency if limits else None))
        self._timeouts = 0
        self.executor = Executor()
        self.on_mutation: Callable[[Emulator], None] | None = None
        #: Idempotency keys whose answer the ``answer_lost`` fault keeps lost for every retry.
        self.lost_answers: set[str] = set()

    # ---- public helpers ------------------------------------------------------------------------------
    @property
    def operation_log(self) -> list[OpRecord]:
        """Every applied mutation so far, oldest first."""
        return self.state.oplog.records(applied_only=True)

    @property
    def attempted_operations(self) -> list[OpRecord]:
        """Every mutation that reached execution, applied or refused (``record.outcome``), oldest first."""
        return self.state.oplog.records()

    def save(self, path: Path) -> None:
        """Write the whole state as JSON (atomically: temp file, then rename)."""
        with self.state.lock:
            text = json.dumps(self.state.to_dict(), ensure_ascii=False)
        target = Path(path)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(target)

    @classmethod
    def load(cls, path: Path, **options: Any) -> Emulator:
        """An emulator continuing from a file written by :meth:`save`; ``options`` as for the constructor."""
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(state=EmulatorState.from_dict(raw), **options)

    def reset(self) -> None:
        """Back to the boards this emulator started with: no items, empty log, fresh limits."""
        boards = [Board.from_dict(json.loads(json.dumps(b))) for b in self._initial]
        with self.state.lock:
            fresh = EmulatorState(boards, seed=self.state.seed)
            self.state.boards, self.state.items, self.state.cursors = fresh.boards, fresh.items, fresh.cursors
            self.state.next_id, self.state.group_counter = fresh.next_id, fresh.group_counter
            self.state.oplog.clear()
        self.complexity.reset()
        self.requests.reset()
        self.daily.reset()
        self.idempotency.clear()
        self.lost_answers.clear()

    def clone_boards(self, template_id: str | int) -> tuple[str, str | None]:
        """Clone a template board (and its subitems board) with fresh ids, so callers never share a board.

        Load tests give each simulated user its own items + subitems pair on one server.
        Returns ``(board_id, subitem_board_id or None)``; an unknown template raises ``ApiError``.
        """
        with self.state.lock:
            return self.state.clone_board(template_id)

    # ---- the request path ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        """Answer one HTTP request; returns ``(status, headers, body)``."""
        request_id = str(uuid.uuid4())
        lowered = {k.lower(): v for k, v in headers.items()}
        route, _, query_string = path.partition("?")
        version = lowered.get("api-version") or DEFAULT_API_VERSION
        if route.startswith("/_emulator/"):
            status, out, payload = self._admin(method, route, query_string, request_id)
        elif route in API_PATHS and method.upper() == "POST":
            status, out, payload = self._api(lowered, body, request_id, version)
        elif route in API_PATHS:
            status, out, payload = responses.simple_error(405, "METHOD_NOT_ALLOWED", "Use POST", request_id, version)
        else:
            status, out, payload = responses.simple_error(404, "NOT_FOUND", f"No route {route}", request_id, version)
        rate = answers.rate_headers(self.requests, self.complexity, self.in_flight)
        return status, {**out, "API-Version": version, **rate}, payload

    def _api(self, headers: dict[str, str], body: bytes, request_id: str, version: str) -> Response:
        token = headers.get("authorization", "")
        if self.require_token and not token.strip():
            return responses.not_authenticated(version)
        try:
            request = json.loads(body or b"null")
            source = request["query"]
            variables = request.get("variables") or {}
            operation_name = request.get("operationName")
            if not isinstance(source, str) or not isinstance(variables, dict):
                raise TypeError
        except (ValueError, TypeError, KeyError):
            return responses.simple_error(400, "JsonParseException", "Invalid JSON request body", request_id, version)
        document, problems = self.executor.prepare(source)
        operation = operation_of(document, operation_name) if document else None
        if document is None or operation is None:
            if not problems:
                problems = [_graphql_error(f"Unknown operation {operation_name!r}")]
            return responses.spec_error(200, responses.format_errors(problems, validation=True), request_id, version)
        mutation = operation.operation == OperationType.MUTATION
        key = headers.get("idempotency-key") if mutation else None
        if key:
            claim = self.idempotency.claim(token, key)
            if claim.state == "replay" and key in self.lost_answers:  # retries of a lost answer time out
                self._timeouts += 1
                return answers.timed_out_after_apply(request_id, version, serial=self._timeouts)
            if claim.state == "replay" and claim.response is not None:
                status, out, payload = claim.response
                return status, {**out, "Idempotency-Replayed": "true"}, payload
            if claim.state == "conflict":
                return responses.simple_error(
                    409,
                    "IDEMPOTENCY_CONFLICT",
                    "A request with this Idempotency-Key is still being processed",
                    request_id,
                    version,
                    retry_in_seconds=1,
                )
        executed = False
        try:
            response = self._limited(document, operation, variables, operation_name, request_id, key, version)
            executed = response[1].get("X-Emulator-Applied") is not None
            if key and executed:
                self.idempotency.complete(token, key, response[2])
            return response[0]
        finally:
            if key and not executed:
                self.idempotency.release(token, key)

    def _limited(
        self,
        document: Any,
        operation: Any,
        variables: dict[str, Any],
        operation_name: str | None,
        request_id: str,
        key: str | None,
        version: str,
    ) -> tuple[Response, dict[str, str], Response]:
        """Account limits, then the rest; returns (what to send, markers, what to cache for replay)."""
        wait = self.daily.exhausted()
        if wait is not None:
            self.daily.charge(LIMITED_CALL_TENTHS)
            error = self._limit_answer(LimitCode.DAILY, wait, request_id, version)
            return error, {}, error
        if not self.in_flight.enter():
            self.daily.charge(LIMITED_CALL_TENTHS)
            error = self._limit_answer(LimitCode.CONCURRENCY, CONCURRENCY_RETRY_S, request_id, version)
            return error, {}, error
        try:
            return self._admitted(document, operation, variables, operation_name, request_id, key, version)
        finally:
            self.in_flight.leave()

    def _admitted(
        self,
        document: Any,
        operation: Any,
        variables: dict[str, Any],
        operation_name: str | None,
        request_id: str,
        key: str | None,
        version: str,
    ) -> tuple[Response, dict[str, str], Response]:
        """Minute limits, faults and execution for a request inside the concurrency cap."""
        refused = self.requests.charge(1)
        if not refused.accepted:
            self.daily.charge(LIMITED_CALL_TENTHS)
            error = self._limit_answer(LimitCode.MINUTE, refused.reset_in_seconds, request_id, version)
            return error, {}, error
        fault, latency = self.faults.draw()
        if latency > 0:
            self.sleep(latency)  # never under the state lock: concurrent requests wait in parallel
        if fault is not None and fault not in answers.POST_EXECUTION_FAULTS:
            self.daily.charge(LIMITED_CALL_TENTHS)
            self._timeouts += fault == "timeout"
            error = answers.fault_answer(
                fault, self.faults.profile, request_id, version, self.clock(), serial=self._timeouts
            )
            return error, {}, error
        cost = estimate_cost(document, operation, variables, self.costs)
        if cost > MAX_REQUEST_COMPLEXITY:
            error = answers.too_complex(cost, MAX_REQUEST_COMPLEXITY, request_id, version)
            return error, {}, error
        charge = self.complexity.charge(cost)
        if not charge.accepted:
            self.daily.charge(LIMITED_CALL_TENTHS)
            error = self._limit_answer(
                LimitCode.COMPLEXITY,
                charge.reset_in_seconds,
                request_id,
                version,
                cost=cost,
                left=charge.before,
                budget=self.complexity.capacity or 0,
            )
            return error, {}, error
        self.daily.charge(COMPLEXITY_ONLY_TENTHS if answers.complexity_only(operation) else FULL_CALL_TENTHS)
        ctx = RequestContext(
            request_id,
            key,
            self.clock(),
            {
                "before": charge.before,
                "after": charge.after,
                "query": cost,
                "reset_in_x_seconds": charge.reset_in_seconds,
            },
        )
        applied_before = len(self.state.oplog.records())
        with self.state.lock:  # refused writes are logged in the same atomic step as the applied ones
            result = self.executor.run(self.state, document, variables, operation_name, ctx)
            if result.errors and operation.operation == OperationType.MUTATION:
                for attempt in refused_writes(operation, variables, result.errors):
                    self.state.oplog.append(time=ctx.now, request_id=request_id, idempotency_key=key, **attempt)
        if result.errors:
            specs = responses.format_errors(list(result.errors), validation=result.data is None)
            response = responses.spec_error(200, specs, request_id, version, data=result.data)
        else:
            response = responses.render(200, {"data": result.data}, request_id, api_version=version)
        if len(self.state.oplog.records()) != applied_before and self.on_mutation is not None:
            self.on_mutation(self)
        markers = {"X-Emulator-Applied": "true"}
        if fault == "answer_lost" and key:
            self.lost_answers.add(key)
        if fault in ("timeout_after_apply", "answer_lost"):
            self._timeouts += 1
            return answers.timed_out_after_apply(request_id, version, serial=self._timeouts), markers, response
        if fault is not None and result.data is not None and not result.errors:
            partial = answers.partial_answer(fault, result.data, self.faults.profile, request_id, version)
            if partial is not None:
                return partial, {}, partial
        return response, markers, response

    def _limit_answer(self, code: LimitCode, wait: int, request_id: str, version: str, **numbers: int) -> Response:
        header = self.faults.profile.retry_after_header
        return responses.limit_error(code, wait, request_id, version, retry_after_header=header, numbers=numbers)

    def _admin(self, method: str, route: str, query_string: str, request_id: str) -> Response:
        """``GET /_emulator/health``, ``GET /_emulator/oplog[?since=SEQ][&attempted=1]``, ``POST /_emulator/reset``,
        ``POST /_emulator/boards/clone?from=BOARD_ID`` (-> ``{"board_id", "subitem_board_id"}``)."""
        verb = method.upper()
        if route == "/_emulator/health" and verb == "GET":
            with self.state.lock:
                counts = {"boards": len(self.state.boards), "items": len(self.state.items)}
            return responses.render(200, {"status": "ok", **counts}, request_id)
        if route == "/_emulator/oplog" and verb == "GET":
            since = _int_param(query_string, "since")
            log = self.attempted_operations if _int_param(query_string, "attempted") else self.operation_log
            ops = [r.to_dict() for r in log if r.seq > since]
            return responses.render(200, {"operations": ops}, request_id)
        if route == "/_emulator/boards/clone" and verb == "POST":
            template = _str_param(query_string, "from")
            try:
                board_id, subitem_board_id = self.clone_boards(template)
            except ApiError as exc:
                return responses.simple_error(404, "NOT_FOUND", exc.message, request_id)
            return responses.render(
                200, {"board_id": board_id, "subitem_board_id": subitem_board_id}, request_id
            )
        if route == "/_emulator/reset" and verb == "POST":
            self.reset()
            return responses.render(200, {"status": "reset"}, request_id)
        return responses.simple_error(404, "NOT_FOUND", f"No route {verb} {route}", request_id)


def _graphql_error(message: str) -> GraphQLError:
    return GraphQLError(message)


def _str_param(query_string: str, name: str) -> str:
    for part in query_string.split("&"):
        key, _, value = part.partition("=")
        if key == name:
            return value
    return ""


def _int_param(query_string: str, name: str) -> int:
    for part in query_string.split("&"):
        key, _, value = part.partition("=")
        if key == name and value.isdigit():
            return int(value)
    return 0
