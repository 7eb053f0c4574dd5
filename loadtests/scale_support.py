"""Helpers of the scale benchmark: a peak-RSS sampler and a scratch PostgreSQL database."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psutil
import sqlalchemy as sa

from sync.db import make_engine

__all__ = ["PeakRss", "scratch_database"]

_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # DDL cannot bind a database name, so it is checked


class PeakRss(threading.Thread):
    """Samples this process's RSS until stopped; ``peak_mb`` is the highest value seen."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak = interval, 0
        self._done = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._done.is_set():
            self.peak = max(self.peak, me.memory_info().rss)
            self._done.wait(self.interval)

    @property
    def peak_mb(self) -> float:
        """The peak so far in MB."""
        return self.peak / 1_048_576

    def stop(self) -> float:
        """Stop and return the peak in MB."""
        self._done.set()
        self.join()
        return self.peak_mb


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server (dropping a stale one), yield its URL, drop it after."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"scratch database name {name!r}: use lower-case letters, digits and '_'")
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    preparer = admin.dialect.identifier_preparer
    drop = sa.DDL(  # type: ignore[no-untyped-call]
        f"DROP DATABASE IF EXISTS {preparer.quote_identifier(name)} WITH (FORCE)"
    )
    create = sa.DDL(  # type: ignore[no-untyped-call]
        f"CREATE DATABASE {preparer.quote_identifier(name)}"
    )
    try:
        with admin.connect() as conn:
            conn.execute(drop)
            conn.execute(create)
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.execute(drop)
    finally:
        admin.dispose()
