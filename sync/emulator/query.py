"""Read-side logic: column values as monday returns them, item filters and cursor pagination.

Cursors are opaque tokens backed by a snapshot of matching item ids taken on
the first page. Like monday, a cursor lives 60 minutes from the *initial*
request, later pages only return items that are still active, and a dead
cursor fails with ``CursorException`` so clients exercise their restart path.
"""

from __future__ import annotations

__all__ = [
    "CURSOR_TTL_SECONDS",
    "MAX_PAGE",
    "column_values_of",
    "first_page",
    "match_by_column_values",
    "match_query",
    "next_page",
]

import json
import math
import secrets
from dataclasses import dataclass
from typing import Any

from sync.emulator.errors import ApiError, invalid_argument, invalid_column
from sync.emulator.model import Board, Column, Item
from sync.emulator.state import EmulatorState

CURSOR_TTL_SECONDS = 60 * 60
MAX_PAGE = 500
UNSEARCHABLE_TYPES = frozenset(
    {
        "auto_number",
        "item_id",
        "subtasks",
        "formula",
        "mirror",
        "creation_log",
        "last_updated",
        "file",
        "board_relation",
    }
)


@dataclass(frozen=True)
class _Cursor:
    item_ids: tuple[str, ...]
    position: int
    created_at: float


def column_values_of(state: EmulatorState, item: Item, ids: list[str] | None) -> list[dict[str, Any]]:
    """``Item.column_values``: every non-name column of the item's board, in board order."""
    board = state.boards[item.board_id]
    out = []
    for column in board.columns.values():
        if column.type == "name" or (ids is not None and column.id not in ids):
            continue
        value, text = _read(state, item, column)
        out.append({"id": column.id, "type": column.type, "text": text, "value": value})
    return out


def _read(state: EmulatorState, item: Item, column: Column) -> tuple[str | None, str]:
    if column.type == "item_id":
        return None, item.id
    if column.type == "subtasks":
        subs = [state.items[s] for s in item.subitem_ids if state.items[s].state == "active"]
        if not subs:
            return None, ""
        linked = [{"linkedPulseId": int(s.id)} for s in subs]
        return json.dumps({"linkedPulseIds": linked}), ", ".join(s.name for s in subs)
    stored = item.values.get(column.id)
    return (stored.value, stored.text) if stored else (None, "")


def first_page(state: EmulatorState, matching: list[Item], limit: int, now: float) -> dict[str, Any]:
    """The first ``ItemsResponse`` page over ``matching`` (already filtered, active items only)."""
    _check_limit(limit)
    ids = tuple(i.id for i in matching)
    return _page(state, _Cursor(ids, 0, now), limit, now)


def next_page(state: EmulatorState, cursor: str, limit: int, now: float) -> dict[str, Any]:
    """Continue a cursor; expired or unknown cursors raise ``CursorException``."""
    _check_limit(limit)
    found = state.cursors.get(cursor)
    if not isinstance(found, _Cursor) or now - found.created_at > CURSOR_TTL_SECONDS:
        state.cursors.pop(cursor, None)
        raise ApiError(
            "CursorException",
            "CursorExpiredError: The cursor provided for pagination has expired. "
            "Please refresh your query and obtain a new cursor",
            error_data={"cursor": cursor},
        )
    return _page(state, found, limit, now)


def _page(state: EmulatorState, cursor: _Cursor, limit: int, now: float) -> dict[str, Any]:
    items: list[Item] = []
    position = cursor.position
    while position < len(cursor.item_ids) and len(items) < limit:
        item = state.items.get(cursor.item_ids[position])
        position += 1
        if item is not None and item.state == "active":
            items.append(item)
    token = None
    if position < len(cursor.item_ids):
        _purge(state, now)
        token = secrets.token_urlsafe(24)
        state.cursors[token] = _Cursor(cursor.item_ids, position, cursor.created_at)
    return {"cursor": token, "items": items}


def _purge(state: EmulatorState, now: float) -> None:
    if len(state.cursors) < 1000:
        return
    for key, cursor in list(state.cursors.items()):
        if now - cursor.created_at > CURSOR_TTL_SECONDS:
            del state.cursors[key]


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise invalid_argument(f"limit must be between 1 and {MAX_PAGE}", limit=limit)


def active_items(state: EmulatorState, board: Board) -> list[Item]:
    """Active items of a board in creation order (subitems boards included)."""
    return [state.items[i] for i in board.item_ids if state.items[i].state == "active"]


