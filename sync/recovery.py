"""Settle writes whose outcome is unknown (a timeout after monday applied them, a crash mid-batch).

A create stays ``SENT`` in the ledger until its answer is written back. The next run (or the
same run, right after a batch whose answer never came) looks such orders up on the board by
``AAG ORDER NUMBER`` and adopts the item it finds, so a retry updates it instead of creating
a duplicate; subitems are matched by name under their parent. Every ``SENT`` operation it
looks at is settled, found or not, so it is never looked at twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from sync.ledger import OpStatus
from sync.run_parts import RunParts
from sync.states import ActionType, SyncState
from sync.writeback import mark_lines_synced

__all__ = ["adopt_by_order_number", "resolve_unknown_outcomes"]

RESOLVED = "outcome unknown; resolved by look-up"


def resolve_unknown_outcomes(run: RunParts) -> None:
    """Orders and lines whose create is still SENT from an earlier run: adopt what monday has."""
    ops, t = run.tables.operations, run.tables.target
    with run.db.connect() as conn:
        rows = conn.execute(
            sa.select(ops.c.op_id, ops.c.record_key, t.c["AAG ORDER NUMBER"])
            .join(t, t.c.record_uuid == ops.c.record_key)
            .where(
                ops.c.status == OpStatus.SENT,
                ops.c.operation == "create_item",
                ops.c.board_id == run.env.monday.board_id,
                t.c.monday_item_id.is_(None),
            )
        ).all()
    if rows:
        adopt_by_order_number(run, {r[1]: str(r[2]) for r in rows}, [r[0] for r in rows])
    _resolve_unknown_subitems(run)


def adopt_by_order_number(run: RunParts, orders: Mapping[str, str], op_ids: Sequence[int]) -> set[str]:
    """Look orders (record uuid -> order number) up on the board; link those monday already has.

    An adopted order goes back to ``PENDING`` as an ``UPDATE`` so the next push writes its
    values onto the found item. Returns the adopted record uuids.
    """
    key_column = run.env.mapping.items["AAG ORDER NUMBER"].column
    found = run.client.find_items_by_column(run.env.monday.board_id, key_column, sorted(set(orders.values())))
    adopted: set[str] = set()
    t = run.tables.target
    with run.db.begin() as conn:
        for record_uuid, order in orders.items():
            ids = sorted(found.get(order, []))
            if not ids:
                continue
            conn.execute(
                t.update()
                .where(t.c.record_uuid == record_uuid)
                .values(monday_item_id=ids[0], action_type=ActionType.UPDATE.value, sync_state=SyncState.PENDING.value)
            )
            adopted.add(record_uuid)
            run.counters.adopted += 1
        run.ledger.settle(conn, [(op_id, OpStatus.FAILED, None, RESOLVED) for op_id in op_ids])
    return adopted


def _resolve_unknown_subitems(run: RunParts) -> None:
    """Subitem creates still SENT: adopt a subitem with the expected name under the parent, if any."""
    ops, lines, t = run.tables.operations, run.tables.lines, run.tables.target
    with run.db.connect() as conn:
        rows = conn.execute(
            sa.select(ops.c.op_id, lines.c.line_uuid, lines.c.size_code, t.c.monday_item_id)
            .select_from(
                ops.join(lines, lines.c.line_uuid == ops.c.record_key).join(t, t.c.record_uuid == lines.c.record_uuid)
            )
            .where(
                ops.c.status == OpStatus.SENT,
                ops.c.operation == "create_subitem",
                lines.c.monday_subitem_id.is_(None),
                t.c.monday_item_id.is_not(None),
            )
        ).all()
    if not rows:
        return
    parents = run.client.get_items(sorted({int(r[3]) for r in rows}))
    sub_ids = [sid for p in parents for sid in p.subitem_ids]
    names = {s.id: s.name for s in run.client.get_items(sub_ids)} if sub_ids else {}
    by_parent = {p.id: {names.get(sid): sid for sid in p.subitem_ids} for p in parents}
    settled, synced = [], []
    for op_id, line_uuid, size_code, parent in rows:
        name = run.config.items.subitem_name_template.replace("{size_code}", str(size_code))
        sid = by_parent.get(int(parent), {}).get(name)
        if sid is not None:
            synced.append((line_uuid, sid, int(parent)))
            run.counters.adopted += 1
        settled.append((op_id, OpStatus.FAILED, None, RESOLVED))
    with run.db.begin() as conn:
        mark_lines_synced(conn, run.tables, synced)
        run.ledger.settle(conn, settled)
