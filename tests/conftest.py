"""Shared test wiring: the folder decides the marker, the environment is scrubbed, demos are cheap."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

MARKERS = {"unit": "unit", "integration": "integration", "contract": "contract", "ordering": "ordering", "load": "load"}
TEST_DB_ENV = "ORDERSYNC_TEST_DATABASE_URL"


def pytest_configure(config: pytest.Config) -> None:
    """``-m postgres`` without a server would quietly re-run the SQLite tests: refuse instead."""
    wants_postgres = re.search(r"(?<!not )\bpostgres\b", config.option.markexpr or "")
    if wants_postgres and not os.environ.get(TEST_DB_ENV):
        raise pytest.UsageError(f"-m postgres needs ${TEST_DB_ENV} (a PostgreSQL server URL); it is not set")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its folder (tests/unit -> unit, ...); tests on ``database_url`` are ``postgres``."""
    del config
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)  # runs again on PostgreSQL in CI
        parts = Path(str(item.fspath)).parts
        for folder, marker in MARKERS.items():
            if folder in parts:
                item.add_marker(getattr(pytest.mark, marker))


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording hook: match monday requests on the GraphQL body (query + variables)."""
    del config
    from validation.gates.cassettes import configure_vcr

    configure_vcr(vcr)


@pytest.fixture(autouse=True)
def _scrub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's real token or environment choice must never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("MONDAY_API_TOKEN", "ORDERSYNC_DB_PASSWORD")) or name in (
            "ORDERSYNC_ENV",
            "ORDERSYNC_CONFIG",
        ):
            monkeypatch.delenv(name, raising=False)


TEST_DB_PASSWORD_ENV = "ORDERSYNC_TEST_DB_PASSWORD"


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """SQLite in tmp_path, or a fresh PostgreSQL database when ORDERSYNC_TEST_DATABASE_URL is set.

    The returned URL carries no password (configs may not); it is exported as
    $ORDERSYNC_TEST_DB_PASSWORD for configs that name it in ``password_env``.
    """
    server = os.environ.get(TEST_DB_ENV)
    if not server:
        yield f"sqlite:///{tmp_path / 'orders.db'}"
        return
    name = f"ordersync_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(server).set(drivername="postgresql+psycopg", database=name)
    if url.password:
        monkeypatch.setenv(TEST_DB_PASSWORD_ENV, str(url.password))
    try:
        bare = sa.URL.create(url.drivername, username=url.username, host=url.host, port=url.port, database=name)
        yield bare.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def engine_url(database_url: str) -> str:
    """``database_url`` with its password put back, for tests that open an engine directly."""
    password = os.environ.get(TEST_DB_PASSWORD_ENV)
    url = sa.make_url(database_url)
    return url.set(password=password).render_as_string(hide_password=False) if password else database_url
