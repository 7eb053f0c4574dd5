"""Scale benchmark: ``python -m loadtests.scale --orders 100000``.

Generates N orders into a fresh SQLite staging table (in chunks), then runs the real engine
(``sync.engine.run_with``) with ``SyncOptions(dry_run=True)`` against an in-process emulator:
change detection over every row and a full plan, nothing written to monday. Prints the time
of each phase and the process's peak RSS, sampled every 50 ms, and exits 1 when the peak is
above ``--max-rss-mb`` (default 300): memory must stay flat whatever the order count.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

import psutil

from sync.config import load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import build_tables, create_schema, make_engine
from sync.demo import generate_orders, insert_orders, shipped_config_path
from sync.emulator import EmulatorTransport, build_emulator
from sync.engine import SyncOptions, run_with
from validation.load.rules import ENV_NAME, LoadProfile, user_config


class PeakRss(threading.Thread):
    """Samples this process's RSS until stopped; ``peak_mb`` is the highest value seen."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak = interval, 0
        self._done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.is_set():
            self.peak = max(self.peak, me.memory_info().rss)
            self._done.wait(self.interval)

    @property
    def peak_mb(self) -> float:
        """The peak so far in MB."""
        return self.peak / 1_048_576

    def stop(self) -> float:
        """Stop and return the peak in MB."""
        self._done.set()
        self.join()
        return self.peak_mb


def main(argv: list[str] | None = None) -> int:
    """Generate, detect and plan; print the figures as text and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-rss-mb", type=float, default=300.0)
    parser.add_argument("--dir", type=Path, default=None, help="where the SQLite file goes (default: a temp dir)")
    args = parser.parse_args(argv)

    sampler = PeakRss()
    sampler.start()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="ordersync-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = folder / "scale.db"
    db_path.unlink(missing_ok=True)
    db = make_engine(f"sqlite:///{db_path}")
    tables = build_tables()
    create_schema(db, tables)
    t0 = time.perf_counter()
    orders, lines = insert_orders(db, tables.staging, generate_orders(args.orders, args.seed))
    t_generate = time.perf_counter() - t0
    rss_after_insert = sampler.peak_mb

    emulator = build_emulator(require_token=False)
    base = load_config(shipped_config_path())
    board = base.environment(ENV_NAME).monday
    config = user_config(
        base,
        LoadProfile("scale"),
        "https://api.monday.com",
        f"sqlite:///{db_path}",
        board.board_id,
        board.subitem_board_id,
    )
    client = build_client(config, ENV_NAME, EmulatorTransport(emulator), EMULATOR_TOKEN)
    t1 = time.perf_counter()
    try:
        summary = run_with(config, ENV_NAME, SyncOptions(dry_run=True), client=client, db=db, tables=tables)
    finally:
        client.http.close()
        db.dispose()
    t_dry_run = time.perf_counter() - t1
    peak = sampler.stop()
    figures = {
        "orders": orders,
        "size_lines": lines,
        "generate_insert_s": round(t_generate, 1),
        "detect_and_plan_s": round(t_dry_run, 1),
        "orders_per_s": round(orders / t_dry_run) if t_dry_run else None,
        "items_to_create": summary.plan.get("items_to_create"),
        "lines_to_push": summary.plan.get("lines_to_push"),
        "groups_to_create": len(summary.plan.get("groups_to_create") or []),
        "rejected": summary.rows_rejected,
        "rss_after_insert_mb": round(rss_after_insert, 1),
        "peak_rss_mb": round(peak, 1),
        "max_rss_mb": args.max_rss_mb,
        "status": summary.status,
    }
    print(f"{orders:,} orders ({lines:,} size lines) generated and inserted in {t_generate:.1f}s")
    print(
        f"dry run (change detection + plan): {t_dry_run:.1f}s = {figures['orders_per_s']:,} orders/s; "
        f"plan: {figures['items_to_create']:,} items, {figures['lines_to_push']:,} lines, "
        f"{figures['groups_to_create']} groups, {summary.rows_rejected} rejected"
    )
    print(f"peak RSS {peak:.1f} MB (limit {args.max_rss_mb:.0f} MB)")
    print(json.dumps(figures))
    return 0 if peak <= args.max_rss_mb and summary.status == "DRY_RUN" else 1


if __name__ == "__main__":
    raise SystemExit(main())
