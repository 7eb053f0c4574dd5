"""A throw-away sync for gates that must *run* the engine: temporary SQLite order book + in-process emulator.

The ordering and dropdown gates never write to an environment's real board. They copy the
environment's settings (board ids, mapping, naming rules, batch size) into a temporary
config whose database is a fresh SQLite file filled with :mod:`sync.demo` data, and run the
real engine against an in-process emulator seeded with the environment's boards (from its
cassette when there is one, else the packaged board files). Time is a :class:`FakeClock`,
so injected 429s and retry back-offs cost no wall-clock time.

    with open_sandbox(config, "production", orders=200, faults=profile) as box:
        rounds = box.sync_until_done()
        ops = box.emulator.operation_log
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config, DatabaseConfig
from sync.connect import EMULATOR_TOKEN
from sync.db import Tables, build_tables, create_schema, discover_sizes, make_engine
from sync.demo import generate_orders, insert_orders
from sync.emulator import Emulator, EmulatorTransport, FaultProfile, boards_from_cassette, default_boards
from sync.emulator.faults import Faults
from sync.emulator.model import Board
from sync.emulator.testing import FakeClock
from sync.engine import SyncOptions, run_with
from sync.monday import MondayClient, RetryPolicy, build_http_client
from sync.monday.models import BoardInfo, ItemRecord
from sync.states import SyncState
from validation.gates.board_contract import cassette_path

__all__ = ["RoundResult", "Sandbox", "open_sandbox"]

DEFAULT_MAX_ROUNDS = 8


@dataclass(frozen=True)
class RoundResult:
    """One engine run inside the sandbox: its kind, outcome and what was still pending afterwards."""

    round: int
    kind: str
    status: str
    items_created: int = 0
    subitems_created: int = 0
    groups_created: int = 0
    retries: int = 0
    pending_after: int = 0
    error: str | None = None
    adopted: int = 0  # unknown outcomes the engine resolved by looking the order/line up on the board
    unknown: int = 0  # writes whose outcome the run could not learn


@dataclass
class Sandbox:
    """A temporary environment: config, database, emulator and the fake clock that drives both."""

    config: Config
    env_name: str
    db: Engine
    tables: Tables
    emulator: Emulator
    clock: FakeClock
    seed: int
    client_errors: dict[str, int] = field(default_factory=dict)

    @property
    def items_board_id(self) -> int:
        """The environment's items board."""
        return self.config.environment(self.env_name).monday.board_id

    @property
    def subitems_board_id(self) -> int:
        """The environment's subitems board."""
        return self.config.environment(self.env_name).monday.subitem_board_id

    def client(self) -> MondayClient:
        """A client on the in-process emulator with the environment's batch size; sleeps on the fake clock."""
        env = self.config.environment(self.env_name)
        http = build_http_client(
            api_url=env.monday.api_url,
            token=EMULATOR_TOKEN,
            api_version=env.monday.api_version,
            transport=EmulatorTransport(self.emulator),
        )
        retry = RetryPolicy(max_attempts=self.config.sync.max_attempts, rng=random.Random(self.seed).random)
        return MondayClient(
            http,
            retry=retry,
            pacer=None,
            max_batch=self.config.sync.batch_size,
            sleep=self.clock.sleep,
            clock=self.clock,
        )

    def pending(self) -> int:
        """Orders not SYNCED plus lines with a quantity that are not SYNCED."""
        t, lines = self.tables.target, self.tables.lines
        with self.db.connect() as conn:
            orders = conn.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.sync_state != SyncState.SYNCED.value)
            ).scalar_one()
            open_lines = conn.execute(
                sa.select(sa.func.count())
                .select_from(lines)
                .where(lines.c.sync_state != SyncState.SYNCED.value, lines.c.qty > 0)
            ).scalar_one()
        return int(orders) + int(open_lines)

    def sync_until_done(self, max_rounds: int = DEFAULT_MAX_ROUNDS) -> list[RoundResult]:
        """Sync, then retry ERROR rows, until nothing is pending, nothing moves, or ``max_rounds`` runs."""
        rounds: list[RoundResult] = []
        stalled = 0
        for n in range(max_rounds):
            before = self.pending() if rounds else None
            if before == 0:
                break
            retry = bool(rounds) and self._has_errors()
            # A retry also pushes PENDING rows: an order adopted after an unknown outcome is PENDING
            # (an UPDATE onto the found item) and a retry of the ERROR rows alone would strand it.
            options = (
                SyncOptions(detect=False, states=(SyncState.PENDING.value, SyncState.ERROR.value), kind="retry")
                if retry
                else SyncOptions()
            )
            rounds.append(self._run_once(n + 1, options))
            stalled = stalled + 1 if before is not None and rounds[-1].pending_after >= before else 0
            if stalled >= 2:
                break
        return rounds

    def sync_once(self, number: int = 1) -> RoundResult:
        """Exactly one engine run with change detection, whatever is pending (e.g. to prove it sends nothing)."""
        return self._run_once(number, SyncOptions())

    def _has_errors(self) -> bool:
        t, lines = self.tables.target, self.tables.lines
        with self.db.connect() as conn:
            return bool(
                conn.execute(
                    sa.select(sa.func.count()).select_from(t).where(t.c.sync_state == SyncState.ERROR.value)
                ).scalar_one()
            ) or bool(
                conn.execute(
                    sa.select(sa.func.count()).select_from(lines).where(lines.c.sync_state == SyncState.ERROR.value)
                ).scalar_one()
            )

    def _run_once(self, number: int, options: SyncOptions) -> RoundResult:
        client = self.client()
        try:
            summary = run_with(self.config, self.env_name, options, client=client, db=self.db, tables=self.tables)
        except Exception as exc:  # a run that gives up is data for the gate, not a crash of the gate
            result = RoundResult(
                number,
                options.kind,
                "RAISED",
                error=f"{type(exc).__name__}: {exc}",
                retries=client.stats.retries,
                pending_after=self.pending(),
            )
        else:
            result = RoundResult(
                number,
                options.kind,
                summary.status,
                summary.items_created,
                summary.subitems_created,
                summary.groups_created,
                client.stats.retries,
                self.pending(),
                adopted=summary.adopted,
                unknown=summary.rows_unknown,
            )
        finally:
            client.http.close()
        for code, count in client.stats.errors_by_code.items():
            self.client_errors[code] = self.client_errors.get(code, 0) + count
        return result

    def quiet(self) -> None:
        """Stop injecting faults (for reading the final board state back)."""
        self.emulator.faults = Faults(FaultProfile(seed=self.seed))

    def boards(self) -> dict[int, BoardInfo]:
        """The environment's two boards as the emulator holds them now."""
        client = self.client()
        try:
            return {b.id: b for b in client.get_boards([self.items_board_id, self.subitems_board_id])}
        finally:
            client.http.close()

    def items(self, board_id: int) -> list[ItemRecord]:
        """Every item on a board, read through the client's pagination."""
        client = self.client()
        try:
            return list(client.iter_items(board_id))
        finally:
            client.http.close()

    def rows(self, table: sa.Table) -> list[dict[str, Any]]:
        """Every row of a sandbox table (sandboxes are small)."""
        with self.db.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(table)).mappings()]


