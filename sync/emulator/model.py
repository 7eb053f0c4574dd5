"""Plain records for the emulator's state: boards, columns, groups and items.

Column values are stored the way monday *reads* them back (a ``value`` JSON
string plus a display ``text``), so a query returns exactly what was written
after monday's normalisation. Every record converts to and from JSON-ready
dicts for :meth:`Emulator.save` / :meth:`Emulator.load`.
"""

from __future__ import annotations

__all__ = ["Board", "Column", "Group", "Item", "StoredValue"]

import json
from dataclasses import dataclass, field
from typing import Any

STATES = ("active", "archived", "deleted")
#: monday's documented board capacity ("exceeded the limit of 10,000 items per board", monday-api.md §4).
DEFAULT_ITEMS_LIMIT = 10_000


@dataclass
class Column:
    """A board column; ``settings`` holds dropdown labels ``[{id,name}]`` or status labels ``{idx: name}``."""

    id: str
    title: str
    type: str
    settings: dict[str, Any] = field(default_factory=dict)
    archived: bool = False

    @property
    def settings_str(self) -> str:
        """monday's (deprecated but still served) JSON-string form of ``settings``."""
        return json.dumps(self.settings, ensure_ascii=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, the same shape as a board file's column entry."""
        return {"id": self.id, "title": self.title, "type": self.type, "settings": self.settings}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Column:
        """Accept ``settings`` (dict) or ``settings_str`` (a boards-query answer pasted as is)."""
        settings = raw.get("settings")
        if settings is None or isinstance(settings, str):
            text = settings if isinstance(settings, str) else raw.get("settings_str") or "{}"
            settings = json.loads(text) if text else {}
        return cls(str(raw["id"]), str(raw.get("title", raw["id"])), str(raw["type"]), dict(settings))


@dataclass
class Group:
    """A board group; deleted groups stay in the list so their ids are never reused."""

    id: str
    title: str
    color: str = "#579bfc"
    state: str = "active"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "title": self.title, "color": self.color, "state": self.state}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Group:
        """Inverse of :meth:`to_dict`; board files may omit color and state."""
        return cls(
            str(raw["id"]),
            str(raw.get("title", raw["id"])),
            str(raw.get("color", "#579bfc")),
            str(raw.get("state", "active")),
        )


@dataclass(frozen=True)
class StoredValue:
    """One column value as monday reads it: raw ``value`` JSON string (or None) and display ``text``."""

    value: str | None
    text: str


@dataclass
class Item:
    """An item or subitem (``parent_id`` set); ``values`` maps column id to its stored value."""

    id: str
    name: str
    board_id: str
    group_id: str
    parent_id: str | None = None
    state: str = "active"
    created_at: float = 0.0
    values: dict[str, StoredValue] = field(default_factory=dict)
    subitem_ids: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": self.id,
            "name": self.name,
            "board_id": self.board_id,
            "group_id": self.group_id,
            "parent_id": self.parent_id,
            "state": self.state,
            "created_at": self.created_at,
            "values": {k: [v.value, v.text] for k, v in self.values.items()},
            "subitem_ids": self.subitem_ids,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Item:
        """Inverse of :meth:`to_dict`."""
        values = {k: StoredValue(v[0], v[1]) for k, v in raw.get("values", {}).items()}
        return cls(
            str(raw["id"]),
            str(raw["name"]),
            str(raw["board_id"]),
            str(raw["group_id"]),
            raw.get("parent_id"),
            str(raw.get("state", "active")),
            float(raw.get("created_at", 0.0)),
            values,
            list(raw.get("subitem_ids", [])),
        )


@dataclass
class Board:
    """A board: ordered columns, ordered groups (index 0 = top group), item ids in creation order."""

    id: str
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    groups: list[Group] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)
    state: str = "active"
    items_limit: int = DEFAULT_ITEMS_LIMIT

    def subitems_board_id(self) -> str | None:
        """The board that holds this board's subitems, read from its ``subtasks`` column settings."""
        for column in self.columns.values():
            if column.type == "subtasks":
                ids = column.settings.get("boardIds") or []
                return str(ids[0]) if ids else None
        return None

    def active_groups(self) -> list[Group]:
        """Groups a query can see."""
        return [g for g in self.groups if g.state == "active"]

    def group(self, group_id: str) -> Group | None:
        """The active group with this id, if any."""
        return next((g for g in self.groups if g.id == group_id and g.state == "active"), None)

    def to_dict(self, *, with_items: bool = True) -> dict[str, Any]:
        """JSON-ready form; without items it is exactly a board file."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "columns": [c.to_dict() for c in self.columns.values()],
            "groups": [g.to_dict() for g in self.groups],
            "items_limit": self.items_limit,
        }
        if with_items:
            out["item_ids"] = self.item_ids
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Board:
        """Build from a board file entry or a persisted board; a board without groups gets ``topics``."""
        columns = [Column.from_dict(c) for c in raw.get("columns", [])]
        if not any(c.id == "name" for c in columns):
            columns.insert(0, Column("name", "Name", "name"))
        groups = [Group.from_dict(g) for g in raw.get("groups") or []] or [Group("topics", "Group Title")]
        return cls(
            str(raw["id"]),
            str(raw.get("name", raw["id"])),
            {c.id: c for c in columns},
            groups,
            [str(i) for i in raw.get("item_ids", [])],
            str(raw.get("state", "active")),
            int(raw.get("items_limit", DEFAULT_ITEMS_LIMIT)),
        )
