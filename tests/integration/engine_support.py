"""A demo environment on the test database with an in-process emulator: what engine tests drive."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tomlkit

from sync.config import Config, load_config
from sync.connect import build_client, open_db
from sync.db import Tables, build_tables, create_schema, make_engine
from sync.demo import bad_rows, generate_orders, init_demo, insert_orders
from sync.emulator import Emulator, EmulatorTransport, FaultProfile, build_emulator
from sync.engine import RunSummary, SyncOptions, run_with
from sync.monday.client import MondayClient

ENV = "development"
ITEMS_BOARD, SUBITEMS_BOARD = 9609317401, 9609317948


def point_config_at(config_path: Path, url: str) -> None:
    """Rewrite a demo config so both environments use ``url`` (the test database)."""
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    for env in doc["environments"].values():
        env["database"]["url"] = url
        if not url.startswith("sqlite"):
            env["database"]["password_env"] = "ORDERSYNC_TEST_DB_PASSWORD"
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")


@dataclass
class Demo:
    """Everything an engine test touches."""

    config: Config
    db: sa.Engine
    tables: Tables
    emulator: Emulator

    def client(self, **kwargs: Any) -> MondayClient:
        """A fresh client on the in-process emulator."""
        client = build_client(self.config, ENV, EmulatorTransport(self.emulator), "test-token")
        for key, value in kwargs.items():
            setattr(client, key, value)
        client._sleep = lambda _s: None  # retries in tests never wait for real
        return client

    def sync(self, options: SyncOptions | None = None) -> RunSummary:
        """One engine run."""
        return run_with(
            self.config, ENV, options or SyncOptions(), client=self.client(), db=self.db, tables=self.tables
        )

    def rows(self, table: sa.Table, *where: Any) -> list[dict[str, Any]]:
        """All rows of a table (small demos only)."""
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(table).where(*where)).mappings()]

    def ops(self, op: str | None = None) -> list[Any]:
        """The emulator's operation log, optionally one kind."""
        return [r for r in self.emulator.operation_log if op is None or r.op == op]

    def execute(self, statement: Any) -> None:
        """Run one write statement."""
        with self.db.begin() as conn:
            conn.execute(statement)


@contextmanager
def make_demo(
    tmp_path: Path,
    database_url: str,
    *,
    orders: int = 40,
    seed: int = 3,
    with_bad_rows: bool = False,
    faults: FaultProfile | None = None,
    emulator_options: dict[str, Any] | None = None,
) -> Iterator[Demo]:
    """Build the demo (config from the shipped one) with its staging data in ``database_url``.

    ``emulator_options`` go to :func:`build_emulator` (a ``clock``, a ``daily_call_limit``, ...).
    """
    result = init_demo(tmp_path / "demo", orders=1, seed=seed)
    point_config_at(result.config_path, database_url)
    engine = make_engine(load_config(result.config_path).database_url(ENV))
    tables = build_tables()
    create_schema(engine, tables)
    insert_orders(engine, tables.staging, generate_orders(orders, seed))
    if with_bad_rows:
        insert_orders(engine, tables.staging, iter([bad_rows(seed)]))
    engine.dispose()
    config = load_config(result.config_path)
    db, tables = open_db(config, ENV)
    options: dict[str, Any] = {"sleep": lambda _s: None, **(emulator_options or {})}
    emulator = build_emulator(require_token=False, faults=faults, **options)
    try:
        yield Demo(config, db, tables, emulator)
    finally:
        db.dispose()
