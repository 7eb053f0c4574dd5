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
from pathlib import Path
from typing import Any

from loadtests.bench_env import emulated_demo
from sync.engine import SyncOptions, run_with
from sync.rollback import rollback_with
from validation.load.rules import ENV_NAME


def measure(orders: int, profile_name: str, work_dir: Path) -> dict[str, Any]:
    """One sync run and its rollback on the same emulator profile."""
    with emulated_demo(orders, profile_name, work_dir) as bench:
        board = bench.config.environment(ENV_NAME).monday
        client = bench.client()
        started = time.perf_counter()
        summary = run_with(bench.config, ENV_NAME, SyncOptions(), client=client, db=bench.engine, tables=bench.tables)
        sync_s = time.perf_counter() - started
        undo_client = bench.client()
        started = time.perf_counter()
        report = rollback_with(
            bench.config, ENV_NAME, summary.run_id, client=undo_client, db=bench.engine, tables=bench.tables
        )
        rollback_s = time.perf_counter() - started
        left_on_board = sum(1 for _ in undo_client.iter_items(board.board_id))
        left_on_board += sum(1 for _ in undo_client.iter_items(board.subitem_board_id))
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
