"""Kept so existing imports work: the run's reads live in :mod:`sync.engine.store`."""

from sync.engine.store import CHUNK_ROWS

__all__ = ["CHUNK_ROWS"]
