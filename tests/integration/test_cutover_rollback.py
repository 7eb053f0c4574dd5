"""Rolling back a cutover checks everything before it changes anything; readable output; no false blocks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cutover_support import FAST_GATES, PROD, board_state, build_demo, observable

from sync.cli import main
from sync.config import load_config
from sync.connect import open_client
from sync.engine import SyncOptions, run_sync
from sync.monday.models import NewItem
from validation.cutover.rollback import rollback_cutover
from validation.cutover.runner import run_cutover


@pytest.fixture(autouse=True)
def fast_required_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about rollback: the required set is narrowed to two real gates (as in test_cutover)."""
    monkeypatch.setattr("validation.cutover.runner.required_gates", lambda env_name: FAST_GATES)


def _cut_over(tmp_path: Path, canary: int = 3) -> tuple[Path, tuple[object, ...], str]:
    config = build_demo(tmp_path / "demo", alerts=False)
    before = observable(config)
    result = run_cutover(config, to_env=PROD, canary=canary, report_root=tmp_path / "reports")
    assert result.ok
    return config, before, result.cutover_id


def test_a_retry_after_the_promotion_that_wrote_nothing_does_not_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: `retry` on production created nothing; the rollback completes and prints plain lines."""
    config, before, _ = _cut_over(tmp_path)
    retry = run_sync(load_config(config), PROD, SyncOptions(detect=False, states=("ERROR",), kind="retry"))
    assert retry.items_created == 0 and retry.api_mutations == 0
    capsys.readouterr()
    assert main(["--config", str(config), "rollback", "--cutover", "last"]) == 0
    out = capsys.readouterr()
    assert observable(config) == before
    text = out.out + out.err
    assert "ROLLED BACK" in text
    for repr_mark in ("{'", "'}", "': ", "[]", "True", "False", "None"):
        assert repr_mark not in text, text


def test_an_unreachable_database_changes_nothing_not_even_the_config(tmp_path: Path) -> None:
    config, _, cutover_id = _cut_over(tmp_path)
    promoted, board = config.read_bytes(), board_state(config)
    parked = tmp_path / "parked"
    parked.mkdir()
    for path in config.parent.glob("prod.db*"):
        shutil.move(path, parked / path.name)
    try:
        outcome = rollback_cutover(config)
    finally:
        for path in config.parent.glob("prod.db*"):
            path.unlink()
        for path in parked.iterdir():
            shutil.move(path, config.parent / path.name)
    assert not outcome.complete and outcome.refused
    assert any(
        "cannot open the production database" in item and "nothing was changed" in item for item in outcome.remaining
    )
    assert config.read_bytes() == promoted  # the config waits for the database
    assert board_state(config) == board
    again = rollback_cutover(config, cutover_id)
    assert again.complete, again.remaining
    assert config.read_bytes() != promoted


def test_a_canary_group_holding_a_foreign_item_refuses_before_the_config_is_reverted(tmp_path: Path) -> None:
    config, _, _ = _cut_over(tmp_path, canary=2)
    promoted = config.read_bytes()
    loaded = load_config(config)
    board = loaded.environment(PROD).monday.board_id
    group = next(item[3] for item in board_state(config)["items"] if item[0] == str(board))
    with open_client(loaded, PROD) as client:
        client.create_items(board, [NewItem("x", "by hand", group, {})], create_labels=False, idempotency_key="hand")
    board_before = board_state(config)
    code = main(["--config", str(config), "rollback", "--cutover", "last"])
    assert code == 1
    assert config.read_bytes() == promoted
    assert board_state(config) == board_before
    outcome = rollback_cutover(config)
    assert outcome.refused and any(f"group {group}" in item for item in outcome.remaining)
