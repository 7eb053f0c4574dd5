"""Gate ``ordering``: groups before items before subitems, nothing twice, nothing left behind, under faults.

The origin marked "groups created before items" complete without ever testing it. This gate
syncs generated orders (``ctx.options["orders"]``, default 200, ``seed`` default 42) with the
environment's mapping in a sandbox (:mod:`validation.gates.sandbox`) whose emulator injects 429s,
500s, timeouts, timeouts *after* the write was applied, and *lost answers* (applied, then every
retry of the same idempotency key times out until the client's retries run out, so the engine's
unknown-outcome recovery, a look-up by order number, has to run). It re-runs the engine (sync,
then retry) until nothing is pending, and proves from the emulator's operation log of
*attempted* writes (refused ones included) and the final boards:

* every ``create_item`` sent into a new group comes after the ``create_group`` that made it (an
  item sent before its group exists is refused by monday and logged: a violation, named);
* every ``create_subitem`` comes after the ``create_item`` of its parent;
* no group title twice on the board, no two items for one order number, no two subitems for
  one order line;
* every order and every line with a quantity is SYNCED and on the board (in its group, under
  its parent); an order without any group name must be ERROR with a message, never dropped.

The recovery path is evidence too: ``recoveries`` counts the orders and lines the engine
adopted after an unknown outcome. When no recovery happened the gate proved nothing about it
and is ``inconclusive`` (raise ``orders`` or change ``seed``), never ``passed``.

Evidence: ``ordering.json`` (checks, rounds, fault counts, recoveries) and ``timeline.md`` (an
excerpt of the operation log with group titles, plus one order's full group -> item -> subitems chain).
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sync.config import Config
from sync.emulator import FaultProfile, OpRecord
from sync.emulator.oplog import OpOutcome
from sync.mapping import group_name
from sync.monday.models import ItemRecord
from sync.states import SyncState
from validation.gates.evidence import write_json, write_text
from validation.gates.ordering_timeline import timeline
from validation.gates.runner import GateContext, GateResult, GateStatus, gate_result
from validation.gates.sandbox import Sandbox, open_sandbox

__all__ = [
    "DEFAULT_FAULTS",
    "BoardSnapshot",
    "OrderingCheck",
    "OrderingGate",
    "check_ordering",
    "expected_unsyncable",
    "snapshot",
]

#: 429s, 500s, plain timeouts, timeouts after the write was applied, and answers lost for good
#: (applied, every retry times out): the last drives the engine's unknown-outcome recovery.
DEFAULT_FAULTS = FaultProfile(
    rate_429=0.05, rate_500=0.05, rate_timeout=0.03, rate_timeout_after_apply=0.05, rate_answer_lost=0.2
)
MAX_VIOLATIONS = 20


@dataclass(frozen=True)
class OrderingCheck:
    """One invariant: how many things it looked at and the first violations it found."""

    name: str
    checked: int
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0

    @property
    def ok(self) -> bool:
        """No violation, and at least one thing checked."""
        return self.violation_count == 0 and self.checked > 0


@dataclass(frozen=True)
class BoardSnapshot:
    """What the sandbox holds after the sync: the logs, the boards' groups and items, and the DB rows.

    ``oplog`` are the applied writes; ``attempts`` every write that reached the emulator,
    refused ones included (empty: the applied writes are all there is to judge).
    """

    oplog: list[OpRecord]
    items_board_id: int
    subitems_board_id: int
    initial_groups: frozenset[str]
    groups: dict[str, str]  # group id -> title, items board
    items: list[ItemRecord]
    subitems: list[ItemRecord]
    staging: list[dict[str, Any]]
    orders: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    attempts: list[OpRecord] = field(default_factory=list)

    @property
    def attempted(self) -> list[OpRecord]:
        """Every attempted write (applied and refused), in the order the emulator saw them."""
        return self.attempts or self.oplog


class OrderingGate:
    """A faulted sandbox sync keeps group -> item -> subitem order and creates everything exactly once."""

    name = "ordering"
    description = (
        "sandbox sync under 429/500/timeout/lost-answer faults: attempted writes keep groups before items "
        "before subitems, unknown outcomes recovered, no duplicates"
    )

    def run(self, ctx: GateContext) -> GateResult:
        """Sync in a sandbox, check the invariants, write ordering.json + timeline.md."""
        orders = int(ctx.options.get("orders") or 200)
        seed = int(ctx.options.get("seed") or 42)
        faults = FaultProfile(**{**asdict(DEFAULT_FAULTS), "seed": seed})
        with open_sandbox(ctx.config, ctx.env_name, orders=orders, seed=seed, faults=faults) as box:
            initial = frozenset(g.id for g in box.boards()[box.items_board_id].groups)
            rounds = box.sync_until_done()
            snap = snapshot(box, initial)
            errors = dict(box.client_errors)
            lost = len(box.emulator.lost_answers)
        unsyncable = expected_unsyncable(ctx.config, snap.staging)
        key_column = ctx.config.environment(ctx.env_name).mapping.items["AAG ORDER NUMBER"].column
        checks = check_ordering(snap, key_column=key_column, unsyncable=unsyncable)
        failed = [c for c in checks if not c.ok]
        folder = ctx.evidence_dir(self.name)
        op_counts = Counter(r.op for r in snap.oplog)
        metrics = {
            "checked": sum(c.checked for c in checks),
            "orders": len(snap.staging),
            "lines": len(snap.lines),
            "rounds": len(rounds),
            "operations": len(snap.oplog),
            **{f"ops_{k}": v for k, v in op_counts.items()},
            "faults_seen_by_client": sum(errors.values()),
            "unsyncable_orders": len(unsyncable),
            "writes_refused": sum(1 for r in snap.attempted if r.outcome is OpOutcome.REFUSED),
            "answers_lost": lost,
            "recoveries": sum(r.adopted for r in rounds),
            "unknown_outcomes": sum(r.unknown for r in rounds),
        }
        payload = {
            "metrics": metrics,
            "faults": asdict(faults),
            "client_errors": errors,
            "rounds": [asdict(r) for r in rounds],
            "checks": [{**asdict(c), "ok": c.ok} for c in checks],
        }
        evidence = [
            write_json(folder / "ordering.json", payload),
            write_text(folder / "timeline.md", timeline(ctx.env_name, snap, rounds, checks, errors)),
        ]
        if failed:
            summary = "; ".join(
                f"{c.name}: {c.violation_count} violation(s), e.g. {_clip(c.violations[0])}"
                if c.violations
                else f"{c.name}: nothing checked"
                for c in failed
            )
        else:
            summary = (
                f"{len(snap.staging)} orders, {len(snap.lines)} lines synced in {len(rounds)} run(s) through "
                f"{sum(errors.values())} injected faults, {lost} answer(s) lost and "
                f"{metrics['recoveries']} unknown outcome(s) recovered by look-up; "
                f"{len(snap.attempted)} attempted operations in order, no duplicates"
            )
        result = gate_result(
            ctx, self.name, passed=not failed, summary=summary, metrics=metrics, evidence=evidence
        )
        if not failed and not metrics["recoveries"]:
            return dataclasses.replace(
                result,
                status=GateStatus.INCONCLUSIVE,
                summary=(
                    f"inconclusive: no unknown-outcome recovery happened ({lost} answer(s) lost, "
                    f"{metrics['unknown_outcomes']} unknown outcome(s)); the recovery path was not "
                    f"exercised, raise --orders or change the seed ({summary})"
                ),
            )
        return result


def snapshot(box: Sandbox, initial_groups: Iterable[str]) -> BoardSnapshot:
    """Read the sandbox's final state with faults switched off."""
    box.quiet()
    boards = box.boards()
    return BoardSnapshot(
        oplog=box.emulator.operation_log,
        attempts=box.emulator.attempted_operations,
        items_board_id=box.items_board_id,
        subitems_board_id=box.subitems_board_id,
        initial_groups=frozenset(initial_groups),
        groups={g.id: g.title for g in boards[box.items_board_id].groups},
        items=box.items(box.items_board_id),
        subitems=box.items(box.subitems_board_id),
        staging=box.rows(box.tables.staging),
        orders=box.rows(box.tables.target),
        lines=box.rows(box.tables.lines),
    )


