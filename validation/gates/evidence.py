"""Small writers every gate uses for its evidence files, so evidence looks the same everywhere.

path = write_json(folder / "checks.json", {"missing": []})
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

__all__ = ["json_default", "md_table", "safe_url", "write_json", "write_text"]


def json_default(value: Any) -> Any:
    """Serialise what database rows and results hold: dates, decimals, paths, sets."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str)
    return str(value)


def write_json(path: Path, payload: Any) -> Path:
    """Write pretty, UTF-8 JSON (non-ASCII customer names kept readable) and return the path."""
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=json_default) + "\n", encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text and return the path."""
    path.write_text(text, encoding="utf-8")
    return path


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured Markdown table; pipes in cells are escaped."""

    def cell(value: Any) -> str:
        return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def safe_url(url: URL) -> str:
    """A database URL fit for evidence: the password is always masked."""
    return url.render_as_string(hide_password=True)
