"""The ordering gate's ``timeline.md``: checks, runs, one order's group -> item -> subitems chain, the log's start."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sync.emulator import OpRecord
from validation.gates.evidence import md_table
from validation.gates.sandbox import RoundResult

if TYPE_CHECKING:
    from validation.gates.ordering import BoardSnapshot, OrderingCheck

__all__ = ["timeline"]


def timeline(
    env_name: str,
    snap: BoardSnapshot,
    rounds: Sequence[RoundResult],
    checks: Sequence[OrderingCheck],
    errors: Mapping[str, int],
) -> str:
    def row(r: OpRecord) -> tuple[Any, ...]:
        group = (
            snap.groups.get(r.group_id or "", r.group_id) if r.board_id == str(snap.items_board_id) else ""
        )
        outcome = r.outcome.value + (f" ({r.error_code})" if r.error_code else "")
        return (r.seq, r.op, outcome, r.board_id, group, r.item_id, r.parent_item_id, r.item_name, r.idempotency_key)

    headers = ["seq", "op", "outcome", "board", "group", "item", "parent", "name", "idempotency key"]
    text = (
        f"# ordering: {env_name}\n\n{len(snap.oplog)} applied of {len(snap.attempted)} attempted operations "
        f"over {len(rounds)} run(s); "
        f"client saw faults {dict(errors)}.\n\n## Checks\n\n"
        + md_table(
            ["ok", "check", "checked", "violations", "first violation"],
            [
                (
                    "yes" if c.ok else "**NO**",
                    c.name,
                    c.checked,
                    c.violation_count,
                    c.violations[0] if c.violations else "",
                )
                for c in checks
            ],
        )
        + "\n## Runs\n\n"
        + md_table(
            ["round", "kind", "status", "items", "subitems", "groups", "retries", "pending after", "error"],
            [
                (
                    r.round,
                    r.kind,
                    r.status,
                    r.items_created,
                    r.subitems_created,
                    r.groups_created,
                    r.retries,
                    r.pending_after,
                    r.error or "",
                )
                for r in rounds
            ],
        )
    )
    chain = _one_chain(snap)
    if chain:
        text += "\n## One order end to end (group -> item -> subitems)\n\n" + md_table(
            headers, map(row, chain)
        )
    text += "\n## First 40 operations\n\n" + md_table(headers, map(row, snap.attempted[:40]))
    return text


def _one_chain(snap: BoardSnapshot) -> list[OpRecord]:
    items = [r for r in snap.oplog if r.op == "create_item"]
    if not items:
        return []
    item = items[len(items) // 2]
    group = [r for r in snap.oplog if r.op == "create_group" and r.group_id == item.group_id]
    subs = [r for r in snap.oplog if r.op == "create_subitem" and r.parent_item_id == item.item_id]
    return [*group, item, *subs]
