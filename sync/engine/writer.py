"""The one writer protocol, used by every write a run makes: intend -> send -> settle.

1. **intend**: the batch's operations go into the ledger as ``SENT`` (committed) before
   the request leaves, so a crash at any later point leaves a trace the next run resolves.
2. **send**: the request (the client retries what monday allows; a request that gave up
   still returns what it completed).
3. **settle**: every operation ends ``APPLIED``, ``ADOPTED`` (its answer was lost and a
   look-up found it on the board) or ``FAILED``, in the same transaction as the write-back
   of the rows. Nothing stays ``SENT``. A request monday refused as a whole (a fatal error:
   token, daily limit) applied nothing: its operations are settled ``FAILED`` with the rows
   left pending, and the error is raised after the settle.

What differs between kinds of write (what to send, how to look a lost answer up, what to
write back) is a :class:`Write`; see :mod:`sync.engine.writes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from sync.engine.capacity import is_board_full, is_daily_limit
from sync.engine.ledger import UNRESOLVED, Intent, OpKind, OpStatus, Settlement
from sync.engine.options import RunParts
from sync.errors import FatalError, RetriableError
from sync.monday.models import Outcome

__all__ = ["Answer", "Write", "Writer", "lost", "not_applied", "unresolved"]


@dataclass(frozen=True)
class Answer:
    """How one write ended. ``requeue``: not the row's fault (no answer, or never applied), it stays pending."""

    status: OpStatus
    monday_id: str | None = None
    error: str | None = None
    requeue: bool = False

    @property
    def ok(self) -> bool:
        """Monday holds the write (confirmed or found)."""
        return self.status in (OpStatus.APPLIED, OpStatus.ADOPTED)


def lost(reason: str) -> Answer:
    """An answer that never came and that a look-up could not confirm: the row is re-sent later."""
    return Answer(OpStatus.FAILED, None, f"answer lost ({reason}); not found on the board, left pending", True)


def unresolved(reason: str) -> Answer:
    """An answer lost and a look-up that failed as well: the next run looks it up again before pushing."""
    return Answer(OpStatus.FAILED, None, f"{UNRESOLVED}answer lost and the look-up failed ({reason})", True)


def not_applied(reason: str) -> Answer:
    """A request monday refused as a whole: nothing was applied; the row is re-sent later."""
    return Answer(OpStatus.FAILED, None, f"not applied: {reason}", True)


class Write:
    """One kind of write, for one batch. Subclasses say what to send and what to write back."""

    kind: OpKind

    def __init__(self, run: RunParts, intents: Sequence[Intent]) -> None:
        self.run = run
        self.intents = list(intents)

    def send(self, idempotency_key: str) -> dict[str, Answer]:
        """Send the batch; answers keyed by the intents' record keys."""
        raise NotImplementedError

    def partial(self, exc: RetriableError | FatalError) -> dict[str, Answer]:
        """What a request that raised had completed before it did."""
        return dict(self.answer(o) for o in getattr(exc, "completed", None) or ())

    def answer(self, outcome: Outcome) -> tuple[str, Answer]:
        """One monday Outcome as (record key, Answer)."""
        if outcome.ok:
            monday_id = None if outcome.item_id is None else str(outcome.item_id)
            return outcome.key, Answer(OpStatus.APPLIED, monday_id)
        if is_board_full(outcome.error):  # not the row's fault: it stays pending until the board has room
            return outcome.key, not_applied(str(outcome.error))
        return outcome.key, Answer(OpStatus.FAILED, None, str(outcome.error))

    def resolve(self, missing: Sequence[Intent]) -> dict[str, Answer]:
        """Look up writes whose answer was lost; by default nothing can be confirmed."""
        return {i.record_key: lost("not a create; re-sent by the next run") for i in missing}

    def write_back(self, conn: Connection, settled: Sequence[tuple[Intent, Answer]]) -> None:
        """Write the answers into the run's tables (same transaction as the ledger settle)."""
        raise NotImplementedError


class Writer:
    """Runs :class:`Write` batches through the protocol for one run."""

    def __init__(self, run: RunParts) -> None:
        self.run = run

    def write(self, write: Write) -> list[tuple[Intent, Answer]]:
        """Intend, send, settle one batch; returns each intent with its answer (raises a fatal error after settling)."""
        run, intents = self.run, write.intents
        if not intents:
            return []
        key = f"{run.run_id}-{write.kind.value}-{run.counters.next_batch_no()}"
        first = run.counters.reserve_seq(len(intents))
        with run.db.begin() as conn:
            op_ids = run.ledger.intend(conn, intents, key, first)
        answers: dict[str, Answer] = {}
        fatal: FatalError | None = None
        try:
            answers.update(write.send(key))
        except (RetriableError, FatalError) as exc:
            answers.update(write.partial(exc))
            run.counters.note_error("REQUEST", None, f"{write.kind.value}: {exc}")
            if isinstance(exc, FatalError):
                fatal = exc
        answers, fatal = self._fill(write, answers, fatal)
        pairs = [(intent, answers[intent.record_key]) for intent in intents]
        with run.db.begin() as conn:
            write.write_back(conn, pairs)
            run.ledger.settle(
                conn,
                [
                    Settlement(op_id, a.status, a.monday_id, a.error)
                    for op_id, (_, a) in zip(op_ids, pairs, strict=True)
                ],
            )
        if fatal is not None:
            if is_daily_limit(fatal):  # a pause, not a failure: the refused rows were never pushed
                run.counters.withdraw(i.record_key for i, a in pairs if a.requeue and not a.ok)
            raise fatal
        return pairs

    def _fill(
        self, write: Write, answers: dict[str, Answer], fatal: FatalError | None
    ) -> tuple[dict[str, Answer], FatalError | None]:
        """Every intent without an answer: refused with the request (fatal), else looked up."""
        missing = [i for i in write.intents if i.record_key not in answers]
        if not missing:
            return answers, fatal
        if fatal is not None:
            return answers | {i.record_key: not_applied(str(fatal)) for i in missing}, fatal
        self.run.counters.add(unknown=len(missing))
        try:
            found: Mapping[str, Answer] = write.resolve(missing)
        except (RetriableError, FatalError) as exc:
            found = {i.record_key: unresolved(str(exc)) for i in missing}
            fatal = exc if isinstance(exc, FatalError) else None
        return answers | {i.record_key: found.get(i.record_key) or lost("no answer") for i in missing}, fatal
