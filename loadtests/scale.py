"""Scale benchmark: ``python -m loadtests.scale --orders 10000 100000 1000000``.

For each order count, in a child process of its own (so each peak RSS is that size's
alone): generate N orders into a fresh staging table, then

1. **first pass** — the real engine (``sync.engine.run_with``) with
   ``SyncOptions(dry_run=True)`` against an in-process emulator: change detection over
   every row and a full plan, nothing written to monday, the transaction rolled back;
2. detection alone, committed (timed: ``detect_only_*``, so the plan's share of the first
   pass shows), then every order and line marked ``SYNCED`` (what a finished sync leaves);
3. **second pass** — the same dry run again with nothing changed in staging.

Prints wall time, CPU time of this process (SQLite runs in it; PostgreSQL's server CPU is
not counted), orders/s and the peak RSS of each pass (sampled every 50 ms), side by side
for every N, plus the 1-minute load average at the start and end (the machine is shared).
Then every target of :mod:`loadtests.scale_targets` that applies, met or not; exit 1 when one
is not met (a peak above ``--max-rss-mb``, default 300, included). ``--url`` runs on PostgreSQL:
a scratch database ``--pg-database`` is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from loadtests.scale_support import PeakRss, scratch_database
from loadtests.scale_targets import verdicts
from sync.changes import detect_changes
from sync.config import load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import Tables, build_tables, create_schema, make_engine
from sync.demo import generate_orders, insert_orders, shipped_config_path
from sync.emulator import EmulatorTransport, build_emulator
from sync.engine import SyncOptions, run_with
from sync.states import SyncState
from validation.load.rules import ENV_NAME, LoadProfile, user_config

COLUMNS = (
    ("orders", "{:,}"),
    ("size_lines", "{:,}"),
    ("generate_insert_s", "{:.1f}"),
    ("first_pass_s", "{:.1f}"),
    ("first_pass_cpu_s", "{:.1f}"),
    ("first_orders_per_s", "{:,}"),
    ("first_peak_rss_mb", "{:.0f}"),
    ("detect_only_s", "{:.1f}"),
    ("detect_only_cpu_s", "{:.1f}"),
    ("detect_peak_rss_mb", "{:.0f}"),
    ("second_pass_s", "{:.2f}"),
    ("second_pass_cpu_s", "{:.2f}"),
    ("second_peak_rss_mb", "{:.0f}"),
    ("items_to_create", "{:,}"),
    ("lines_to_push", "{:,}"),
    ("second_items_to_push", "{:,}"),
    ("load_1min", "{}"),
)


def _dry_run(config: Any, db: sa.Engine, tables: Tables) -> tuple[Any, float, float, float]:
    """One dry run through the engine: (summary, wall s, cpu s, peak RSS MB during it)."""
    emulator = build_emulator(require_token=False)
    client = build_client(config, ENV_NAME, EmulatorTransport(emulator), EMULATOR_TOKEN)
    sampler = PeakRss()
    sampler.start()
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        summary = run_with(config, ENV_NAME, SyncOptions(dry_run=True), client=client, db=db, tables=tables)
    finally:
        client.http.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return summary, wall, cpu, sampler.stop()


def _mark_synced(db: sa.Engine, config: Any, tables: Tables) -> tuple[float, float, float]:
    """Commit a detection pass and mark everything SYNCED, as a finished sync would leave it.

    Returns the wall s, CPU s and peak RSS MB of the detection alone (the first pass
    minus these is the plan's share).
    """
    env = config.environment(ENV_NAME)
    with db.begin() as conn:
        sampler = PeakRss()
        sampler.start()
        wall, cpu = time.perf_counter(), time.process_time()
        detect_changes(conn, config, env, tables)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        peak = sampler.stop()
        for table in (tables.target, tables.lines):
            conn.execute(sa.update(table).values(sync_state=SyncState.SYNCED.value))
    return wall, cpu, peak


def measure(orders: int, seed: int, url: str | None, folder: Path) -> dict[str, Any]:
    """Generate ``orders`` and run both passes; the figures of one order count."""
    load_start = os.getloadavg()[0]
    if url is None:
        db_path = folder / f"scale-{orders}.db"
        for stale in folder.glob(db_path.name + "*"):
            stale.unlink()
        db_url = f"sqlite:///{db_path}"
    else:
        db_url = url
    db = make_engine(db_url)
    tables = build_tables()
    create_schema(db, tables)
    t0 = time.perf_counter()
    count, lines = insert_orders(db, tables.staging, generate_orders(orders, seed))
    generate_s = time.perf_counter() - t0
    base = load_config(shipped_config_path())
    board = base.environment(ENV_NAME).monday
    config = user_config(
        base, LoadProfile("scale"), "https://api.monday.com", db_url, board.board_id, board.subitem_board_id
    )
    try:
        first, first_s, first_cpu, first_rss = _dry_run(config, db, tables)
        detect_s, detect_cpu, detect_rss = _mark_synced(db, config, tables)
        second, second_s, second_cpu, second_rss = _dry_run(config, db, tables)
    finally:
        db.dispose()
        if url is None:
            for path in folder.glob(f"scale-{orders}.db*"):
                path.unlink()
    return {
        "orders": count,
        "size_lines": lines,
        "database": sa.make_url(db_url).get_backend_name(),
        "generate_insert_s": round(generate_s, 1),
        "first_pass_s": round(first_s, 2),
        "first_pass_cpu_s": round(first_cpu, 2),
        "first_orders_per_s": round(count / first_s) if first_s else None,
        "first_peak_rss_mb": round(first_rss, 1),
        "detect_only_s": round(detect_s, 2),
        "detect_only_cpu_s": round(detect_cpu, 2),
        "detect_peak_rss_mb": round(detect_rss, 1),
        "second_pass_s": round(second_s, 2),
        "second_pass_cpu_s": round(second_cpu, 2),
        "second_peak_rss_mb": round(second_rss, 1),
        "items_to_create": first.plan.get("items_to_create"),
        "lines_to_push": first.plan.get("lines_to_push"),
        "second_items_to_push": (second.plan.get("items_to_create") or 0) + (second.plan.get("items_to_update") or 0),
        "status": [first.status, second.status],
        "load_1min": f"{load_start:.1f}->{os.getloadavg()[0]:.1f}",
    }


def _table(results: list[dict[str, Any]]) -> str:
    width = max(len(name) for name, _ in COLUMNS)
    lines = []
    for name, fmt in COLUMNS:
        cells = [fmt.format(r[name]) if r.get(name) is not None else "-" for r in results]
        lines.append(f"{name:<{width}}  " + "  ".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every order count in its own process; print them side by side, then the JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-rss-mb", type=float, default=300.0)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--url", default=None, help="a PostgreSQL server URL instead of SQLite")
    parser.add_argument("--pg-database", default="ordersync_scale", help="scratch database created on --url")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="ordersync-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.child:
        if args.url:
            with scratch_database(args.url, args.pg_database) as url:
                result = measure(args.orders[0], args.seed, url, folder)
        else:
            result = measure(args.orders[0], args.seed, None, folder)
        print(json.dumps(result))
        return 0
    results = []
    for n in args.orders:
        command = [sys.executable, "-m", "loadtests.scale", "--child", "--orders", str(n), "--seed", str(args.seed)]
        command += ["--dir", str(folder)]
        if args.url:
            command += ["--url", args.url, "--pg-database", args.pg_database]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 3
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"{n:,} orders done", file=sys.stderr, flush=True)
    print(_table(results))
    judged = verdicts(results, args.max_rss_mb)
    print("\ntargets (loadtests/scale_targets.py):")
    for verdict in judged:
        print(verdict.line())
    print(json.dumps(results))
    ok = all(v.met for v in judged) and all(r["status"] == ["DRY_RUN", "DRY_RUN"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
