"""Walking a paged read to its end, even when monday's cursor dies on the way.

monday's ``items_page`` cursor lives 60 minutes from the *first* page, and items
come back in no stable order (monday-api.md §2, Airbyte's source-monday notes),
so a walk cannot resume part-way. On ``CursorException`` the walk starts again
at page 1 and skips every item id it already yielded: each item comes out once.
A walk that keeps expiring without a single new item gives up with a fatal
error naming what it was reading, instead of looping for ever.

    for item in walk_items(first_page, next_page, client.stats, "board 123"):
        ...
"""

from __future__ import annotations

__all__ = ["MAX_FRUITLESS_RESTARTS", "walk_items"]

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sync.monday.errors import MondayCursorExpiredError, MondayFatalError
from sync.monday.models import ClientStats, ItemRecord
from sync.monday.parsing import item_from

#: Cursor expiries in a row without one new item before a walk gives up.
MAX_FRUITLESS_RESTARTS = 3

log = logging.getLogger(__name__)


def walk_items(
    first_page: Callable[[], Mapping[str, Any]],
    next_page: Callable[[str], Mapping[str, Any]],
    stats: ClientStats,
    what: str,
) -> Iterator[ItemRecord]:
    """Every item of a paged read, once; ``first_page()`` starts (or restarts) the walk.

    ``next_page(cursor)`` fetches the page after ``cursor``; both return an
    ``ItemsResponse`` mapping (``cursor``, ``items``). ``stats.cursor_restarts``
    counts the restarts.
    """
    seen: set[int] = set()
    fruitless = 0
    while True:
        before = len(seen)
        try:
            for item in _pages(first_page(), next_page):
                if item.id not in seen:
                    seen.add(item.id)
                    yield item
            return
        except MondayCursorExpiredError as exc:
            stats.cursor_restarts += 1
            fruitless = 0 if len(seen) > before else fruitless + 1
            if fruitless >= MAX_FRUITLESS_RESTARTS:
                raise MondayFatalError(
                    f"reading {what}: the cursor expired {fruitless} times in a row before one new "
                    f"item arrived ({len(seen)} items read); the walk cannot finish",
                    code=exc.code,
                    request_id=exc.request_id,
                    http_status=exc.http_status,
                ) from exc
            log.warning("monday cursor expired reading %s after %d items; restarting at page 1", what, len(seen))


def _pages(page: Mapping[str, Any], next_page: Callable[[str], Mapping[str, Any]]) -> Iterator[ItemRecord]:
    while True:
        for raw in page.get("items") or []:
            yield item_from(raw)
        cursor = page.get("cursor")
        if not cursor:
            return
        page = next_page(str(cursor))