def expected_unsyncable(config: Config, staging: Iterable[Mapping[str, Any]]) -> set[str]:
    """Order numbers that can have no group (both naming rules empty): they must end as ERROR, not SYNCED."""
    return {str(r["AAG ORDER NUMBER"]) for r in staging if group_name(config.groups, r) == config.groups.sentinel}


def check_ordering(snap: BoardSnapshot, *, key_column: str, unsyncable: set[str] | None = None) -> list[OrderingCheck]:
    """Every ordering invariant over a snapshot; each check lists its first violations."""
    unsyncable = unsyncable or set()
    return [
        _groups_before_items(snap),
        _items_before_subitems(snap),
        _unique_group_titles(snap),
        _one_item_per_order(snap, key_column),
        _one_subitem_per_line(snap),
        _orders_synced(snap, key_column, unsyncable),
        _lines_synced(snap, unsyncable),
    ]


def _check(name: str, checked: int, violations: Sequence[str]) -> OrderingCheck:
    return OrderingCheck(name, checked, list(violations[:MAX_VIOLATIONS]), len(violations))


def _groups_before_items(snap: BoardSnapshot) -> OrderingCheck:
    """Every attempted create_item (applied or refused) into a non-initial group after its create_group."""
    board = str(snap.items_board_id)
    created = {
        r.group_id: r.seq for r in snap.oplog if r.op == "create_group" and r.board_id == board
    }
    items = [r for r in snap.attempted if r.op == "create_item" and r.board_id == board]
    bad = []
    for r in items:
        title = snap.groups.get(r.group_id or "", r.group_id)
        what = f"item {r.item_id or repr(r.item_name)} (seq {r.seq}{_refusal(r)})"
        if r.group_id in snap.initial_groups:
            continue
        if r.group_id not in created:
            bad.append(f"{what} was sent into group {title!r} before any create_group made it")
        elif created[r.group_id] > r.seq:
            bad.append(f"{what} was sent into group {title!r} created later (seq {created[r.group_id]})")
    return _check("groups before items", len(items), bad)


