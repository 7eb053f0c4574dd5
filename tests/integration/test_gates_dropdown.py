"""The dropdown-population gate: season labels on the items, labels only where creation is allowed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sync.mapping
from sync.config import ColumnMapping, Config, load_config
from sync.monday.models import BoardInfo, ColumnInfo
from validation.gates.dropdown import DropdownGate, label_changes
from validation.gates.runner import GateContext, GateStatus

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "ordersync.toml")


def with_mapping(config: Config, env: str, db_column: str, target: ColumnMapping) -> Config:
    environment = config.environment(env)
    mapping = environment.mapping.model_copy(
        update={"items": {**environment.mapping.items, db_column: target}}
    )
    return config.model_copy(
        update={
            "environments": {**config.environments, env: environment.model_copy(update={"mapping": mapping})}
        }
    )


def run(config: Config, env: str, tmp_path: Path, orders: int = 60):
    return DropdownGate().run(GateContext(config, env, tmp_path, options={"orders": orders, "seed": 9}))


def test_shipped_config_populates_seasons_and_creates_labels_only_where_allowed(tmp_path: Path) -> None:
    """AAG SEASON ("2025 FALL" ...) and CUSTOMER SEASON match the DB on every item; no forbidden label."""
    result = run(CONFIG, "production", tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    assert "2025 FALL" in result.summary
    payload = json.loads((tmp_path / "dropdown-population" / "dropdown.json").read_text(encoding="utf-8"))
    season = next(c for c in payload["checks"] if c["name"].startswith("items 'AAG SEASON'"))
    assert season["ok"]
    assert season["values"]["2025 FALL"] > 0
    created = {c["column_id"]: c for c in payload["labels"]}
    assert created["dropdown_mkr5rgs6"]["created"]  # CUSTOMER SEASON labels were created (allowed)
    assert created["dropdown_mkr542p2"]["created"] == []  # CUSTOMER: creation forbidden, none created
    assert result.metrics["labels_created_where_forbidden"] == 0
    probes = payload["probes"]
    forbidden = [p for p in probes if not p["allowed"]]
    assert {p["column_id"] for p in forbidden} == {"dropdown_mkr542p2", "dropdown_mkr518fc", "color_mkr5yf27"}
    assert len(forbidden) == 6 and len(probes) - len(forbidden) >= 8
    assert all(c["ok"] and c["checked"] > 0 for c in payload["probe_checks"])
    assert "rejected row by row" in result.summary
    order_types = next(c for c in payload["labels"] if c["column_id"] == "dropdown_mkr518fc")
    assert order_types["created"] == []  # ORDER TYPE: probes refused, nothing created
    allowed = next(p for p in probes if p["allowed"] and p["column_id"] == "dropdown_mkr5s5n3")
    assert allowed["value"] in next(c for c in payload["labels"] if c["column_id"] == "dropdown_mkr5s5n3")["created"]


@pytest.mark.seeded_defect(gate="dropdown-population", kind="product")
def test_label_creation_forced_on_everywhere_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mapping code that lets every missing label through (creation forced on): the probes name it."""

    def always_create(target: ColumnMapping) -> bool:
        return True

    monkeypatch.setattr(sync.mapping, "_may_create_label", always_create)
    result = run(CONFIG, "production", tmp_path)
    assert_gate_caught(
        result,
        "missing labels rejected where creation is forbidden",
        "was not rejected",
        "create_labels_if_missing is false",
    )


@pytest.mark.seeded_defect(gate="dropdown-population", kind="config")
def test_forbidden_label_creation_leaves_seasons_off_the_board(tmp_path: Path) -> None:
    """CUSTOMER SEASON without create_labels_if_missing: orders are refused and named, no label created."""
    config = with_mapping(
        CONFIG,
        "development",
        "CUSTOMER SEASON",
        ColumnMapping(column="dropdown_mkr5rgs6", type="dropdown", create_labels_if_missing=False),
    )
    result = run(config, "development", tmp_path, orders=40)
    assert_gate_caught(result, "CUSTOMER SEASON", "did not reach the board")
    payload = json.loads((tmp_path / "dropdown-population" / "dropdown.json").read_text(encoding="utf-8"))
    column = next(c for c in payload["labels"] if c["column_id"] == "dropdown_mkr5rgs6")
    assert column["created"] == []
    assert column["ok"]


@pytest.mark.seeded_defect(gate="dropdown-population", kind="config")
def test_season_mapped_to_a_text_column_fails(tmp_path: Path) -> None:
    """The seed plan's SEASON -> text column: the gate refuses a season that is not a dropdown."""
    config = with_mapping(
        CONFIG, "production", "AAG SEASON", ColumnMapping(column="text_mkr5kbc6", type="text")
    )
    result = run(config, "production", tmp_path, orders=20)
    assert_gate_caught(result, "text_mkr5kbc6 is a text column, not a dropdown")


def test_label_changes_flag_creation_in_a_forbidden_column() -> None:
    """Before/after: a new label in a create=false column is not ok, in a create=true column it is."""

    def board(labels: dict[str, list[str]]) -> BoardInfo:
        columns = [
            ColumnInfo(
                cid,
                cid.upper(),
                "dropdown",
                {"labels": [{"id": n, "name": name} for n, name in enumerate(names)]},
            )
            for cid, names in labels.items()
        ]
        return BoardInfo(1, "b", columns, [])

    before = {1: board({"dd_a": ["X"], "dd_b": ["Y"]})}
    after = {1: board({"dd_a": ["X", "NEW"], "dd_b": ["Y", "SNEAKY"]})}
    mapping = {
        "A": ColumnMapping(column="dd_a", type="dropdown", create_labels_if_missing=True),
        "B": ColumnMapping(column="dd_b", type="dropdown", create_labels_if_missing=False),
    }
    result = {c.column_id: c for c in label_changes(before, after, {"items": (1, mapping)})}
    assert result["dd_a"].ok
    assert result["dd_a"].created == ["NEW"]
    assert not result["dd_b"].ok
    assert result["dd_b"].created == ["SNEAKY"]
