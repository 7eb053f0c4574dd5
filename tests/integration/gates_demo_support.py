"""Build a demo work folder for gate tests, on SQLite or on the ``database_url`` fixture's PostgreSQL.

When ``$ORDERSYNC_TEST_DATABASE_URL`` is set, the ``database_url`` fixture (tests/conftest.py)
hands each test a fresh PostgreSQL database; the development environment's tables are
created there from the demo's SQLite rows and the demo config is pointed at it (password
via ``password_env``, since the config refuses passwords in URLs).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import tomlkit

from sync.db import build_tables, create_schema, make_engine
from sync.demo import init_demo

PASSWORD_VAR = "ORDERSYNC_TEST_DB_PASSWORD"


def build_demo(
    directory: Path, monkeypatch: pytest.MonkeyPatch, database_url: str, *, with_bad_rows: bool = False
) -> Path:
    """Create the demo; return its config path. Development moves to ``database_url`` unless SQLite."""
    result = init_demo(directory, orders=300, with_bad_rows=with_bad_rows)
    url = sa.make_url(database_url)
    if os.environ.get(PASSWORD_VAR) and not url.password:
        url = url.set(password=os.environ[PASSWORD_VAR])
    if url.get_backend_name() != "sqlite":
        _copy_to_server(result.databases["development"], url, result.config_path, monkeypatch)
    return result.config_path


def _copy_to_server(
    sqlite_path: Path, url: sa.URL, config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tables = build_tables()
    source, target = make_engine(f"sqlite:///{sqlite_path}"), make_engine(url)
    try:
        create_schema(target, tables)
        with source.connect() as read, target.begin() as write:
            rows = [dict(r._mapping) for r in read.execute(sa.select(tables.staging))]
            if rows:
                write.execute(tables.staging.insert(), rows)
    finally:
        source.dispose()
        target.dispose()
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    database = tomlkit.table()
    bare = sa.URL.create(url.drivername, username=url.username, host=url.host, port=url.port, database=url.database)
    database["url"] = bare.render_as_string(hide_password=False)
    if url.password:
        monkeypatch.setenv(PASSWORD_VAR, str(url.password))
        database["password_env"] = PASSWORD_VAR
    doc["environments"]["development"]["database"] = database  # type: ignore[index]
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")
