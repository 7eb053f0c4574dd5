"""Groups on the items board: what exists (board + registry), and creating the missing ones.

A group is created at most once per name: names the board already has are reused, the
missing ones of a chunk go out in one aliased request, and an answer lost to a timeout is
checked against the board before anything is retried. A group monday refuses errors only
the orders meant for it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sync.errors import RetriableError
from sync.ledger import OpStatus, utcnow
from sync.monday.models import BoardInfo
from sync.run_parts import RunParts

__all__ = ["ensure_groups", "known_groups"]


def known_groups(run: RunParts, board: BoardInfo) -> dict[str, str]:
    """Group name -> id: the registry's groups still on the board, then the board's own titles."""
    groups = run.tables.groups
    with run.db.connect() as conn:
        registry = dict(
            conn.execute(sa.select(groups.c.group_name, groups.c.group_id).where(groups.c.board_id == board.id))
            .tuples()
            .all()
        )
    on_board = {g.title: g.id for g in board.groups}
    live_ids = set(on_board.values())
    known = {name: gid for name, gid in registry.items() if gid in live_ids}
    for title, gid in on_board.items():
        known.setdefault(title, gid)
    return known


def ensure_groups(run: RunParts, known: dict[str, str], names: list[str]) -> dict[str, str]:
    """Create the ``names`` not in ``known`` (updated in place); returns refused name -> reason."""
    board = run.env.monday.board_id
    missing = [name for name in names if name not in known]
    if not missing:
        return {}
    with run.db.begin() as conn:
        op_ids = run.ledger.intend(
            conn,
            [
                {
                    "board_id": board,
                    "operation": "create_group",
                    "entity": "GROUP",
                    "record_key": name[:64],
                    "after": {"group_name": name},
                }
                for name in missing
            ],
        )
    try:
        answers = run.client.create_groups(board, missing, idempotency_key=f"{run.run_id}-groups-{op_ids[0]}")
    except RetriableError:
        live = {g.title: g.id for b in run.client.get_boards([board]) for g in b.groups}
        if any(name not in live for name in missing):
            raise
        answers = {name: live[name] for name in missing}
    settled: list[tuple[int, str, str | None, str | None]] = []
    registry: list[dict[str, Any]] = []
    refused: dict[str, str] = {}
    for name, op_id in zip(missing, op_ids, strict=True):
        answer = answers[name]
        if isinstance(answer, str):
            known[name] = answer
            run.counters.groups_created += 1
            settled.append((op_id, OpStatus.APPLIED, answer, None))
            registry.append(
                {
                    "board_id": board,
                    "group_name": name,
                    "group_id": answer,
                    "created_run_id": run.run_id,
                    "created_at": utcnow(),
                }
            )
        else:
            settled.append((op_id, OpStatus.FAILED, None, str(answer)))
            refused[name] = f"monday refused to create group {name!r}: {answer}"
    with run.db.begin() as conn:
        if registry:
            conn.execute(run.tables.groups.insert(), registry)
        run.ledger.settle(conn, settled)
    return refused
