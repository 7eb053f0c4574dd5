"""``Idempotency-Key`` support: replay a mutation's first answer instead of applying it twice.

monday caches a keyed mutation's response for 30 minutes and replays it with
``Idempotency-Replayed: true``; a duplicate that arrives while the first is
still running gets ``409 IDEMPOTENCY_CONFLICT``. This is what makes a retried
batch after a timeout safe: the retry returns the original ids and creates
nothing. Only executed requests are cached (refused 429s are not), per monday's
note that refused requests were never executed.
"""

from __future__ import annotations

__all__ = ["TTL_SECONDS", "Claim", "IdempotencyCache"]

import threading
from collections.abc import Callable
from dataclasses import dataclass

TTL_SECONDS = 30 * 60

Response = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Claim:
    """Result of :meth:`IdempotencyCache.claim`: ``state`` is ``claimed``, ``replay`` or ``conflict``."""

    state: str
    response: Response | None = None


class IdempotencyCache:
    """Responses by (token, key) with a 30-minute lifetime and an in-flight marker."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._done: dict[tuple[str, str], tuple[float, Response]] = {}
        self._running: set[tuple[str, str]] = set()

    def claim(self, token: str, key: str) -> Claim:
        """Reserve ``key`` for execution, or say why not (a stored replay, or a running duplicate)."""
        slot = (token, key)
        with self._lock:
            now = self._clock()
            stored = self._done.get(slot)
            if stored is not None and now - stored[0] < TTL_SECONDS:
                return Claim("replay", stored[1])
            self._done.pop(slot, None)
            if slot in self._running:
                return Claim("conflict")
            self._running.add(slot)
            return Claim("claimed")

    def complete(self, token: str, key: str, response: Response) -> None:
        """Store the executed response and release the reservation."""
        with self._lock:
            self._running.discard((token, key))
            self._done[(token, key)] = (self._clock(), response)
            if len(self._done) > 10_000:
                self._expire()

    def release(self, token: str, key: str) -> None:
        """Drop a reservation whose request was not executed (fault or limit before apply)."""
        with self._lock:
            self._running.discard((token, key))

    def clear(self) -> None:
        """Forget every stored response."""
        with self._lock:
            self._done.clear()
            self._running.clear()

    def _expire(self) -> None:
        now = self._clock()
        for slot, (stored_at, _) in list(self._done.items()):
            if now - stored_at >= TTL_SECONDS:
                del self._done[slot]
