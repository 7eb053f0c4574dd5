"""Gate ``dropdown-population``: season labels land on the items, and labels appear only where allowed.

The origin marked dropdown population complete without testing it. This gate syncs generated
orders (``ctx.options["orders"]``, default 200; ``seed``) with the environment's mapping in a
sandbox (:mod:`validation.gates.sandbox`: temporary SQLite + in-process emulator seeded with the
environment's boards, never the real board), then reads the items back and proves:

* ``AAG SEASON`` (e.g. "2025 FALL") and ``CUSTOMER SEASON`` are mapped to dropdown columns and
  every synced item shows exactly the DB value; every other mapped dropdown/status column
  (items and subitems) is compared the same way;
* every order and line reached the board (an order refused because a label may not be
  created is a population failure, named with its message);
* labels were created only in columns with ``create_labels_if_missing = true``: the board's
  labels are compared column by column before and after the sync;
* label probes (:mod:`validation.gates.dropdown_probes`): values missing from the labels are
  planted in staging before the sync. In a column where creation is forbidden, each such
  order must be rejected row by row (``ERROR``, its message naming the value, not on the
  board) and no label created; in a column where creation is allowed, the label must be
  created and the item must show it. Generated orders alone only hold known labels, so
  without the probes a sync that creates labels everywhere would pass.

Evidence: ``dropdown.json`` and ``dropdown.md`` (labels per column before/after, value counts
for the season columns, the first mismatches).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sync.config import ColumnMapping, Config
from sync.mapping import LABEL_TYPES, BoardColumns
from sync.monday.models import BoardInfo, ItemRecord
from sync.states import SyncState
from validation.gates.dropdown_probes import plant_probes, probe_checks
from validation.gates.evidence import md_table, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result
from validation.gates.sandbox import open_sandbox

__all__ = [
    "REQUIRED_COLUMNS",
    "ColumnLabels",
    "DropdownCheck",
    "DropdownGate",
    "label_changes",
    "value_checks",
]

#: The DB columns the cutover plan names explicitly; they must be mapped to dropdowns.
REQUIRED_COLUMNS = ("AAG SEASON", "CUSTOMER SEASON")
MAX_VIOLATIONS = 20


@dataclass(frozen=True)
class ColumnLabels:
    """One label column before and after the sync, and whether the mapping allowed new labels."""

    board: str
    column_id: str
    title: str
    db_column: str | None
    allowed: bool
    before: int
    after: int
    created: list[str]

    @property
    def ok(self) -> bool:
        """No label appeared where creation was not allowed."""
        return self.allowed or not self.created


@dataclass(frozen=True)
class DropdownCheck:
    """One value check: a mapped label column compared item by item with the DB."""

    name: str
    checked: int
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0
    values: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Nothing wrong, and something was compared."""
        return self.violation_count == 0 and self.checked > 0


