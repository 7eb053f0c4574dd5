"""What an environment's monday boards look like: column ids, types and dropdown/status labels.

Gates compare the config against this *contract* instead of calling monday, so they run
offline and give the same answer twice. Sources, in order of preference:

1. a vcrpy cassette ``cassettes/<env>/boards.yaml`` (under the config's ``[paths] cassettes``,
   else the one ordersync ships): a recorded ``boards { id name columns { id title type settings_str } groups }``
   answer from the real board; later recordings of a board replace earlier ones;
2. the emulator's packaged board files ``sync/emulator/boards/*.json`` (``{id, name,
   columns: [{id, title, type, settings}], groups}``), which describe the dev and prod boards.

Both formats are parsed here and nowhere else in ``validation/``.

    contract = load_board_contract(config, "production")
    contract.items_board.column("dropdown_mkr542p2").labels  # ('GREYSON', 'PELOTON', ...)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sync.config import Config

__all__ = [
    "BoardContract",
    "BoardSpec",
    "ColumnSpec",
    "boards_from_board_files",
    "boards_from_cassette",
    "cassette_path",
    "load_board_contract",
]

CASSETTE_NAME = "boards.yaml"


@dataclass(frozen=True)
class ColumnSpec:
    """One board column; ``labels`` are the active dropdown/status labels (empty for other types)."""

    id: str
    title: str
    type: str
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoardSpec:
    """One board's structure."""

    id: int
    name: str
    columns: Mapping[str, ColumnSpec]
    groups: tuple[str, ...] = ()

    def column(self, column_id: str) -> ColumnSpec | None:
        """The column with this id, or None."""
        return self.columns.get(column_id)


@dataclass(frozen=True)
class BoardContract:
    """The items and subitems boards of one environment, plus where they were read from."""

    environment: str
    items_board_id: int
    subitems_board_id: int
    source: str
    boards: Mapping[int, BoardSpec] = field(default_factory=dict)

    @property
    def items_board(self) -> BoardSpec | None:
        """The items board, or None when the source does not describe it."""
        return self.boards.get(self.items_board_id)

    @property
    def subitems_board(self) -> BoardSpec | None:
        """The subitems board, or None when the source does not describe it."""
        return self.boards.get(self.subitems_board_id)

    def column_ids(self) -> set[str]:
        """Every column id on this environment's two boards."""
        return {cid for board in self.boards.values() for cid in board.columns}


def cassette_path(config: Config, env_name: str) -> Path | None:
    """The environment's boards cassette under ``[paths] cassettes`` of the config, else the shipped one."""
    cassette = config.project_file("cassettes", env_name, CASSETTE_NAME)
    return cassette.path if cassette.path.is_file() else None


def load_board_contract(config: Config, env_name: str) -> BoardContract:
    """The environment's board contract from its cassette, else from the emulator's board files."""
    monday = config.environment(env_name).monday
    wanted = {monday.board_id, monday.subitem_board_id}
    cassette = cassette_path(config, env_name)
    if cassette is not None:
        described = config.project_file("cassettes", env_name, CASSETTE_NAME).describe()
        boards, source = boards_from_cassette(cassette), f"cassette {described}"
    else:
        boards, source = boards_from_board_files(), "emulator board files sync/emulator/boards/*.json"
    return BoardContract(
        environment=env_name,
        items_board_id=monday.board_id,
        subitems_board_id=monday.subitem_board_id,
        source=source,
        boards={b.id: b for b in boards if b.id in wanted},
    )


def boards_from_cassette(path: Path) -> list[BoardSpec]:
    """Every board answered in a vcrpy cassette; a later answer for the same board id wins."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    found: dict[int, BoardSpec] = {}
    for interaction in document.get("interactions") or []:
        body = ((interaction.get("response") or {}).get("body") or {}).get("string")
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        if not body:
            continue
        try:
            payload = json.loads(body)
        except ValueError:
            continue
        data = payload.get("data") if isinstance(payload, dict) else None
        for raw in (data or {}).get("boards") or []:
            if isinstance(raw, dict) and "id" in raw and "columns" in raw:
                board = _board(raw)
                found[board.id] = board
    return list(found.values())


def boards_from_board_files(paths: Iterable[Path] | None = None) -> list[BoardSpec]:
    """Boards from emulator board files (one board per file); the packaged ones by default."""
    if paths is None:
        folder = resources.files("sync.emulator") / "boards"
        texts = [
            entry.read_text(encoding="utf-8")
            for entry in sorted(folder.iterdir(), key=lambda e: e.name)
            if entry.name.endswith(".json")
        ]
    else:
        texts = [Path(p).read_text(encoding="utf-8") for p in paths]
    return [_board(json.loads(text)) for text in texts]


def _board(raw: Mapping[str, Any]) -> BoardSpec:
    columns = [_column(c) for c in raw.get("columns") or []]
    groups = tuple(str(g.get("title", g.get("id"))) for g in raw.get("groups") or [] if isinstance(g, dict))
    return BoardSpec(int(raw["id"]), str(raw.get("name", raw["id"])), {c.id: c for c in columns}, groups)


def _column(raw: Mapping[str, Any]) -> ColumnSpec:
    settings = raw.get("settings")
    if settings is None or isinstance(settings, str):
        text = settings if isinstance(settings, str) else raw.get("settings_str") or "{}"
        settings = json.loads(text) if text else {}
    return ColumnSpec(str(raw["id"]), str(raw.get("title", raw["id"])), str(raw["type"]), _labels(settings))


def _labels(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Dropdown labels ``[{id, name}]`` minus deactivated ones, or status labels ``{index: name}``."""
    labels = settings.get("labels")
    if isinstance(labels, list):
        inactive = {d.get("id") if isinstance(d, dict) else d for d in settings.get("deactivated_labels") or []}
        return tuple(
            str(lab["name"])
            for lab in labels
            if isinstance(lab, dict) and "name" in lab and lab.get("id") not in inactive
        )
    if isinstance(labels, dict):
        return tuple(str(name) for name in labels.values() if name)
    return ()
