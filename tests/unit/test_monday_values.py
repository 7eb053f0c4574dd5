"""encode_value turns Python values into monday column JSON per column type."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sync.errors import RecordError
from sync.monday.errors import MondayError
from sync.monday.values import ValueEncodingError, encode_value


@pytest.mark.parametrize(
    ("column_type", "value", "expected"),
    [
        ("text", "AAG-1001", "AAG-1001"),
        ("text", 42, "42"),
        ("text", Decimal("12.50"), "12.50"),
        ("text", date(2026, 5, 1), "2026-05-01"),
        ("name", "Order 7", "Order 7"),
        ("long_text", "line one\nline two", {"text": "line one\nline two"}),
        ("numbers", 3, "3"),
        ("numbers", -17, "-17"),
        ("numbers", Decimal("1234.50"), "1234.50"),
        ("numbers", Decimal("1E+3"), "1000"),
        ("numbers", 0.1, "0.1"),
        ("numbers", 1e20, "100000000000000000000"),
        ("numbers", " 12.5 ", "12.5"),
        ("date", date(2026, 5, 1), {"date": "2026-05-01"}),
        ("date", datetime(2026, 5, 1, 23, 59, tzinfo=UTC), {"date": "2026-05-01"}),
        ("date", "2026-05-01", {"date": "2026-05-01"}),
        ("date", "2026-05-01T10:30:00", {"date": "2026-05-01"}),
        ("date", "2026-05-01 10:30:00", {"date": "2026-05-01"}),
        ("status", "Shipped", {"label": "Shipped"}),
        ("status", " Shipped ", {"label": "Shipped"}),
        ("status", 1, {"index": 1}),
        ("color", "Done", {"label": "Done"}),
        ("dropdown", "Red", {"labels": ["Red"]}),
        ("dropdown", ["Red", " Blue ", "", None], {"labels": ["Red", "Blue"]}),
        ("dropdown", [], None),
        ("checkbox", True, {"checked": "true"}),
        ("checkbox", "yes", {"checked": "true"}),
        ("checkbox", 1, {"checked": "true"}),
        ("checkbox", False, None),
        ("checkbox", "N", None),
        ("email", "a@b.com", {"email": "a@b.com", "text": "a@b.com"}),
        ("link", "https://x.test", {"url": "https://x.test", "text": "https://x.test"}),
    ],
)
def test_encode_by_type(column_type: str, value: object, expected: object) -> None:
    """Each supported type encodes to the documented monday JSON shape."""
    assert encode_value(column_type, value, column_id="c1") == expected


@pytest.mark.parametrize("column_type", ["text", "numbers", "date", "status", "dropdown", "checkbox"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_empty_means_do_not_send(column_type: str, value: object) -> None:
    """None and blank strings mean "do not send" for every type."""
    assert encode_value(column_type, value, column_id="c1") is None


@pytest.mark.parametrize(
    ("column_type", "value", "why"),
    [
        ("numbers", "twelve", "not a number"),
        ("numbers", "1,234.50", "thousands separators"),
        ("numbers", "NaN", "finite"),
        ("numbers", float("inf"), "finite"),
        ("numbers", True, "not a number"),
        ("numbers", [1], "not a number"),
        ("date", "05/01/2026", "Invalid isoformat"),
        ("date", "2026-13-01", "month"),
        ("date", 20260501, "not a date"),
        ("status", "x" * 31, "30 characters"),
        ("checkbox", "maybe", "yes/no"),
        ("people", "someone", "does not write"),
        ("formula", "=1+1", "does not write"),
    ],
)
def test_bad_values_raise_record_error(column_type: str, value: object, why: str) -> None:
    """Unencodable values raise ValueEncodingError naming the column and value, never a MondayError."""
    with pytest.raises(ValueEncodingError) as info:
        encode_value(column_type, value, column_id="numbers_mk1")
    err = info.value
    assert isinstance(err, RecordError)
    assert not isinstance(err, MondayError)
    assert err.column == "numbers_mk1"
    assert err.value == value
    assert "numbers_mk1" in str(err)
    assert why in str(err)