class DropdownGate:
    """Season and other label columns are populated from the DB; labels are created only where allowed."""

    name = "dropdown-population"
    description = (
        "sandbox sync: AAG/CUSTOMER SEASON labels on the items; missing labels rejected row by row where "
        "creation is forbidden, created where allowed"
    )

    def run(self, ctx: GateContext) -> GateResult:
        """Sync in a sandbox, compare labels and values, write dropdown.json + dropdown.md."""
        orders = int(ctx.options.get("orders") or 200)
        seed = int(ctx.options.get("seed") or 42)
        with open_sandbox(ctx.config, ctx.env_name, orders=orders, seed=seed) as box:
            before = box.boards()
            probes = plant_probes(box, ctx.config, ctx.env_name, before[box.items_board_id])
            rounds = box.sync_until_done()
            after = box.boards()
            items, subitems = box.items(box.items_board_id), box.items(box.subitems_board_id)
            fact, lines = box.rows(box.tables.target), box.rows(box.tables.lines)
        env = ctx.config.environment(ctx.env_name)
        sides = {
            "items": (env.monday.board_id, env.mapping.items),
            "subitems": (env.monday.subitem_board_id, env.mapping.subitems),
        }
        labels = label_changes(before, after, sides)
        refused = {p.record_uuid for p in probes if not p.allowed}  # judged by the probe checks instead
        checks = value_checks(
            ctx.config,
            ctx.env_name,
            after,
            items,
            subitems,
            [r for r in fact if str(r["record_uuid"]) not in refused],
            [r for r in lines if str(r["record_uuid"]) not in refused],
        )
        key_column = env.mapping.items["AAG ORDER NUMBER"].column
        verdicts = probe_checks(probes, after[env.monday.board_id], fact, items, key_column)
        bad_probes = [v for v in verdicts if v.violation_count or not v.checked]
        bad_labels = [c for c in labels if not c.ok]
        failed = [c for c in checks if not c.ok]
        metrics = {
            "checked": sum(c.checked for c in checks) + len(labels) + sum(v.checked for v in verdicts),
            "label_probes": len(probes),
            "label_probes_forbidden": len(refused),
            "orders": len(fact),
            "rounds": len(rounds),
            "label_columns": len(labels),
            "labels_created": sum(len(c.created) for c in labels),
            "labels_created_where_forbidden": sum(len(c.created) for c in bad_labels),
            "value_mismatches": sum(c.violation_count for c in checks),
        }
        folder = ctx.evidence_dir(self.name)
        payload = {
            "metrics": metrics,
            "rounds": [asdict(r) for r in rounds],
            "labels": [{**asdict(c), "ok": c.ok} for c in labels],
            "probes": [asdict(p) for p in probes],
            "probe_checks": [{**asdict(v), "ok": not v.violation_count} for v in verdicts],
            "checks": [{**asdict(c), "ok": c.ok} for c in checks],
        }
        evidence = [
            write_json(folder / "dropdown.json", payload),
            write_text(
                folder / "dropdown.md",
                _markdown(ctx.env_name, labels, checks)
                + "\n## Label probes (values missing from the labels, planted in staging)\n\n"
                + md_table(
                    ["column", "DB column", "create allowed", "order", "value"],
                    [(p.column_id, p.db_column, "yes" if p.allowed else "no", p.order, p.value) for p in probes],
                )
                + "\n"
                + md_table(
                    ["ok", "probe check", "probes", "problems", "first problem"],
                    [
                        ("yes" if not v.violation_count else "**NO**", v.name, v.checked, v.violation_count,
                         (v.violations or [""])[0])
                        for v in verdicts
                    ],
                ),
            ),
        ]
        problems = [
            f"labels {c.created[:3]} created in {c.board} column {c.column_id} ({c.title!r}) where "
            "create_labels_if_missing is false"
            for c in bad_labels
        ]
        problems += [
            f"{v.name}: {v.violation_count} problem(s), e.g. {_clip(v.violations[0])}"
            for v in bad_probes
            if v.violations
        ]
        problems += [
            f"{c.name}: {c.violation_count} problem(s), e.g. {_clip(c.violations[0])}"
            if c.violations
            else f"{c.name}: nothing compared"
            for c in failed
        ]
        if problems:
            summary = "; ".join(problems[:5]) + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else "")
        else:
            seasons = next((c for c in checks if c.name.startswith("items 'AAG SEASON'")), None)
            shown = ", ".join(f"{k} x{v}" for k, v in sorted((seasons.values if seasons else {}).items())[:4])
            summary = (
                f"{len(fact)} orders: every label column matches the DB ({shown}, ...); "
                f"{metrics['labels_created']} label(s) created, all in columns that allow it; "
                f"{len(refused)} probe value(s) missing from forbidden columns rejected row by row, "
                f"{len(probes) - len(refused)} missing from allowed columns created"
            )
        return gate_result(ctx, self.name, passed=not problems, summary=summary, metrics=metrics, evidence=evidence)


def label_changes(
    before: Mapping[int, BoardInfo],
    after: Mapping[int, BoardInfo],
    sides: Mapping[str, tuple[int, Mapping[str, ColumnMapping]]],
) -> list[ColumnLabels]:
    """Per label column of each board: labels before, after, which are new, and whether that was allowed."""
    out = []
    for side, (board_id, mapping) in sides.items():
        if board_id not in before or board_id not in after:
            continue
        old, new = BoardColumns.from_board(before[board_id]), BoardColumns.from_board(after[board_id])
        by_column = {m.column: (db, m) for db, m in mapping.items()}
        for column_id in sorted(new.labels):
            db_column, target = by_column.get(column_id, (None, None))
            created = sorted(new.labels[column_id] - old.labels.get(column_id, set()))
            out.append(
                ColumnLabels(
                    side,
                    column_id,
                    new.titles.get(column_id, column_id),
                    db_column,
                    bool(target and target.create_labels_if_missing),
                    len(old.labels.get(column_id, set())),
                    len(new.labels[column_id]),
                    created,
                )
            )
    return out


