"""What a run counts while it works; both board workers update it, always under its lock.

``items`` and ``lines`` are the keys of the rows the run set out to push (every row it
planned a write for, or rejected): the success rate is the share of them that ended
``SYNCED`` (see :func:`sync.engine.store.synced_share`), not a count of write attempts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sync.engine.plan import ItemOp, RowReject

__all__ = ["RunCounters"]

#: How many error messages a summary keeps verbatim.
KEPT_ERRORS = 200


@dataclass
class RunCounters:
    """Mutable tallies of one run (every method takes the lock)."""

    items_created: int = 0
    items_updated: int = 0
    items_moved: int = 0
    subitems_created: int = 0
    subitems_updated: int = 0
    subitems_deleted: int = 0
    groups_created: int = 0
    adopted: int = 0
    unknown: int = 0
    planned_items_create: int = 0
    planned_items_update: int = 0
    planned_lines: int = 0
    planned_groups: set[str] = field(default_factory=set)
    items: set[str] = field(default_factory=set)
    lines: set[str] = field(default_factory=set)
    set_out: int = 0
    ended_synced: int = 0
    rejected: list[RowReject] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    customers: dict[str, Counter[str]] = field(default_factory=dict)
    fatal: str | None = None
    stopped: str | None = None  # RunStatus PAUSED / INTERRUPTED once asked to stop
    stop_reason: str | None = None
    signal: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _batch_no: int = 0
    _seq: int = 0

    def add(self, **amounts: int) -> None:
        """Add to integer tallies: ``counters.add(items_created=3, adopted=1)``."""
        with self._lock:
            for name, amount in amounts.items():
                setattr(self, name, getattr(self, name) + amount)

    def next_batch_no(self) -> int:
        """A number unique within the run, for idempotency keys."""
        with self._lock:
            self._batch_no += 1
            return self._batch_no

    def stop(self, status: str, reason: str) -> None:
        """Ask the run to stop after the batch in flight (the first reason wins)."""
        with self._lock:
            if self.stopped is None:
                self.stopped, self.stop_reason = str(status), reason

    def reserve_seq(self, count: int) -> int:
        """The first of ``count`` ledger sequence numbers reserved for one batch."""
        with self._lock:
            first = self._seq + 1
            self._seq += count
            return first

    def set_out_to_push(self, *, items: Iterable[str] = (), lines: Iterable[str] = ()) -> None:
        """Remember rows the run tried to push (the success rate's denominator)."""
        with self._lock:
            self.items.update(items)
            self.lines.update(lines)

    def withdraw(self, keys: Iterable[str]) -> None:
        """Rows set out whose request monday refused as a whole at a pause (daily limit): never pushed."""
        with self._lock:
            for key in keys:
                self.items.discard(key)
                self.lines.discard(key)

    def note_error(self, entity: str, order: str | None, message: str) -> None:
        """Remember one failed write for the summary (the first ``KEPT_ERRORS`` are kept verbatim)."""
        with self._lock:
            if len(self.errors) < KEPT_ERRORS:
                self.errors.append({"entity": entity, "order": order, "message": message})

    def note_rejects(self, rejects: Sequence[RowReject]) -> None:
        """Rows the planner refused (they count as set out to push, and not synced)."""
        with self._lock:
            self.rejected.extend(rejects)
            self.items.update(r.key for r in rejects if r.entity == "ITEM")
            self.lines.update(r.key for r in rejects if r.entity == "SUBITEM")

    def note_warnings(self, warnings: Sequence[str]) -> None:
        """Planner warnings (truncated names and the like)."""
        with self._lock:
            self.warnings.extend(warnings)

    def note_customer(self, customer: str, ok: bool) -> None:
        """Per-customer synced / error counts for the summary table."""
        with self._lock:
            self.customers.setdefault(customer, Counter())["synced" if ok else "error"] += 1

    def note_plan(
        self, ops: Sequence[ItemOp], rejects: Sequence[RowReject], warnings: Sequence[str], groups: Mapping[str, str]
    ) -> None:
        """Tally a dry-run plan chunk."""
        with self._lock:
            self.planned_items_create += sum(1 for op in ops if op.item_id is None)
            self.planned_items_update += sum(1 for op in ops if op.item_id is not None)
            self.planned_groups |= {op.group_name for op in ops if op.group_name not in groups}
            self.rejected.extend(rejects)
            self.warnings.extend(warnings)
