"""The fast path of :func:`sync.mapping.encode_rows`: a whole column of plain values at once.

Most mapped columns hold one plain class of value (text, Decimals and ints, dates, labels),
and each of those encodes to a short text — the *token* — that the column's type then wraps
the same way for every row (``{"labels": [token]}``, ``{"date": token}``, …). Here a chunk's
distinct values of one column become their tokens in one pass, without the per-value
dispatch of :func:`sync.monday.values.encode_value`; every row then gets a fresh wrapper
around its token, and the rows whose label the board lacks (in a column that may create it)
are flagged.

The fast path only takes a column whose every distinct value it is sure about: a value of
another class, a number that does not parse or is not finite, a status text over 30
characters, a label the board lacks in a column that may not create it — anything that
fails — sends the whole column of the chunk back to the general encoder (``None``), which
names the row and the problem. Both paths give the same values, flags and problems;
``tests/unit/test_plan_equivalence.py`` holds them to it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["FastColumn", "Tokens", "column_tokens", "fast_column"]

#: Types whose value is one key around the token (a fresh dict per row).
_WRAPPED = {"long_text": "text", "date": "date", "status": "label", "color": "label"}
_TEXT = ("text", "name", "long_text")
_LABEL_TYPES = ("dropdown", "status")  # the board keeps their labels (sync.mapping.LABEL_TYPES)
_STATUS_MAX = 30


@dataclass(frozen=True, slots=True)
class Tokens:
    """The token of each distinct value (None: send nothing) and the tokens the board lacks as labels."""

    tokens: list[str | None]
    new_labels: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class FastColumn:
    """Every row's value of one column, and which rows need a label created (None: no row does)."""

    values: list[object]
    new_label: list[bool] | None


def column_tokens(
    column_type: str, values: Collection[object], labels: set[str] | None, *, may_create: bool = False
) -> Tokens | None:
    """The tokens of ``values`` for a ``column_type`` column, or None when the general encoder must judge.

    ``labels`` is the board's label set of a dropdown/status column (None when it has none yet);
    ``may_create`` whether the column's mapping allows creating the labels it lacks.
    """
    kinds = {v.__class__ for v in values}
    kinds.discard(type(None))
    if column_type in _TEXT:
        tokens = _texts(values, kinds)
        return None if tokens is None else Tokens(tokens)
    if column_type == "numbers":
        tokens = _numbers(values, kinds)
        return None if tokens is None else Tokens(tokens)
    if column_type == "date":
        return Tokens([v.isoformat() if isinstance(v, date) else None for v in values]) if kinds <= {date} else None
    if column_type not in ("dropdown", "status", "color") or not kinds <= {str}:
        return None
    tokens = [(v.strip() or None) if isinstance(v, str) else None for v in values]
    present = {t for t in tokens if t is not None}
    if column_type != "dropdown" and any(len(t) > _STATUS_MAX for t in present):
        return None  # the general encoder refuses it, naming the row
    if column_type not in _LABEL_TYPES:
        return Tokens(tokens)
    missing = frozenset(present - labels) if labels is not None else frozenset(present)
    if missing and not may_create:
        return None  # refused row by row, each named
    return Tokens(tokens, missing)


def _texts(values: Collection[object], kinds: set[type]) -> list[str | None] | None:
    """Text as it is (blank: nothing); an int or a Decimal as its number text."""
    if kinds <= {str}:
        return [v if isinstance(v, str) and v.strip() else None for v in values]
    if kinds <= {str, int, Decimal}:
        return _numbers(values, kinds, text=True)
    return None


def _numbers(values: Collection[object], kinds: set[type], *, text: bool = False) -> list[str | None] | None:
    """Ints and Decimals as monday's number text; number text parsed (``text``: kept as it is)."""
    if not kinds <= {Decimal, int, str}:
        return None
    if kinds <= {Decimal}:  # a price column: the usual case, in two comprehensions
        if not all(v.is_finite() for v in values if isinstance(v, Decimal)):
            return None
        return [format(v, "f") if isinstance(v, Decimal) else None for v in values]
    tokens: list[str | None] = []
    for v in values:  # the classes are int, Decimal, str and None only (``kinds``)
        if isinstance(v, int):
            tokens.append(str(v))
        elif isinstance(v, Decimal):
            if not v.is_finite():
                return None
            tokens.append(format(v, "f"))
        elif not isinstance(v, str) or not v.strip():
            tokens.append(None)
        elif text:
            tokens.append(v)
        else:
            try:
                number = Decimal(v.strip())
            except InvalidOperation:
                return None
            if not number.is_finite():
                return None
            tokens.append(format(number, "f"))
    return tokens


def fast_column(
    column_type: str | None,
    keys: list[object],
    distinct: dict[object, object],
    labels: set[str] | None,
    *,
    may_create: bool,
) -> FastColumn | None:
    """Every row's encoded value of one column, or None when the general encoder must take it."""
    if column_type is None:
        return None
    found = column_tokens(column_type, distinct.values(), labels, may_create=may_create)
    if found is None:
        return None
    row_tokens = list(map(dict(zip(distinct, found.tokens, strict=True)).__getitem__, keys))
    flags = [t in found.new_labels for t in row_tokens] if found.new_labels else None
    key = _WRAPPED.get(column_type)
    if key is not None:
        return FastColumn([None if t is None else {key: t} for t in row_tokens], flags)
    if column_type == "dropdown":
        return FastColumn([None if t is None else {"labels": [t]} for t in row_tokens], flags)
    return FastColumn(list(row_tokens), flags)
