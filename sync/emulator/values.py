"""Column value validation and normalisation, one function per monday column type.

Each encoder takes what a client wrote inside ``column_values`` and returns what
monday would read back (:class:`StoredValue`), or ``None`` to clear the column.
Anything monday rejects raises :class:`ApiError` (``ColumnValueException``), so
client bugs such as a wrong date format or an unknown dropdown label surface
against the emulator exactly as they would in production. Label creation obeys
``create_labels_if_missing``: without it an unknown status/dropdown label fails.
"""

from __future__ import annotations

__all__ = ["MAX_STATUS_LABELS", "READ_ONLY_TYPES", "encode_value"]

import json
import math
from collections.abc import Callable
from datetime import date, time
from typing import Any

from sync.emulator.errors import ApiError, column_value_error
from sync.emulator.model import Column, StoredValue

MAX_STATUS_LABELS = 40
MAX_STATUS_LABEL_CHARS = 30
STATUS_EMPTY_INDEX = 5  # monday's reserved "empty" status label id; never handed out to a new label
READ_ONLY_TYPES = frozenset(
    {"subtasks", "item_id", "auto_number", "creation_log", "last_updated", "formula", "mirror", "name"}
)

Encoder = Callable[[Column, Any, bool, str], "StoredValue | None"]


def encode_value(column: Column, raw: Any, *, create_labels: bool, now_iso: str) -> StoredValue | None:
    """Validate ``raw`` for ``column`` and return the stored value (``None`` clears the column)."""
    if column.type in READ_ONLY_TYPES:
        raise column_value_error(
            f"The column {column.id} ({column.type}) is read-only", column.id, column.type, raw
        )
    if raw is None or raw == "" or raw == {}:
        return None
    encoder = _ENCODERS.get(column.type, _encode_other)
    return encoder(column, raw, create_labels, now_iso)


def _bad(column: Column, raw: Any, why: str) -> ApiError:
    return column_value_error(
        f"invalid value for column {column.id} ({column.type}): {why}", column.id, column.type, raw
    )


def _encode_text(column: Column, raw: Any, _create: bool, _now: str) -> StoredValue:
    if not isinstance(raw, str):
        raise _bad(column, raw, "text columns take a string")
    return StoredValue(json.dumps(raw, ensure_ascii=False), raw)


def _encode_long_text(column: Column, raw: Any, _create: bool, now: str) -> StoredValue | None:
    text = raw.get("text") if isinstance(raw, dict) else raw
    if not isinstance(text, str):
        raise _bad(column, raw, 'long_text takes a string or {"text": "..."}')
    if text == "":
        return None
    return StoredValue(json.dumps({"text": text, "changed_at": now}, ensure_ascii=False), text)


