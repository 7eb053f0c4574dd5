"""Promotion rewrites one value with tomlkit, keeps the old bytes, logs who/when/what, and reverts exactly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sync.config import load_config
from sync.demo import shipped_config_path
from sync.errors import ConfigError
from validation.cutover.promote import (
    backup_path,
    last_promotion,
    promote,
    promotion_log_path,
    read_promotion_log,
    revert_promotion,
    set_active_environment,
    sha256_of,
)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A copy of the shipped config (comments, alignment and all)."""
    path = tmp_path / "ordersync.toml"
    shutil.copyfile(shipped_config_path(), path)
    return path


def test_set_active_environment_changes_only_that_value_and_keeps_its_comment() -> None:
    """Every other byte (comments, alignment, the value's own trailing comment) survives."""
    text = '# head\nactive_environment = "development"   # switch me\n\n[sync]\nbatch_size = 50  # aligned\n'
    out = set_active_environment(text, "production")
    assert out == text.replace('"development"', '"production"')


def test_promote_then_revert_restores_the_file_byte_for_byte(config_file: Path) -> None:
    """The backup holds the original bytes and revert writes them back; a second revert changes nothing."""
    original = config_file.read_bytes()
    promotion = promote(config_file, "production", cutover_id="c1", who="ana", record_in_db=False)
    assert load_config(config_file).active_environment == "production"
    assert promotion.from_env == "development" and promotion.who == "ana"
    assert promotion.sha256_before == sha256_of(original)
    assert promotion.sha256_after == sha256_of(config_file.read_bytes())
    assert backup_path(config_file, "c1").read_bytes() == original
    assert revert_promotion(config_file, "c1", who="ana") is True
    assert config_file.read_bytes() == original
    assert revert_promotion(config_file, "c1") is False
    assert [e["action"] for e in read_promotion_log(config_file)] == ["promote", "revert"]
    assert promotion_log_path(config_file).name == "ordersync.promotions.jsonl"


def test_who_defaults_to_the_user_variable(config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --who the promotion is attributed to $USER."""
    monkeypatch.setenv("USER", "ci-bot")
    promote(config_file, "production", cutover_id="c2", record_in_db=False)
    found = last_promotion(config_file)
    assert found is not None and found.who == "ci-bot" and found.cutover_id == "c2"


def test_promote_to_an_unknown_environment_changes_nothing(config_file: Path) -> None:
    """An unknown target is a ConfigError naming the known environments; no file is written."""
    original = config_file.read_bytes()
    with pytest.raises(ConfigError, match="known: development, production"):
        promote(config_file, "staging", cutover_id="c3", record_in_db=False)
    assert config_file.read_bytes() == original
    assert not backup_path(config_file, "c3").exists()
    assert read_promotion_log(config_file) == []


def test_revert_without_a_backup_is_an_error(config_file: Path) -> None:
    """Reverting a cutover whose backup is gone says so instead of guessing."""
    with pytest.raises(ConfigError, match="no backup"):
        revert_promotion(config_file, "never")
