"""The sync engine: detect changes, plan, push groups -> items -> subitems, write back, summarise.

=============  ================================================================================
``run``        the run's steps in order (no SQL): ``run_sync``, ``run_with``
``pipeline``   all concurrency: the two board workers, the queue, stops
``plan``       pure: pending rows -> operations -> batches
``writer``     the one write protocol: intend -> send -> settle
``writes``     what each kind of write sends, looks up and writes back
``store``      every SQL statement of a run (one pending filter)
``recovery``   look-ups for lost answers; returns adoptions, never writes
``ledger``     the typed ledger (``OpStatus``, ``RunStatus``, ``Intent``)
``lease``      one writer per environment
``counters``   the run's tallies, under a lock
``options``    ``SyncOptions`` (what the caller asks) and ``RunParts`` (what a run works with)
=============  ================================================================================

The names callers use are importable from here; they load on first use, so that a module
importing :mod:`sync.engine.ledger` does not pull the whole engine in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.engine.lease import Lease, LeaseHeldError
    from sync.engine.ledger import OpStatus, RunStatus
    from sync.engine.options import RunParts, SyncOptions
    from sync.engine.pipeline import hold_lease
    from sync.engine.run import run_sync, run_with
    from sync.summary import RunSummary

__all__ = [
    "Lease",
    "LeaseHeldError",
    "OpStatus",
    "RunParts",
    "RunStatus",
    "RunSummary",
    "SyncOptions",
    "hold_lease",
    "run_sync",
    "run_with",
]

_HOMES = {
    "Lease": "sync.engine.lease",
    "LeaseHeldError": "sync.engine.lease",
    "hold_lease": "sync.engine.pipeline",
    "OpStatus": "sync.engine.ledger",
    "RunStatus": "sync.engine.ledger",
    "RunParts": "sync.engine.options",
    "SyncOptions": "sync.engine.options",
    "run_sync": "sync.engine.run",
    "run_with": "sync.engine.run",
    "RunSummary": "sync.summary",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'sync.engine' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
