"""Pure row -> monday encoding: names, groups and column values, with per-row problems.

Values are encoded by the board's real column type (read from the board at the start of a
run), not by the DB type: a DATE becomes ``{"date": …}``, a price becomes a number, a
season becomes a dropdown label. Nothing here does I/O, so the planner, the data gate
and the tests share exactly the rules the engine applies.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sync.config import ColumnMapping, GroupNaming
from sync.errors import RecordError
from sync.monday.models import BoardInfo
from sync.monday.values import encode_value

__all__ = [
    "BUSINESS_KEY",
    "BoardColumns",
    "EncodedRow",
    "encode_columns",
    "group_name",
    "render_name",
]

_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")
LABEL_TYPES = ("dropdown", "status")
#: The business key: never cut when an item name is shortened.
BUSINESS_KEY = "AAG ORDER NUMBER"


@dataclass
class BoardColumns:
    """A board's columns by id, with the label set of each dropdown/status column (mutable: grows)."""

    types: dict[str, str]
    titles: dict[str, str]
    labels: dict[str, set[str]]

    @classmethod
    def from_board(cls, board: BoardInfo) -> BoardColumns:
        """Read types, titles and existing labels from a board answer."""
        types, titles, labels = {}, {}, {}
        for col in board.columns:
            types[col.id] = col.type
            titles[col.id] = col.title
            if col.type in LABEL_TYPES:
                labels[col.id] = _label_names(col.settings)
        return cls(types, titles, labels)


def _label_names(settings: Mapping[str, Any]) -> set[str]:
    raw = settings.get("labels") or []
    if isinstance(raw, dict):  # status: {"0": "Working on it", ...}
        return {str(v) for v in raw.values() if v}
    names = set()
    for label in raw:
        if isinstance(label, dict):
            name = label.get("name") or label.get("label")
            if name:
                names.add(str(name))
        elif label:
            names.add(str(label))
    return names


@dataclass
class EncodedRow:
    """The column values for one item or subitem, plus what went wrong and what labels it needs."""

    values: dict[str, object] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    needs_new_labels: bool = False


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def render_name(
    template: str, row: Mapping[str, Any], max_length: int, *, keep: tuple[str, ...] = (BUSINESS_KEY,)
) -> tuple[str, str | None]:
    """Fill ``{COLUMN}`` placeholders (empty ones dropped); shorten deterministically with a warning.

    The truncation rule: the placeholders named in ``keep`` (the business key, ``AAG ORDER
    NUMBER``) and the template's literal text are never cut. When the name is longer than
    ``max_length``, the other placeholder values are shortened from their end, each ending in
    ``…``, starting with the last one before the key (the variable middle part, e.g. the colour
    description), then the one before it, until the name fits. Only when the kept parts alone
    are longer than ``max_length`` is the name cut at its end.
    """
    values = {name: _text(row.get(name)) for name in _PLACEHOLDER.findall(template)}
    name = _fill(template, values)
    if len(name) <= max_length:
        return name, None
    for column in reversed([c for c in dict.fromkeys(_PLACEHOLDER.findall(template)) if c not in keep]):
        value = values[column]
        if not value:
            continue
        over = len(name) - max_length
        values[column] = value[: max(len(value) - over - 1, 0)].rstrip() + "…" if over < len(value) else ""
        name = _fill(template, values)
        if len(name) <= max_length:
            break
    if len(name) > max_length:
        name = name[: max_length - 1].rstrip() + "…"
    full = len(_fill(template, {c: _text(row.get(c)) for c in values}))
    return name, (f"item name was {full} characters; truncated to {max_length}, {' and '.join(keep)} kept whole")


def _text(value: object) -> str:
    return str(value).strip() if _present(value) else ""


def _fill(template: str, values: Mapping[str, str]) -> str:
    return " ".join(_PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template).split())


def group_name(naming: GroupNaming, row: Mapping[str, Any]) -> str:
    """``CUSTOMER NAME + sep + CUSTOMER SEASON``, else the fallback columns, else the sentinel."""
    for columns in (naming.columns, naming.fallback_columns):
        values = [row.get(c) for c in columns]
        if all(_present(v) for v in values):
            return naming.separator.join(str(v).strip() for v in values)
    return naming.sentinel


def encode_columns(
    row: Mapping[str, Any], mapping: Mapping[str, ColumnMapping], board: BoardColumns, *, describe: str
) -> EncodedRow:
    """Encode every mapped DB column of ``row``; each failure names the order, column and value."""
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
        encoded, error = _encode_cached(column_type, target.column, value)
        if error is not None:
            where = f"{describe}: column {db_column!r} -> {target.column}"
            out.problems.append(f"{where}: value {value!r} cannot be written to a {column_type} column ({error})")
            continue
        if encoded is None:
            continue
        if column_type in LABEL_TYPES:
            label = str(value).strip()
            if label not in board.labels.get(target.column, ()) and not _label_ok(
                label, target, board, out, f"{describe}: column {db_column!r} -> {target.column}"
            ):
                continue
        out.values[target.column] = encoded
    return out


#: Distinct values remembered per board column: enough for seasons, customers and prices,
#: and a bound, so a column of unique values (PO numbers) costs at most this much memory.
ENCODE_CACHE_PER_COLUMN = 4096
_EXACT_KEYS = (str, int, date)
_encode_cache: dict[tuple[str, str], dict[object, tuple[object | None, str | None]]] = {}


def _encode_cached(column_type: str, column_id: str, value: object) -> tuple[object | None, str | None]:
    """``encode_value`` memoised per (type, column): (encoded, None) or (None, the error text).

    The key keeps what equality would blur: ``Decimal('1.10') == Decimal('1.1')`` and
    ``True == 1`` encode differently, so anything but str/int/date is keyed by its repr.
    A cached dict or list answer is copied, so no caller can change another's value.
    """
    cache = _encode_cache.setdefault((column_type, column_id), {})
    key: object = (value.__class__, value) if value.__class__ in _EXACT_KEYS else (value.__class__, repr(value))
    hit = cache.get(key)
    if hit is None:
        try:
            hit = (encode_value(column_type, value, column_id=column_id), None)
        except RecordError as exc:
            hit = (None, str(exc))
        if len(cache) < ENCODE_CACHE_PER_COLUMN:
            cache[key] = hit
    encoded, error = hit
    return (_fresh(encoded), error) if isinstance(encoded, dict | list) else hit


def _fresh(value: object) -> object:
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value


def _label_ok(label: str, target: ColumnMapping, board: BoardColumns, out: EncodedRow, where: str) -> bool:
    known = board.labels.setdefault(target.column, set())
    if label in known:
        return True
    if target.create_labels_if_missing:
        out.needs_new_labels = True
        return True
    out.problems.append(
        f"{where}: label {label!r} does not exist on the board and label creation is not allowed for this column"
    )
    return False
