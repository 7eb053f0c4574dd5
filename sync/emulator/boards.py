"""Where the emulator's boards come from: packaged JSON, any board file, or a vcrpy cassette.

The packaged files in ``sync/emulator/boards/`` describe the real dev and prod
Customer Master Schedule boards (column ids, titles, types, seeded labels), so
the sync runs against the same structure it will meet in monday. A cassette
recorded from a real ``boards{ columns groups }`` query gives an exact copy of
a live board without hand-writing JSON.
"""

from __future__ import annotations

__all__ = ["boards_from_cassette", "boards_from_file", "default_boards", "load_boards"]

import json
from importlib import resources
from pathlib import Path
from typing import Any

from sync.emulator.model import Board

DEFAULT_BOARD_FILES = (
    "customer_master_schedule_dev.json",
    "subitems_dev.json",
    "customer_master_schedule_prod.json",
    "subitems_prod.json",
)


def default_boards() -> list[Board]:
    """The four packaged boards: dev items + subitems, prod items + subitems."""
    folder = resources.files("sync.emulator") / "boards"
    return [
        Board.from_dict(json.loads((folder / name).read_text(encoding="utf-8")))
        for name in DEFAULT_BOARD_FILES
    ]


def boards_from_file(path: Path) -> list[Board]:
    """Boards from a JSON file: one board, a list of boards, or a ``{"data":{"boards":[…]}}`` answer."""
    return _boards_from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def boards_from_cassette(path: Path) -> list[Board]:
    """Boards from every ``boards{ id name columns{…} groups{…} }`` answer recorded in a vcrpy cassette.

    Later recordings of the same board id replace earlier ones, so a cassette
    that re-reads a board after creating a label yields the newest structure.
    """
    import yaml  # imported here: only cassette loading needs it, and it keeps server startup light

    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    found: dict[str, Board] = {}
    for interaction in document.get("interactions", []):
        body = ((interaction.get("response") or {}).get("body") or {}).get("string")
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        if not body:
            continue
        try:
            payload = json.loads(body)
        except ValueError:
            continue
        for board in _boards_from_json(payload, strict=False):
            found[board.id] = board
    return list(found.values())


def load_boards(path: Path | None) -> list[Board]:
    """Boards for a CLI ``--boards`` argument: packaged defaults, a cassette (``.yaml``/``.yml``) or JSON."""
    if path is None:
        return default_boards()
    if Path(path).suffix.lower() in {".yaml", ".yml"}:
        return boards_from_cassette(path)
    return boards_from_file(path)


def _boards_from_json(payload: Any, *, strict: bool = True) -> list[Board]:
    """Normalise the accepted JSON shapes to a list of :class:`Board`."""
    if isinstance(payload, dict) and isinstance(payload.get("data"), dict):
        payload = payload["data"].get("boards") or []
    raw_boards = payload if isinstance(payload, list) else [payload]
    boards = []
    for raw in raw_boards:
        if not isinstance(raw, dict) or "id" not in raw or "columns" not in raw:
            if strict:
                raise ValueError(f"not a board definition: {str(raw)[:80]}")
            continue
        boards.append(Board.from_dict(raw))
    return boards
