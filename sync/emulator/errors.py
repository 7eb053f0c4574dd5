"""monday-shaped application errors raised inside resolvers.

An :class:`ApiError` becomes one entry of the response's ``errors[]`` with
``extensions: {code, status_code, error_data}`` and the ``path`` of the field
(alias) that raised it. graphql-core nulls only that field, which is exactly how
monday reports one failed alias inside an aliased mutation batch while the other
aliases still apply.
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "column_value_error",
    "invalid_argument",
    "invalid_board",
    "invalid_column",
    "invalid_item",
    "items_limit_reached",
    "not_found",
]

from typing import Any


class ApiError(Exception):
    """An application-level monday error (HTTP 200 with ``errors[]``)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int = 200,
        error_data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.error_data: dict[str, Any] = error_data or {}

    @property
    def extensions(self) -> dict[str, Any]:
        """The ``extensions`` object monday attaches to the error (2025-01+ shape)."""
        return {"code": self.code, "status_code": self.status_code, "error_data": self.error_data}


def invalid_board(board_id: object) -> ApiError:
    """Board unknown or not accessible; message and data copied from monday's gateway fixtures."""
    return ApiError(
        "InvalidBoardIdException",
        "The board does not exist. Please check your board ID and try again",
        error_data={"board_id": _as_id(board_id)},
    )


def invalid_column(column_id: str, board_id: str) -> ApiError:
    """A ``column_values`` key that is not a column of the board."""
    return ApiError(
        "InvalidColumnIdException",
        "This column ID doesn't exist for the board",
        error_data={"column_id": column_id, "board_id": _as_id(board_id)},
    )


def invalid_item(item_id: object) -> ApiError:
    """An item id that does not exist: monday answers ``InvalidItemIdException`` "Item not found" at HTTP 200.

    Source: [DOCS error-handling] and the client libraries that map it ([ASYNC] response_parser.py).
    """
    return ApiError("InvalidItemIdException", "Item not found", error_data={"item_id": _as_id(item_id)})


def items_limit_reached(board_id: object, limit: int) -> ApiError:
    """A create past the board's capacity ([DOCS error-handling]: "exceeded the limit of 10,000 items per board")."""
    return ApiError(
        "ItemsLimitationException",
        f"You have exceeded the limit of {limit:,} items per board",
        error_data={"board_id": _as_id(board_id), "items_limit": limit},
    )


def not_found(kind: str, resource_id: object) -> ApiError:
    """A group id that does not exist (``ResourceNotFoundException``, status_code 404)."""
    return ApiError(
        "ResourceNotFoundException",
        f"The {kind} with id {resource_id} does not exist",
        status_code=404,
        error_data={
            f"{kind}_id": resource_id,
            "error_reason": "store.monday.automation.error.missing_" + kind,
        },
    )


def invalid_argument(message: str, **error_data: Any) -> ApiError:
    """A malformed argument (bad limit, bad cursor, bad JSON, unsupported operator)."""
    return ApiError("InvalidArgumentException", message, error_data=error_data)


def column_value_error(message: str, column_id: str, column_type: str, value: Any) -> ApiError:
    """A value the column rejects; ``error_data.column_type`` mirrors monday's 2025 changelog."""
    return ApiError(
        "ColumnValueException",
        message,
        error_data={"column_id": column_id, "column_type": column_type, "column_value": value},
    )


def _as_id(value: object) -> object:
    """Board ids come back as integers in monday's error_data when they parse as one."""
    text = str(value)
    return int(text) if text.isdigit() else value
