"""The row-by-row planner as it was before the column-wise one: the oracle of test_plan_equivalence.

A verbatim copy of ``plan_items`` / ``plan_subitems`` / ``encode_columns`` (commit 48071cb), with
``encode_value`` called directly (no memo), so the fast planner is compared with the plain rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sync.config import ColumnMapping, Config, EnvironmentConfig
from sync.engine.plan import ITEM_SYNC_COLUMNS, LINE_SYNC_COLUMNS, ItemOp, RowReject, SubitemOp
from sync.errors import RecordError
from sync.mapping import LABEL_TYPES, BoardColumns, EncodedRow, group_name, render_name
from sync.monday.values import encode_value
from sync.quantities import describe_invalid, invalid_sizes, size_keys
from sync.states import ActionType


def encode_columns(
    row: Mapping[str, Any], mapping: Mapping[str, ColumnMapping], board: BoardColumns, *, describe: str
) -> EncodedRow:
    out = EncodedRow()
    for db_column, target in mapping.items():
        value = row.get(db_column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        column_type = board.types.get(target.column)
        if column_type is None:
            out.problems.append(
                f"{describe}: column {db_column!r} -> {target.column}: column does not exist on the board"
            )
            continue
        try:
            encoded, error = encode_value(column_type, value, column_id=target.column), None
        except RecordError as exc:
            encoded, error = None, str(exc)
        if error is not None:
            where = f"{describe}: column {db_column!r} -> {target.column}"
            out.problems.append(f"{where}: value {value!r} cannot be written to a {column_type} column ({error})")
            continue
        if encoded is None:
            continue
        if column_type in LABEL_TYPES:
            label = str(value).strip()
            known = board.labels.setdefault(target.column, set())
            if label not in known:
                if not target.create_labels_if_missing:
                    out.problems.append(
                        f"{describe}: column {db_column!r} -> {target.column}: label {label!r} does not exist on "
                        "the board and label creation is not allowed for this column"
                    )
                    continue
                out.needs_new_labels = True
        out.values[target.column] = encoded
    return out


def plan_items(
    config: Config, env: EnvironmentConfig, headers: Iterable[Mapping[str, Any]], board: BoardColumns
) -> tuple[list[ItemOp], list[RowReject], list[str]]:
    ops: list[ItemOp] = []
    rejects: list[RowReject] = []
    warnings: list[str] = []
    sizes: tuple[str, ...] | None = None
    for row in headers:
        order = str(row["AAG ORDER NUMBER"])
        describe = f"order {order}"
        gname = group_name(config.groups, row)
        problems = []
        if sizes is None:
            sizes = size_keys(row, config.sizes.start_after, config.sizes.end_before)
        bad_sizes = invalid_sizes(row, sizes)
        if bad_sizes:
            problems.append(describe_invalid(order, bad_sizes))
        if gname == config.groups.sentinel or not gname.strip():
            problems.append(
                f"{describe}: no group name ({' + '.join(config.groups.columns)} and the fallback "
                f"{' + '.join(config.groups.fallback_columns)} are empty); the sentinel {config.groups.sentinel!r} "
                "is never created"
            )
        elif len(gname) > 255:
            problems.append(f"{describe}: group name is {len(gname)} characters; monday allows 255")
        name, warning = render_name(config.items.name_template, row, config.items.max_length)
        if warning:
            warnings.append(f"{describe}: {warning}")
        if not name:
            name = order[: config.items.max_length]
        encoded = encode_columns(row, env.mapping.items, board, describe=describe)
        problems += encoded.problems
        if problems:
            rejects.append(RowReject("ITEM", str(row["record_uuid"]), order, "; ".join(problems)))
            continue
        ops.append(
            ItemOp(
                record_uuid=str(row["record_uuid"]),
                order_number=order,
                customer=str(row.get("CUSTOMER NAME") or ""),
                name=name,
                group_name=gname,
                values=encoded.values,
                create_labels=encoded.needs_new_labels,
                item_id=int(row["monday_item_id"]) if row.get("monday_item_id") is not None else None,
                before={c: row.get(c) for c in ITEM_SYNC_COLUMNS},
            )
        )
    return ops, rejects, warnings


def plan_subitems(
    config: Config, env: EnvironmentConfig, lines: Iterable[Mapping[str, Any]], board: BoardColumns
) -> tuple[list[SubitemOp], list[RowReject]]:
    ops: list[SubitemOp] = []
    rejects: list[RowReject] = []
    for line in lines:
        order = str(line["order_number"])
        describe = f"order {order} size {line['size_code']}"
        subitem_id = line.get("monday_subitem_id")
        action = str(line.get("action_type") or ActionType.INSERT.value)
        if subitem_id is None:
            if int(line["qty"]) <= 0:
                continue
            action = ActionType.INSERT.value
        encoded = encode_columns(line, env.mapping.subitems, board, describe=describe)
        if encoded.problems and action != ActionType.DELETE.value:
            rejects.append(RowReject("SUBITEM", str(line["line_uuid"]), order, "; ".join(encoded.problems)))
            continue
        name, _ = render_name(config.items.subitem_name_template, line, config.items.max_length)
        if int(line["qty"]) <= 0 and env.mapping.subitems:
            qty_columns = [m.column for c, m in env.mapping.subitems.items() if c == "qty"]
            for column in qty_columns:
                encoded.values[column] = "0"
        ops.append(
            SubitemOp(
                line_uuid=str(line["line_uuid"]),
                record_uuid=str(line["record_uuid"]),
                order_number=order,
                parent_item_id=int(line["parent_item_id"]),
                action=action,
                name=name or f"Size {line['size_code']}",
                values=encoded.values,
                create_labels=encoded.needs_new_labels,
                subitem_id=int(subitem_id) if subitem_id is not None else None,
                before={c: line.get(c) for c in LINE_SYNC_COLUMNS},
            )
        )
    return ops, rejects
