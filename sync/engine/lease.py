"""One writer per environment: a lease row in ``ordersync_leases`` with an owner, a heartbeat and an expiry.

``sync``, ``retry``, ``rollback`` and the cutover's canary each hold the lease while they
write (:func:`sync.engine.pipeline.hold_lease` is the context manager to wrap them in; its
heartbeat thread lives there with the engine's other threads). A second run is refused
at once with :class:`LeaseHeldError`, which names the holder (exit code 3, like every
fatal error outside the data). A holder that dies stops renewing its lease; once it has
expired the next run takes it over, and the sync engine then settles the dead run's
``SENT`` operations before it pushes anything.

The statements are plain SQLAlchemy Core (an INSERT, and an UPDATE guarded by the expiry),
atomic on SQLite, PostgreSQL and SQL Server alike: of two runs that race for an expired
lease, the second's UPDATE finds it no longer expired and changes nothing.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from sync.db import Tables
from sync.engine.ledger import utcnow
from sync.errors import FatalError

__all__ = ["DEFAULT_TTL_S", "Lease", "LeaseHeldError", "LeaseLostError"]

#: A lease not renewed for this long belongs to a dead run. Renewed every quarter of it.
DEFAULT_TTL_S = 120.0


class LeaseHeldError(FatalError):
    """Another run holds the environment's lease."""


class LeaseLostError(FatalError):
    """This run's lease expired or was taken over while it ran (it stops writing)."""


@dataclass
class Lease:
    """A held lease: who holds it, whom it was taken over from (a dead run), whether it is still ours."""

    db: Engine
    tables: Tables
    environment: str
    owner: str
    ttl_s: float = DEFAULT_TTL_S
    holder: str = field(default_factory=lambda: f"{socket.gethostname()} pid {os.getpid()}")
    taken_over_from: str | None = None
    lost: bool = False

    def acquire(self) -> None:
        """Take the lease, or raise :class:`LeaseHeldError` naming the live holder."""
        now = utcnow()
        try:
            with self.db.begin() as conn:
                conn.execute(self.insert_statement(now))
            return
        except IntegrityError:
            pass
        leases = self.tables.leases
        with self.db.begin() as conn:
            current = conn.execute(sa.select(leases).where(leases.c.environment == self.environment)).mappings().first()
            taken = conn.execute(self.take_over_statement(now)).rowcount
        if taken != 1:
            raise LeaseHeldError(_held_message(self.environment, current))
        self.taken_over_from = None if current is None else str(current["owner"])

    def renew(self) -> bool:
        """Push the expiry on; False (and ``lost``) when the lease is no longer ours."""
        with self.db.begin() as conn:
            kept = conn.execute(self.renew_statement(utcnow())).rowcount
        self.lost = self.lost or kept != 1
        return not self.lost

    def release(self) -> None:
        """Give the lease up (only if it is still ours)."""
        with self.db.begin() as conn:
            conn.execute(self.release_statement())

    # The statements, one per step (compiled for SQL Server in the tests as well).
    def _row(self, now: datetime) -> dict[str, object]:
        return {
            "environment": self.environment,
            "owner": self.owner,
            "holder": self.holder[:255],
            "acquired_at": now,
            "heartbeat_at": now,
            "expires_at": now + timedelta(seconds=self.ttl_s),
        }

    def insert_statement(self, now: datetime) -> sa.Insert:
        """Claim a free environment (fails on the primary key when a lease row exists)."""
        return self.tables.leases.insert().values(self._row(now))

    def take_over_statement(self, now: datetime) -> sa.Update:
        """Claim an expired lease: changes one row only if it is still expired when the UPDATE runs."""
        leases = self.tables.leases
        return (
            leases.update()
            .where(leases.c.environment == self.environment, leases.c.expires_at < now)
            .values(self._row(now))
        )

    def renew_statement(self, now: datetime) -> sa.Update:
        """Heartbeat: only while we are still the owner."""
        leases = self.tables.leases
        return (
            leases.update()
            .where(leases.c.environment == self.environment, leases.c.owner == self.owner)
            .values(heartbeat_at=now, expires_at=now + timedelta(seconds=self.ttl_s))
        )

    def release_statement(self) -> sa.Delete:
        """Give the lease up: only if we are still the owner."""
        leases = self.tables.leases
        return leases.delete().where(leases.c.environment == self.environment, leases.c.owner == self.owner)

    def check(self) -> None:
        """Raise :class:`LeaseLostError` when another run has taken the lease over."""
        if self.lost:
            raise LeaseLostError(
                f"run {self.owner} lost the lease on {self.environment!r} (its heartbeat stalled past "
                f"{self.ttl_s:.0f}s and another run took over); it stopped writing"
            )


def _held_message(environment: str, current: object) -> str:
    if current is None:
        return f"environment {environment!r} is locked by another run that just started; try again"
    row = dict(current)  # type: ignore[call-overload]
    return (
        f"environment {environment!r} is locked by run {row['owner']} ({row['holder']}), "
        f"last heartbeat {_stamp(row['heartbeat_at'])}, lease expires {_stamp(row['expires_at'])} UTC; "
        "wait for it to finish (or, if it died, for its lease to expire)"
    )


def _stamp(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value)
