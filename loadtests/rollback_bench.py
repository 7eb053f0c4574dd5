"""Rollback benchmark: ``python -m loadtests.rollback_bench --orders 200``.

Is undoing a run at most twice as slow as making it? On one load profile (default
``realistic``: 250 ms + up to 100 ms latency per request, the profile's complexity budget and
requests per minute enforced by the emulator and paced by the client, 50 aliases per request)
it

1. builds a demo staging table of N orders and starts the emulator over HTTP on loopback,
2. runs the real engine once (``sync.engine.run_with``) and times it,
3. rolls that run back (``sync.rollback.rollback_with``) through a client with the same
   settings, times it, and checks the board is empty again,
4. prints both durations, both request counts and the ratio; exits 1 when the ratio is above
   ``--max-ratio`` (default 2.0) or the rollback left anything.

``--json PATH`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from sync.config import load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import build_tables, discover_sizes, make_engine
from sync.demo import init_demo
from sync.emulator import FaultProfile, build_emulator, serve
from sync.engine import SyncOptions, run_with
from sync.rollback import rollback_with
from validation.load.rules import ENV_NAME, load_profile, user_config


def measure(orders: int, profile_name: str, work_dir: Path) -> dict[str, Any]:
    """One sync run and its rollback on the same emulator profile."""
    profile = replace(load_profile(profile_name), users=1)
    demo = init_demo(work_dir / "demo", orders=orders)
    emulator = build_emulator(
        faults=FaultProfile(profile.latency_ms, profile.jitter_ms, seed=profile.seed),
        complexity_budget=profile.complexity_budget_per_minute,
        rate_limit_per_minute=profile.rate_limit_per_minute,
        seed=profile.seed,
        require_token=False,
    )
    server = serve("127.0.0.1", 0, emulator)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    base = load_config(demo.config_path)
    env = base.environment(ENV_NAME)
    db_url = f"sqlite:///{demo.databases[ENV_NAME]}"
    config = user_config(base, profile, url, db_url, env.monday.board_id, env.monday.subitem_board_id)
    engine = make_engine(db_url)
    try:
        e = config.environment(ENV_NAME)
        sizes = discover_sizes(
            engine, e.source_table, config.sizes.start_after, config.sizes.end_before, config.sizes.max_sizes
        )
        tables = build_tables(e.source_table, e.target_table, e.lines_table, sizes)
        client = build_client(config, ENV_NAME, httpx.HTTPTransport(), EMULATOR_TOKEN)
        started = time.perf_counter()
        summary = run_with(config, ENV_NAME, SyncOptions(), client=client, db=engine, tables=tables)
        sync_s = time.perf_counter() - started
        undo_client = build_client(config, ENV_NAME, httpx.HTTPTransport(), EMULATOR_TOKEN)
        started = time.perf_counter()
        report = rollback_with(config, ENV_NAME, summary.run_id, client=undo_client, db=engine, tables=tables)
        rollback_s = time.perf_counter() - started
        left_on_board = sum(1 for _ in undo_client.iter_items(e.monday.board_id))
        left_on_board += sum(1 for _ in undo_client.iter_items(e.monday.subitem_board_id))
    finally:
        engine.dispose()
        server.shutdown()
        server.server_close()
    return {
        "profile": profile_name,
        "orders": orders,
        "items_created": summary.items_created,
        "subitems_created": summary.subitems_created,
        "groups_created": summary.groups_created,
        "sync_s": round(sync_s, 2),
        "sync_requests": client.stats.requests,
        "rollback_s": round(rollback_s, 2),
        "rollback_requests": undo_client.stats.requests,
        "rollback_complete": report.complete,
        "rollback_deleted": report.deleted,
        "groups_deleted": report.groups_deleted,
        "left_on_board": left_on_board,
        "ratio": round(rollback_s / sync_s, 3) if sync_s else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 above ``--max-ratio`` or when the rollback left anything."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--max-ratio", type=float, default=2.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ordersync-rollback-bench-") as tmp:
        result = measure(args.orders, args.profile, Path(tmp))
    print(
        f"profile {result['profile']}: {result['orders']} orders -> {result['items_created']} items, "
        f"{result['subitems_created']} subitems, {result['groups_created']} groups"
    )
    print(f"sync:     {result['sync_s']:.2f} s in {result['sync_requests']} requests")
    print(
        f"rollback: {result['rollback_s']:.2f} s in {result['rollback_requests']} requests "
        f"({result['rollback_deleted']} items/subitems and {result['groups_deleted']} groups undone, "
        f"{result['left_on_board']} left on the boards)"
    )
    print(f"ratio rollback/sync: {result['ratio']} (limit {args.max_ratio})")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    ok = result["rollback_complete"] and result["left_on_board"] == 0
    return 0 if ok and result["ratio"] is not None and result["ratio"] <= args.max_ratio else 1


if __name__ == "__main__":
    sys.exit(main())
