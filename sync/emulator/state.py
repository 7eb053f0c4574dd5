"""The emulator's mutable world: boards, items, id counters and the operation log.

All mutations go through :class:`EmulatorState` methods while the caller holds
``state.lock`` (the GraphQL layer takes it once per request, so a request is
atomic). Latency sleeps happen in the HTTP front, never under this lock.

Decisions where monday's behaviour is unverified (see monday-api.md §2):

* a ``group_id`` that does not exist on the board -> ``ResourceNotFoundException``
  (status_code 404). monday documents no code for this case; ResourceNotFound is
  the closest documented one ("verify the item, group or board id exists"), and
  failing loudly is safer than silently using the top group;
* ``create_group`` without ``relative_to``/``position_relative_method`` puts the
  new group at the top of the board, as monday's UI does; ``create_item``
  without ``group_id`` therefore lands in the newest group — pass group ids;
* ``create_subitem`` on a board without a ``subtasks`` column fails with
  ``InvalidArgumentException`` instead of auto-creating a subitems board.

Documented behaviour kept: an unknown item (changed, deleted, archived, or named
as a subitem's parent) is ``InvalidItemIdException`` "Item not found" at HTTP 200;
a create past ``Board.items_limit`` live items is ``ItemsLimitationException``.
"""

from __future__ import annotations

__all__ = ["EmulatorState", "RequestContext"]

import json
import random
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sync.emulator.errors import (
    ApiError,
    invalid_argument,
    invalid_board,
    invalid_item,
    items_limit_reached,
    not_found,
)
from sync.emulator.model import Board, Group, Item
from sync.emulator.oplog import OperationLog
from sync.emulator.writes import MAX_NAME, apply_column_values, check_item_name

FIRST_ITEM_ID = 9_700_000_001  # ten digits and above the real board ids, like fresh monday item ids


