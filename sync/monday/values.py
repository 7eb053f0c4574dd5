"""Python values to monday column-value JSON, one encoder per column *type*.

Shared by the sync engine (what it sends) and the emulator tests (what they
expect), so there is exactly one opinion about how a Decimal or a date looks to
monday. ``None`` means "do not send this column"; a value that cannot be
encoded raises :class:`ValueEncodingError` naming the column and the value, so
the row can be quarantined with a message an operator understands.

    encode_value("date", date(2026, 5, 1), column_id="date4")  # {"date": "2026-05-01"}
"""

from __future__ import annotations

__all__ = ["ValueEncodingError", "encode_value"]

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sync.errors import RecordError

_TRUE = {"true", "yes", "y", "1", "x", "v", "checked", "on"}
_FALSE = {"false", "no", "n", "0", "off", "unchecked"}


class ValueEncodingError(RecordError):
    """A value cannot be written to a column of this type; carries ``column`` and ``value``."""

    def __init__(self, column_id: str, column_type: str, value: object, why: str) -> None:
        super().__init__(
            f"column {column_id!r} ({column_type}): cannot write {value!r}: {why}",
            column=column_id,
            value=value,
        )
        self.column_type = column_type


def encode_value(column_type: str, value: object, *, column_id: str) -> object | None:
    """Encode ``value`` for a ``column_type`` column; ``None``/blank text means "do not send"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    encoder = _ENCODERS.get(column_type)
    if encoder is None:
        raise ValueEncodingError(column_id, column_type, value, "ordersync does not write this column type")
    try:
        return encoder(value)
    except (TypeError, ValueError) as exc:
        raise ValueEncodingError(column_id, column_type, value, str(exc) or type(exc).__name__) from exc


def _text(value: object) -> str:
    if isinstance(value, float | Decimal):
        return _number(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _number(value: object) -> str:
    # monday wants numbers as strings; bool is an int in Python but never a number here.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise TypeError(f"not a number ({type(value).__name__})")
    if isinstance(value, int):
        return str(value)
    if value.__class__ is Decimal:  # its text round-trips exactly: no need to parse it again
        number = value
        if not number.is_finite():
            raise ValueError("not a finite number")
        return format(number, "f")
    # repr() first so 0.1 stays "0.1" instead of Decimal's exact binary expansion.
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a number (digits, one '.', optional sign; no thousands separators)") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    return format(number, "f")  # no exponent: "1E+3" is not a number to monday


def _date(value: object) -> dict[str, str]:
    if isinstance(value, datetime):
        return {"date": value.date().isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, str):
        text = value.strip()
        parsed = datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
        return {"date": parsed.isoformat()}
    raise TypeError(f"not a date ({type(value).__name__})")


def _status(value: object) -> dict[str, object]:
    if isinstance(value, int) and not isinstance(value, bool):
        return {"index": value}  # label ids are stable; positions are not
    label = str(value).strip()
    if len(label) > 30:
        raise ValueError("status labels are at most 30 characters")
    return {"label": label}


def _dropdown(value: object) -> dict[str, list[str]] | None:
    labels: Iterable[object] = [value] if isinstance(value, str) or not isinstance(value, Iterable) else value
    clean = [str(v).strip() for v in labels if v is not None and str(v).strip()]
    return {"labels": clean} if clean else None


def _checkbox(value: object) -> dict[str, str] | None:
    if isinstance(value, bool):
        checked = value
    elif isinstance(value, int | str):
        word = str(value).strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValueError("not a yes/no value")
        checked = word in _TRUE
    else:
        raise TypeError(f"not a yes/no value ({type(value).__name__})")
    # Unchecking is a JSON null, which this function cannot say ("None = do not send").
    return {"checked": "true"} if checked else None


_ENCODERS: dict[str, Callable[[object], object]] = {
    "text": _text,
    "name": _text,
    "long_text": lambda v: {"text": _text(v)},
    "numbers": _number,
    "date": _date,
    "status": _status,
    "color": _status,
    "dropdown": _dropdown,
    "checkbox": _checkbox,
    "email": lambda v: {"email": str(v).strip(), "text": str(v).strip()},
    "link": lambda v: {"url": str(v).strip(), "text": str(v).strip()},
}
