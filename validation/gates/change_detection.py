"""Gate ``change-detection``: UPDATEs and CANCELLED orders reach monday exactly, and a re-sync sends nothing.

The cutover plan makes change detection a condition for production; the canary only creates.
In a sandbox (:mod:`validation.gates.sandbox`: temporary SQLite + in-process emulator built
from the environment's config and boards; ``ctx.options["orders"]``, default 40, ``seed``) the
gate syncs generated orders, seeds one change of each kind in *staging*
(:func:`validation.gates.change_seeding.seed_changes`: a quantity change, a new size, a removed
size, a cancelled order, an edited mapped column, a group change), syncs again and proves:

* the board matches the state expected from staging, item by item (one item per order, its
  name, its group, every mapped text/label/number/date value) and subitem by subitem (names
  and quantities, nothing twice, nothing extra);
* each seeded change is on the board (its own check, so a missed kind is named);
* a third sync sends zero mutations (counted in the emulator's log of attempted writes).

Evidence: ``change_detection.json`` (the changes seeded, the updates observed per change,
the mutations of the third run, every check) and ``change_detection.md``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.demo import generate_orders
from sync.emulator import OpRecord
from sync.monday.models import ItemRecord
from validation.gates.change_seeding import (
    KEY,
    ChangeKind,
    ExpectedItem,
    SeededChange,
    expected_board,
    seed_changes,
)
from validation.gates.checks import Check, checks_table
from validation.gates.evidence import md_table, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result
from validation.gates.sandbox import open_sandbox

__all__ = ["ChangeDetectionGate", "compare_board"]

DEFAULT_ORDERS = 40


class ChangeDetectionGate:
    """Sync, seed changes in staging, sync again: the board is exactly as expected; a third sync is a no-op."""

    name = "change-detection"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = ("checked", "changes_seeded", "board_mismatches", "third_run_mutations")
    description = (
        "sandbox: quantity/new size/removed size/cancel/mapped column/group changes reach the board "
        "exactly; a third sync sends zero mutations"
    )

    def run(self, ctx: GateContext) -> GateResult:
        """Three syncs around seeded changes; compare the board; write change_detection.json + .md."""
        orders = int(ctx.options.get("orders") or DEFAULT_ORDERS)
        seed = int(ctx.options.get("seed") or 42)
        rows = [r for chunk in generate_orders(orders, seed) for r in chunk]
        env = ctx.config.environment(ctx.env_name)
        with open_sandbox(ctx.config, ctx.env_name, rows=rows, seed=seed) as box:
            first_rounds = box.sync_until_done()
            first_staging = box.rows(box.tables.staging)
            changes = seed_changes(box, ctx.config, ctx.env_name)
            mark = len(box.emulator.attempted_operations)
            second_rounds = box.sync_until_done()
            updates = box.emulator.attempted_operations[mark:]
            mark = len(box.emulator.attempted_operations)
            third = box.sync_once(number=len(first_rounds) + len(second_rounds) + 1)
            third_ops = box.emulator.attempted_operations[mark:]
            boards = box.boards()
            items, subitems = box.items(box.items_board_id), box.items(box.subitems_board_id)
            now = box.rows(box.tables.staging)
            sizes = list(box.tables.sizes)
        types = {c.id: c.type for b in boards.values() for c in b.columns}
        groups = {g.id: g.title for g in boards[env.monday.board_id].groups}
        expected = expected_board(ctx.config, ctx.env_name, first_staging, now, sizes, types)
        qty_column = env.mapping.subitems["qty"].column
        by_order = compare_board(expected, items, subitems, groups, env.mapping.items[KEY].column, qty_column)
        checks = [_board_check(by_order, len(expected))]
        checks += [_change_check(c, by_order) for c in changes]
        checks.append(_quiet_check(third_ops, third.status))
        key = env.mapping.items[KEY].column
        ids = {(i.values[key].text or "").strip(): str(i.id) for i in items if key in i.values}
        observed = _observed(changes, updates, by_order, ids)
        return self._result(
            ctx, checks, changes, updates, third_ops, observed, by_order, [*first_rounds, *second_rounds]
        )

    def _result(
        self,
        ctx: GateContext,
        checks: Sequence[Check],
        changes: Sequence[SeededChange],
        updates: Sequence[OpRecord],
        third_ops: Sequence[OpRecord],
        observed: Sequence[Mapping[str, Any]],
        by_order: Mapping[str, list[str]],
        rounds: Sequence[Any],
    ) -> GateResult:
        failed = [c for c in checks if not c.ok]
        metrics = {
            "checked": sum(c.checked for c in checks),
            "orders": len(by_order),
            "changes_seeded": len(changes),
            "update_operations": len(updates),
            **{f"updates_{op}": n for op, n in Counter(r.op for r in updates).items()},
            "third_run_mutations": len(third_ops),
            "board_mismatches": sum(len(v) for v in by_order.values()),
        }
        payload = {
            "metrics": metrics,
            "changes": [asdict(c) for c in changes],
            "observed": observed,
            "third_run_mutations": [r.to_dict() for r in third_ops],
            "rounds": [asdict(r) for r in rounds],
            "checks": [{**asdict(c), "ok": c.ok} for c in checks],
        }
        folder = ctx.evidence_dir(self.name)
        evidence = [
            write_json(folder / "change_detection.json", payload),
            write_text(folder / "change_detection.md", _markdown(ctx.env_name, checks, changes, observed)),
        ]
        if failed:
            summary = "; ".join(c.describe("problem") for c in failed)
        else:
            kinds = ", ".join(c.kind.value for c in changes)
            summary = (
                f"{len(changes)} changes ({kinds}) seeded in staging reached the board through "
                f"{len(updates)} operations; all {len(by_order)} items and their subitems match staging "
                f"exactly; a third sync sent 0 mutations"
            )
        return gate_result(ctx, self.name, passed=not failed, summary=summary, metrics=metrics, evidence=evidence)


def compare_board(
    expected: Mapping[str, ExpectedItem],
    items: Sequence[ItemRecord],
    subitems: Sequence[ItemRecord],
    groups: Mapping[str, str],
    key_column: str,
    qty_column: str,
) -> dict[str, list[str]]:
    """Order number -> what differs between the board and the expected state (empty: identical)."""
    found: dict[str, list[ItemRecord]] = defaultdict(list)
    for item in items:
        cell = item.values.get(key_column)
        found[(cell.text or "").strip() if cell else ""].append(item)
    under: dict[int, list[ItemRecord]] = defaultdict(list)
    for sub in subitems:
        under[sub.parent_id or 0].append(sub)
    out: dict[str, list[str]] = {order: [] for order in expected}
    for order, ids in found.items():
        if order not in expected:
            out.setdefault(order, []).append(f"item(s) {[i.id for i in ids]} for unknown order {order!r}")
    for order, want in expected.items():
        bad = out[order]
        on_board = found.get(order, [])
        if len(on_board) != 1:
            bad.append(f"order {order} has {len(on_board)} items on the board, expected 1")
            continue
        item = on_board[0]
        title = groups.get(item.group_id or "", item.group_id)
        if title != want.group:
            bad.append(f"order {order}: item {item.id} is in group {title!r}, expected {want.group!r}")
        if item.name != want.name:
            bad.append(f"order {order}: item {item.id} is named {item.name!r}, expected {want.name!r}")
        for column, text in want.values.items():
            cell = item.values.get(column)
            shown = (cell.text or "").strip() if cell else ""
            if not _same(shown, text):
                bad.append(f"order {order}: column {column} shows {shown!r}, expected {text!r}")
        subs = Counter(s.name for s in under.get(item.id, []))
        for name, count in subs.items():
            if count > 1:
                bad.append(f"order {order}: {count} subitems named {name!r}")
            if name not in want.subitems:
                bad.append(f"order {order}: subitem {name!r} should not be on the board")
        for sub in under.get(item.id, []):
            cell = sub.values.get(qty_column)
            qty = (cell.text or "").strip() if cell else ""
            wanted = want.subitems.get(sub.name)
            if wanted is not None and not _same(qty, str(wanted)):
                bad.append(f"order {order}: subitem {sub.name!r} has quantity {qty!r}, expected {wanted}")
        for name in want.subitems:
            if name not in subs:
                bad.append(f"order {order}: subitem {name!r} (quantity {want.subitems[name]}) is missing")
    return out


def _same(shown: str, expected: str) -> bool:
    if shown == expected:
        return True
    try:  # numbers: "12.50" and "12.5" are the same quantity
        return Decimal(shown) == Decimal(expected)
    except InvalidOperation:
        return shown[:10] == expected[:10] and len(expected) == 10  # dates: monday may add a time


def _board_check(by_order: Mapping[str, list[str]], expected: int) -> Check:
    bad = [v for problems in by_order.values() for v in problems]
    return Check.of("board matches staging", expected, bad)


_CHANGE_WORDS = {
    ChangeKind.QUANTITY: "quantity change not applied",
    ChangeKind.NEW_SIZE: "new size not applied",
    ChangeKind.REMOVED_SIZE: "removed size not applied",
    ChangeKind.CANCELLED: "cancellation not applied",
    ChangeKind.MAPPED_COLUMN: "mapped column edit not applied",
    ChangeKind.GROUP: "group change not applied",
}


def _change_check(change: SeededChange, by_order: Mapping[str, list[str]]) -> Check:
    problems = by_order.get(change.order, [f"order {change.order} is not on the board"])
    what = f"{change.column} {change.before!r} -> {change.after!r}"
    bad = [f"{_CHANGE_WORDS[change.kind]} ({what}): {p}" for p in problems]
    return Check.of(f"{change.kind.value} change on order {change.order}", 1, bad)


def _quiet_check(third_ops: Sequence[OpRecord], status: str) -> Check:
    bad = [f"third sync sent {r.op} on board {r.board_id} (item {r.item_id or r.item_name})" for r in third_ops]
    if status == "RAISED":
        bad.append("third sync raised instead of finding nothing to do")
    return Check.of("third sync sends zero mutations", 1, bad)


def _observed(
    changes: Sequence[SeededChange],
    updates: Sequence[OpRecord],
    by_order: Mapping[str, list[str]],
    item_ids: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Per seeded change: the operations of the second sync on its item (or its subitems)."""
    out = []
    for change in changes:
        item = item_ids.get(change.order)
        ops = [r for r in updates if item is not None and item in (r.item_id, r.parent_item_id)]
        out.append(
            {
                "kind": change.kind.value,
                "order": change.order,
                "operations": [f"{r.op} {r.outcome.value} item {r.item_id} parent {r.parent_item_id}" for r in ops],
                "board_problems": by_order.get(change.order, []),
            }
        )
    return out


def _markdown(
    env_name: str, checks: Sequence[Check], changes: Sequence[SeededChange], observed: Sequence[Mapping[str, Any]]
) -> str:
    return (
        f"# change-detection: {env_name}\n\n## Checks\n\n"
        + checks_table(checks, ("ok", "check", "checked", "problems", "first problem"))
        + "\n## Changes seeded in staging\n\n"
        + md_table(
            ["kind", "order", "column", "before", "after"],
            [(c.kind.value, c.order, c.column, c.before, c.after) for c in changes],
        )
        + "\n## Updates observed (second sync)\n\n"
        + md_table(
            ["kind", "order", "operations"],
            [(o["kind"], o["order"], "; ".join(o["operations"]) or "none") for o in observed],
        )
    )
