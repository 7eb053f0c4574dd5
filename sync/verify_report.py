"""What ``verify`` found: one record type per kind of finding and the report that counts them.

Kept apart from the comparison so commands, the cutover and tests read findings without the
machinery that produces them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "CATEGORIES",
    "MISMATCH_CATEGORIES",
    "DuplicateGroup",
    "DuplicateOrder",
    "EmptyGroup",
    "MissingItem",
    "NotSynced",
    "OrphanItem",
    "SubitemMismatch",
    "ValueMismatch",
    "VerifyReport",
    "WrongGroup",
]

MISMATCH_CATEGORIES = (
    "missing",
    "orphans",
    "duplicates",
    "value_mismatches",
    "subitem_mismatches",
    "wrong_groups",
    "duplicate_groups",
    "empty_groups",
)
CATEGORIES = (*MISMATCH_CATEGORIES, "not_synced")


@dataclass(frozen=True)
class MissingItem:
    """A SYNCED row whose item is not active on the board; ``reason`` says what monday knows of it."""

    order_number: str
    record_uuid: str
    item_id: int | None
    reason: str


@dataclass(frozen=True)
class OrphanItem:
    """An active board item that no target row links."""

    item_id: int
    order_number: str | None
    name: str
    reason: str


@dataclass(frozen=True)
class DuplicateOrder:
    """One order number on several active items; ``linked_item_id`` is the one the database points to."""

    order_number: str
    item_ids: tuple[int, ...]
    linked_item_id: int | None


@dataclass(frozen=True)
class ValueMismatch:
    """A mapped column whose board value differs from the encoded database value (normalised per type)."""

    order_number: str
    item_id: int
    column: str
    db_column: str
    title: str
    expected: str | None
    actual: str | None
    note: str | None = None


@dataclass(frozen=True)
class SubitemMismatch:
    """The subitems under one item against its lines; ``problems`` name each size that differs."""

    order_number: str
    item_id: int
    expected: int
    actual: int
    problems: tuple[str, ...]


@dataclass(frozen=True)
class WrongGroup:
    """A SYNCED order whose item sits in another group than its customer and season name."""

    order_number: str
    item_id: int
    expected_group: str
    actual_group: str
    actual_group_id: str | None


@dataclass(frozen=True)
class DuplicateGroup:
    """One group title ordersync uses, on several groups of the items board."""

    title: str
    group_ids: tuple[str, ...]
    items: tuple[int, ...]


@dataclass(frozen=True)
class EmptyGroup:
    """A group ordersync created that holds no active item."""

    group_id: str
    title: str
    created_by_run: str | None


@dataclass(frozen=True)
class NotSynced:
    """A row (ITEM) or line (SUBITEM) that has not reached the board yet; not a mismatch."""

    entity: str
    order_number: str | None
    key: str
    state: str
    action: str | None
    message: str | None


@dataclass
class VerifyReport:
    """Everything one verification found; ``ok`` is False on any finding except ``not_synced``."""

    environment: str
    board_id: int
    subitem_board_id: int
    max_listed: int = 1_000
    board_items: int = 0
    board_subitems: int = 0
    synced_rows: int = 0
    checked_items: int = 0
    missing: list[MissingItem] = field(default_factory=list)
    orphans: list[OrphanItem] = field(default_factory=list)
    duplicates: list[DuplicateOrder] = field(default_factory=list)
    value_mismatches: list[ValueMismatch] = field(default_factory=list)
    subitem_mismatches: list[SubitemMismatch] = field(default_factory=list)
    wrong_groups: list[WrongGroup] = field(default_factory=list)
    duplicate_groups: list[DuplicateGroup] = field(default_factory=list)
    empty_groups: list[EmptyGroup] = field(default_factory=list)
    not_synced: list[NotSynced] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CATEGORIES, 0))

    @property
    def ok(self) -> bool:
        """True when the board holds exactly what the database says is synced."""
        return not any(self.counts[c] for c in MISMATCH_CATEGORIES)

    def add(self, category: str, entry: Any) -> None:
        """Count ``entry`` and keep it when the category's list is not full yet."""
        self.counts[category] += 1
        listed: list[Any] = getattr(self, category)
        if len(listed) < self.max_listed:
            listed.append(entry)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: totals, exact counts per category and the listed entries."""
        return {
            "environment": self.environment,
            "board_id": self.board_id,
            "subitem_board_id": self.subitem_board_id,
            "ok": self.ok,
            "board_items": self.board_items,
            "board_subitems": self.board_subitems,
            "synced_rows": self.synced_rows,
            "checked_items": self.checked_items,
            "counts": dict(self.counts),
            "max_listed": self.max_listed,
            **{c: [asdict(e) for e in getattr(self, c)] for c in CATEGORIES},
        }
