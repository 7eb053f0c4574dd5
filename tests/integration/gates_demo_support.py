"""Build a demo work folder for gate tests, on SQLite or on ``$ORDERSYNC_TEST_DATABASE_URL`` (PostgreSQL).

With the variable set, the development environment's tables are recreated in that
database from the demo's SQLite rows and the demo config is pointed at it (password via
``password_env``, since the config refuses passwords in URLs). Tests sharing one server
must not run in parallel.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
import tomlkit

from sync.db import build_tables, create_schema, make_engine
from sync.demo import init_demo

DB_URL_VAR = "ORDERSYNC_TEST_DATABASE_URL"
PASSWORD_VAR = "ORDERSYNC_TEST_DB_PASSWORD"


def build_demo(directory: Path, monkeypatch: pytest.MonkeyPatch, *, with_bad_rows: bool = False) -> Path:
    """Create the demo and return its config path; development runs on the test server when one is given."""
    result = init_demo(directory, orders=300, with_bad_rows=with_bad_rows)
    server = os.environ.get(DB_URL_VAR)
    if server:
        _copy_to_server(result.databases["development"], sa.make_url(server), result.config_path, monkeypatch)
    return result.config_path


def _copy_to_server(sqlite_path: Path, url: sa.URL, config_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = build_tables()
    source, target = make_engine(f"sqlite:///{sqlite_path}"), make_engine(url)
    try:
        tables.metadata.drop_all(target)
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
    database["url"] = url.set(password=None).render_as_string(hide_password=False)
    if url.password:
        monkeypatch.setenv(PASSWORD_VAR, str(url.password))
        database["password_env"] = PASSWORD_VAR
    doc["environments"]["development"]["database"] = database  # type: ignore[index]
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")
