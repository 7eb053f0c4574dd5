"""What two environments must never share: a board or a database, compared by identity, not by spelling.

``sqlite:///work/demo/dev.db`` and ``sqlite:////abs/work/demo/./dev.db`` are one file; a
PostgreSQL URL with ``psycopg`` and one without a driver, ``LOCALHOST`` and ``127.0.0.1``,
an explicit default port and none, are one database. :func:`database_identity` reduces a URL
to what names the data (resolved file path; server, port and database), and
:func:`shared_with` says, per other environment, what ``env_name`` shares with it::

    for finding in shared_with(config, "production"):
        print(finding)   # production uses development's database work/demo/dev.db
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from sync.config import Config

__all__ = ["SharedResource", "database_identity", "shared_with"]

#: Default ports, so ``host`` and ``host:5432`` compare equal.
DEFAULT_PORTS = {"postgresql": 5432, "mssql": 1433, "mysql": 3306, "mariadb": 3306, "oracle": 1521}
_LOOPBACK = {"localhost", "127.0.0.1", "::1", "[::1]"}
#: Dialects whose database names are case-insensitive.
_CASE_INSENSITIVE = {"mssql", "mysql", "mariadb"}


@dataclass(frozen=True)
class SharedResource:
    """``env_name`` uses ``other``'s ``what`` (``board`` or ``database``), shown as ``shown``."""

    env_name: str
    other: str
    what: str
    shown: str

    def __str__(self) -> str:
        return f"{self.env_name} uses {self.other}'s {self.what} {self.shown}"


def database_identity(url: URL) -> str | None:
    """A string equal for two URLs that reach the same data; None for a private in-memory SQLite."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            return None
        return "sqlite:" + os.path.realpath(url.database)
    odbc = url.query.get("odbc_connect")
    if odbc:
        raw = odbc if isinstance(odbc, str) else ";".join(odbc)
        return f"{backend}:odbc:" + ";".join(sorted(p.strip().lower() for p in raw.split(";") if p.strip()))
    host = (url.host or "localhost").lower()
    host = "localhost" if host in _LOOPBACK else host
    port = url.port or DEFAULT_PORTS.get(backend)
    name = url.database or ""
    if backend in _CASE_INSENSITIVE:
        name = name.lower()
    return f"{backend}://{host}:{port}/{name}"


def _shown(url: URL) -> str:
    """A file path relative to the working directory when under it; a server URL without its password."""
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        try:
            return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return str(path)
    return url.render_as_string(hide_password=True)


def shared_with(config: Config, env_name: str) -> dict[str, list[SharedResource]]:
    """Per other environment, the boards and the database ``env_name`` shares with it (empty lists: none)."""
    env = config.environment(env_name)
    own_boards = {env.monday.board_id, env.monday.subitem_board_id}
    own_url = config.database_url(env_name)
    own_db = database_identity(own_url)
    out: dict[str, list[SharedResource]] = {}
    for other, other_env in sorted(config.environments.items()):
        if other == env_name:
            continue
        found = [
            SharedResource(env_name, other, "board", str(board))
            for board in sorted(own_boards & {other_env.monday.board_id, other_env.monday.subitem_board_id})
        ]
        if own_db is not None and own_db == database_identity(config.database_url(other)):
            found.append(SharedResource(env_name, other, "database", _shown(own_url)))
        out[other] = found
    return out
