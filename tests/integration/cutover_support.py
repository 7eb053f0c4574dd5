"""What cutover tests share: a demo in tmp_path, the observable state of production, a webhook receiver."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tomlkit

from sync.config import load_config
from sync.connect import open_db
from sync.demo import init_demo
from sync.emulator import open_persistent

PROD = "production"
FAST_GATES = ("schema-readiness", "environment-switching")
WEBHOOK_VAR = "ORDERSYNC_TEST_ALERT_WEBHOOK"


def build_demo(directory: Path, *, orders: int = 60, with_bad_rows: bool = False, alerts: bool = True) -> Path:
    """A demo work folder; with ``alerts`` its config reads the webhook URL from ``WEBHOOK_VAR``."""
    result = init_demo(directory, orders=orders, with_bad_rows=with_bad_rows)
    if alerts:
        doc = tomlkit.parse(result.config_path.read_text(encoding="utf-8"))
        doc["alerts"]["webhook_url_env"] = WEBHOOK_VAR  # type: ignore[index]
        result.config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    state = load_config(result.config_path).emulator_state_path(PROD)
    assert state is not None
    with open_persistent(state, require_token=False):
        pass  # the boards exist before the first test looks at them
    return result.config_path


def board_state(config_path: Path, env_name: str = PROD) -> dict[str, Any]:
    """Active groups and active items (with their values) of the environment's two boards in the emulator."""
    config = load_config(config_path)
    monday = config.environment(env_name).monday
    path = config.emulator_state_path(env_name)
    assert path is not None
    raw = json.loads(path.read_text(encoding="utf-8"))
    boards = {str(monday.board_id), str(monday.subitem_board_id)}
    groups = sorted(
        (b["id"], g["id"], g["title"])
        for b in raw["boards"]
        if b["id"] in boards
        for g in b["groups"]
        if g.get("state", "active") == "active"
    )
    items = sorted(
        (i["board_id"], i["id"], i["name"], i["group_id"], i["parent_id"], json.dumps(i["values"], sort_keys=True))
        for i in raw.get("items", [])
        if i["board_id"] in boards and i["state"] == "active"
    )
    return {"groups": groups, "items": items}


def db_state(config_path: Path, env_name: str = PROD) -> dict[str, list[dict[str, Any]]]:
    """Every row of the target, lines and group-registry tables (the demo is small)."""
    config = load_config(config_path)
    engine, tables = open_db(config, env_name)
    try:
        with engine.connect() as conn:
            out = {}
            for table, key in (
                (tables.target, "record_uuid"),
                (tables.lines, "line_uuid"),
                (tables.groups, "group_id"),
            ):
                rows = conn.execute(sa.select(table).order_by(table.c[key])).mappings()
                out[table.name] = [dict(r) for r in rows]
            return out
    finally:
        engine.dispose()


def observable(config_path: Path) -> tuple[bytes, dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """(config bytes, production board, production database): what a rollback must give back."""
    return config_path.read_bytes(), board_state(config_path), db_state(config_path)


def ledger_runs(config_path: Path, env_name: str = PROD) -> list[dict[str, Any]]:
    """The environment's ``ordersync_runs`` rows, oldest first."""
    config = load_config(config_path)
    engine, tables = open_db(config, env_name)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.select(tables.runs).order_by(tables.runs.c.started_at)).mappings()]
    finally:
        engine.dispose()


@dataclass
class Receiver:
    """A webhook on 127.0.0.1 that keeps every JSON body it was sent."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def events(self) -> list[str]:
        """The ``event`` of each alert, in arrival order."""
        return [body.get("event", "?") for body in self.received]


@contextmanager
def webhook_receiver(status: int = 200) -> Iterator[Receiver]:
    """Serve a webhook receiver (http.server in a thread) for the duration of the block."""
    receiver = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            receiver.received.append(json.loads(self.rfile.read(length) or b"{}"))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
