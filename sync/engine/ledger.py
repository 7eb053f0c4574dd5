"""The run ledger: every run, and every operation a run performed with the state before it.

An operation is written *before* its request goes out (``SENT``) and settled when the
answer is known: ``APPLIED`` (monday confirmed it), ``ADOPTED`` (the answer was lost, and a
look-up found the write on the board), or ``FAILED``. No operation stays ``SENT`` once a
run has ended; only a crashed run leaves some, and the next holder of the lease settles
them before it pushes anything. Rollback later marks what it undid ``UNDONE``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sync.db import Tables

__all__ = [
    "UNRESOLVED",
    "Entity",
    "Intent",
    "Ledger",
    "OpKind",
    "OpStatus",
    "RunStatus",
    "Settlement",
    "from_jsonable",
    "jsonable",
    "new_run_id",
    "utcnow",
]


#: Prefix of the error of a FAILED create whose answer was lost and whose look-up failed too:
#: the next run looks it up again (with the SENT ones) before it pushes anything.
UNRESOLVED = "unresolved: "


class OpStatus(StrEnum):
    """Operation states in ``ordersync_operations.status``."""

    SENT = "SENT"
    APPLIED = "APPLIED"
    ADOPTED = "ADOPTED"
    FAILED = "FAILED"
    UNDONE = "UNDONE"


class RunStatus(StrEnum):
    """Run states in ``ordersync_runs.status``."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PAUSED = "PAUSED"  # stopped at its budget (--until, --max-requests, monday's daily limit)
    INTERRUPTED = "INTERRUPTED"  # stopped by SIGTERM / SIGINT
    DRY_RUN = "DRY_RUN"
    ROLLED_BACK = "ROLLED_BACK"
    ROLLBACK_PARTIAL = "ROLLBACK_PARTIAL"


class OpKind(StrEnum):
    """What one ledger operation did on monday (``ordersync_operations.operation``)."""

    CREATE_GROUP = "create_group"
    CREATE_ITEM = "create_item"
    UPDATE_ITEM = "update_item"
    MOVE_ITEM = "move_item"
    CREATE_SUBITEM = "create_subitem"
    UPDATE_SUBITEM = "update_subitem"
    DELETE_SUBITEM = "delete_subitem"


class Entity(StrEnum):
    """What an operation's ``record_key`` names."""

    GROUP = "GROUP"
    ITEM = "ITEM"
    SUBITEM = "SUBITEM"


@dataclass(frozen=True)
class Intent:
    """One write a run is about to send: what, where, and the state before it."""

    operation: OpKind
    entity: Entity
    board_id: int
    record_key: str
    monday_id: str | None = None
    before: Mapping[str, Any] = field(default_factory=dict)
    after: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settlement:
    """How one operation ended."""

    op_id: int
    status: OpStatus
    monday_id: str | None = None
    error: str | None = None


def open_condition(ops: sa.Table) -> sa.ColumnElement[bool]:
    """Operations whose outcome is still to be settled: SENT, or a FAILED create left unresolved."""
    unresolved = sa.and_(ops.c.status == OpStatus.FAILED.value, ops.c.error.startswith(UNRESOLVED, autoescape=True))
    return sa.or_(ops.c.status == OpStatus.SENT.value, unresolved)


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

    def start(
        self, conn: Connection, environment: str, kind: str, *, rolls_back: str | None = None, window: int | None = None
    ) -> None:
        """Record the run as RUNNING; ``window`` (of a multi-window load) is kept in its summary from the start."""
        conn.execute(
            self.tables.runs.insert().values(
                run_id=self.run_id,
                environment=environment,
                kind=kind,
                status=RunStatus.RUNNING.value,
                started_at=utcnow(),
                rolls_back=rolls_back,
                summary=None if window is None else json.dumps({"window": window}),
            )
        )

    def finish(self, conn: Connection, status: str, summary: Mapping[str, Any]) -> None:
        """Record the end of the run and its summary."""
        conn.execute(
            self.tables.runs.update()
            .where(self.tables.runs.c.run_id == self.run_id)
            .values(status=str(status), finished_at=utcnow(), summary=json.dumps(jsonable(summary)))
        )

    def intend(self, conn: Connection, intents: Sequence[Intent], idempotency_key: str | None, first: int) -> list[int]:
        """Insert operations as SENT (numbered from ``first``) before the request goes out; return their op ids."""
        if not intents:
            return []
        now = utcnow()
        rows = []
        for seq, intent in enumerate(intents, start=first):
            rows.append(
                {
                    "run_id": self.run_id,
                    "seq": seq,
                    "board_id": intent.board_id,
                    "operation": intent.operation.value,
                    "entity": intent.entity.value,
                    "record_key": intent.record_key,
                    "monday_id": intent.monday_id,
                    "status": OpStatus.SENT.value,
                    "idempotency_key": idempotency_key,
                    "before": json.dumps(jsonable(intent.before)),
                    "after": json.dumps(jsonable(intent.after)),
                    "error": None,
                    "created_at": now,
                }
            )
        ops = self.tables.operations
        conn.execute(ops.insert(), rows)
        found = conn.execute(
            sa.select(ops.c.op_id)
            .where(ops.c.run_id == self.run_id, ops.c.seq >= first, ops.c.seq < first + len(rows))
            .order_by(ops.c.seq)
        ).scalars()
        return [int(op_id) for op_id in found]

    def settle(self, conn: Connection, settlements: Sequence[Settlement]) -> None:
        """Record how each operation ended (only operations still SENT, or unresolved, are changed)."""
        if not settlements:
            return
        ops = self.tables.operations
        conn.execute(
            ops.update()
            .where(ops.c.op_id == sa.bindparam("b_op"), open_condition(ops))
            .values(
                status=sa.bindparam("b_status"),
                monday_id=sa.func.coalesce(sa.bindparam("b_mid", type_=sa.String()), ops.c.monday_id),
                error=sa.bindparam("b_err"),
            ),
            [
                {"b_op": s.op_id, "b_status": s.status.value, "b_mid": s.monday_id, "b_err": s.error}
                for s in settlements
            ],
        )

    def unsettled(self, conn: Connection) -> int:
        """How many of this run's operations are still SENT (zero once the run has ended)."""
        ops = self.tables.operations
        return int(
            conn.execute(
                sa.select(sa.func.count())
                .select_from(ops)
                .where(ops.c.run_id == self.run_id, ops.c.status == OpStatus.SENT.value)
            ).scalar_one()
        )