@contextmanager
def open_sandbox(
    config: Config,
    env_name: str,
    *,
    orders: int = 200,
    seed: int = 42,
    rows: Sequence[dict[str, Any]] | None = None,
    faults: FaultProfile | None = None,
    work_dir: Path | None = None,
) -> Iterator[Sandbox]:
    """A sandbox for ``env_name``: ``rows`` (staging rows) or ``orders`` generated demo orders."""
    with _work_dir(work_dir) as folder:
        box_config = _sandbox_config(config, env_name, folder)
        env = box_config.environment(env_name)
        tables = build_tables(env.source_table, env.target_table, env.lines_table)
        engine = make_engine(box_config.database_url(env_name))
        try:
            create_schema(engine, tables)
            data = iter([list(rows)]) if rows is not None else generate_orders(orders, seed)
            insert_orders(engine, tables.staging, data)
            sizes = discover_sizes(
                engine,
                env.source_table,
                config.sizes.start_after,
                config.sizes.end_before,
                config.sizes.max_sizes,
            )
            tables = build_tables(env.source_table, env.target_table, env.lines_table, sizes)
            clock = FakeClock()
            emulator = Emulator(
                _boards_for(config, env_name),
                seed=seed,
                require_token=False,
                faults=faults or FaultProfile(seed=seed),
                clock=clock,
                sleep=clock.sleep,
            )
            yield Sandbox(box_config, env_name, engine, tables, emulator, clock, seed)
        finally:
            engine.dispose()


@contextmanager
def _work_dir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ordersync-sandbox-") as tmp:
        yield Path(tmp)


def _sandbox_config(config: Config, env_name: str, folder: Path) -> Config:
    """The environment's settings with a fresh SQLite database and the emulator transport."""
    env = config.environment(env_name)
    monday = env.monday.model_copy(update={"transport": "emulator", "emulator_state": str(folder / "emulator.json")})
    database = DatabaseConfig(url=f"sqlite:///{folder / 'sandbox.db'}")
    box_env = env.model_copy(update={"database": database, "monday": monday})
    return config.model_copy(
        update={
            "environments": {env_name: box_env},
            "active_environment": env_name,
            "path": folder / "ordersync.toml",
        }
    )


def _boards_for(config: Config, env_name: str) -> list[Board]:
    """The environment's boards from its cassette when recorded, else the packaged board files."""
    monday = config.environment(env_name).monday
    wanted = {str(monday.board_id), str(monday.subitem_board_id)}
    cassette = cassette_path(config, env_name)
    boards = boards_from_cassette(cassette) if cassette is not None else []
    if not wanted <= {str(b.id) for b in boards}:
        boards = default_boards()
    missing = wanted - {str(b.id) for b in boards}
    if missing:
        raise LookupError(
            f"no board definition for {sorted(missing)} (environment {env_name!r}): record its "
            f"cassette with `ordersync cassettes record {env_name}`"
        )
    return boards
