"""Pure row -> monday encoding: names, groups and column values, with per-row problems.

Values are encoded by the board's real column type (read from the board at the start of a
run), not by the DB type: a DATE becomes ``{"date": …}``, a price becomes a number, a
season becomes a dropdown label. Nothing here does I/O, so the planner, the data gate
and the tests share exactly the rules the engine applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache, partial
from operator import itemgetter
from typing import Any

from sync.column_tokens import fast_column
from sync.config import ColumnMapping, GroupNaming
from sync.errors import RecordError
from sync.monday.models import BoardInfo
from sync.monday.values import encode_value

__all__ = [
    "BUSINESS_KEY",
    "BoardColumns",
    "EncodedRow",
    "encode_columns",
    "encode_rows",
    "group_name",
    "render_name",
    "template_columns",
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
    pieces = _pieces(template)
    values = {name: _text(row.get(name)) for name in pieces[1::2]}
    name = _fill(template, values)
    if len(name) <= max_length:
        return name, None
    for column in reversed([c for c in dict.fromkeys(pieces[1::2]) if c not in keep]):
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


def template_columns(template: str) -> tuple[str, ...]:
    """The columns a name template's ``{COLUMN}`` placeholders read, in order."""
    return _pieces(template)[1::2]


@lru_cache(maxsize=64)
def _pieces(template: str) -> tuple[str, ...]:
    """``template`` split once: literal, placeholder, literal, … (placeholders at the odd places)."""
    return tuple(_PLACEHOLDER.split(template))


def _text(value: object) -> str:
    return str(value).strip() if _present(value) else ""


def _fill(template: str, values: Mapping[str, str]) -> str:
    pieces = _pieces(template)
    text = "".join(p if i % 2 == 0 else values.get(p, "") for i, p in enumerate(pieces))
    return " ".join(text.split())


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
    return encode_rows([row], mapping, board, [describe])[0]


def encode_rows(
    rows: Sequence[Mapping[str, Any]],
    mapping: Mapping[str, ColumnMapping],
    board: BoardColumns,
    describes: Sequence[str],
) -> list[EncodedRow]:
    """:func:`encode_columns` for a chunk, set-based: each distinct value of a mapped column is judged once.

    Per mapped column, a column of plain values the board accepts as they are takes the fast
    path (:mod:`sync.column_tokens`); otherwise the chunk's distinct values are encoded and
    label-checked once (a :class:`_Cell` each); every row then picks its value's outcome (a fresh copy of a dict/list
    answer). Only the rows of a column whose value failed or needs a new label are walked one by
    one, to name them (``describes``, one per row) in their problem.
    """
    out = [EncodedRow() for _ in rows]
    column_ids: list[str] = []
    columns: list[list[object]] = []
    for db_column, target in mapping.items():
        raw = _column_values(rows, db_column)
        keys = _value_keys(raw)
        distinct = dict(zip(keys, raw, strict=True))
        fast = fast_column(
            board.types.get(target.column),
            keys,
            distinct,
            board.labels.get(target.column),
            may_create=_may_create_label(target),
        )
        if fast is not None:
            if fast.new_label is not None:
                for encoded_row, flag in zip(out, fast.new_label, strict=True):
                    encoded_row.needs_new_labels |= flag
            columns.append(fast.values)
            column_ids.append(target.column)
            continue
        cells = {key: _cell(db_column, target, board, value) for key, value in distinct.items()}
        picked = list(map(cells.__getitem__, keys))
        if any(c.problem is not None or c.new_label for c in cells.values()):
            for encoded_row, describe, cell in zip(out, describes, picked, strict=True):
                if cell.problem is not None:
                    encoded_row.problems.append(f"{describe}: {cell.problem}")
                elif cell.new_label:
                    encoded_row.needs_new_labels = True
        columns.append(_per_row(cells.values(), picked))
        column_ids.append(target.column)
    if columns:
        for encoded_row, values in zip(out, zip(*columns, strict=True), strict=True):
            encoded_row.values = {column: v for column, v in zip(column_ids, values, strict=True) if v is not None}
    return out


