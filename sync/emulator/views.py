"""Resolver objects for ``Board``, ``Item`` and ``Group``, read by graphql-core's default resolver.

A view exposes plain attributes for scalar fields and methods (called with the
field's arguments) for fields that take arguments or walk relations, so the
schema file needs no resolver wiring at all.
"""

from __future__ import annotations

__all__ = ["Api", "BoardView", "ItemView", "group_dict"]

from typing import Any

from sync.emulator import query
from sync.emulator.errors import invalid_argument
from sync.emulator.model import Board, Column, Group, Item
from sync.emulator.state import EmulatorState, RequestContext


class Api:
    """Shared by every view: the state and the request context."""

    def __init__(self, state: EmulatorState, ctx: RequestContext) -> None:
        self.state = state
        self.ctx = ctx

    def board(self, board: Board) -> BoardView:
        return BoardView(self, board)

    def item(self, item: Item) -> ItemView:
        return ItemView(self, item)

    def page(self, page: dict[str, Any]) -> dict[str, Any]:
        return {"cursor": page["cursor"], "items": [self.item(i) for i in page["items"]]}


class BoardView:
    """Resolves ``Board``."""

    def __init__(self, api: Api, board: Board) -> None:
        self._api, self._board = api, board
        self.id, self.name, self.state = board.id, board.name, board.state

    @property
    def items_count(self) -> int:
        return len(query.active_items(self._api.state, self._board))

    @property
    def items_limit(self) -> int:
        """The board's capacity (``ItemsLimitationException`` past it)."""
        return self._board.items_limit

    def columns(self, _info: Any, ids: list[str] | None = None) -> list[Column]:
        return [c for c in self._board.columns.values() if ids is None or c.id in ids]

    def groups(self, _info: Any, ids: list[str] | None = None) -> list[dict[str, Any]]:
        active = self._board.active_groups()
        return [group_dict(g, n) for n, g in enumerate(active) if ids is None or g.id in ids]

    def items_page(
        self, _info: Any, limit: int, cursor: str | None = None, query_params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        state, now = self._api.state, self._api.ctx.now
        if cursor is not None:
            if query_params is not None:
                raise invalid_argument("cursor and query_params cannot be used together")
            return self._api.page(query.next_page(state, cursor, limit, now))
        matching = query.match_query(state, self._board, query_params)
        return self._api.page(query.first_page(state, matching, limit, now))


def group_dict(group: Group, index: int) -> dict[str, Any]:
    return {
        "id": group.id,
        "title": group.title,
        "color": group.color,
        "position": f"{(index + 1) * 65536}.0",
        "archived": group.state == "archived",
        "deleted": group.state == "deleted",
    }


class ItemView:
    """Resolves ``Item``."""

    def __init__(self, api: Api, item: Item) -> None:
        self._api, self._item = api, item
        self.id, self.name, self.state = item.id, item.name, item.state

    def board(self, _info: Any) -> BoardView:
        return self._api.board(self._api.state.boards[self._item.board_id])

    def group(self, _info: Any) -> dict[str, Any] | None:
        board = self._api.state.boards[self._item.board_id]
        index = next((n for n, g in enumerate(board.groups) if g.id == self._item.group_id), 0)
        found = next((g for g in board.groups if g.id == self._item.group_id), None)
        return group_dict(found, index) if found else None

    def parent_item(self, _info: Any) -> ItemView | None:
        parent_id = self._item.parent_id
        return self._api.item(self._api.state.items[parent_id]) if parent_id else None

    def subitems(self, _info: Any) -> list[ItemView]:
        items = [self._api.state.items[s] for s in self._item.subitem_ids]
        return [self._api.item(i) for i in items if i.state == "active"]

    def column_values(self, _info: Any, ids: list[str] | None = None) -> list[dict[str, Any]]:
        return query.column_values_of(self._api.state, self._item, ids)
