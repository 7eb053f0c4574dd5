"""The plain values that cross the :class:`~sync.monday.client.MondayClient` boundary.

All frozen, all with monday's string ids already turned into ``int`` where monday
documents them as numeric (boards, items) and left as ``str`` where they are
opaque (groups, columns).
"""

from __future__ import annotations

__all__ = [
    "BoardCapacity",
    "BoardInfo",
    "ClientStats",
    "ColumnInfo",
    "ColumnValueRecord",
    "ComplexityInfo",
    "GroupInfo",
    "ItemRecord",
    "ItemUpdate",
    "NewItem",
    "NewSubitem",
    "Outcome",
    "RateLimitInfo",
    "RateLimitWindow",
]

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.monday.errors import MondayError


@dataclass(frozen=True)
class ColumnInfo:
    """One board column; ``settings`` is ``settings_str`` parsed (labels for status/dropdown)."""

    id: str
    title: str
    type: str
    settings: dict[str, Any]


@dataclass(frozen=True)
class GroupInfo:
    """One board group; the id is opaque (``topics``, ``group_mkpbd6vy``, ...)."""

    id: str
    title: str


@dataclass(frozen=True)
class BoardInfo:
    """A board's structure, enough to map columns by title and find groups by name."""

    id: int
    name: str
    columns: list[ColumnInfo]
    groups: list[GroupInfo]


@dataclass(frozen=True)
class BoardCapacity:
    """How full a board is: ``items_count`` now, ``items_limit`` its cap (None when monday does not say)."""

    board_id: int
    items_count: int
    items_limit: int | None


@dataclass(frozen=True)
class NewItem:
    """An item to create; ``column_values`` are already encoded (:func:`sync.monday.values.encode_value`)."""

    key: str
    name: str
    group_id: str | None
    column_values: Mapping[str, object]


@dataclass(frozen=True)
class NewSubitem:
    """A subitem to create; its column ids belong to the *subitems* board, not the parent's."""

    key: str
    parent_item_id: int
    name: str
    column_values: Mapping[str, object]


@dataclass(frozen=True)
class ItemUpdate:
    """New column values for an existing item."""

    key: str
    item_id: int
    column_values: Mapping[str, object]


@dataclass(frozen=True)
class Outcome:
    """What happened to one requested write: an item id, or the per-record error."""

    key: str
    item_id: int | None
    error: MondayError | None

    @property
    def ok(self) -> bool:
        """True when monday confirmed the write."""
        return self.error is None


@dataclass(frozen=True)
class ColumnValueRecord:
    """A column value as read: monday's display ``text`` and raw JSON ``value`` string."""

    text: str | None
    value: str | None


@dataclass(frozen=True)
class ItemRecord:
    """An item as read back: ``subitem_ids`` are its active subitems; ``state`` only from root ``items``.

    Board pages only ever hold active items, so ``state`` stays ``None`` there; a look-up
    by id (:meth:`~sync.monday.client.MondayClient.get_items`) also sees ``archived`` and
    ``deleted`` items and says which.
    """

    id: int
    name: str
    group_id: str | None
    parent_id: int | None
    values: dict[str, ColumnValueRecord]
    subitem_ids: tuple[int, ...] = ()
    state: str | None = None


@dataclass(frozen=True)
class ComplexityInfo:
    """monday's ``complexity`` block: budget before/after this request, its cost, seconds to reset."""

    before: int
    after: int
    query: int
    reset_in_x_seconds: int


@dataclass(frozen=True)
class RateLimitWindow:
    """One policy of monday's ``RateLimit`` header: ``remaining`` units, ``reset_s`` seconds to reset."""

    remaining: int
    reset_s: float | None


@dataclass(frozen=True)
class RateLimitInfo:
    """monday's ``RateLimit`` response header, per policy (``minuteRate``, ``concurrency``, ``complexityMinute``)."""

    windows: Mapping[str, RateLimitWindow]

    def get(self, policy: str) -> RateLimitWindow | None:
        """The window of ``policy``, if monday reported it."""
        return self.windows.get(policy)


@dataclass
class ClientStats:
    """Counters the load tests and run reports read; mutable on purpose, one per client."""

    requests: int = 0
    mutations: int = 0
    retries: int = 0
    http_429: int = 0
    cursor_restarts: int = 0
    errors_by_code: dict[str, int] = field(default_factory=dict)
    waited_s: float = 0.0
    latencies: list[float] = field(default_factory=list)

    def count_error(self, code: str) -> None:
        """Add one occurrence of ``code``."""
        self.errors_by_code[code] = self.errors_by_code.get(code, 0) + 1