def _items_before_subitems(snap: BoardSnapshot) -> OrderingCheck:
    """Every attempted create_subitem after the applied create_item of its parent."""
    created = {r.item_id: r.seq for r in snap.oplog if r.op == "create_item"}
    subs = [r for r in snap.attempted if r.op == "create_subitem"]
    bad = [
        f"subitem {r.item_id or repr(r.item_name)} (seq {r.seq}{_refusal(r)}) under item {r.parent_item_id}, "
        + (
            "which no create_item made"
            if r.parent_item_id not in created
            else f"created later (seq {created[r.parent_item_id]})"
        )
        for r in subs
        if created.get(r.parent_item_id, r.seq + 1) > r.seq
    ]
    return _check("items before subitems", len(subs), bad)


def _refusal(record: OpRecord) -> str:
    return f", refused: {record.error_code}" if record.outcome is OpOutcome.REFUSED else ""


def _unique_group_titles(snap: BoardSnapshot) -> OrderingCheck:
    counts = Counter(snap.groups.values())
    return _check(
        "no duplicate group titles",
        len(snap.groups),
        [f"group title {t!r} is on the board {n} times" for t, n in sorted(counts.items()) if n > 1],
    )


def _one_item_per_order(snap: BoardSnapshot, key_column: str) -> OrderingCheck:
    by_order: dict[str, list[int]] = defaultdict(list)
    for item in snap.items:
        cell = item.values.get(key_column)
        by_order[(cell.text or "").strip() if cell else ""].append(item.id)
    bad = [f"order {order!r} has {len(ids)} items: {ids}" for order, ids in sorted(by_order.items()) if len(ids) > 1]
    return _check("one item per order number", len(snap.items), bad)


def _one_subitem_per_line(snap: BoardSnapshot) -> OrderingCheck:
    by_line = Counter((s.parent_id, s.name) for s in snap.subitems)
    bad = [
        f"item {parent} has {n} subitems named {name!r}"
        for (parent, name), n in sorted(by_line.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))
        if n > 1
    ]
    return _check("one subitem per line", len(snap.subitems), bad)


def _orders_synced(snap: BoardSnapshot, key_column: str, unsyncable: set[str]) -> OrderingCheck:
    items = {i.id: i for i in snap.items}
    target = {str(o["AAG ORDER NUMBER"]): o for o in snap.orders}
    bad = []
    for row in snap.staging:
        order = str(row["AAG ORDER NUMBER"])
        fact = target.get(order)
        if fact is None:
            bad.append(f"order {order} never reached {'the target table'}")
            continue
        state, item_id, message = fact["sync_state"], fact["monday_item_id"], fact["sync_error_message"]
        if order in unsyncable:
            if state != SyncState.ERROR.value or not message:
                bad.append(f"order {order} has no group name but is {state} without an error message")
            continue
        if state != SyncState.SYNCED.value or item_id is None:
            bad.append(f"order {order} is {state} ({message or 'no message'})")
            continue
        item = items.get(int(item_id))
        cell = item.values.get(key_column) if item else None
        if item is None:
            bad.append(f"order {order} points at item {item_id}, which is not on the board")
        elif cell is None or (cell.text or "").strip() != order:
            bad.append(f"item {item_id} of order {order} holds order number {cell.text if cell else None!r}")
        elif snap.groups.get(item.group_id or "") != fact["group_name"]:
            bad.append(
                f"item {item_id} of order {order} is in group {snap.groups.get(item.group_id or '')!r}, "
                f"not {fact['group_name']!r}"
            )
    return _check("every order synced", len(snap.staging), bad)


def _lines_synced(snap: BoardSnapshot, unsyncable: set[str]) -> OrderingCheck:
    parents = {str(o["record_uuid"]): o for o in snap.orders}
    subs = {s.id: s for s in snap.subitems}
    wanted = [line for line in snap.lines if int(line["qty"] or 0) > 0]
    bad = []
    for line in wanted:
        order = parents.get(str(line["record_uuid"]), {})
        number = str(order.get("AAG ORDER NUMBER"))
        if number in unsyncable:
            continue
        sid = line["monday_subitem_id"]
        if line["sync_state"] != SyncState.SYNCED.value or sid is None:
            bad.append(
                f"order {number} size {line['size_code']} is {line['sync_state']} "
                f"({line['sync_error_message'] or 'no message'})"
            )
        elif int(sid) not in subs:
            bad.append(f"order {number} size {line['size_code']}: subitem {sid} is not on the board")
        elif subs[int(sid)].parent_id != order.get("monday_item_id"):
            bad.append(
                f"order {number} size {line['size_code']}: subitem {sid} hangs under "
                f"{subs[int(sid)].parent_id}, not {order.get('monday_item_id')}"
            )
    return _check("every line synced", len(wanted), bad)


def _clip(text: str, limit: int = 200) -> str:
    """Keep summaries readable; the evidence file has the full message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
