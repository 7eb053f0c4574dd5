"""Contract changes: what differs, column by column, between two recordings of the same boards.

A newer recording (``boards.new.yaml`` next to the committed cassette) is compared with the
committed one; the board-contract gate decides which changes break the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from validation.gates.board_contract import BoardSpec, boards_from_cassette

__all__ = ["ColumnChange", "compare_recordings"]


@dataclass(frozen=True)
class ColumnChange:
    """One difference between two recordings of a board: ``kind`` is added/removed/renamed/retyped/labels."""

    board_id: int
    column_id: str
    kind: str
    before: str | None
    after: str | None

    def describe(self) -> str:
        """``board 9609317401 column dropdown_mkr5tgaa retyped: dropdown -> text``."""
        change = {"added": f"added ({self.after})", "removed": f"removed (was {self.before})"}.get(
            self.kind, f"{self.kind}: {self.before} -> {self.after}"
        )
        return f"board {self.board_id} column {self.column_id} {change}"


def compare_recordings(old: Path, new: Path) -> list[ColumnChange]:
    """Column by column, what changed from the ``old`` cassette to the ``new`` one (boards in either)."""
    before = {b.id: b for b in boards_from_cassette(old)}
    after = {b.id: b for b in boards_from_cassette(new)}
    changes: list[ColumnChange] = []
    for board_id in sorted(before.keys() | after.keys()):
        changes += _board_changes(board_id, before.get(board_id), after.get(board_id))
    return changes


def _board_changes(board_id: int, old: BoardSpec | None, new: BoardSpec | None) -> list[ColumnChange]:
    old_cols = dict(old.columns) if old else {}
    new_cols = dict(new.columns) if new else {}
    changes = []
    for cid in sorted(old_cols.keys() | new_cols.keys()):
        a, b = old_cols.get(cid), new_cols.get(cid)
        if b is None and a is not None:
            changes.append(ColumnChange(board_id, cid, "removed", f"{a.title!r} {a.type}", None))
        elif a is None and b is not None:
            changes.append(ColumnChange(board_id, cid, "added", None, f"{b.title!r} {b.type}"))
        elif a is not None and b is not None:
            if a.title != b.title:
                changes.append(ColumnChange(board_id, cid, "renamed", a.title, b.title))
            if a.type != b.type:
                changes.append(ColumnChange(board_id, cid, "retyped", a.type, b.type))
            if set(a.labels) != set(b.labels):
                gone, new_labels = (
                    sorted(set(a.labels) - set(b.labels)),
                    sorted(set(b.labels) - set(a.labels)),
                )
                changes.append(
                    ColumnChange(
                        board_id,
                        cid,
                        "labels",
                        f"-{gone}" if gone else "-[]",
                        f"+{new_labels}" if new_labels else "+[]",
                    )
                )
    return changes
