"""``[cutover]``: the multi-window declaration is validated with messages naming file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sync.config import load_config
from sync.errors import ConfigError
from sync.monday.plans import MondayPlan

SHIPPED = Path(__file__).resolve().parents[2] / "ordersync.toml"


def _config(tmp_path: Path, cutover: str) -> Path:
    path = tmp_path / "ordersync.toml"
    shutil.copy(SHIPPED, path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("\n[cutover]\n" + cutover)
    return path


def test_defaults_are_one_window_on_enterprise() -> None:
    """Without [cutover]: one 4 h window, Enterprise limits."""
    plan = load_config(SHIPPED).cutover
    assert (plan.initial_load_windows, plan.window_hours, plan.monday_plan) == (1, 4.0, MondayPlan.ENTERPRISE)
    assert not plan.multi_window


def test_a_multi_window_load_is_declared(tmp_path: Path) -> None:
    """Three 6 h windows a day apart, starting at a UTC time."""
    path = _config(
        tmp_path,
        'monday_plan = "pro"\ninitial_load_windows = 3\nwindow_hours = 6\nfirst_window_start = 2026-12-05T20:00:00Z\n',
    )
    plan = load_config(path).cutover
    assert plan.multi_window and plan.initial_load_windows == 3 and plan.monday_plan is MondayPlan.PRO
    assert plan.first_window_start is not None and plan.first_window_start.utcoffset() is not None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('monday_plan = "platinum"\n', "cutover.monday_plan: Input should be 'free'"),
        ("initial_load_windows = 0\n", "cutover.initial_load_windows"),
        ("first_window_start = 2026-12-05T20:00:00\n", "cutover.first_window_start: must carry a time zone"),
        ("initial_load_windows = 2\nwindow_hours = 6\nwindow_every_hours = 4\n", "the windows would overlap"),
        ("windows = 2\n", "cutover.windows"),
    ],
)
def test_bad_declarations_name_file_and_key(tmp_path: Path, body: str, message: str) -> None:
    """Each mistake comes back as a ConfigError naming the file and the key."""
    path = _config(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert str(path) in text
    assert message in text