def value_checks(
    config: Config,
    env_name: str,
    boards: Mapping[int, BoardInfo],
    items: Sequence[ItemRecord],
    subitems: Sequence[ItemRecord],
    fact: Sequence[Mapping[str, Any]],
    lines: Sequence[Mapping[str, Any]],
) -> list[DropdownCheck]:
    """The required season columns first, then every other mapped label column, items and subitems."""
    env = config.environment(env_name)
    items_board = boards.get(env.monday.board_id)
    sub_board = boards.get(env.monday.subitem_board_id)
    types = {c.id: c.type for b in (items_board, sub_board) if b for c in b.columns}
    checks = []
    for db_column in REQUIRED_COLUMNS:
        target = env.mapping.items.get(db_column)
        if target is None:
            checks.append(DropdownCheck(f"items {db_column!r}", 0, [f"{db_column!r} is not mapped"], 1))
        elif types.get(target.column) != "dropdown":
            checks.append(
                DropdownCheck(
                    f"items {db_column!r} -> {target.column}",
                    0,
                    [
                        f"{target.column} is not on the board"
                        if target.column not in types
                        else f"{target.column} is a {types[target.column]} column, not a dropdown"
                    ],
                    1,
                )
            )
    by_id = {i.id: i for i in items}
    sub_by_id = {s.id: s for s in subitems}
    parents = {str(o["record_uuid"]): str(o["AAG ORDER NUMBER"]) for o in fact}
    for side, mapping, rows, id_key, records in (
        ("items", env.mapping.items, fact, "monday_item_id", by_id),
        ("subitems", env.mapping.subitems, lines, "monday_subitem_id", sub_by_id),
    ):
        for db_column, target in mapping.items():
            if types.get(target.column) not in LABEL_TYPES:
                continue
            wanted = rows if side == "items" else [r for r in rows if int(r["qty"] or 0) > 0]
            checks.append(
                _compare(
                    f"{side} {db_column!r} -> {target.column}",
                    db_column,
                    target.column,
                    wanted,
                    id_key,
                    records,
                    parents,
                )
            )
    return checks


def _compare(
    name: str,
    db_column: str,
    column_id: str,
    rows: Sequence[Mapping[str, Any]],
    id_key: str,
    records: Mapping[int, ItemRecord],
    parents: Mapping[str, str],
) -> DropdownCheck:
    bad: list[str] = []
    values: Counter[str] = Counter()
    for row in rows:
        who = f"order {row.get('AAG ORDER NUMBER') or parents.get(str(row.get('record_uuid')), '?')}"
        if "size_code" in row:
            who += f" size {row['size_code']}"
        if row["sync_state"] != SyncState.SYNCED.value or row[id_key] is None:
            bad.append(f"{who} did not reach the board: {row['sync_state']} ({row['sync_error_message']})")
            continue
        record = records.get(int(row[id_key]))
        expected = str(row[db_column]).strip() if row[db_column] is not None else ""
        cell = record.values.get(column_id) if record else None
        shown = (cell.text or "").strip() if cell else ""
        if record is None:
            bad.append(f"{who}: item {row[id_key]} is not on the board")
        elif shown != expected:
            bad.append(f"{who}: board shows {shown!r}, DB has {expected!r}")
        elif expected:
            values[expected] += 1
    return DropdownCheck(name, len(rows), bad[:MAX_VIOLATIONS], len(bad), dict(values))


def _markdown(env_name: str, labels: Sequence[ColumnLabels], checks: Sequence[DropdownCheck]) -> str:
    text = (
        f"# dropdown-population: {env_name}\n\n## Labels per column (before -> after the sync)\n\n"
        + md_table(
            [
                "ok",
                "board",
                "column",
                "title",
                "DB column",
                "create allowed",
                "before",
                "after",
                "created (first 8)",
            ],
            [
                (
                    "yes" if c.ok else "**NO**",
                    c.board,
                    c.column_id,
                    c.title,
                    c.db_column,
                    "yes" if c.allowed else "no",
                    c.before,
                    c.after,
                    ", ".join(c.created[:8]),
                )
                for c in labels
            ],
        )
        + "\n## Values on the board vs the DB\n\n"
        + md_table(
            ["ok", "check", "compared", "problems", "first problem"],
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
    )
    for check in checks:
        if check.values and any(check.name.startswith(f"items {c!r}") for c in REQUIRED_COLUMNS):
            text += f"\n### {check.name}: items per label\n\n" + md_table(
                ["label", "items"], sorted(check.values.items())
            )
    return text


def _clip(text: str, limit: int = 200) -> str:
    """Keep summaries readable; the evidence file has the full message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
