"""The emulator's operation log: every attempted mutation, in the order the emulator saw it.

The ordering gate reads it to prove groups were created before their items and
items before their subitems, and tests read it to prove a retried batch created
nothing twice. Each record says whether the write was ``applied`` or ``refused``:
a mutation that reached execution and failed validation (an item sent into a group
that does not exist yet, a label that may not be created) is logged as ``refused``
with its error code, so an ordering defect shows up as what it is. A mutation
applied just before an injected timeout is ``applied``; a request refused before
execution (429, 500, injected timeout) attempted nothing and is not logged.

``Emulator.operation_log`` (and ``GET /_emulator/oplog``) list applied writes only;
``Emulator.attempted_operations`` (``GET /_emulator/oplog?attempted=1``) lists both.
"""

from __future__ import annotations

__all__ = ["FIELD_OPS", "OPS", "OpOutcome", "OpRecord", "OperationLog", "refused_writes"]

import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from graphql import FieldNode, GraphQLError, OperationDefinitionNode, value_from_ast_untyped

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

#: GraphQL mutation field -> the op name the log uses for it.
FIELD_OPS: Mapping[str, str] = {
    "create_group": "create_group",
    "delete_group": "delete_group",
    "create_item": "create_item",
    "create_subitem": "create_subitem",
    "change_multiple_column_values": "change_column_values",
    "archive_item": "archive_item",
    "delete_item": "delete_item",
}


class OpOutcome(StrEnum):
    """What the emulator did with an attempted write."""

    APPLIED = "applied"
    REFUSED = "refused"


@dataclass(frozen=True)
class OpRecord:
    """One attempted mutation; ids are strings like the API's ``ID`` scalar; ``error_code`` when refused."""

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
    outcome: OpOutcome = OpOutcome.APPLIED
    error_code: str | None = None

    @property
    def applied(self) -> bool:
        """The write changed the board."""
        return self.outcome is OpOutcome.APPLIED

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

    def records(self, *, applied_only: bool = False) -> list[OpRecord]:
        """A snapshot copy, safe to iterate while other threads keep appending."""
        with self._lock:
            return [r for r in self._records if r.applied] if applied_only else list(self._records)

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
        return cls([OpRecord(**{**r, "outcome": OpOutcome(r.get("outcome", OpOutcome.APPLIED))}) for r in raw])


def refused_writes(
    operation: OperationDefinitionNode, variables: Mapping[str, Any] | None, errors: Iterable[GraphQLError]
) -> list[dict[str, Any]]:
    """The mutation fields (aliases) an execution refused, as OpRecord fields (no seq/time/request yet).

    Reads each refused field's arguments from the document and its variables, so the log
    shows *what* was attempted: the board, the group, the parent item, the name.
    """
    fields = {
        (f.alias or f.name).value: f for f in operation.selection_set.selections if isinstance(f, FieldNode)
    }
    out = []
    for error in errors:
        alias = error.path[0] if error.path else None
        node = fields.get(str(alias)) if alias is not None else None
        if node is None or node.name.value not in FIELD_OPS:
            continue
        args = {a.name.value: value_from_ast_untyped(a.value, dict(variables or {})) for a in node.arguments or ()}
        code = (error.extensions or {}).get("code") or getattr(error.original_error, "code", None)
        out.append(
            {
                "op": FIELD_OPS[node.name.value],
                "board_id": str(args.get("board_id") or ""),
                "group_id": _opt(args.get("group_id")),
                "item_id": _opt(args.get("item_id")),
                "parent_item_id": _opt(args.get("parent_item_id")),
                "item_name": _opt(args.get("item_name", args.get("group_name"))),
                "outcome": OpOutcome.REFUSED,
                "error_code": str(code) if code else type(error.original_error or error).__name__,
            }
        )
    return out


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
