"""Where monday says how long to wait, read in one order: the body first, then the header.

monday's 2026 gateway answers some 429s with the wait only in the body, so a
client that reads only ``Retry-After`` would hammer it. The order:

1. ``extensions.retry_in_seconds`` (2025-01+ limit errors);
2. ``error_data.retry_in_seconds`` (``extensions.error_data`` or the legacy top-level
   ``error_data``; ``FIELD_LIMIT_EXCEEDED`` in the older shape puts it there);
3. "reset in N seconds" in the message (legacy ``ComplexityException``);
4. the ``Retry-After`` header (seconds, or an HTTP date from a proxy).

    wait_hint(ext, error_data, message, header_hint)  # seconds or None
"""

from __future__ import annotations

__all__ = ["float_or_none", "int_or_none", "request_id_of", "retry_after_header", "wait_hint"]

import email.utils
import re
import time
from collections.abc import Mapping
from typing import Any

_LEGACY_RESET = re.compile(r"reset in (\d+(?:\.\d+)?) seconds?")


def wait_hint(
    extensions: Mapping[str, Any],
    error_data: Mapping[str, Any],
    message: str,
    header_hint: float | None,
) -> float | None:
    """Seconds to wait before retrying, from the first source in the documented order that has one."""
    for raw in (extensions.get("retry_in_seconds"), error_data.get("retry_in_seconds")):
        seconds = float_or_none(raw)
        if seconds is not None:
            return max(seconds, 0.0)
    match = _LEGACY_RESET.search(message)
    if match:
        return float(match.group(1))
    return header_hint


def retry_after_header(headers: Mapping[str, str]) -> float | None:
    """``Retry-After`` in seconds (either form), or None when absent or unreadable."""
    raw = headers.get("retry-after") or headers.get("Retry-After")
    if not raw:
        return None
    seconds = float_or_none(raw)
    if seconds is not None:
        return max(seconds, 0.0)
    try:  # the HTTP-date form; monday sends seconds, proxies in between may not
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(parsed.timestamp() - time.time(), 0.0) if parsed.tzinfo else None


def request_id_of(body: Mapping[str, Any], headers: Mapping[str, str]) -> str | None:
    """``extensions.request_id`` (2025-07+ envelopes), else a request-id header."""
    ext = body.get("extensions")
    if isinstance(ext, Mapping) and ext.get("request_id"):
        return str(ext["request_id"])
    return headers.get("x-request-id") or headers.get("request-id")


def int_or_none(value: object) -> int | None:
    """``value`` as an int when it is one (or a numeric string)."""
    if isinstance(value, int | str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def float_or_none(value: object) -> float | None:
    """``value`` as a float when it is a number (or a numeric string)."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except ValueError:
            return None
    return None
