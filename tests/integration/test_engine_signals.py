"""SIGTERM / SIGINT on a real ``ordersync sync`` process against the emulator served over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
import tomlkit
from engine_support import ENV, ITEMS_BOARD, make_demo

from sync.connect import build_client
from sync.emulator import EmulatorTransport, FaultProfile, build_emulator, serve

pytestmark = pytest.mark.postgres


def _point_at_server(config_path: Path, url: str) -> None:
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    for env in doc["environments"].values():
        env["monday"]["transport"] = "http"
        env["monday"]["api_url"] = url
        env["monday"].pop("emulator_state", None)
    doc["sync"]["batch_size"] = 5
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _sync(config_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "MONDAY_API_TOKEN_DEV": "test-token", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "sync.cli", "--config", str(config_path), "sync", "--env", "development"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_settles_the_batch_records_interrupted_and_the_next_run_resumes(
    tmp_path: Path, database_url: str, signum: int, code: int
) -> None:
    """Signal mid-run: exit 128+n within one request timeout, run INTERRUPTED, nothing SENT, re-run completes."""
    emulator = build_emulator(require_token=False, faults=FaultProfile(latency_ms=60))
    server = serve(port=0, emulator=emulator)
    try:
        with make_demo(tmp_path, database_url, orders=60) as demo:
            config_path = tmp_path / "demo" / "ordersync.toml"
            _point_at_server(config_path, f"http://127.0.0.1:{server.server_address[1]}/v2")
            process = _sync(config_path)
            deadline = time.monotonic() + 60
            while not any(r.op == "create_item" for r in emulator.operation_log) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert process.poll() is None, process.communicate()
            process.send_signal(signum)
            sent_at = time.monotonic()
            out, err = process.communicate(timeout=60)
            assert process.returncode == code, (out, err)
            assert time.monotonic() - sent_at < demo.config.sync.request_timeout_s
            runs = demo.rows(demo.tables.runs)
            assert [r["status"] for r in runs] == ["INTERRUPTED"]
            ops = demo.rows(demo.tables.operations)
            assert ops and not [o for o in ops if o["status"] == "SENT"]
            target = demo.tables.target
            assert demo.rows(target, target.c.sync_state != "SYNCED"), "the signal came too late to test anything"
            assert demo.rows(demo.tables.leases) == []

            again = _sync(config_path)
            out, err = again.communicate(timeout=300)
            assert again.returncode == 0, (out, err)
            assert not demo.rows(target, target.c.sync_state != "SYNCED")
            lines = demo.tables.lines
            assert not demo.rows(lines, lines.c.sync_state != "SYNCED")
            with demo.db.connect() as conn:
                statuses = conn.execute(sa.select(demo.tables.runs.c.status)).scalars().all()
            assert sorted(statuses) == ["INTERRUPTED", "SUCCEEDED"]
            client = build_client(demo.config, ENV, EmulatorTransport(emulator), "test-token")
            orders = Counter(r.values["text_mkr5wya6"].text for r in client.iter_items(ITEMS_BOARD, limit=100))
            assert len(orders) == 60 and max(orders.values()) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_kill_9_then_a_rerun_after_the_lease_expires_then_rollbacks_restore_the_start(
    tmp_path: Path, database_url: str
) -> None:
    """kill -9 mid-run: the lease refuses a re-run until it expires; the re-run settles the dead run's SENT rows."""
    from datetime import timedelta

    from sync.engine.ledger import utcnow
    from sync.rollback import rollback_with

    emulator = build_emulator(require_token=False, faults=FaultProfile(latency_ms=60))
    server = serve(port=0, emulator=emulator)
    try:
        with make_demo(tmp_path, database_url, orders=40) as demo:
            config_path = tmp_path / "demo" / "ordersync.toml"
            _point_at_server(config_path, f"http://127.0.0.1:{server.server_address[1]}/v2")
            process = _sync(config_path)
            deadline = time.monotonic() + 60
            while sum(r.op == "create_item" for r in emulator.operation_log) < 7 and time.monotonic() < deadline:
                time.sleep(0.01)
            process.kill()
            process.communicate(timeout=30)
            (crashed,) = demo.rows(demo.tables.runs)
            assert crashed["status"] == "RUNNING"

            refused = _sync(config_path)
            out, err = refused.communicate(timeout=120)
            assert refused.returncode == 3 and crashed["run_id"] in err, (out, err)

            leases = demo.tables.leases
            demo.execute(leases.update().values(expires_at=utcnow() - timedelta(seconds=1)))
            again = _sync(config_path)
            out, err = again.communicate(timeout=300)
            assert again.returncode == 0, (out, err)
            ops = demo.tables.operations
            assert not demo.rows(ops, ops.c.status == "SENT")
            client = build_client(demo.config, ENV, EmulatorTransport(emulator), "test-token")
            orders = Counter(r.values["text_mkr5wya6"].text for r in client.iter_items(ITEMS_BOARD, limit=100))
            assert len(orders) == 40 and max(orders.values()) == 1
            runs = demo.tables.runs
            rerun = demo.rows(runs, runs.c.run_id != crashed["run_id"])[0]["run_id"]
            for run_id in (rerun, crashed["run_id"]):
                report = rollback_with(demo.config, ENV, run_id, client=client, db=demo.db, tables=demo.tables)
                assert report.complete, report.remaining
            assert list(client.iter_items(ITEMS_BOARD, limit=100)) == []
            assert demo.rows(demo.tables.target) == [] and demo.rows(demo.tables.lines) == []
    finally:
        server.shutdown()
        server.server_close()


def test_two_overlapping_ordersync_sync_processes_one_writes_one_is_refused(tmp_path: Path, database_url: str) -> None:
    """Two `ordersync sync` started together: one exits 0, the other exits 3 naming the holder; no duplicates."""
    emulator = build_emulator(require_token=False, faults=FaultProfile(latency_ms=60))  # a run lasts seconds
    server = serve(port=0, emulator=emulator)
    try:
        with make_demo(tmp_path, database_url, orders=30) as demo:
            config_path = tmp_path / "demo" / "ordersync.toml"
            _point_at_server(config_path, f"http://127.0.0.1:{server.server_address[1]}/v2")
            processes = [_sync(config_path), _sync(config_path)]
            results = [(p.communicate(timeout=300), p.returncode) for p in processes]
            codes = sorted(code for _, code in results)
            assert codes == [0, 3], results
            (_, err), _ = next(r for r in results if r[1] == 3)
            (run,) = demo.rows(demo.tables.runs)
            assert "locked by run" in err and run["run_id"] in err
            client = build_client(demo.config, ENV, EmulatorTransport(emulator), "test-token")
            orders = Counter(r.values["text_mkr5wya6"].text for r in client.iter_items(ITEMS_BOARD, limit=100))
            assert len(orders) == 30 and max(orders.values()) == 1
            groups = Counter(g.title for g in client.get_boards([ITEMS_BOARD])[0].groups)
            assert max(groups.values()) == 1
    finally:
        server.shutdown()
        server.server_close()
