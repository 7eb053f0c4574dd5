"""The emulator's operation log: every applied mutation, in apply order.

The ordering gate reads it to prove groups were created before their items and
items before their subitems, and tests read it to prove a retried batch created
nothing twice. A mutation that fails validation is not applied, so it is not
logged; a mutation applied just before an injected timeout *is* logged.
"""

from __future__ import annotations

__all__ = ["OPS", "OpRecord", "OperationLog"]

import threading
from dataclasses import asdict, dataclass
from typing import Any

OPS = (
    "create_group",
    "delete_group",
    "create_item",
    "create_subitem",
    "change_column_values",
    "archive_item",
    "delete_item",
    "move_item_to_group",
)


@dataclass(frozen=True)
class OpRecord:
    """One applied mutation; ids are strings like the API's ``ID`` scalar."""

    seq: int
    time: float
    request_id: str
    idempotency_key: str | None
    op: str
    board_id: str
    group_id: str | None = None
    item_id: str | None = None
    parent_item_id: str | None = None
    item_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``GET /_emulator/oplog`` returns)."""
        return asdict(self)


class OperationLog:
    """Append-only, thread-safe list of :class:`OpRecord` with a monotonically increasing ``seq``."""

    def __init__(self, records: list[OpRecord] | None = None) -> None:
        self._records: list[OpRecord] = list(records or [])
        self._lock = threading.Lock()

    def append(self, **fields: Any) -> OpRecord:
        """Record one applied mutation and return it."""
        with self._lock:
            record = OpRecord(seq=len(self._records) + 1, **fields)
            self._records.append(record)
            return record

    def records(self) -> list[OpRecord]:
        """A snapshot copy, safe to iterate while other threads keep appending."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget everything (used by ``POST /_emulator/reset``)."""
        with self._lock:
            self._records.clear()

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready snapshot."""
        return [r.to_dict() for r in self.records()]

    @classmethod
    def from_list(cls, raw: list[dict[str, Any]]) -> OperationLog:
        """Inverse of :meth:`to_list` (persisted state)."""
        return cls([OpRecord(**r) for r in raw])
