"""The change-detection gate's two halves that need no engine: seeding changes, and the expected board.

:func:`seed_changes` edits the sandbox's *staging* rows the way a real order book changes
between two syncs (one order per kind of change, each order chosen so the change is real):

* ``quantity``: a size's quantity goes up;
* ``new size``: a size the order did not have gets a quantity;
* ``removed size``: a size the order had goes to NULL;
* ``cancelled``: ``ORDER TYPE`` becomes the first ``cancelled_order_types`` value;
* ``mapped column``: a mapped text column (not the order number) gets a new value;
* ``group``: the first group naming column that holds a value gets another one, so the
  order's group name changes and its item must move.

:func:`expected_board` then says, from staging alone (never from the engine's tables),
what monday must hold: per order one item, its name, group and mapped values, and per
item its subitems by name with their quantities (a removed size stays at 0 under
``removed_size_policy = "zero"``, disappears under ``"delete"``; a cancelled order keeps
its item and every subitem it had goes to 0; an order cancelled from the start has none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from sync.config import Config
from sync.mapping import group_name, render_name
from validation.gates.sandbox import Sandbox

__all__ = [
    "ChangeKind",
    "ExpectedItem",
    "SeededChange",
    "expected_board",
    "expected_text",
    "positive_sizes",
    "seed_changes",
]

KEY = "AAG ORDER NUMBER"
ORDER_TYPE = "ORDER TYPE"
NEW_SIZE_QTY = 7
QTY_BUMP = 5
#: Never edited as "the mapped column": the business key, and columns that drive other behaviour.
NOT_EDITABLE = frozenset({KEY, ORDER_TYPE})


class ChangeKind(StrEnum):
    """The kinds of change the gate seeds, one order each."""

    QUANTITY = "quantity"
    NEW_SIZE = "new size"
    REMOVED_SIZE = "removed size"
    CANCELLED = "cancelled"
    MAPPED_COLUMN = "mapped column"
    GROUP = "group"


@dataclass(frozen=True)
class SeededChange:
    """One change written to staging: which order, which column, from what to what."""

    kind: ChangeKind
    order: str
    record_uuid: str
    column: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ExpectedItem:
    """What one order must look like on the board after the second sync."""

    order: str
    name: str
    group: str
    values: dict[str, str] = field(default_factory=dict)  # column id -> expected text
    subitems: dict[str, int] = field(default_factory=dict)  # subitem name -> quantity


def positive_sizes(row: Mapping[str, Any], sizes: Sequence[str]) -> dict[str, int]:
    """The sizes of a staging row with a quantity above 0."""
    out = {}
    for size in sizes:
        try:
            qty = int(row.get(size) or 0)
        except (TypeError, ValueError):
            continue
        if qty > 0:
            out[size] = qty
    return out


def seed_changes(box: Sandbox, config: Config, env_name: str) -> list[SeededChange]:
    """Write one change of each kind to staging, each on its own synced, uncancelled order."""
    staging = box.tables.staging
    sizes = list(box.tables.sizes)
    cancelled = set(config.change_detection.cancelled_order_types)
    synced = {str(r["record_uuid"]) for r in box.rows(box.tables.target) if r["monday_item_id"] is not None}
    rows = [
        r
        for r in box.rows(staging)
        if str(r["record_uuid"]) in synced and r.get(ORDER_TYPE) not in cancelled and positive_sizes(r, sizes)
    ]
    taken: set[str] = set()
    changes: list[SeededChange] = []

    def pick(wanted: Any) -> dict[str, Any] | None:
        row = next((r for r in rows if str(r["record_uuid"]) not in taken and wanted(r)), None)
        if row is not None:
            taken.add(str(row["record_uuid"]))
        return row

    def change(kind: ChangeKind, row: dict[str, Any] | None, column: str, after: Any) -> None:
        if row is None:
            raise LookupError(f"no synced order in the sandbox fits a {kind.value!r} change; raise --orders")
        changes.append(SeededChange(kind, str(row[KEY]), str(row["record_uuid"]), column, row.get(column), after))

    row = pick(lambda r: True)
    size = sorted(positive_sizes(row, sizes))[0] if row else ""
    change(ChangeKind.QUANTITY, row, size, (row or {}).get(size, 0) + QTY_BUMP)
    row = pick(lambda r: len(positive_sizes(r, sizes)) < len(sizes))
    size = next((s for s in sizes if s not in positive_sizes(row, sizes)), "") if row else ""
    change(ChangeKind.NEW_SIZE, row, size, NEW_SIZE_QTY)
    row = pick(lambda r: len(positive_sizes(r, sizes)) > 1)
    size = sorted(positive_sizes(row, sizes))[-1] if row else ""
    change(ChangeKind.REMOVED_SIZE, row, size, None)
    change(ChangeKind.CANCELLED, pick(lambda r: True), ORDER_TYPE, sorted(cancelled)[0])
    env = config.environment(env_name)
    text_column = next(
        (c for c, m in env.mapping.items.items() if m.type in ("text", "long_text") and c not in NOT_EDITABLE), ""
    )
    row = pick(lambda r: True)
    change(ChangeKind.MAPPED_COLUMN, row, text_column, f"changed by the change-detection gate {(row or {}).get(KEY)}")
    group_columns = [*config.groups.columns]
    row = pick(lambda r: all(r.get(c) for c in group_columns))
    column = group_columns[-1] if group_columns else ""
    change(ChangeKind.GROUP, row, column, f"{(row or {}).get(column)} MOVED")
    with box.db.begin() as conn:
        for c in changes:
            conn.execute(sa.update(staging).where(staging.c.record_uuid == c.record_uuid).values({c.column: c.after}))
    return changes


def expected_board(
    config: Config,
    env_name: str,
    first: Sequence[Mapping[str, Any]],
    now: Sequence[Mapping[str, Any]],
    sizes: Sequence[str],
    column_types: Mapping[str, str],
) -> dict[str, ExpectedItem]:
    """Order number -> the item monday must hold, from the staging rows of the first sync and of now."""
    env = config.environment(env_name)
    cd = config.change_detection
    cancelled = set(cd.cancelled_order_types)
    # Lines on the board after the first sync: an order cancelled from the start never got any.
    before = {str(r["record_uuid"]): {} if r.get(ORDER_TYPE) in cancelled else positive_sizes(r, sizes) for r in first}
    template = config.items.subitem_name_template
    out: dict[str, ExpectedItem] = {}
    for row in now:
        had = before.get(str(row["record_uuid"]), {})
        has = positive_sizes(row, sizes)
        if row.get(ORDER_TYPE) in cancelled:
            lines = dict.fromkeys(had, 0)
        else:
            kept = {} if cd.removed_size_policy == "delete" else dict.fromkeys(had, 0)
            lines = {**kept, **has}
        values = {
            m.column: expected_text(column_types.get(m.column, m.type), row.get(db_column))
            for db_column, m in env.mapping.items.items()
            if column_types.get(m.column, m.type) in COMPARED_TYPES
        }
        name, _ = render_name(config.items.name_template, row, config.items.max_length)
        out[str(row[KEY])] = ExpectedItem(
            str(row[KEY]),
            name,
            group_name(config.groups, row),
            values,
            {template.replace("{size_code}", size): qty for size, qty in lines.items()},
        )
    return out


#: Column types compared value by value (their text on monday is exactly the DB value's text).
COMPARED_TYPES = frozenset({"text", "long_text", "dropdown", "status", "numbers", "date"})


def expected_text(column_type: str, value: Any) -> str:
    """How monday shows ``value`` in a column of ``column_type`` ("" for no value)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if column_type == "numbers":
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return ""  # a coerce=true column sends no number for text it cannot parse
        return format(number.normalize(), "f")
    if column_type == "date" and isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()
