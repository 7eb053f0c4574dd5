"""The naive baseline: the same kind of order book synced one request per record, as the origin did.

The origin's "single mode" and the ``monday`` PyPI client (ProdPerfect, ``from monday import
MondayClient``) send one ``create_item`` per order and one ``create_subitem`` per size line,
sequentially, with the column values spliced into the query text. That client has no
constructor argument for the API URL (it hard-codes ``https://api.monday.com/v2`` in
``monday.resources.base``), but every resource keeps its ``GraphQLClient`` in ``.client``
with a plain ``endpoint`` attribute; :func:`naive_client` re-points those at the emulator.
No code of the package is patched.

Column values and names come from ordersync's own pure planner (:func:`sync.plan.plan_items`,
:func:`sync.plan.plan_subitems`) so both sides write identical data; change detection fills
the lines table the same way. Only the sending differs. The baseline does not write ids
back to the database (the origin did, which would only make it slower). A 429 is waited out
(``retry_in_seconds``) and retried, because the origin's loop did at least that much.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from sync.changes import detect_changes
from sync.config import Config, load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import Tables, build_tables, create_schema, make_engine
from sync.demo import generate_orders, insert_orders, shipped_config_path
from sync.mapping import BoardColumns
from sync.plan import plan_items, plan_subitems
from validation.load.rules import ENV_NAME, LoadProfile, user_config

__all__ = ["BaselineTally", "naive_client", "run_baseline"]

BASELINE_SEED_OFFSET = 500_000_000  # order numbers far from the Locust users' slices
MAX_ERROR_CHARS = 300  # a driver error can carry every bound parameter: the page needs the first line


@dataclass
class BaselineTally:
    """Counts of one baseline thread."""

    records: int = 0
    failures: int = 0
    requests: int = 0
    http_429: int = 0
    groups: int = 0


def naive_client(url: str) -> Any:
    """A ``monday.MondayClient`` whose item and group resources post to ``url`` (the emulator)."""
    from monday import MondayClient

    client = MondayClient(EMULATOR_TOKEN, headers={"API-Version": "2026-10"})
    for resource in (client.items, client.groups):
        resource.client.endpoint = f"{url.rstrip('/')}/v2"
    return client


def run_baseline(
    url: str,
    profile: LoadProfile,
    *,
    users: int,
    duration_s: float,
    scratch: Path | None = None,
    config: Config | None = None,
    env_name: str = ENV_NAME,
) -> dict[str, Any]:
    """``users`` threads, each on its own cloned boards, one request per record for ``duration_s``.

    ``config``/``env_name``: the config under test (default: the shipped one), as for the engine.
    Each user's database lives in a folder under ``scratch`` (default: the system temp dir), removed when it ends.
    """
    base = config or load_config(shipped_config_path())
    barrier = threading.Barrier(users + 1)
    tallies = [BaselineTally() for _ in range(users)]
    errors: list[str] = []
    stamps: dict[str, float] = {}

    def worker(number: int) -> None:
        try:
            _Worker(url, profile, number, tallies[number], base, env_name, scratch).run(barrier, stamps, duration_s)
        except Exception as exc:  # reported in the result, never raised into the load test
            errors.append(f"baseline user {number}: {type(exc).__name__}: {str(exc)[:MAX_ERROR_CHARS]}")
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(n,), name=f"baseline-{n}") for n in range(users)]
    for thread in threads:
        thread.start()
    with contextlib.suppress(threading.BrokenBarrierError):  # a failed setup is in ``errors``
        barrier.wait(timeout=300)
    started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=duration_s + 120)
    elapsed = stamps.get("last_end", time.perf_counter()) - started
    total = BaselineTally(**{k: sum(getattr(t, k) for t in tallies) for k in asdict(BaselineTally())})
    return {
        "method": "one request per record with the monday PyPI client (ProdPerfect, v2.x), endpoint "
        "re-pointed "
        "at the emulator; values from ordersync's planner",
        "users": users,
        "duration_s": round(elapsed, 2),
        **asdict(total),
        "records_per_s": round(total.records / elapsed, 2) if elapsed > 0 else 0.0,
        "errors": errors[:10],
    }


class _Worker:
    """One baseline user: its own boards and database, then the naive loop until the deadline."""

    def __init__(
        self,
        url: str,
        profile: LoadProfile,
        number: int,
        tally: BaselineTally,
        base: Config,
        env_name: str,
        scratch: Path | None = None,
    ) -> None:
        self.url, self.profile, self.number, self.tally = url, profile, number, tally
        template = base.environment(env_name).monday.board_id
        answer = httpx.post(f"{url}/_emulator/boards/clone", params={"from": template}, timeout=30)
        ids = answer.raise_for_status().json()
        self.board_id, self.subitem_board_id = int(ids["board_id"]), int(ids["subitem_board_id"])
        self.folder = Path(tempfile.mkdtemp(prefix=f"ordersync-baseline-u{number}-", dir=scratch))
        db_url = f"sqlite:///{self.folder / 'orders.db'}"
        self.config: Config = user_config(
            base, profile, url, db_url, self.board_id, self.subitem_board_id, env_name=env_name
        )
        self.env = self.config.environment(env_name)
        self.tables: Tables = build_tables()
        self.db = make_engine(db_url)
        create_schema(self.db, self.tables)
        reader = build_client(self.config, env_name, httpx.HTTPTransport(), EMULATOR_TOKEN)
        try:
            boards = {b.id: b for b in reader.get_boards([self.board_id, self.subitem_board_id])}
        finally:
            reader.http.close()
        self.items_board = BoardColumns.from_board(boards[self.board_id])
        self.subitems_board = BoardColumns.from_board(boards[self.subitem_board_id])
        self.groups = {g.title: g.id for g in boards[self.board_id].groups}
        self.naive = naive_client(url)
        self.inserted = 0

    def run(self, barrier: threading.Barrier, stamps: dict[str, float], duration_s: float) -> None:
        """Wait for every baseline user, then push records one request at a time until the deadline."""
        try:
            headers = self._next_slice()
            barrier.wait(timeout=300)
            deadline = time.perf_counter() + duration_s
            while time.perf_counter() < deadline:
                if not headers:
                    headers = self._next_slice()
                self._push_order(headers.pop(0))
                stamps["last_end"] = max(stamps.get("last_end", 0.0), time.perf_counter())
        finally:
            self.db.dispose()
            shutil.rmtree(self.folder, ignore_errors=True)

    def _next_slice(self) -> list[dict[str, Any]]:
        count = self.profile.orders_per_run
        start = BASELINE_SEED_OFFSET + self.number * self.profile.orders_per_user + self.inserted
        seed = self.profile.seed * 1_000_003 + self.number * 10_007 + self.inserted  # a fresh stream per slice
        insert_orders(self.db, self.tables.staging, generate_orders(count, seed, start=start))
        self.inserted += count
        t = self.tables.target
        with self.db.begin() as conn:
            detect_changes(conn, self.config, self.env, self.tables)
            rows = (
                conn.execute(sa.select(t).where(t.c.monday_item_id.is_(None)).order_by(t.c.record_uuid))
                .mappings()
                .all()
            )
            conn.execute(t.update().where(t.c.monday_item_id.is_(None)).values(monday_item_id=0))  # taken
        return [dict(r) for r in rows]

    def _push_order(self, header: dict[str, Any]) -> None:
        ops, rejects, _ = plan_items(self.config, self.env, [header], self.items_board)
        if rejects or not ops:
            self.tally.failures += 1
            return
        op = ops[0]
        if op.group_name not in self.groups:
            answer = self._send(lambda: self.naive.groups.create_group(self.board_id, op.group_name))
            if answer is None:
                self.tally.failures += 1
                return
            self.groups[op.group_name] = answer["data"]["create_group"]["id"]
            self.tally.groups += 1
        created = self._send(
            lambda: self.naive.items.create_item(
                self.board_id, self.groups[op.group_name], op.name, dict(op.values), op.create_labels
            )
        )
        if created is None:
            self.tally.failures += 1
            return
        self.tally.records += 1
        parent = int(created["data"]["create_item"]["id"])
        lines = self._lines(header, parent)
        subs, sub_rejects = plan_subitems(self.config, self.env, lines, self.subitems_board)
        self.tally.failures += len(sub_rejects)
        for sub in subs:
            done = self._send(
                lambda s=sub: self.naive.items.create_subitem(s.parent_item_id, s.name, dict(s.values), s.create_labels)
            )
            if done is None:
                self.tally.failures += 1
            else:
                self.tally.records += 1

    def _lines(self, header: dict[str, Any], parent: int) -> list[dict[str, Any]]:
        lines = self.tables.lines
        with self.db.connect() as conn:
            rows = (
                conn.execute(
                    sa.select(lines).where(lines.c.record_uuid == header["record_uuid"]).order_by(lines.c.size_code)
                )
                .mappings()
                .all()
            )
        return [{**r, "order_number": header["AAG ORDER NUMBER"], "parent_item_id": parent} for r in rows]

    def _send(self, call: Any, attempts: int = 6) -> dict[str, Any] | None:
        """One request; a 429 is waited out and retried, any other error counts as a failure."""
        import urllib3
        from monday.exceptions import MondayQueryError

        for _ in range(attempts):
            self.tally.requests += 1
            try:
                answer: dict[str, Any] = call()
                return answer
            except urllib3.exceptions.HTTPError as exc:
                text = str(exc)
                if not text.startswith("HTTP 429"):
                    return None
                self.tally.http_429 += 1
                time.sleep(_retry_in(text))
            except MondayQueryError:
                return None
        return None


def _retry_in(text: str) -> float:
    try:
        body = json.loads(text.split(":", 1)[1])
        return float(body["errors"][0]["extensions"]["retry_in_seconds"])
    except (ValueError, KeyError, IndexError, TypeError):
        return 1.0
