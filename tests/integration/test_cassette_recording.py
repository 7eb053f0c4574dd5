"""Recording the boards cassettes: through vcrpy against the emulator on a loopback HTTP server.

This is the one place a cassette and the emulator meet, on purpose and safely: the emulator
sits behind a real socket, and vcrpy only *records* the client's httpx network transport.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sync.cli import main
from sync.config import load_config
from sync.errors import ConfigError
from validation.gates.cassette_provenance import read_provenance
from validation.gates.cassettes import record_boards, replay_boards
from validation.gates.contract_changes import compare_recordings

REPO = Path(__file__).resolve().parents[2]
CONFIG = load_config(REPO / "ordersync.toml")


def test_recording_is_scrubbed_replayable_and_matches_the_committed_cassette(tmp_path: Path) -> None:
    """A fresh emulator recording has no secrets or ids, replays, and equals the committed cassette."""
    path = record_boards(CONFIG, "production", use_emulator=True, out_dir=tmp_path)
    assert path == tmp_path / "production" / "boards.yaml"
    text = path.read_text(encoding="utf-8")
    for secret in ("emulator-local", "authorization", "request_id", "account_id", "x-request-id"):
        assert secret not in text.lower()
    interaction = yaml.safe_load(text)["interactions"][0]
    assert interaction["request"]["uri"] == "http://127.0.0.1/v2"  # no ephemeral port
    assert interaction["response"]["headers"]["x-ordersync-recorded-from"] == ["emulator"]
    assert interaction["response"]["headers"]["x-ordersync-recorded-at"][0].startswith("20")
    provenance = read_provenance(path)
    assert (provenance.source, provenance.source_inferred, provenance.api_version) == ("emulator", False, "2026-10")
    assert provenance.board_ids == (9200517329, 9200771505)
    boards = replay_boards(CONFIG, "production", path)
    assert {b.id for b in boards} == {9200517329, 9200771505}
    assert compare_recordings(REPO / "cassettes" / "production" / "boards.yaml", path) == []


def test_second_recording_goes_next_to_the_first(tmp_path: Path) -> None:
    """An existing boards.yaml is kept; the new recording is boards.new.yaml unless replace is asked."""
    first = record_boards(CONFIG, "development", use_emulator=True, out_dir=tmp_path)
    second = record_boards(CONFIG, "development", use_emulator=True, out_dir=tmp_path)
    assert second.name == "boards.new.yaml"
    assert first.name == "boards.yaml"
    assert compare_recordings(first, second) == []
    assert record_boards(CONFIG, "development", use_emulator=True, out_dir=tmp_path, replace=True) == first


def test_live_recording_without_token_names_the_variable(tmp_path: Path) -> None:
    """No token in the environment: a ConfigError naming MONDAY_API_TOKEN_PROD, and nothing written."""
    with pytest.raises(ConfigError, match="MONDAY_API_TOKEN_PROD"):
        record_boards(CONFIG, "production", use_emulator=False, out_dir=tmp_path)
    assert not (tmp_path / "production" / "boards.yaml").exists()


def test_cli_records_with_the_emulator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ordersync cassettes record ENV --emulator --out DIR` writes the cassette and says where."""
    code = main(
        [
            "--config",
            str(REPO / "ordersync.toml"),
            "cassettes",
            "record",
            "development",
            "--emulator",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    assert (tmp_path / "development" / "boards.yaml").is_file()
    out = capsys.readouterr().out
    assert "boards.yaml" in out
    assert "recorded from the emulator (API version 2026-10) at 20" in out
    assert "does not accept an emulator recording" in out  # the shipped development env is transport http
    assert (
        main(
            [
                "--config",
                str(REPO / "ordersync.toml"),
                "cassettes",
                "record",
                "production",
                "--out",
                str(tmp_path),
            ]
        )
        == 3
    )  # no token: a fatal error outside the data (README exit codes)