def _encode_numbers(column: Column, raw: Any, _create: bool, _now: str) -> StoredValue:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise _bad(column, raw, "numbers take a number or a numeric string")
    text = raw.strip() if isinstance(raw, str) else repr(raw)
    try:
        number = float(text)
    except ValueError:
        raise _bad(column, raw, f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise _bad(column, raw, "numbers must be finite")
    return StoredValue(json.dumps(text), text)


def _encode_date(column: Column, raw: Any, _create: bool, now: str) -> StoredValue:
    if isinstance(raw, str):
        day, _, clock = raw.strip().partition(" ")
        raw_day, raw_time = day, clock or None
    elif isinstance(raw, dict) and isinstance(raw.get("date"), str):
        raw_day, raw_time = raw["date"], raw.get("time")
    else:
        raise _bad(column, raw, 'date takes {"date": "YYYY-MM-DD", "time": "HH:MM:SS"}')
    try:
        parsed = date.fromisoformat(raw_day)
        parsed_time = time.fromisoformat(raw_time) if raw_time else None
    except (TypeError, ValueError):
        raise _bad(column, raw, "not a valid YYYY-MM-DD date / HH:MM:SS time") from None
    if len(raw_day) != 10:
        raise _bad(column, raw, "date must be YYYY-MM-DD")
    stored: dict[str, Any] = {"date": parsed.isoformat(), "icon": None, "changed_at": now}
    text = parsed.isoformat()
    if parsed_time is not None:
        stored["time"] = parsed_time.strftime("%H:%M:%S")
        text = f"{text} {stored['time']}"
    return StoredValue(json.dumps(stored), text)


def _status_labels(column: Column) -> dict[str, str]:
    labels = column.settings.setdefault("labels", {})
    if not isinstance(labels, dict):
        raise TypeError(f"status column {column.id} has malformed labels")
    return labels


def _encode_status(column: Column, raw: Any, create: bool, now: str) -> StoredValue:
    labels = _status_labels(column)
    index: str | None = None
    if isinstance(raw, dict) and "index" in raw:
        index = str(raw["index"])
    elif isinstance(raw, dict) and isinstance(raw.get("label"), str):
        index = _status_index_for(column, labels, raw["label"], raw, create)
    elif isinstance(raw, str):
        index = raw if raw.isdigit() else _status_index_for(column, labels, raw, raw, create)
    else:
        raise _bad(column, raw, 'status takes {"label": "..."} or {"index": N}')
    if index not in labels:
        raise _bad(column, raw, f"status index {index} does not exist")
    stored = {"index": int(index), "post_id": None, "changed_at": now}
    return StoredValue(json.dumps(stored), labels[index])


def _status_index_for(column: Column, labels: dict[str, str], label: str, raw: Any, create: bool) -> str:
    for index, name in labels.items():
        if name == label:
            return index
    if not create:
        possible = ", ".join(f"{k}: {v}" for k, v in labels.items())
        raise column_value_error(
            f"invalid value - label '{label}' does not exist in column {column.id}; "
            f"possible labels: {{{possible}}}",
            column.id,
            "status",
            raw,
        )
    if len(labels) >= MAX_STATUS_LABELS or len(label) > MAX_STATUS_LABEL_CHARS:
        raise column_value_error(
            f"cannot create status label '{label}' in column {column.id}: at most {MAX_STATUS_LABELS} labels"
            f" of at most {MAX_STATUS_LABEL_CHARS} characters",
            column.id,
            "status",
            raw,
        )
    free = next(i for i in range(MAX_STATUS_LABELS + 1) if str(i) not in labels and i != STATUS_EMPTY_INDEX)
    labels[str(free)] = label
    return str(free)


def _dropdown_labels(column: Column) -> list[dict[str, Any]]:
    labels = column.settings.setdefault("labels", [])
    if not isinstance(labels, list):
        raise TypeError(f"dropdown column {column.id} has malformed labels")
    return labels


def _encode_dropdown(column: Column, raw: Any, create: bool, _now: str) -> StoredValue | None:
    labels = _dropdown_labels(column)
    by_id = {int(label["id"]): str(label["name"]) for label in labels}
    wanted_ids: list[int] = []
    if isinstance(raw, dict) and "ids" in raw:
        ids = raw["ids"] if isinstance(raw["ids"], list) else [raw["ids"]]
        for value in ids:
            if not str(value).strip().isdigit() or int(str(value).strip()) not in by_id:
                raise column_value_error(
                    f"The dropdown label id {value!r} does not exist in column {column.id}",
                    column.id,
                    "dropdown",
                    raw,
                )
            wanted_ids.append(int(str(value).strip()))
    else:
        names = _dropdown_names(column, raw)
        if names and all(n.isdigit() for n in names) and isinstance(raw, str):
            return _encode_dropdown(column, {"ids": names}, create, _now)
        for name in names:
            wanted_ids.append(_dropdown_id_for(column, labels, by_id, name, raw, create))
    if not wanted_ids:
        return None
    unique = list(dict.fromkeys(wanted_ids))
    text = ", ".join(by_id[i] for i in unique)
    return StoredValue(json.dumps({"ids": unique}), text)


def _dropdown_names(column: Column, raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, dict) and "labels" in raw:
        names = raw["labels"] if isinstance(raw["labels"], list) else [raw["labels"]]
        if all(isinstance(n, str) for n in names):
            return [str(n) for n in names]
    raise _bad(column, raw, 'dropdown takes {"labels": [...]} or {"ids": [...]}')


def _dropdown_id_for(
    column: Column, labels: list[dict[str, Any]], by_id: dict[int, str], name: str, raw: Any, create: bool
) -> int:
    for label_id, label_name in by_id.items():
        if label_name == name:  # case-sensitive since 2022, like monday
            return label_id
    if not create:
        possible = ", ".join(f"{k}: {v}" for k, v in by_id.items())
        raise column_value_error(
            f"The dropdown label '{name}' does not exist in column {column.id}, value {json.dumps(raw)}, "
            f"possible labels are: {{{possible}}}",
            column.id,
            "dropdown",
            raw,
        )
    new_id = max(by_id, default=0) + 1
    labels.append({"id": new_id, "name": name})
    by_id[new_id] = name
    return new_id


def _encode_checkbox(column: Column, raw: Any, _create: bool, now: str) -> StoredValue | None:
    if not isinstance(raw, dict) or "checked" not in raw:
        raise _bad(column, raw, 'checkbox takes {"checked": "true"}')
    if str(raw["checked"]).lower() != "true":
        return None
    return StoredValue(json.dumps({"checked": True, "changed_at": now}), "v")


def _encode_other(column: Column, raw: Any, _create: bool, _now: str) -> StoredValue:
    """Types the boards do not use are stored verbatim, so the emulator never blocks an unusual write."""
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)
    return StoredValue(json.dumps(raw, ensure_ascii=False), text)


_ENCODERS: dict[str, Encoder] = {
    "text": _encode_text,
    "long_text": _encode_long_text,
    "numbers": _encode_numbers,
    "date": _encode_date,
    "status": _encode_status,
    "dropdown": _encode_dropdown,
    "checkbox": _encode_checkbox,
}
