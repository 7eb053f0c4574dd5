"""Label probes for the dropdown-population gate: values the board's label columns do not have yet.

A sandbox built from generated orders only holds values the boards already know, so a sync
that creates labels everywhere would pass unnoticed. :func:`plant_probes` writes, before the
sync, into the sandbox's staging rows (one probe per order, so a refusal has one cause):

* for every mapped label column (dropdown/status) with ``create_labels_if_missing = false``,
  ``FORBIDDEN_PER_COLUMN`` orders get a value missing from its labels: each must end ``ERROR``
  with a message naming the value, stay off the board, and no label may appear;
* for every mapped label column that allows creation, one order gets a missing value: the
  label must be created and that order's item must show it.

:func:`probe_checks` judges both after the sync.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from sync.config import Config
from sync.mapping import LABEL_TYPES, BoardColumns, group_name
from sync.monday.models import BoardInfo, ItemRecord
from sync.states import SyncState
from validation.gates.checks import Check
from validation.gates.sandbox import Sandbox

__all__ = ["FORBIDDEN_PER_COLUMN", "LabelProbe", "plant_probes", "probe_checks"]

FORBIDDEN_PER_COLUMN = 2
KEY = "AAG ORDER NUMBER"


@dataclass(frozen=True)
class LabelProbe:
    """One staging value planted in one order: missing from ``column_id``'s labels before the sync."""

    db_column: str
    column_id: str
    allowed: bool
    order: str
    record_uuid: str
    value: str


def plant_probes(box: Sandbox, config: Config, env_name: str, board: BoardInfo) -> list[LabelProbe]:
    """Write the probe values into staging (one order each) and return them."""
    env = config.environment(env_name)
    known = BoardColumns.from_board(board)
    columns = [
        (db_column, m)
        for db_column, m in env.mapping.items.items()
        if known.types.get(m.column) in LABEL_TYPES and db_column != KEY
    ]
    rows = [
        r for r in box.rows(box.tables.staging) if r.get(KEY) and group_name(config.groups, r) != config.groups.sentinel
    ]
    probes: list[LabelProbe] = []
    for db_column, m in columns:
        for n in range(1 if m.create_labels_if_missing else FORBIDDEN_PER_COLUMN):
            if len(probes) >= len(rows):
                raise LookupError(f"too few orders for {len(probes) + 1} label probes; raise --orders")
            row = rows[len(probes)]
            value = f"GATE PROBE {db_column} {n + 1}"
            if value in known.labels.get(m.column, set()):
                raise LookupError(f"probe value {value!r} is already a label of {m.column}")
            probes.append(
                LabelProbe(
                    db_column, m.column, m.create_labels_if_missing, str(row[KEY]), str(row["record_uuid"]), value
                )
            )
    staging = box.tables.staging
    with box.db.begin() as conn:
        for p in probes:
            conn.execute(
                sa.update(staging).where(staging.c.record_uuid == p.record_uuid).values({p.db_column: p.value})
            )
    return probes


def probe_checks(
    probes: Sequence[LabelProbe],
    after: BoardInfo,
    fact: Sequence[Mapping[str, Any]],
    items: Sequence[ItemRecord],
    key_column: str,
) -> list[Check]:
    """Forbidden probes refused row by row with no label created; allowed probes created and shown."""
    labels = BoardColumns.from_board(after).labels
    rows = {str(r["record_uuid"]): r for r in fact}
    on_board: dict[str, ItemRecord] = {}
    for item in items:
        cell = item.values.get(key_column)
        on_board[(cell.text or "").strip() if cell else ""] = item
    refused: list[str] = []
    created: list[str] = []
    for p in probes:
        row = rows.get(p.record_uuid, {})
        state, message = row.get("sync_state"), str(row.get("sync_error_message") or "")
        where = f"order {p.order}: {p.db_column} value {p.value!r} (not a label of {p.column_id}"
        has_label = p.value in labels.get(p.column_id, set())
        if not p.allowed:
            where += ", creation forbidden)"
            if state != SyncState.ERROR.value:
                refused.append(f"{where} was not rejected: the order is {state}")
            elif p.value not in message:
                refused.append(f"{where} is ERROR but its message does not name the value: {message!r}")
            if p.order in on_board:
                refused.append(f"{where} reached the board as item {on_board[p.order].id}")
            if has_label:
                refused.append(f"{where}: the label was created in {p.column_id}")
            continue
        where += ", creation allowed)"
        shown = on_board.get(p.order)
        cell = shown.values.get(p.column_id) if shown else None
        if not has_label:
            created.append(f"{where}: no label {p.value!r} was created in {p.column_id}")
        if shown is None:
            created.append(f"{where}: the order is not on the board ({state}: {message or 'no message'})")
        elif (cell.text if cell else "") != p.value:
            created.append(f"{where}: item {shown.id} shows {cell.text if cell else None!r}")
    out = []
    forbidden = [p for p in probes if not p.allowed]
    allowed = [p for p in probes if p.allowed]
    if forbidden:
        out.append(Check.of("missing labels rejected where creation is forbidden", len(forbidden), refused))
    if allowed:
        out.append(Check.of("missing labels created where creation is allowed", len(allowed), created))
    return out
