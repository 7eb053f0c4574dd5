"""Group and item names for a whole chunk of rows, with the row-by-row functions as the rule.

:func:`sync.mapping.group_name` and :func:`sync.mapping.render_name` define the names. Here
the usual row (every group column plain non-blank text; an item name that fits) is named
with a precompiled getter and format string; any other row — a blank or non-text group
column, a missing column, a name that must be shortened — is handed to the row function, so
the names are always those the rules give (``tests/unit/test_plan_equivalence.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sync.config import GroupNaming
from sync.mapping import group_name, render_name, template_columns

__all__ = ["group_names", "render_names"]


def _getter(columns: Sequence[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(columns) == 1:
        only = columns[0]
        return lambda row: (row[only],)
    return itemgetter(*columns)


def group_names(naming: GroupNaming, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """:func:`~sync.mapping.group_name` of each row."""
    if not naming.columns:
        return [group_name(naming, row) for row in rows]
    get, join = _getter(naming.columns), naming.separator.join
    out = []
    for row in rows:
        try:
            values = get(row)
        except KeyError:
            out.append(group_name(naming, row))
            continue
        texts = [v.strip() if v.__class__ is str else "" for v in values]
        out.append(join(texts) if all(texts) else group_name(naming, row))
    return out


@lru_cache(maxsize=16)
def _format(template: str) -> tuple[str, tuple[str, ...]]:
    """The template as a ``str.format`` string with positional fields, and the columns they read."""
    columns = template_columns(template)
    literals = _literals(template, columns)
    escaped = [lit.replace("{", "{{").replace("}", "}}") for lit in literals]
    return "{}".join(escaped), columns


def _literals(template: str, columns: tuple[str, ...]) -> list[str]:
    rest, literals = template, []
    for column in columns:
        before, _, rest = rest.partition("{" + column + "}")
        literals.append(before)
    return [*literals, rest]


def render_names(template: str, rows: Sequence[Mapping[str, Any]], max_length: int) -> list[tuple[str, str | None]]:
    """:func:`~sync.mapping.render_name` of each row: (name, truncation warning or None)."""
    fmt, columns = _format(template)
    if not columns:
        return [render_name(template, row, max_length) for row in rows]
    get, fill = _getter(columns), fmt.format
    out: list[tuple[str, str | None]] = []
    for row in rows:
        try:
            values = get(row)
        except KeyError:
            out.append(render_name(template, row, max_length))
            continue
        name = " ".join(fill(*["" if v is None else str(v).strip() for v in values]).split())
        out.append((name, None) if len(name) <= max_length else render_name(template, row, max_length))
    return out
