"""Find on the board what a write whose answer was lost did. Returns adoptions; never writes.

Creates are looked up by their business key: an item by ``AAG ORDER NUMBER``, a group by
its title, a subitem by its name under its parent. The caller (the writer for a batch of
this run, :func:`sync.engine.run.settle_crashed` for a crashed run's ``SENT`` operations)
settles the ledger and the rows with what is returned.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sync.engine.ledger import OpKind, OpStatus
from sync.engine.options import RunParts
from sync.engine.store import SentOp

__all__ = ["Adoption", "find_groups", "find_items", "find_subitems", "group_name", "resolve_sent", "subitem_name"]

#: Operations a look-up cannot confirm: re-sending them is harmless (idempotent), so they are re-sent.
NOT_LOOKED_UP = "outcome unknown after the run ended; the row is re-sent"


@dataclass(frozen=True)
class Adoption:
    """How a lost write is settled: ``ADOPTED`` with what was found, or ``FAILED`` with the reason."""

    op: SentOp
    status: OpStatus
    monday_id: str | None
    error: str | None


def find_items(run: RunParts, orders: Mapping[str, str]) -> dict[str, int]:
    """record key -> item id, for the orders (record key -> order number) the items board holds."""
    if not orders:
        return {}
    key_column = run.env.mapping.items["AAG ORDER NUMBER"].column
    board = run.env.monday.board_id
    found = run.client.find_items_by_column(board, key_column, sorted(set(orders.values())))
    return {key: min(found[order]) for key, order in orders.items() if found.get(order)}


def find_groups(run: RunParts, names: Sequence[str]) -> dict[str, str]:
    """group name -> id, for the names the items board has."""
    if not names:
        return {}
    board = run.env.monday.board_id
    live: dict[str, str] = {}
    for info in run.client.get_boards([board]):
        for group in info.groups:
            live.setdefault(group.title, group.id)
    return {name: live[name] for name in names if name in live}


def find_subitems(run: RunParts, wanted: Mapping[str, tuple[int, str]]) -> dict[str, int]:
    """line key -> subitem id, for (parent item id, subitem name) pairs found on the board."""
    if not wanted:
        return {}
    parents = run.client.get_items(sorted({parent for parent, _ in wanted.values()}))
    sub_ids = [sid for p in parents for sid in p.subitem_ids]
    names = {s.id: s.name for s in run.client.get_items(sub_ids)} if sub_ids else {}
    by_parent: dict[int, dict[str, int]] = {}
    for parent in parents:
        for sid in sorted(parent.subitem_ids):
            by_parent.setdefault(parent.id, {}).setdefault(names.get(sid, ""), sid)
    return {key: by_parent[p][n] for key, (p, n) in wanted.items() if n in by_parent.get(p, {})}


def subitem_name(run: RunParts, size_code: str) -> str:
    """The name a line's subitem was created with."""
    return run.config.items.subitem_name_template.replace("{size_code}", size_code)


def resolve_sent(run: RunParts, sent: Sequence[SentOp]) -> list[Adoption]:
    """Settle a crashed run's SENT operations: creates are looked up, the rest are re-sent."""
    items = {op.record_key: op.order_number for op in sent if op.operation is OpKind.CREATE_ITEM and op.order_number}
    groups = [group_name(op) for op in sent if op.operation is OpKind.CREATE_GROUP]
    subs = {
        op.record_key: (op.parent_item_id, subitem_name(run, op.size_code))
        for op in sent
        if op.operation is OpKind.CREATE_SUBITEM and op.parent_item_id is not None and op.size_code is not None
    }
    found_items = find_items(run, items)
    found_groups = find_groups(run, [g for g in groups if g])
    found_subs = find_subitems(run, subs)
    out: list[Adoption] = []
    for op in sent:
        found: object = None
        if op.operation is OpKind.CREATE_ITEM:
            found = found_items.get(op.record_key)
        elif op.operation is OpKind.CREATE_GROUP:
            found = found_groups.get(group_name(op) or "")
        elif op.operation is OpKind.CREATE_SUBITEM:
            found = found_subs.get(op.record_key)
        else:
            out.append(Adoption(op, OpStatus.FAILED, None, NOT_LOOKED_UP))
            continue
        if found is None:
            out.append(Adoption(op, OpStatus.FAILED, None, "outcome unknown after the run ended; not on the board"))
        else:
            out.append(Adoption(op, OpStatus.ADOPTED, str(found), None))
    return out


def group_name(op: SentOp) -> str | None:
    after = json.loads(op.after or "null")
    return str(after["group_name"]) if isinstance(after, dict) and after.get("group_name") else None
