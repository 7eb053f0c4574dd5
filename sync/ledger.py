"""The run ledger: every run, and every operation a run performed with the state before it.

The ledger is written *before* a request goes out (status ``SENT``) and settled when the
answer is known (``APPLIED`` / ``FAILED``). An operation still ``SENT`` after a crash or a
timeout is an unknown outcome: the next run looks the order up on the board before it
creates anything, so a retried write never duplicates an item.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.db import Tables

__all__ = ["Ledger", "OpStatus", "from_jsonable", "jsonable", "new_run_id", "utcnow"]


class OpStatus:
    """Operation states in ``ordersync_operations.status``."""

    SENT = "SENT"
    APPLIED = "APPLIED"
    FAILED = "FAILED"
    UNDONE = "UNDONE"


def utcnow() -> datetime:
    """Naive UTC 'now' (every timestamp column in the schema is UTC without zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_run_id(env_name: str, kind: str) -> str:
    """``20261125T191500Z-development-sync-1a2b3c4d``: sortable, unique, readable."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{env_name}-{kind}-{uuid.uuid4().hex[:8]}"


def jsonable(value: Any) -> Any:
    """Make DB values JSON-safe (dates, decimals) for the ledger's before/after columns."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def from_jsonable(table: sa.Table, data: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`jsonable` for one row of ``table``: ISO strings and decimals back to their types."""
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name not in table.c:
            continue
        kind = table.c[name].type
        if value is None or not isinstance(value, str):
            out[name] = value
        elif isinstance(kind, sa.DateTime):
            out[name] = datetime.fromisoformat(value)
        elif isinstance(kind, sa.Date):
            out[name] = date.fromisoformat(value)
        elif isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Integer | sa.Float):
            out[name] = Decimal(value)
        else:
            out[name] = value
    return out


@dataclass
class Ledger:
    """Writes runs and operations for one run id."""

    tables: Tables
    run_id: str
    _seq: int = 0

    def start(self, conn: Connection, environment: str, kind: str, *, rolls_back: str | None = None) -> None:
        """Record the run as RUNNING."""
        conn.execute(
            self.tables.runs.insert().values(
                run_id=self.run_id,
                environment=environment,
                kind=kind,
                status="RUNNING",
                started_at=utcnow(),
                rolls_back=rolls_back,
            )
        )

    def finish(self, conn: Connection, status: str, summary: Mapping[str, Any]) -> None:
        """Record the end of the run and its summary."""
        conn.execute(
            self.tables.runs.update()
            .where(self.tables.runs.c.run_id == self.run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                summary=json.dumps(jsonable(summary)),
            )
        )

    def intend(self, conn: Connection, ops: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert operations as SENT before the request goes out; return their op ids in order."""
        if not ops:
            return []
        now = utcnow()
        rows = []
        for op in ops:
            self._seq += 1
            rows.append(
                {
                    "run_id": self.run_id,
                    "seq": self._seq,
                    "board_id": op["board_id"],
                    "operation": op["operation"],
                    "entity": op["entity"],
                    "record_key": op.get("record_key"),
                    "monday_id": op.get("monday_id"),
                    "status": OpStatus.SENT,
                    "idempotency_key": op.get("idempotency_key"),
                    "before": json.dumps(jsonable(op.get("before"))),
                    "after": json.dumps(jsonable(op.get("after"))),
                    "error": None,
                    "created_at": now,
                }
            )
        ops_table = self.tables.operations
        first = self._seq - len(rows) + 1
        conn.execute(ops_table.insert(), rows)
        found = conn.execute(
            sa.select(ops_table.c.op_id, ops_table.c.seq)
            .where(ops_table.c.run_id == self.run_id, ops_table.c.seq >= first, ops_table.c.seq <= self._seq)
            .order_by(ops_table.c.seq)
        ).all()
        return [r.op_id for r in found]

    def settle(self, conn: Connection, results: Iterable[tuple[int, str, str | None, str | None]]) -> None:
        """Set (op_id, status, monday_id, error) for answered operations."""
        params = [
            {"b_op": op_id, "b_status": status, "b_mid": mid, "b_err": err} for op_id, status, mid, err in results
        ]
        if not params:
            return
        ops_table = self.tables.operations
        conn.execute(
            ops_table.update()
            .where(ops_table.c.op_id == sa.bindparam("b_op"))
            .values(
                status=sa.bindparam("b_status"),
                monday_id=sa.func.coalesce(sa.bindparam("b_mid", type_=sa.String()), ops_table.c.monday_id),
                error=sa.bindparam("b_err"),
            ),
            params,
        )
