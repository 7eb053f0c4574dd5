"""Shared test wiring: the folder decides the marker, the environment is scrubbed, demos are cheap."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

MARKERS = {"unit": "unit", "integration": "integration", "contract": "contract", "ordering": "ordering", "load": "load"}
TEST_DB_ENV = "ORDERSYNC_TEST_DATABASE_URL"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by the folder it lives in (tests/unit -> unit, ...)."""
    del config
    for item in items:
        parts = Path(str(item.fspath)).parts
        for folder, marker in MARKERS.items():
            if folder in parts:
                item.add_marker(getattr(pytest.mark, marker))


@pytest.fixture(autouse=True)
def _scrub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real token or environment choice must never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("MONDAY_API_TOKEN", "ORDERSYNC_DB_PASSWORD")) or name in ("ORDERSYNC_ENV", "ORDERSYNC_CONFIG"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite in tmp_path, or a fresh PostgreSQL database when ORDERSYNC_TEST_DATABASE_URL is set."""
    server = os.environ.get(TEST_DB_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'orders.db'}"
        return
    name = f"ordersync_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
