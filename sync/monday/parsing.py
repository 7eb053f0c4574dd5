"""Turn monday's JSON answers into :mod:`sync.monday.models` values.

Kept apart from the client so the shapes monday returns (ids as strings,
``settings_str`` as a JSON string, ``value`` as a JSON string or, from some
servers, already decoded) are handled in one place.
"""

from __future__ import annotations

__all__ = ["board_from", "item_from", "item_id_from", "parse_complexity", "parse_rate_limit"]

import json
from collections.abc import Mapping
from typing import Any

from sync.monday.errors import MondayRecordError
from sync.monday.models import (
    BoardInfo,
    ColumnInfo,
    ColumnValueRecord,
    ComplexityInfo,
    GroupInfo,
    ItemRecord,
    RateLimitInfo,
    RateLimitWindow,
)


def parse_complexity(raw: object) -> ComplexityInfo | None:
    """Read a ``complexity`` block, tolerating its absence."""
    if not isinstance(raw, Mapping):
        return None
    try:
        return ComplexityInfo(
            int(raw["before"]), int(raw["after"]), int(raw["query"]), int(raw["reset_in_x_seconds"])
        )
    except (KeyError, TypeError, ValueError):
        return None


def parse_rate_limit(header: str | None) -> RateLimitInfo | None:
    """Read ``RateLimit: "minuteRate";r=0;t=38, "concurrency";r=249`` (IETF structured fields).

    Policies without an ``r`` are skipped; a header with none at all gives None.
    """
    if not header:
        return None
    windows: dict[str, RateLimitWindow] = {}
    for member in header.split(","):
        name, *params = (part.strip() for part in member.split(";"))
        values = dict(param.partition("=")[::2] for param in params)
        try:
            remaining = int(values["r"])
            reset = float(values["t"]) if values.get("t") else None
        except (KeyError, ValueError):
            continue
        if name.strip('"'):
            windows[name.strip('"')] = RateLimitWindow(remaining, reset)
    return RateLimitInfo(windows) if windows else None


def item_id_from(raw: object) -> int:
    """The created/changed item id from one alias's ``{ id }``; a missing one fails that record."""
    if isinstance(raw, Mapping) and raw.get("id") is not None:
        return int(raw["id"])
    raise MondayRecordError("mutation returned no item", code="NO_DATA")


def board_from(raw: Mapping[str, Any]) -> BoardInfo:
    """One ``boards`` entry; column settings parsed from ``settings_str``."""
    return BoardInfo(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        columns=[
            ColumnInfo(
                str(c["id"]),
                str(c.get("title") or ""),
                str(c.get("type") or ""),
                _settings(c.get("settings_str")),
            )
            for c in raw.get("columns") or []
            if c
        ],
        groups=[GroupInfo(str(g["id"]), str(g.get("title") or "")) for g in raw.get("groups") or [] if g],
    )


def _settings(raw: object) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def item_from(raw: Mapping[str, Any]) -> ItemRecord:
    """One item (``ItemFields`` fragment, plus ``state`` when the query asked for it)."""
    group, parent = raw.get("group") or {}, raw.get("parent_item") or {}
    values = {}
    for cv in raw.get("column_values") or []:
        value = cv.get("value")
        if value is not None and not isinstance(value, str):  # JSON scalar handed back decoded
            value = json.dumps(value)
        values[str(cv["id"])] = ColumnValueRecord(cv.get("text"), value)
    return ItemRecord(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        group_id=str(group["id"]) if group.get("id") else None,
        parent_id=int(parent["id"]) if parent.get("id") else None,
        values=values,
        subitem_ids=tuple(int(s["id"]) for s in raw.get("subitems") or [] if s and s.get("id")),
        state=str(raw["state"]) if raw.get("state") else None,
    )