def match_query(state: EmulatorState, board: Board, query: dict[str, Any] | None) -> list[Item]:
    """Items matching an ``ItemsQuery`` (rules with and/or, ids)."""
    items = active_items(state, board)
    if not query:
        return items
    if query.get("ids"):
        wanted = {str(i) for i in query["ids"]}
        items = [i for i in items if i.id in wanted]
    rules = query.get("rules") or []
    for rule in rules:
        _column_for(board, str(rule["column_id"]))
    combine = any if query.get("operator") == "or" else all
    return [i for i in items if not rules or combine(_rule_matches(state, board, i, r) for r in rules)]


def match_by_column_values(state: EmulatorState, board: Board, columns: list[dict[str, Any]]) -> list[Item]:
    """``items_page_by_column_values``: ANY_OF within a column, AND across columns, case-insensitive."""
    for spec in columns:
        column = _column_for(board, spec["column_id"])
        if column.type in UNSEARCHABLE_TYPES:
            raise invalid_argument(f"column type {column.type} is not supported", column_id=column.id)

    def matches(item: Item) -> bool:
        for spec in columns:
            texts = _texts(state, item, spec["column_id"])
            wanted = {str(v).casefold() for v in spec["column_values"] if v is not None}
            if not texts & wanted:
                return False
        return True

    return [i for i in active_items(state, board) if matches(i)]


def _column_for(board: Board, column_id: str) -> Column:
    if column_id == "group":
        return Column("group", "Group", "group")
    column = board.columns.get(column_id)
    if column is None:
        raise invalid_column(column_id, board.id)
    return column


def _texts(state: EmulatorState, item: Item, column_id: str) -> set[str]:
    """Every text form a value matches as: the whole text plus each dropdown label and id/index."""
    if column_id == "name":
        return {item.name.casefold()}
    if column_id == "group":
        return {item.group_id.casefold()}
    column = state.boards[item.board_id].columns[column_id]
    value, text = _read(state, item, column)
    forms = {text.casefold()} if text else set()
    if column.type == "dropdown" and value:
        forms |= {part.strip().casefold() for part in text.split(",")}
        forms |= {str(i) for i in json.loads(value).get("ids", [])}
    if column.type == "status" and value:
        forms.add(str(json.loads(value).get("index")))
    return forms


def _rule_matches(state: EmulatorState, board: Board, item: Item, rule: dict[str, Any]) -> bool:
    operator = rule.get("operator") or "any_of"
    compare = rule.get("compare_value")
    candidates = [str(c).casefold() for c in (compare if isinstance(compare, list) else [compare])]
    forms = _texts(state, item, str(rule["column_id"]))
    if operator in ("any_of", "not_any_of"):
        hit = bool(forms & set(candidates))
        return hit if operator == "any_of" else not hit
    if operator in ("is_empty", "is_not_empty"):
        return (not forms) == (operator == "is_empty")
    text = next(iter(forms), "") if len(forms) <= 1 else _whole(state, item, str(rule["column_id"]))
    if operator in ("contains_text", "not_contains_text", "contains_terms"):
        hit = any(c in text for c in candidates)
        return hit if operator != "not_contains_text" else not hit
    if operator == "starts_with":
        return any(text.startswith(c) for c in candidates)
    if operator == "ends_with":
        return any(text.endswith(c) for c in candidates)
    return _compare(operator, text, candidates)


def _whole(state: EmulatorState, item: Item, column_id: str) -> str:
    column = state.boards[item.board_id].columns[column_id]
    return _read(state, item, column)[1].casefold()


def _compare(operator: str, text: str, candidates: list[str]) -> bool:
    def key(value: str) -> tuple[float, str]:
        try:
            return (float(value), "")
        except ValueError:
            return (math.inf, value)

    if not text or not candidates:
        return False
    left = key(text)
    bounds = [key(c) for c in candidates]
    if operator == "greater_than":
        return left > bounds[0]
    if operator == "greater_than_or_equals":
        return left >= bounds[0]
    if operator == "lower_than":
        return left < bounds[0]
    if operator == "lower_than_or_equal":
        return left <= bounds[0]
    if operator == "between" and len(bounds) == 2:
        return bounds[0] <= left <= bounds[1]
    raise invalid_argument(f"operator {operator} is not supported by the emulator", operator=operator)
