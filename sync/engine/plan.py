"""The pure planner: pending rows -> the operations a run must send, in the order monday needs.

Groups before items, an order's subitems only after its item exists. Rows that cannot be
sent (no group name, a value that does not fit its column, a label the column forbids
creating) become rejects with a message naming the order, the column and the value; they
never reach monday and never stop the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sync.chunk_names import group_names, render_names
from sync.config import Config, EnvironmentConfig
from sync.engine.ledger import OpKind
from sync.engine.plan_rows import SizeCheck, cycle_collection_paused
from sync.mapping import (
    BUSINESS_KEY,
    BoardColumns,
    encode_columns,
    encode_rows,
    render_name,
    template_columns,
)
from sync.quantities import describe_invalid, size_keys
from sync.states import ActionType

__all__ = [
    "Batch",
    "ItemOp",
    "Plan",
    "RowReject",
    "SubitemOp",
    "item_batches",
    "item_columns",
    "move_batches",
    "plan_items",
    "plan_subitems",
    "subitem_batches",
]

Op = TypeVar("Op", "ItemOp", "SubitemOp")


@dataclass(frozen=True)
class RowReject:
    """A row the planner refused, with the reason an operator can act on."""

    entity: str  # ITEM | SUBITEM
    key: str
    order_number: str | None
    message: str


@dataclass(frozen=True)
class ItemOp:
    """Create (``item_id is None``) or update one item."""

    record_uuid: str
    order_number: str
    customer: str
    name: str
    group_name: str
    values: dict[str, object]
    create_labels: bool
    item_id: int | None
    before: dict[str, Any]

    @property
    def moved_from(self) -> str | None:
        """The group the item is in now, when the order now belongs in another one."""
        old = self.before.get("group_name")
        if self.item_id is None or not old or old == self.group_name:
            return None
        return str(old)


@dataclass(frozen=True)
class SubitemOp:
    """Create, update or delete one subitem (one order line)."""

    line_uuid: str
    record_uuid: str
    order_number: str
    parent_item_id: int
    action: str
    name: str
    values: dict[str, object]
    create_labels: bool
    subitem_id: int | None
    before: dict[str, Any]


@dataclass
class Plan:
    """What a run would do; a dry run prints it, a real run executes it."""

    groups_to_create: list[str] = field(default_factory=list)
    groups_reused: list[str] = field(default_factory=list)
    items: list[ItemOp] = field(default_factory=list)
    subitems: list[SubitemOp] = field(default_factory=list)
    rejects: list[RowReject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


ITEM_SYNC_COLUMNS = (
    "sync_state",
    "action_type",
    "monday_item_id",
    "group_id",
    "group_name",
    "item_name",
    "sync_error_message",
    "retry_count",
    "sync_attempted_at",
    "sync_completed_at",
)
LINE_SYNC_COLUMNS = (
    "sync_state",
    "action_type",
    "monday_subitem_id",
    "monday_parent_id",
    "qty",
    "sync_error_message",
    "retry_count",
    "sync_attempted_at",
    "sync_completed_at",
)


def item_columns(config: Config, env: EnvironmentConfig) -> frozenset[str]:
    """The header columns :func:`plan_items` reads (the size columns aside: they lie between the markers)."""
    return frozenset(
        {
            "record_uuid",
            BUSINESS_KEY,
            "CUSTOMER NAME",
            *config.groups.columns,
            *config.groups.fallback_columns,
            *template_columns(config.items.name_template),
            *env.mapping.items,
            *ITEM_SYNC_COLUMNS,
            config.sizes.start_after,
            config.sizes.end_before,
        }
    )


def plan_items(
    config: Config, env: EnvironmentConfig, headers: Iterable[Mapping[str, Any]], board: BoardColumns
) -> tuple[list[ItemOp], list[RowReject], list[str]]:
    """Encode each pending header into an item operation, or reject it with a reason.

    The mapped columns are encoded chunk-wide (:func:`encode_rows`: each distinct value once);
    only the checks that depend on the whole row (sizes, group, name) run row by row.
    """
    with cycle_collection_paused():
        return _plan_items(config, env, headers if isinstance(headers, list) else list(headers), board)


def _plan_items(
    config: Config, env: EnvironmentConfig, rows: list[Mapping[str, Any]], board: BoardColumns
) -> tuple[list[ItemOp], list[RowReject], list[str]]:
    ops: list[ItemOp] = []
    rejects: list[RowReject] = []
    warnings: list[str] = []
    if not rows:
        return ops, rejects, warnings
    orders = [str(row[BUSINESS_KEY]) for row in rows]
    describes = [f"order {order}" for order in orders]
    sizes = SizeCheck(size_keys(rows[0], config.sizes.start_after, config.sizes.end_before))
    groups, items = config.groups, config.items
    encoded_rows = encode_rows(rows, env.mapping.items, board, describes)
    names = render_names(items.name_template, rows, items.max_length)
    for row, order, describe, encoded, gname, (name, warning) in zip(
        rows, orders, describes, encoded_rows, group_names(groups, rows), names, strict=True
    ):
        problems = []
        bad_sizes = sizes.invalid(row)
        if bad_sizes:
            problems.append(describe_invalid(order, bad_sizes))
        if gname == groups.sentinel or not gname.strip():
            problems.append(
                f"{describe}: no group name ({' + '.join(groups.columns)} and the fallback "
                f"{' + '.join(groups.fallback_columns)} are empty); the sentinel {groups.sentinel!r} "
                "is never created"
            )
        elif len(gname) > 255:
            problems.append(f"{describe}: group name is {len(gname)} characters; monday allows 255")
        if warning:
            warnings.append(f"{describe}: {warning}")
        if not name:
            name = order[: items.max_length]
        problems += encoded.problems
        if problems:
            rejects.append(RowReject("ITEM", str(row["record_uuid"]), order, "; ".join(problems)))
            continue
        item_id = row.get("monday_item_id")
        ops.append(
            ItemOp(
                record_uuid=str(row["record_uuid"]),
                order_number=order,
                customer=str(row.get("CUSTOMER NAME") or ""),
                name=name,
                group_name=gname,
                values=encoded.values,
                create_labels=encoded.needs_new_labels,
                item_id=int(item_id) if item_id is not None else None,
                before={c: row.get(c) for c in ITEM_SYNC_COLUMNS},
            )
        )
    return ops, rejects, warnings


def plan_subitems(
    config: Config, env: EnvironmentConfig, lines: Iterable[Mapping[str, Any]], board: BoardColumns
) -> tuple[list[SubitemOp], list[RowReject]]:
    """Encode each pending line (joined with its parent's item id and order number) into a subitem op."""
    ops: list[SubitemOp] = []
    rejects: list[RowReject] = []
    for line in lines:
        order = str(line["order_number"])
        describe = f"order {order} size {line['size_code']}"
        subitem_id = line.get("monday_subitem_id")
        action = str(line.get("action_type") or ActionType.INSERT.value)
        if subitem_id is None:
            if int(line["qty"]) <= 0:
                continue  # never reached monday, nothing to zero
            action = ActionType.INSERT.value
        encoded = encode_columns(line, env.mapping.subitems, board, describe=describe)
        if encoded.problems and action != ActionType.DELETE.value:
            rejects.append(RowReject("SUBITEM", str(line["line_uuid"]), order, "; ".join(encoded.problems)))
            continue
        name, _ = render_name(config.items.subitem_name_template, line, config.items.max_length)
        if int(line["qty"]) <= 0 and env.mapping.subitems:
            qty_columns = [m.column for c, m in env.mapping.subitems.items() if c == "qty"]
            for column in qty_columns:
                encoded.values[column] = "0"
        ops.append(
            SubitemOp(
                line_uuid=str(line["line_uuid"]),
                record_uuid=str(line["record_uuid"]),
                order_number=order,
                parent_item_id=int(line["parent_item_id"]),
                action=action,
                name=name or f"Size {line['size_code']}",
                values=encoded.values,
                create_labels=encoded.needs_new_labels,
                subitem_id=int(subitem_id) if subitem_id is not None else None,
                before={c: line.get(c) for c in LINE_SYNC_COLUMNS},
            )
        )
    return ops, rejects


@dataclass(frozen=True)
class Batch(Generic[Op]):
    """One request's worth of operations of one kind (one label policy per request)."""

    kind: OpKind
    create_labels: bool
    ops: tuple[Op, ...]


def _chunks(kind: OpKind, ops: Sequence[Op], size: int) -> list[Batch[Op]]:
    out: list[Batch[Op]] = []
    for flag in (False, True):
        subset = [op for op in ops if op.create_labels is flag]
        out += [Batch(kind, flag, tuple(subset[i : i + size])) for i in range(0, len(subset), size)]
    return out


def move_batches(ops: Sequence[ItemOp], size: int) -> list[Batch[ItemOp]]:
    """Items whose group changed, to be moved before their values are updated."""
    return _chunks(OpKind.MOVE_ITEM, [op for op in ops if op.moved_from is not None], size)


def item_batches(ops: Sequence[ItemOp], size: int) -> list[Batch[ItemOp]]:
    """Creates first, then updates; each split by label policy and cut to ``size``."""
    creates = [op for op in ops if op.item_id is None]
    updates = [op for op in ops if op.item_id is not None]
    return _chunks(OpKind.CREATE_ITEM, creates, size) + _chunks(OpKind.UPDATE_ITEM, updates, size)


_SUBITEM_KINDS = (
    (ActionType.INSERT, OpKind.CREATE_SUBITEM),
    (ActionType.UPDATE, OpKind.UPDATE_SUBITEM),
    (ActionType.DELETE, OpKind.DELETE_SUBITEM),
)


def subitem_batches(ops: Sequence[SubitemOp], size: int) -> list[Batch[SubitemOp]]:
    """Creates, then updates, then deletes; each split by label policy and cut to ``size``."""
    out: list[Batch[SubitemOp]] = []
    for action, kind in _SUBITEM_KINDS:
        out += _chunks(kind, [op for op in ops if op.action == action.value], size)
    return out
