"""The one state vocabulary of ordersync, shared by the DB constraints, the code and the expectations.

``sync_state`` says where a row stands with monday.com:

========  ===================================================================
NEW       a line written by change detection that has not been planned yet
PENDING   the row differs from the board and must be pushed
SYNCED    the board holds exactly this row (``monday_item_id`` / ``monday_subitem_id`` set)
ERROR     the last push of this row failed; ``sync_error_message`` says why
========  ===================================================================

``action_type`` says what the next push must do:

========  ===================================================================
INSERT    create the item / subitem (no monday id yet)
UPDATE    change the existing item / subitem (content changed, or cancelled)
DELETE    remove the subitem (a size that disappeared, with ``removed_size_policy = "delete"``)
========  ===================================================================

The origin system also wrote FAILED, COMPLETED, EXISTING and NONE; ordersync never does,
and the CHECK constraints in :mod:`sync.db` reject them.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTION_TYPES", "SYNC_STATES", "ActionType", "SyncState"]


class SyncState(StrEnum):
    """Where a row stands with monday.com."""

    NEW = "NEW"
    PENDING = "PENDING"
    SYNCED = "SYNCED"
    ERROR = "ERROR"


class ActionType(StrEnum):
    """What the next push of a row must do."""

    INSERT = "INSERT"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


SYNC_STATES: tuple[str, ...] = tuple(s.value for s in SyncState)
ACTION_TYPES: tuple[str, ...] = tuple(a.value for a in ActionType)
