"""Kept so existing imports work: the ledger lives in :mod:`sync.engine.ledger`."""

from sync.engine.ledger import Ledger, OpStatus, RunStatus, from_jsonable, jsonable, new_run_id, utcnow

__all__ = ["Ledger", "OpStatus", "RunStatus", "from_jsonable", "jsonable", "new_run_id", "utcnow"]
