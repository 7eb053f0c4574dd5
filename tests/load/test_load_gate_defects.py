"""The load-test gate, proven by its failures: one seeded defect per test, each named in the summary.

Each test runs the real gate (``LoadGate`` through ``run_gates``: Locust, the engine, the
emulator, the staging reconciliation, the naive baseline) on the config under test, shortened
to a few seconds. Product defects are planted in the emulator, which runs in this process;
config defects are planted in the config or the project's load profiles.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from seeded_defects import assert_gate_caught

from sync.config import Config, load_config
from sync.demo import shipped_config_path
from sync.emulator.model import Item
from sync.emulator.state import EmulatorState
from sync.shipped import PROFILES_NAME, shipped_path
from validation.gates.runner import GateContext, GateResult, run_gates
from validation.load.runner import LoadGate

ENV = "development"


def _gate(config: Config, tmp_path: Path, seconds: int = 6) -> GateResult:
    ctx = GateContext(config, ENV, tmp_path / "report", options={"load_duration_s": seconds})
    return run_gates(ctx, [LoadGate()]).results[0]


def _with(config: Config, **sync: Any) -> Config:
    raw = config.model_dump()
    raw["sync"].update(sync)
    return Config.model_validate(raw)


@pytest.mark.seeded_defect(gate="load-test", kind="config")
def test_a_config_with_batch_size_1_fails_naming_the_batch_size(tmp_path: Path) -> None:
    """One record per request at 250 ms cannot reach 200 records/s: the gate names the config's batch size."""
    result = _gate(_with(load_config(shipped_config_path()), batch_size=1), tmp_path)
    assert_gate_caught(result, "records/s", "config [sync] batch_size = 1", "1.0 records per write request")
    assert result.metrics["batch_size"] == 1 and result.metrics["min_records_per_s"] == 200


@pytest.mark.seeded_defect(gate="load-test", kind="config")
def test_a_broken_mapping_fails_naming_the_column(tmp_path: Path) -> None:
    """The config under test maps PO NUMBER to a column the board lacks: rows fail, the gate names the column."""
    config = load_config(shipped_config_path())
    raw = config.model_dump()
    raw["environments"][ENV]["mapping"]["items"]["PO NUMBER"]["column"] = "text_nosuchcol1"
    result = _gate(Config.model_validate(raw), tmp_path)
    assert_gate_caught(result, "failure ratio", "'PO NUMBER' -> text_nosuchcol1: column does not exist on the board")


@pytest.mark.seeded_defect(gate="load-test", kind="config")
def test_a_project_profile_below_the_seed_is_refused(tmp_path: Path) -> None:
    """A project's ci profile lowered to 50 records/s at 20 ms: the gate refuses to judge with it."""
    project = tmp_path / "project"
    (project / "loadtests").mkdir(parents=True)
    shutil.copy(shipped_config_path(), project / "ordersync.toml")
    text = shipped_path(PROFILES_NAME).read_text(encoding="utf-8")
    text = text.replace("min_records_per_s = 200        # the seed plan's gate", "min_records_per_s = 50 #")
    text = text.replace("latency_ms = 250               # a realistic", "latency_ms = 20 #")
    (project / "loadtests" / "profiles.toml").write_text(text, encoding="utf-8")
    result = _gate(load_config(project / "ordersync.toml"), tmp_path)
    assert_gate_caught(result, "min_records_per_s 50, below the seed's 200", "needs ≥ 250 ms")


@pytest.mark.seeded_defect(gate="load-test", kind="product")
def test_an_emulator_that_duplicates_items_fails_naming_the_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """monday (the emulator) stores every created item twice: the staging reconciliation counts the copies."""
    original = EmulatorState.create_item

    def twice(self: EmulatorState, *args: Any, **kwargs: Any) -> Item:
        first = original(self, *args, **kwargs)
        original(self, *args, **kwargs)
        return first

    monkeypatch.setattr(EmulatorState, "create_item", twice)
    result = _gate(load_config(shipped_config_path()), tmp_path)
    assert_gate_caught(result, "duplicated records", "on the board more than once")
    assert result.metrics["duplicated"] > 0


@pytest.mark.seeded_defect(gate="load-test", kind="product")
def test_an_emulator_that_drops_subitems_fails_naming_the_lost_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """monday answers every create_subitem with an id but the subitem never lands on the board: lines are lost."""
    original = EmulatorState.create_subitem

    def dropped(self: EmulatorState, *args: Any, **kwargs: Any) -> Item:
        item = original(self, *args, **kwargs)
        item.state = "deleted"
        return item

    monkeypatch.setattr(EmulatorState, "create_subitem", dropped)
    result = _gate(load_config(shipped_config_path()), tmp_path)
    assert_gate_caught(result, "lost records", "line(s) not on the board")
    assert result.metrics["lost"] > 0
