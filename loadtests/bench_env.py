"""What the benchmarks share: a demo of N orders, the emulator over HTTP on loopback playing one
load profile, the config pointed at both, and the environment's tables.

    with emulated_demo(500, "realistic", work_dir) as bench:
        client = bench.client()
        summary = run_with(bench.config, ENV_NAME, SyncOptions(), client=client, db=bench.engine, tables=bench.tables)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from sync.config import Config, load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import Tables, build_tables, discover_sizes, make_engine
from sync.demo import init_demo
from sync.emulator import FaultProfile, build_emulator, serve
from sync.monday.client import MondayClient
from validation.load.rules import ENV_NAME, LoadProfile, load_profile, user_config

__all__ = ["BenchEnv", "emulated_demo"]


@dataclass(frozen=True)
class BenchEnv:
    """One benchmark's environment (``ENV_NAME``): its profile, config, database and tables."""

    profile: LoadProfile
    config: Config
    db_url: str
    engine: Engine
    tables: Tables

    def client(self) -> MondayClient:
        """A fresh client over real HTTP with the config's settings (its own request counters)."""
        return build_client(self.config, ENV_NAME, httpx.HTTPTransport(), EMULATOR_TOKEN)


@contextmanager
def emulated_demo(orders: int, profile_name: str, work_dir: Path) -> Iterator[BenchEnv]:
    """A demo of ``orders`` orders and the emulator serving ``profile_name``'s latency and limits (one user)."""
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
        yield BenchEnv(profile, config, db_url, engine, tables)
    finally:
        engine.dispose()
        server.shutdown()
        server.server_close()
