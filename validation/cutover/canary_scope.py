"""Restrict ``verify`` findings to what the canary runs touched (the board may hold older items).

The ledger says which items and rows the canary wrote; only mismatches about those decide
the cutover's validation step. A capped list is never read as clean.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["canary_scope", "scoped_findings"]


def canary_scope(engine: sa.Engine, tables: Any, run_ids: Sequence[str]) -> dict[str, set[str]]:
    """Item ids, record uuids and order numbers the canary runs wrote (from the ledger)."""
    ops, t = tables.operations, tables.target
    scope: dict[str, set[str]] = {"item_ids": set(), "record_uuids": set(), "orders": set()}
    if not run_ids:
        return scope
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ops.c.monday_id, ops.c.record_key).where(ops.c.run_id.in_(list(run_ids)), ops.c.entity == "ITEM")
        ).all()
        for monday_id, key in rows:
            if monday_id:
                scope["item_ids"].add(str(monday_id))
            if key:
                scope["record_uuids"].add(str(key))
        if scope["record_uuids"]:
            scope["orders"] = {
                str(o)
                for o in conn.execute(
                    sa.select(t.c["AAG ORDER NUMBER"]).where(t.c.record_uuid.in_(sorted(scope["record_uuids"])))
                ).scalars()
                if o is not None
            }
    return scope


def scoped_findings(report: Mapping[str, Any], scope: Mapping[str, set[str]]) -> dict[str, int]:
    """Mismatch counts restricted to the canary's items and orders (the board may hold older items)."""
    ids, uuids, orders = scope["item_ids"], scope["record_uuids"], scope["orders"]
    keep: dict[str, Callable[[Mapping[str, Any]], bool]] = {
        "missing": lambda e: str(e["record_uuid"]) in uuids,
        "orphans": lambda e: str(e["item_id"]) in ids or e["order_number"] in orders,
        "duplicates": lambda e: e["order_number"] in orders or any(str(i) in ids for i in e["item_ids"]),
        "value_mismatches": lambda e: str(e["item_id"]) in ids,
        "subitem_mismatches": lambda e: str(e["item_id"]) in ids,
    }
    found: dict[str, int] = {}
    for category, wanted in keep.items():
        listed = report.get(category) or []
        n = sum(1 for entry in listed if wanted(entry))
        if report["counts"].get(category, 0) > len(listed) and listed:
            n = max(n, 1)  # the list was capped; never report a truncated category as clean
        if n:
            found[category] = n
    return found
