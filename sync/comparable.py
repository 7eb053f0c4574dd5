"""Column values in a comparable form per monday column type, for reconciling the DB with a board.

The engine sends encoded values (``{"date": "2025-10-01"}``, ``{"labels": [...]}``) and
monday answers with ``text`` plus a JSON ``value`` that holds label ids; both sides are
brought to one form per type (numbers by value, labels as sets of names, dates as ISO
days) so that only real differences count as mismatches.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sync.monday.models import ColumnValueRecord

__all__ = ["LABEL_TYPES", "comparable_cell", "comparable_encoded", "comparable_plain", "shown"]

LABEL_TYPES = ("dropdown", "status", "color")


def comparable_encoded(column_type: str, value: object, labels: Mapping[str, str]) -> object:
    """What the engine sends for a column, in the comparable form of its type."""
    if column_type == "numbers":
        return _number(value)
    if column_type == "date":
        return _blank(value.get("date") if isinstance(value, Mapping) else str(value)[:10])
    if column_type == "long_text":
        return _blank(value.get("text") if isinstance(value, Mapping) else value)
    if column_type == "dropdown":
        names = value.get("labels") if isinstance(value, Mapping) else [value]
        return _label_set(str(n) for n in names or [])
    if column_type in ("status", "color"):
        if isinstance(value, Mapping) and "index" in value:
            return _label_set([labels.get(str(value["index"]), str(value["index"]))])
        return _label_set([str(value.get("label") if isinstance(value, Mapping) else value)])
    if column_type == "checkbox":
        return value is not None
    return _blank(value)


def comparable_plain(column_type: str, value: object) -> object:
    """A DB value that could not be encoded, in the same comparable form (so it still differs visibly)."""
    if column_type in LABEL_TYPES:
        return _label_set([str(value)])
    if column_type == "date" and isinstance(value, date | datetime):
        return value.isoformat()[:10]
    return _blank(value)


def comparable_cell(column_type: str, cell: ColumnValueRecord | None, labels: Mapping[str, str]) -> object:
    """What the board holds, in the comparable form of the column type."""
    text = (cell.text or "").strip() if cell else ""
    raw = _json(cell.value) if cell else None
    if column_type == "numbers":
        return _number(text or (raw if isinstance(raw, str | int | float) else None))
    if column_type == "date":
        day = raw.get("date") if isinstance(raw, Mapping) else None
        return _blank(day or text[:10])
    if column_type == "dropdown":
        ids = raw.get("ids") if isinstance(raw, Mapping) else None
        if isinstance(ids, list) and ids and all(str(i) in labels for i in ids):
            return _label_set(labels[str(i)] for i in ids)
        return _label_set(text.split(", ")) if text else None
    if column_type in ("status", "color"):
        if not text and isinstance(raw, Mapping) and raw.get("index") is not None:
            return _label_set([labels.get(str(raw["index"]), str(raw["index"]))])
        return _label_set([text])
    if column_type == "checkbox":
        return bool(isinstance(raw, Mapping) and str(raw.get("checked")).lower() == "true") or text == "v"
    return _blank(text)


def _number(value: object) -> object:
    """Numbers compare by value (``"1.5000"`` equals ``"1.5"``); unparsable text compares as text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return Decimal(str(value).strip()).normalize()
    except InvalidOperation:
        return str(value).strip()


def _label_set(names: Iterable[str]) -> frozenset[str] | None:
    clean = frozenset(n.strip() for n in names if n and n.strip())
    return clean or None


def _blank(value: object) -> str | None:
    text = "" if value is None else str(value).strip()
    return text or None


def _json(raw: str | None) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def shown(value: object) -> str | None:
    """A comparable value as an operator reads it."""
    if value is None:
        return None
    if isinstance(value, frozenset):
        return ", ".join(sorted(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "checked" if value else "unchecked"
    return str(value)