#: Classes whose equality is exact enough to key an encoding by the value itself.
_EXACT_KEYS = (str, int, date)
_SELF_KEYED = frozenset(_EXACT_KEYS)


def _column_values(rows: Sequence[Mapping[str, Any]], db_column: str) -> list[Any]:
    try:
        return list(map(itemgetter(db_column), rows))
    except KeyError:  # a mapped column this read did not select: empty, as for ``row.get``
        return [row.get(db_column) for row in rows]


def _value_keys(raw: list[Any]) -> list[Any]:
    """A key per value that keeps apart what encodes differently.

    ``Decimal('1.10') == Decimal('1.1')`` and ``True == 1`` (and ``1 == 1.0``), so values are
    their own key only when the column holds one exact class of str, int or date; a column of
    Decimals is keyed by their text (which keeps the scale); anything else by (class, repr).
    """
    kinds = set(map(type, raw))
    kinds.discard(type(None))
    if len(kinds) <= 1 and kinds <= _SELF_KEYED:
        return raw
    if kinds == {Decimal}:
        return list(map(str, raw))  # None -> 'None', which no Decimal prints as
    return [(v.__class__, v) if v.__class__ in _EXACT_KEYS else (v.__class__, repr(v)) for v in raw]


def _per_row(cells: Collection[_Cell], picked: list[_Cell]) -> list[object]:
    """The column's answer per row, each row its own dict/list: the first row of a value takes it, later ones copies."""
    encoded = [c.encoded for c in picked]
    if len(cells) == len(picked) or not any(isinstance(c.encoded, dict | list) for c in cells):
        return encoded
    copiers: dict[int, Callable[[], object]] = {}
    for i, value in enumerate(encoded):
        if isinstance(value, dict | list):
            copier = copiers.get(id(value))
            if copier is None:
                copiers[id(value)] = _copier(value)
            else:
                encoded[i] = copier()
    return encoded


def _copier(value: dict[Any, Any] | list[Any]) -> Callable[[], object]:
    """A fast maker of fresh copies of ``value``: flat ones are copied flat, ``{"labels": [...]}`` one level down."""
    nested = [v for v in (value.values() if isinstance(value, dict) else value) if isinstance(v, dict | list)]
    if not nested:
        return value.copy
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if isinstance(inner, list) and not any(isinstance(v, dict | list) for v in inner):
            return lambda: {key: inner.copy()}
    return partial(_fresh, value)


@dataclass(frozen=True, slots=True)
class _Cell:
    """What one distinct value of one mapped column becomes: a value to send, nothing, or a problem."""

    encoded: object | None = None
    new_label: bool = False
    problem: str | None = None  # without the row's ``describe`` prefix


_NOTHING = _Cell()


def _cell(db_column: str, target: ColumnMapping, board: BoardColumns, value: object) -> _Cell:
    if value is None or (isinstance(value, str) and not value.strip()):
        return _NOTHING
    column_type = board.types.get(target.column)
    if column_type is None:
        return _Cell(problem=f"{_where(db_column, target)}: column does not exist on the board")
    try:
        encoded = encode_value(column_type, value, column_id=target.column)
    except RecordError as exc:
        why = f"value {value!r} cannot be written to a {column_type} column ({exc})"
        return _Cell(problem=f"{_where(db_column, target)}: {why}")
    if encoded is None:
        return _NOTHING
    if column_type in LABEL_TYPES:
        label = str(value).strip()
        if label not in board.labels.setdefault(target.column, set()):
            if not _may_create_label(target):
                return _Cell(
                    problem=f"{_where(db_column, target)}: label {label!r} does not exist on the board and label "
                    "creation is not allowed for this column"
                )
            return _Cell(encoded, new_label=True)
    return _Cell(encoded)


def _may_create_label(target: ColumnMapping) -> bool:
    """Only columns whose mapping says ``create_labels_if_missing`` may get new labels."""
    return target.create_labels_if_missing


def _where(db_column: str, target: ColumnMapping) -> str:
    return f"column {db_column!r} -> {target.column}"


def _fresh(value: object) -> object:
    if isinstance(value, dict):
        return {k: _fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v) for v in value]
    return value
