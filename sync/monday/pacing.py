"""Wait *before* sending, so monday's minute limits are met instead of tripped.

A 429 costs a round trip, a tenth of a daily call and a retry; a short sleep
costs nothing. :class:`Pacer` keeps a 60-second sliding window of what was sent
(complexity points and request count) and sleeps when the next request would
push either over its limit. When monday reports ``complexity { after
reset_in_x_seconds }`` that fresher truth overrides the local estimate, and
so do the ``RateLimit`` response headers when present: ``minuteRate`` at
``r=0`` waits ``t`` seconds, ``complexityMinute`` below the next request's
cost waits ``t`` seconds.

    pacer = Pacer(budget_per_minute=10_000_000, requests_per_minute=1_000)
    pacer.before_request(pacer.estimate("create_item", 50))
"""

from __future__ import annotations

__all__ = ["DEFAULT_COSTS", "Pacer"]

import time
from collections import deque
from collections.abc import Callable, Mapping

from sync.monday.models import ComplexityInfo, RateLimitInfo

WINDOW_S = 60.0
#: Rough per-operation complexity. monday publishes no table; 10,000 per
#: create_item is from its best-practices page, the rest are conservative guesses.
DEFAULT_COSTS: Mapping[str, int] = {
    "create_item": 10_000,
    "create_subitem": 10_000,
    "change_multiple_column_values": 10_000,
    "delete_item": 10_000,
    "archive_item": 10_000,
    "create_group": 10_000,
    "delete_group": 10_000,
    "boards": 5_000,
    "items": 5_000,
    "items_page": 20_000,
    "next_items_page": 10_000,
    "items_page_by_column_values": 20_000,
    "complexity": 100,
}
DEFAULT_COST = 10_000


class Pacer:
    """Tracks the complexity budget and requests per minute; ``waited_s`` totals the sleeps.

    ``None`` for a limit means unlimited. ``sleep`` and ``clock`` are injectable so
    tests run in zero real time.
    """

    def __init__(
        self,
        *,
        budget_per_minute: int | None = 10_000_000,
        requests_per_minute: int | None = 1_000,
        costs: Mapping[str, int] = DEFAULT_COSTS,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.budget_per_minute = budget_per_minute
        self.requests_per_minute = requests_per_minute
        self.costs = dict(costs)
        self.waited_s = 0.0
        self._sleep = sleep
        self._clock = clock
        self._sent: deque[tuple[float, int]] = deque()  # (sent at, complexity cost)
        self._server_left: int | None = None
        self._server_reset_at = 0.0
        self._requests_blocked_until = 0.0

    def estimate(self, operation: str, count: int = 1) -> int:
        """Estimated complexity of ``count`` aliases of ``operation``."""
        return self.costs.get(operation, DEFAULT_COST) * count

    def before_request(self, cost: int) -> float:
        """Sleep until a request costing ``cost`` fits, record it as sent, return seconds waited."""
        delay = self._delay_for(cost)
        if delay > 0:
            self._sleep(delay)
            self.waited_s += delay
        self._sent.append((self._clock(), cost))
        return delay

    def after_response(self, complexity: ComplexityInfo | None, rate_limit: RateLimitInfo | None = None) -> None:
        """Learn from monday's answer: the measured cost, the remaining budget, the ``RateLimit`` header."""
        if complexity is not None:
            if self._sent:
                sent_at, _ = self._sent.pop()
                self._sent.append((sent_at, complexity.query))
            self._server_left = complexity.after
            self._server_reset_at = self._clock() + complexity.reset_in_x_seconds
        if rate_limit is None:
            return
        now = self._clock()
        minute = rate_limit.get("minuteRate")
        if minute is not None and minute.remaining <= 0 and minute.reset_s:
            self._requests_blocked_until = now + minute.reset_s
        budget = rate_limit.get("complexityMinute")
        if budget is not None and budget.reset_s is not None:
            self._server_left = budget.remaining
            self._server_reset_at = now + budget.reset_s

    def _delay_for(self, cost: int) -> float:
        now = self._clock()
        while self._sent and self._sent[0][0] <= now - WINDOW_S:
            self._sent.popleft()
        delays = [0.0, self._requests_blocked_until - now]
        rpm = self.requests_per_minute
        if rpm is not None and len(self._sent) >= rpm:
            delays.append(self._sent[len(self._sent) - rpm][0] + WINDOW_S - now)
        budget = self.budget_per_minute
        if budget is not None:
            delays.append(self._budget_delay(budget, cost, now))
            if self._server_left is not None and now < self._server_reset_at and self._server_left < cost:
                delays.append(self._server_reset_at - now)
        return max(delays)

    def _budget_delay(self, budget: int, cost: int, now: float) -> float:
        """Seconds until enough old requests leave the window for ``cost`` to fit."""
        used = sum(c for _, c in self._sent)
        if used + cost <= budget or not self._sent:
            return 0.0
        for sent_at, spent in self._sent:  # oldest first
            used -= spent
            if used + cost <= budget:
                return sent_at + WINDOW_S - now
        # Bigger than a whole budget on its own: send it into an empty window.
        return self._sent[-1][0] + WINDOW_S - now
