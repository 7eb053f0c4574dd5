"""Applying a ``column_values`` object to an item: all columns valid, or nothing changes.

monday applies one mutation's column values as a unit, so a bad value in one
column must not leave the others (or freshly created labels) behind. Values
are validated first by :func:`sync.emulator.values.encode_value`; labels
created along the way are rolled back if a later column fails.
"""

from __future__ import annotations

__all__ = ["MAX_NAME", "apply_column_values", "check_item_name"]

from typing import Any

from sync.emulator.errors import ApiError, invalid_argument, invalid_column
from sync.emulator.model import Board, Item, StoredValue
from sync.emulator.values import encode_value

MAX_NAME = 255


def check_item_name(name: str) -> None:
    """Item names must be 1–255 characters (``ItemNameTooLongException``, HTTP 200)."""
    if not 1 <= len(name) <= MAX_NAME:
        raise ApiError(
            "ItemNameTooLongException",
            "Item name must be between 1 and 255 characters long",
            error_data={"item_name_length": len(name)},
        )


def apply_column_values(
    board: Board, item: Item, column_values: Any, *, create_labels: bool, now_iso: str
) -> None:
    """Validate every value of ``column_values`` for ``board``, then write them all to ``item``."""
    if column_values is None:
        return
    if not isinstance(column_values, dict):
        raise invalid_argument(
            "column_values must be a JSON object keyed by column id", column_values=column_values
        )
    touched = {
        cid: _label_snapshot(board.columns[cid].settings)
        for cid in column_values
        if cid in board.columns and board.columns[cid].type in ("status", "dropdown")
    }
    encoded: dict[str, StoredValue | None] = {}
    new_name: str | None = None
    try:
        for column_id, raw in column_values.items():
            column = board.columns.get(column_id)
            if column is None:
                raise invalid_column(column_id, board.id)
            if column.type == "name":
                if not isinstance(raw, str):
                    raise invalid_argument("name must be a string", column_id="name")
                check_item_name(raw)
                new_name = raw
                continue
            encoded[column_id] = encode_value(column, raw, create_labels=create_labels, now_iso=now_iso)
    except ApiError:
        for column_id, labels in touched.items():
            board.columns[column_id].settings["labels"] = labels
        raise
    if new_name is not None:
        item.name = new_name
    for column_id, stored in encoded.items():
        if stored is None:
            item.values.pop(column_id, None)
        else:
            item.values[column_id] = stored


def _label_snapshot(settings: dict[str, Any]) -> Any:
    """A copy of a column's labels (list or dict) so a failed mutation can restore them."""
    labels = settings.get("labels")
    if isinstance(labels, list):
        return [dict(label) for label in labels]
    return dict(labels) if isinstance(labels, dict) else labels
