"""verify's group checks: items in the wrong group, duplicated group titles, empty groups ordersync created.

A SYNCED order belongs in the group named from its row (:func:`sync.mapping.group_name`:
customer and season). Group titles ordersync uses (its registry, the ledger's group creates
and every expected name) must each be on one group only. A group ordersync created (the
ledger's ``create_group`` operations and ``ordersync_groups``) must hold at least one item.

    check = GroupCheck.load(db, tables, board_info, naming)
    check.see(item); check.expect(order, row, item)     # per board item / per SYNCED row
    check.finish(report)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import GroupNaming
from sync.db import Tables
from sync.mapping import group_name
from sync.monday.models import BoardInfo, ItemRecord
from sync.rollback_plan import UNDO_STATUSES
from sync.verify_report import DuplicateGroup, EmptyGroup, VerifyReport, WrongGroup

__all__ = ["GroupCheck", "naming_columns"]


def naming_columns(naming: GroupNaming) -> list[str]:
    """The row columns a group name is made of (primary, then fallback), each once."""
    return list(dict.fromkeys([*naming.columns, *naming.fallback_columns]))


@dataclass
class GroupCheck:
    """Group findings for one items board."""

    board: BoardInfo
    naming: GroupNaming
    #: group id -> the run that created it (None when only the registry knows it).
    created: dict[str, str | None]
    #: group titles ordersync registered for this board.
    registered: set[str]
    items_in: dict[str, list[int]] = field(default_factory=dict)
    expected_titles: set[str] = field(default_factory=set)
    titles: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.titles = {g.id: g.title for g in self.board.groups}

    @classmethod
    def load(cls, db: Engine, tables: Tables, board: BoardInfo, naming: GroupNaming) -> GroupCheck:
        """The groups ordersync created on ``board``: the ledger's group creates and the registry."""
        ops, groups = tables.operations, tables.groups
        with db.connect() as conn:
            created: dict[str, str | None] = {
                str(group_id): str(run_id)
                for group_id, run_id in conn.execute(
                    sa.select(ops.c.monday_id, ops.c.run_id).where(
                        ops.c.board_id == board.id,
                        ops.c.operation == "create_group",
                        ops.c.status.in_(UNDO_STATUSES),
                        ops.c.monday_id.is_not(None),
                    )
                )
            }
            registered: set[str] = set()
            for title, group_id, run_id in conn.execute(
                sa.select(groups.c.group_name, groups.c.group_id, groups.c.created_run_id).where(
                    groups.c.board_id == board.id
                )
            ):
                registered.add(str(title))
                created.setdefault(str(group_id), None if run_id is None else str(run_id))
        return cls(board, naming, created, registered)

    def see(self, item: ItemRecord) -> None:
        """One active item of the board, wherever it is."""
        if item.group_id is not None:
            self.items_in.setdefault(item.group_id, []).append(item.id)

    def expect(self, order: str, row: Mapping[str, Any], item: ItemRecord, report: VerifyReport) -> None:
        """A SYNCED row's item must sit in the group its row names."""
        expected = group_name(self.naming, row)
        self.expected_titles.add(expected)
        actual = self.titles.get(item.group_id or "", "")
        if actual != expected:
            shown = actual or f"(no group {item.group_id!r} on board {self.board.id})"
            report.add("wrong_groups", WrongGroup(order, item.id, expected, shown, item.group_id))

    def finish(self, report: VerifyReport) -> None:
        """Duplicate titles and empty created groups, once every item has been seen."""
        by_title: dict[str, list[str]] = {}
        for group in self.board.groups:
            by_title.setdefault(group.title, []).append(group.id)
        ours = self.registered | self.expected_titles | {g.title for g in self.board.groups if g.id in self.created}
        for title in sorted(ours):
            ids = by_title.get(title, [])
            if len(ids) > 1:
                items = tuple(i for gid in ids for i in self.items_in.get(gid, []))
                report.add("duplicate_groups", DuplicateGroup(title, tuple(ids), items))
        for group in self.board.groups:
            if group.id in self.created and not self.items_in.get(group.id):
                report.add("empty_groups", EmptyGroup(group.id, group.title, self.created[group.id]))
