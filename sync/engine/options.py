"""What one sync run is given and works with, passed as one value to each step of the run.

``SyncOptions`` is what the caller asks for (the CLI maps its flags onto it); ``RunParts``
adds where the run reads and writes (database, monday client, ledger) and what it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from sync.config import Config, EnvironmentConfig
from sync.db import Tables
from sync.engine.counters import RunCounters
from sync.engine.ledger import Ledger
from sync.monday.client import MondayClient
from sync.states import SyncState

__all__ = ["RunParts", "SyncOptions"]


@dataclass(frozen=True)
class SyncOptions:
    """What one run should do; the CLI maps its flags onto this.

    ``until`` (naive UTC) and ``max_requests`` are budgets: once one is reached no new
    batch starts, the batch in flight is settled and the run is recorded ``PAUSED``.
    """

    dry_run: bool = False
    limit: int | None = None
    customer: str | None = None
    detect: bool = True
    states: tuple[str, ...] = (SyncState.PENDING.value,)
    max_retries: int | None = None
    kind: str = "sync"
    record_uuids: tuple[str, ...] | None = None
    until: datetime | None = None
    max_requests: int | None = None
    #: Which window of a multi-window initial load (``[cutover] initial_load_windows``) this run is; kept in the ledger.
    window: int | None = None
    on_progress: Callable[[int, int], None] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RunParts:
    """One run's inputs and sinks; ``counters`` is the only mutable part."""

    config: Config
    env_name: str
    env: EnvironmentConfig
    options: SyncOptions
    client: MondayClient
    db: Engine
    tables: Tables
    run_id: str
    ledger: Ledger
    counters: RunCounters = field(default_factory=RunCounters)
