"""monday's limits that end a run: a full board (fatal) and the daily call limit (a pause).

monday's ``DAILY_LIMIT_EXCEEDED`` pauses the run (:func:`is_daily_limit`); the rows of the
request it refused were never applied, so they leave the run's success-rate denominator
and stay ``PENDING`` for the next day's run.

A board that is full: monday's ``ItemsLimitationException`` as one clear, fatal error.

monday refuses a create past a board's ``items_limit`` (10,000 by default). No later create
on that board can succeed until a person makes room (archive or delete items, another board,
another plan), so the run stops: the batch in flight is settled first (what fitted is
``SYNCED``, the refused creates are ``FAILED`` in the ledger as not applied), the rows that did
not fit stay ``PENDING`` and the next run pushes them once there is room. The CLI exits 3
(a fatal error outside the data) with this one-line message, no traceback.
"""

from __future__ import annotations

__all__ = ["DAILY_LIMIT", "ITEMS_LIMIT", "BoardFullError", "board_full", "is_board_full", "is_daily_limit"]

import re

from sync.errors import FatalError

#: monday's answer when the account's daily call quota is spent (the run pauses).
DAILY_LIMIT = "DAILY_LIMIT_EXCEEDED"
#: monday's code for a create past the board's capacity.
ITEMS_LIMIT = "ItemsLimitationException"
_LIMIT_IN_MESSAGE = re.compile(r"limit of ([\d,]+) items")


class BoardFullError(FatalError):
    """A board reached its ``items_limit``; ``pending`` rows were left for a later run."""

    def __init__(self, board: str, board_id: int, items_limit: int | None, pending: int | None, cause: str) -> None:
        self.board, self.board_id, self.items_limit, self.pending = board, board_id, items_limit, pending
        capacity = f"its items_limit of {items_limit:,} items" if items_limit is not None else "its items_limit"
        left = f"{pending:,} row(s)" if pending is not None else "the rows"
        super().__init__(
            f"{board} {board_id} is full: monday refused a create past {capacity} ({ITEMS_LIMIT}). "
            f"{left} not pushed stay PENDING; make room on the board (archive or delete items, "
            f"or raise the board's limit) and run sync again. monday said: {cause}"
        )


def is_daily_limit(exc: object) -> bool:
    """True for monday's ``DAILY_LIMIT_EXCEEDED`` (the run pauses instead of failing)."""
    return getattr(exc, "code", None) == DAILY_LIMIT


def is_board_full(exc: object) -> bool:
    """True for monday's ``ItemsLimitationException``."""
    return getattr(exc, "code", None) == ITEMS_LIMIT


def board_full(exc: BaseException, board: str, board_id: int, pending: int | None) -> BoardFullError:
    """The error to raise for ``exc``; the capacity comes from monday's error data, else its message."""
    data = getattr(exc, "error_data", None) or {}
    limit: int | None = None
    if isinstance(data.get("items_limit"), int):
        limit = int(data["items_limit"])
    else:
        found = _LIMIT_IN_MESSAGE.search(str(exc))
        limit = int(found.group(1).replace(",", "")) if found else None
    return BoardFullError(board, board_id, limit, pending, str(exc))
