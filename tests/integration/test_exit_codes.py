"""Every exit code the README promises, from the real command line, and one-line failures.

0 success, 1 finished but did not pass, 2 config or command line wrong, 3 fatal outside the
data (token, board, monday or database unreachable, database locked), 130 SIGINT, 143 SIGTERM.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import httpx
import pytest
import tomlkit
from cutover_support import build_demo

from sync.cli import main
from sync.commands.common import EXIT_SIGINT, EXIT_SIGTERM, Terminated, exit_code_for, run_guarded
from sync.config import load_config
from sync.emulator import open_persistent
from sync.errors import FatalError, OrdersyncError, RetriableError

DEV = "development"


def _closed_port() -> int:
    """A loopback port nobody listens on (bound, read, released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _edit(config: Path, env: str, **monday: object) -> None:
    doc = tomlkit.parse(config.read_text(encoding="utf-8"))
    doc["sync"]["max_attempts"] = 2  # type: ignore[index]
    for key, value in monday.items():
        section, _, name = key.partition("__")
        doc["environments"][env][section][name] = value  # type: ignore[index]
    config.write_text(tomlkit.dumps(doc), encoding="utf-8")


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return build_demo(tmp_path / "demo", orders=10, alerts=False)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _one_line_no_traceback(output: str) -> str:
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_success_is_0_and_a_wrong_command_line_or_config_is_2(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "--config", str(demo), "config", "check", "--env", DEV)[0] == 0
    assert _run(capsys, "--config", str(demo), "sync", "--no-such-option")[0] == 2
    code, out = _run(capsys, "--config", str(demo), "verify", "--env", "nowhere")
    assert code == 2 and "nowhere" in out


def test_a_run_that_does_not_pass_is_1(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """verify finds the board empty while the database says SYNCED -> 1."""
    assert _run(capsys, "--config", str(demo), "sync", "--env", DEV)[0] == 0
    state = demo.parent / "emulator-development.json"
    doc = tomlkit.parse(demo.read_text(encoding="utf-8"))
    doc["environments"][DEV]["monday"]["emulator_state"] = str(state.with_name("elsewhere.json"))  # type: ignore[index]
    demo.write_text(tomlkit.dumps(doc), encoding="utf-8")
    code, out = _run(capsys, "--config", str(demo), "verify", "--env", DEV)
    assert code == 1, out
    assert "missing" in out.lower()


def test_unset_token_for_an_http_transport_is_3(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(demo, DEV, monday__transport="http", monday__token_env="ORDERSYNC_TEST_UNSET_TOKEN")
    code, out = _run(capsys, "--config", str(demo), "sync", "--env", DEV)
    assert code == 3
    line = _one_line_no_traceback(out)
    assert "ORDERSYNC_TEST_UNSET_TOKEN is not set" in line and "token_env" in line


def test_monday_unreachable_after_every_retry_is_3(
    demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    _edit(demo, DEV, monday__transport="http", monday__api_url=f"http://127.0.0.1:{port}/v2")
    monkeypatch.setenv("MONDAY_API_TOKEN_DEV", "not-a-real-token")
    code, out = _run(capsys, "--config", str(demo), "sync", "--env", DEV)
    assert code == 3
    line = _one_line_no_traceback(out)
    assert "monday.com unreachable after every retry" in line and "--debug" in line


def test_unreachable_postgresql_is_3_in_one_line_and_debug_shows_the_traceback(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    _edit(demo, DEV, database__url=f"postgresql+psycopg://ordersync@127.0.0.1:{port}/ordersync")
    code, out = _run(capsys, "--config", str(demo), "verify", "--env", DEV)
    assert code == 3
    line = _one_line_no_traceback(out)
    assert line.startswith("database unreachable:") and f"port {port}" in line
    code, out = _run(capsys, "--debug", "--config", str(demo), "verify", "--env", DEV)
    assert code == 3 and "Traceback" in out and "OperationalError" in out


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """Another connection holding an exclusive lock on the SQLite file."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_a_locked_sqlite_database_is_3_in_one_line(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ordersync waits SQLite's busy timeout (30 s), then names the lock."""
    with _exclusive_lock(demo.parent / "dev.db"):
        code, out = _run(capsys, "--config", str(demo), "verify", "--env", DEV)
    assert code == 3
    assert _one_line_no_traceback(out).startswith("database locked: database is locked")


def test_the_exit_code_table() -> None:
    """One table maps what went wrong to the code; what is not ours keeps its traceback."""
    assert exit_code_for(FatalError("board 1 not found")) == 3
    assert exit_code_for(RetriableError("timed out")) == 3
    assert exit_code_for(OrdersyncError("verify found 2 mismatches")) == 1
    assert exit_code_for(click.UsageError("bad")) == 2
    assert exit_code_for(KeyboardInterrupt()) == EXIT_SIGINT == 130
    assert exit_code_for(Terminated(signal.SIGTERM)) == EXIT_SIGTERM == 143
    with pytest.raises(ZeroDivisionError):
        exit_code_for(ZeroDivisionError())


def test_ctrl_c_is_130(capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_guarded(interrupted) == 130
    assert "interrupted" in capsys.readouterr().err


def test_sigterm_is_143(tmp_path: Path) -> None:
    """A real process: ``ordersync emulator serve`` gets SIGTERM and exits 143."""
    port = _closed_port()
    exe = Path(sys.executable).with_name("ordersync")
    proc = subprocess.Popen(
        [str(exe), "emulator", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 143
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read().decode()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_database_without_the_tables_is_3_in_one_line(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(demo, DEV, database__url="sqlite:///empty.db")
    code, out = _run(capsys, "--config", str(demo), "sync", "--env", DEV)
    assert code == 3
    assert _one_line_no_traceback(out).startswith("database table missing: swp_ORDER_LIST_SYNC")


def test_a_database_refusing_access_is_3_in_one_line(
    tmp_path: Path,
    database_url: str,
    engine_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A database that refuses ordersync's writes (SQLite opened read-only; on PostgreSQL a role that may
    connect but was granted nothing) is exit 3 with one line naming the refusal, no traceback."""
    import sqlalchemy as sa
    from engine_support import point_config_at

    from sync.db import build_tables

    demo = build_demo(tmp_path / "demo", orders=5, alerts=False)
    if database_url.startswith("sqlite"):
        source = demo.parent / "dev.db"
        _edit(demo, DEV, database__url=f"sqlite:///file:{source}?mode=ro&uri=true")
    else:
        role = f"ordersync_nogrant_{os.getpid()}"
        admin = sa.create_engine(engine_url, isolation_level="AUTOCOMMIT")
        point_config_at(demo, database_url)
        try:
            with admin.connect() as conn:
                build_tables().metadata.create_all(conn)
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
                conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'nogrant'")
            url = sa.make_url(database_url).set(username=role).render_as_string(hide_password=False)
            point_config_at(demo, url)
            monkeypatch.setenv("ORDERSYNC_TEST_DB_PASSWORD", "nogrant")
            code, out = _run(capsys, "--config", str(demo), "sync", "--env", DEV)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP OWNED BY {role}")
                conn.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
            admin.dispose()
        assert code == 3
        line = _one_line_no_traceback(out)
        assert line.startswith("database permission denied:") and "permission denied for" in line, line
        return
    code, out = _run(capsys, "--config", str(demo), "sync", "--env", DEV)
    assert code == 3
    assert _one_line_no_traceback(out).startswith("database permission denied:")


def test_a_full_board_is_3_in_one_line_naming_the_board_and_its_capacity(
    demo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """items_limit 4 on the items board and 10 orders: 4 fit, the run stops (3), the rest stay PENDING."""
    config = load_config(demo)
    board_id = config.environment(DEV).monday.board_id
    state = config.emulator_state_path(DEV)
    assert state is not None
    with open_persistent(state, require_token=False) as emulator:
        emulator.state.boards[str(board_id)].items_limit = 4
        emulator.save(state)
    code, out = _run(capsys, "--config", str(demo), "sync", "--env", DEV)
    assert code == 3, out
    line = _one_line_no_traceback(out)
    assert f"items board {board_id} is full" in line and "items_limit of 4 items" in line, line
    assert "6 row(s) not pushed stay PENDING" in line, line
