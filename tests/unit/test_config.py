"""The config file: the shipped one resolves, and each mistake exits 2 naming file, key and problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomlkit
from click.testing import CliRunner

from sync.cli import cli, main
from sync.config import load_config, monday_token, resolve_environment_name
from sync.errors import ConfigError

SHIPPED = Path(__file__).resolve().parents[2] / "ordersync.toml"


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    doc = tomlkit.parse(SHIPPED.read_text(encoding="utf-8"))
    mutate(doc)
    path = tmp_path / "bad.toml"
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [str(p) for p in info.value.problems]


def test_shipped_config_loads_with_two_environments_on_different_boards() -> None:
    """The shipped file is valid; dev and prod point at the seed's boards."""
    config = load_config(SHIPPED)
    assert config.environment("development").monday.board_id == 9609317401
    assert config.environment("production").monday.board_id == 9200517329
    assert config.environment("production").monday.subitem_board_id == 9200771505
    ids = {m.column for m in config.environment("production").mapping.items.values()}
    assert not any(i.startswith(("dropdown_mkp", "text_mkp")) for i in ids)


def test_config_check_prints_the_resolved_environment() -> None:
    """`ordersync config check` exits 0 and names boards, tables and mapping size."""
    result = CliRunner().invoke(cli, ["--config", str(SHIPPED), "config", "check", "--env", "production"])
    assert result.exit_code == 0, result.output
    assert "9200517329" in result.output and "FACT_ORDER_LIST" in result.output and "45 columns" in result.output


def _set(path_keys: list[str], value: object):  # type: ignore[no-untyped-def]
    def mutate(doc):  # type: ignore[no-untyped-def]
        node = doc
        for key in path_keys[:-1]:
            node = node[key]
        node[path_keys[-1]] = value

    return mutate


def _delete(path_keys: list[str]):  # type: ignore[no-untyped-def]
    def mutate(doc):  # type: ignore[no-untyped-def]
        node = doc
        for key in path_keys[:-1]:
            node = node[key]
        del node[path_keys[-1]]

    return mutate


CASES = [
    ("unknown key", _set(["sync", "batchsize"], 5), r"bad\.toml: sync\.batchsize: unknown key"),
    (
        "missing key",
        _delete(["environments", "production", "monday", "board_id"]),
        r"environments\.production\.monday\.board_id: required key is missing",
    ),
    (
        "board id not an integer",
        _set(["environments", "production", "monday", "board_id"], "92005x"),
        r"environments\.production\.monday\.board_id: must be an integer board id, got '92005x'",
    ),
    (
        "dev and prod share a board",
        _set(["environments", "production", "monday", "board_id"], 9609317401),
        r"environments\.production\.monday\.board_id: board 9609317401 is also used by environments\.development",
    ),
    (
        "two DB columns into one monday column",
        _set(
            ["environments", "development", "mapping", "items", "Warehouse"],
            {"column": "text_mkr5ps35", "type": "text"},
        ),
        r"mapping\.items\.'Warehouse': monday column text_mkr5ps35 is already the target of 'DESTINATION WAREHOUSE'",
    ),
    (
        "impossible column id",
        _set(
            ["environments", "development", "mapping", "items", "PO NUMBER"], {"column": "PO Number!", "type": "text"}
        ),
        r"mapping\.items\.PO NUMBER\.column: 'PO Number!' cannot be a monday column id",
    ),
    (
        "unknown active environment",
        _set(["active_environment"], "staging"),
        r"active_environment: unknown environment 'staging' \(known: development, production\)",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "message"), CASES, ids=[c[0] for c in CASES])
def test_each_bad_config_names_file_key_and_problem(tmp_path: Path, case: str, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    """One precise line per mistake, and the CLI exits 2."""
    path = _write(tmp_path, mutate)
    problems = _problems(path)
    assert any(re.search(message, p) for p in problems), (case, problems)
    assert main(["--config", str(path), "config", "check"]) == 2


def test_unknown_environment_from_the_command_line_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--env with a name the file does not define is a usage error naming the known ones."""
    assert main(["--config", str(SHIPPED), "config", "check", "--env", "prod"]) == 2
    assert "--env: unknown environment 'prod' (known: development, production)" in capsys.readouterr().err


def test_environment_resolution_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """--env beats $ORDERSYNC_ENV beats active_environment."""
    config = load_config(SHIPPED)
    assert resolve_environment_name(config, None) == "development"
    monkeypatch.setenv("ORDERSYNC_ENV", "production")
    assert resolve_environment_name(config, None) == "production"
    assert resolve_environment_name(config, "development") == "development"


def test_unset_token_is_named_and_a_set_token_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A live call without a token names the variable; `config check` never shows its value."""
    config = load_config(SHIPPED)
    with pytest.raises(
        ConfigError,
        match=r"environments\.production\.monday\.token_env: environment variable "
        r"MONDAY_API_TOKEN_PROD is not set",
    ):
        monday_token(config, "production")
    secret = "tok_" + "s3cr3t" * 6
    monkeypatch.setenv("MONDAY_API_TOKEN_PROD", secret)
    assert monday_token(config, "production") == secret
    assert main(["--config", str(SHIPPED), "config", "check", "--env", "production"]) == 0
    out = capsys.readouterr()
    assert secret not in out.out + out.err and "(set)" in out.out


def test_password_in_url_is_refused(tmp_path: Path) -> None:
    """Secrets come from the environment only: a URL with a password is an error."""
    path = _write(
        tmp_path, _set(["environments", "development", "database"], {"url": "postgresql://u:hunter2@localhost/orders"})
    )
    assert any("must not contain a password" in p for p in _problems(path))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    """A syntax error is reported with the file name, not a traceback."""
    path = tmp_path / "broken.toml"
    path.write_text("active_environment = \n", encoding="utf-8")
    assert any(p.startswith(f"{path}: <toml>: not valid TOML") for p in _problems(path))