@dataclass
class RequestContext:
    """Per-request facts resolvers need: ids for the oplog, the request time, complexity numbers."""

    request_id: str
    idempotency_key: str | None
    now: float
    complexity: dict[str, int] = field(default_factory=dict)

    @property
    def now_iso(self) -> str:
        """The request time as monday's ``changed_at`` strings (UTC, seconds)."""
        return datetime.fromtimestamp(self.now, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EmulatorState:
    """Boards, items and counters; every method assumes the caller holds :attr:`lock`."""

    def __init__(self, boards: list[Board], *, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.boards: dict[str, Board] = {b.id: b for b in boards}
        self.items: dict[str, Item] = {}
        self.next_id = FIRST_ITEM_ID
        self.group_counter = 0
        self.oplog = OperationLog()
        self.cursors: dict[str, Any] = {}

    # ---- lookups -------------------------------------------------------------------------------------
    def board(self, board_id: object) -> Board:
        """The active board or ``InvalidBoardIdException``."""
        board = self.boards.get(str(board_id))
        if board is None or board.state != "active":
            raise invalid_board(board_id)
        return board

    def item(self, item_id: object, *, allow_deleted: bool = False) -> Item:
        """The item or ``InvalidItemIdException``; deleted items count as missing unless asked for."""
        if item_id is None:
            raise invalid_argument("item_id is required", item_id=None)
        item = self.items.get(str(item_id))
        if item is None or (item.state == "deleted" and not allow_deleted):
            raise invalid_item(item_id)
        return item

    # ---- groups --------------------------------------------------------------------------------------
    def create_group(
        self,
        ctx: RequestContext,
        board_id: object,
        name: str,
        color: str | None,
        relative_to: str | None,
        method: str | None,
    ) -> Group:
        """Add a ``group_mk…`` group; placement follows monday's ``before_at``/``after_at`` rules."""
        board = self.board(board_id)
        if not 1 <= len(name) <= MAX_NAME:
            raise invalid_argument("Group name must be between 1 and 255 characters", group_name=name)
        group = Group(self._new_group_id(board), name, color or "#579bfc")
        active = board.active_groups()
        if relative_to is not None:
            anchor = board.group(relative_to)
            if anchor is None:
                raise not_found("group", relative_to)
            index = board.groups.index(anchor) + (1 if method == "after_at" else 0)
        elif method == "before_at":
            index = board.groups.index(active[-1]) + 1 if active else len(board.groups)
        else:
            index = board.groups.index(active[0]) if active else 0
        board.groups.insert(index, group)
        self._log(ctx, "create_group", board.id, group_id=group.id)
        return group

    def delete_group(self, ctx: RequestContext, board_id: object, group_id: str) -> Group:
        """Delete a group and its items; the last group cannot go (``DeleteLastGroupException``)."""
        board = self.board(board_id)
        group = board.group(group_id)
        if group is None:
            raise not_found("group", group_id)
        if len(board.active_groups()) == 1:
            raise ApiError(
                "DeleteLastGroupException",
                "Deleting the last group of a board is not allowed",
                status_code=409,
                error_data={"group_id": group_id},
            )
        group.state = "deleted"
        for item_id in board.item_ids:
            item = self.items[item_id]
            if item.group_id == group.id and item.state != "deleted":
                self._set_state(item, "deleted")
        self._log(ctx, "delete_group", board.id, group_id=group.id)
        return group

    # ---- items ---------------------------------------------------------------------------------------
    def create_item(
        self,
        ctx: RequestContext,
        board_id: object,
        name: str,
        group_id: str | None,
        column_values: Any,
        create_labels: bool,
    ) -> Item:
        """Create an item in ``group_id`` (or the board's top group) with validated column values."""
        board = self.board(board_id)
        if group_id is None:
            active = board.active_groups()
            if not active:
                raise not_found("group", None)
            group = active[0]
        else:
            found = board.group(group_id)
            if found is None:
                raise not_found("group", group_id)
            group = found
        self._check_capacity(board)
        check_item_name(name)
        item = Item("", name, board.id, group.id, created_at=ctx.now)
        apply_column_values(board, item, column_values, create_labels=create_labels, now_iso=ctx.now_iso)
        self._commit(board, item)
        self._log(ctx, "create_item", board.id, group_id=group.id, item_id=item.id, item_name=item.name)
        return item

    def create_subitem(
        self, ctx: RequestContext, parent_item_id: object, name: str, column_values: Any, create_labels: bool
    ) -> Item:
        """Create a subitem on the parent board's subitems board (its top group), linked to the parent."""
        parent = self.item(parent_item_id)
        if parent.state != "active":
            raise invalid_item(parent.id)
        if parent.parent_id is not None:
            raise invalid_argument(
                "Subitems cannot have subitems on classic boards", parent_item_id=parent.id
            )
        sub_board_id = self.boards[parent.board_id].subitems_board_id()
        if sub_board_id is None or sub_board_id not in self.boards:
            raise invalid_argument("The parent board has no subitems board", board_id=parent.board_id)
        board = self.boards[sub_board_id]
        group = board.active_groups()[0]
        self._check_capacity(board)
        check_item_name(name)
        item = Item("", name, board.id, group.id, parent_id=parent.id, created_at=ctx.now)
        apply_column_values(board, item, column_values, create_labels=create_labels, now_iso=ctx.now_iso)
        self._commit(board, item)
        parent.subitem_ids.append(item.id)
        self._log(
            ctx,
            "create_subitem",
            board.id,
            group_id=group.id,
            item_id=item.id,
            parent_item_id=parent.id,
            item_name=item.name,
        )
        return item

    def change_values(
        self, ctx: RequestContext, board_id: object, item_id: object, column_values: Any, create_labels: bool
    ) -> Item:
        """Write several columns of one item atomically (all valid, or nothing changes)."""
        board = self.board(board_id)
        item = self.item(item_id)
        if item.board_id != board.id:
            raise invalid_item(item.id)
        if not isinstance(column_values, dict) or not column_values:
            raise invalid_argument(
                "column_values must be a non-empty JSON object", column_values=column_values
            )
        apply_column_values(board, item, column_values, create_labels=create_labels, now_iso=ctx.now_iso)
        self._log(
            ctx,
            "change_column_values",
            board.id,
            group_id=item.group_id,
            item_id=item.id,
            parent_item_id=item.parent_id,
            item_name=item.name,
        )
        return item

    def move_item(self, ctx: RequestContext, item_id: object, group_id: str) -> Item:
        """Move an item into another group of its board (its subitems go with it)."""
        item = self.item(item_id)
        group = self.board(item.board_id).group(group_id)
        if group is None:
            raise not_found("group", group_id)
        item.group_id = group.id
        self._log(
            ctx, "move_item_to_group", item.board_id, group_id=group.id, item_id=item.id, item_name=item.name
        )
        return item

    def set_item_state(self, ctx: RequestContext, item_id: object, new_state: str) -> Item:
        """Archive or delete an item; both cascade to its subitems, as monday documents."""
        item = self.item(item_id)
        self._set_state(item, new_state)
        op = "archive_item" if new_state == "archived" else "delete_item"
        self._log(
            ctx,
            op,
            item.board_id,
            group_id=item.group_id,
            item_id=item.id,
            parent_item_id=item.parent_id,
            item_name=item.name,
        )
        return item

    # ---- boards --------------------------------------------------------------------------------------
    def clone_board(self, template_id: object) -> tuple[str, str | None]:
        """Copy a board's structure (columns, labels, groups; no items) under fresh board ids.

        A board with a ``subtasks`` column gets its subitems board cloned too and the new
        column points at the copy, so ``create_subitem`` under a cloned item lands on the
        cloned subitems board. Returns ``(board_id, subitem_board_id or None)``. New ids
        are ``max(board ids) + 1``: no extra counter, so saved state continues correctly.
        """
        template = self.board(template_id)
        sub_id = template.subitems_board_id()
        sub_copy = self._copy_board(self.board(sub_id), {}) if sub_id is not None else None
        mapping = {sub_id: sub_copy.id} if sub_id is not None and sub_copy is not None else {}
        copy = self._copy_board(template, mapping)
        return copy.id, sub_copy.id if sub_copy is not None else None

    def _copy_board(self, template: Board, board_ids: dict[str, str]) -> Board:
        raw = template.to_dict(with_items=False)
        raw["id"] = str(max(int(b) for b in self.boards) + 1)
        raw["name"] = f"{template.name} (clone {raw['id']})"
        for column in raw["columns"]:
            ids = column.get("settings", {}).get("boardIds")
            if column["type"] == "subtasks" and ids:
                new_id = int(board_ids.get(str(ids[0]), ids[0]))
                column["settings"] = {**column["settings"], "boardIds": [new_id]}
        copy = Board.from_dict(copy_json(raw))
        self.boards[copy.id] = copy
        return copy

    # ---- persistence ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything needed to continue later (cursors and idempotency caches are deliberately not kept)."""
        return {
            "format": 1,
            "seed": self.seed,
            "next_id": self.next_id,
            "group_counter": self.group_counter,
            "boards": [b.to_dict() for b in self.boards.values()],
            "items": [i.to_dict() for i in self.items.values()],
            "oplog": self.oplog.to_list(),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EmulatorState:
        """Inverse of :meth:`to_dict`."""
        state = cls([Board.from_dict(b) for b in raw["boards"]], seed=int(raw.get("seed", 0)))
        state.items = {i["id"]: Item.from_dict(i) for i in raw.get("items", [])}
        state.next_id = int(raw.get("next_id", FIRST_ITEM_ID))
        state.group_counter = int(raw.get("group_counter", 0))
        state.oplog = OperationLog.from_list(raw.get("oplog", []))
        return state

    # ---- internals -----------------------------------------------------------------------------------
    def _check_capacity(self, board: Board) -> None:
        """Refuse a create on a full board before anything (labels included) is touched."""
        if len(board.item_ids) >= board.items_limit:  # cheap test first: deleted items free their place
            live = sum(1 for i in board.item_ids if self.items[i].state != "deleted")
            if live >= board.items_limit:
                raise items_limit_reached(board.id, board.items_limit)

    def _commit(self, board: Board, item: Item) -> None:
        """Store a validated new item; ids are allocated only now so failed creates burn none."""
        item.id = self._new_item_id()
        self.items[item.id] = item
        board.item_ids.append(item.id)

    def _set_state(self, item: Item, new_state: str) -> None:
        item.state = new_state
        for sub_id in item.subitem_ids:
            sub = self.items.get(sub_id)
            if sub is not None and sub.state != "deleted":
                sub.state = new_state

    def _new_item_id(self) -> str:
        value = self.next_id
        self.next_id += 1
        return str(value)

    def _new_group_id(self, board: Board) -> str:
        """``group_mk`` + 6 lowercase alphanumerics, reproducible from (seed, counter)."""
        taken = {g.id for g in board.groups}
        while True:
            self.group_counter += 1
            rng = random.Random(f"{self.seed}:{self.group_counter}")
            candidate = "group_mk" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=6))
            if candidate not in taken:
                return candidate

    def _log(self, ctx: RequestContext, op: str, board_id: str, **fields: Any) -> None:
        self.oplog.append(
            time=ctx.now,
            request_id=ctx.request_id,
            idempotency_key=ctx.idempotency_key,
            op=op,
            board_id=board_id,
            **fields,
        )


def copy_json(raw: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of JSON-ready data (settings dicts must not be shared between boards)."""
    copied: dict[str, Any] = json.loads(json.dumps(raw))
    return copied
