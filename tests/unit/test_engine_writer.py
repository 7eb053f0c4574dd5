"""The one writer protocol (intend -> send -> settle) on SQLite in memory and httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from engine_units import make_run
from sqlalchemy.engine import Connection

from sync.engine.ledger import Entity, Intent, OpKind, OpStatus
from sync.engine.options import RunParts
from sync.engine.writer import Answer, Write, Writer
from sync.errors import FatalError
from sync.monday.models import NewItem

COMPLEXITY = {"before": 10_000_000, "after": 9_990_000, "query": 10_000, "reset_in_x_seconds": 30}
BOARD = 9609317401


class Probe(Write):
    """Creates items named after their keys; adopts what ``on_board`` names when an answer is lost."""

    kind = OpKind.CREATE_ITEM

    def __init__(self, run: RunParts, keys: Sequence[str], on_board: dict[str, str] | None = None) -> None:
        super().__init__(run, [Intent(OpKind.CREATE_ITEM, Entity.ITEM, BOARD, k, after={"name": k}) for k in keys])
        self.on_board = on_board or {}
        self.looked_up: list[str] = []
        self.written: list[tuple[str, Answer]] = []

    def send(self, idempotency_key: str) -> dict[str, Answer]:
        items = [NewItem(i.record_key, i.record_key, "topics", {}) for i in self.intents]
        outcomes = self.run.client.create_items(BOARD, items, create_labels=False, idempotency_key=idempotency_key)
        return dict(self.answer(o) for o in outcomes)

    def resolve(self, missing: Sequence[Intent]) -> dict[str, Answer]:
        self.looked_up += [i.record_key for i in missing]
        return {k: Answer(OpStatus.ADOPTED, v) for k, v in self.on_board.items() if k in self.looked_up}

    def write_back(self, conn: Connection, settled: Sequence[tuple[Intent, Answer]]) -> None:
        self.written += [(i.record_key, a) for i, a in settled]


def _transport(respond: Callable[[dict[str, Any]], httpx.Response]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: respond(json.loads(request.content)))


def _ledger(run: RunParts) -> list[dict[str, Any]]:
    ops = run.tables.operations
    with run.db.connect() as conn:
        return [dict(r) for r in conn.execute(sa.select(ops).order_by(ops.c.seq)).mappings()]


def test_operations_are_in_the_ledger_as_sent_before_the_request_and_applied_after() -> None:
    """Intend first (SENT while the request is in flight), then settle APPLIED with monday's ids."""
    seen_during_request: list[list[str]] = []
    holder: dict[str, RunParts] = {}

    def respond(body: dict[str, Any]) -> httpx.Response:
        seen_during_request.append([op["status"] for op in _ledger(holder["run"])])
        count = body["query"].count("create_item(")
        data: dict[str, Any] = {f"i{n}": {"id": str(500 + n)} for n in range(count)}
        return httpx.Response(200, json={"data": {**data, "complexity": COMPLEXITY}})

    run = holder["run"] = make_run(_transport(respond))
    probe = Probe(run, ["a", "b"])
    pairs = Writer(run).write(probe)
    assert seen_during_request == [["SENT", "SENT"]]
    assert [(op["record_key"], op["status"], op["monday_id"]) for op in _ledger(run)] == [
        ("a", "APPLIED", "500"),
        ("b", "APPLIED", "501"),
    ]
    assert [a.status for _, a in pairs] == [OpStatus.APPLIED, OpStatus.APPLIED]
    assert probe.looked_up == [] and len(probe.written) == 2


def test_a_lost_answer_is_looked_up_adopted_or_failed_and_nothing_stays_sent() -> None:
    """monday keeps answering 500: the batch is looked up; found -> ADOPTED, not found -> FAILED, left pending."""
    run = make_run(_transport(lambda _b: httpx.Response(500, text="upstream error")))
    probe = Probe(run, ["a", "b"], on_board={"a": "900"})
    Writer(run).write(probe)
    assert probe.looked_up == ["a", "b"]
    ledger = {op["record_key"]: op for op in _ledger(run)}
    assert (ledger["a"]["status"], ledger["a"]["monday_id"]) == ("ADOPTED", "900")
    assert ledger["b"]["status"] == "FAILED" and "answer lost" in ledger["b"]["error"]
    written = dict(probe.written)
    assert written["a"].ok and not written["b"].ok and written["b"].requeue
    assert run.counters.unknown == 2


def test_a_request_refused_as_a_whole_is_settled_not_applied_then_raised() -> None:
    """A fatal answer (the daily limit): nothing applied, FAILED with the reason, rows left pending, error raised."""
    body = {"errors": [{"message": "Daily limit exceeded", "extensions": {"code": "DAILY_LIMIT_EXCEEDED"}}]}
    run = make_run(_transport(lambda _b: httpx.Response(200, json=body)))
    probe = Probe(run, ["a", "b"], on_board={"a": "900"})
    with pytest.raises(FatalError) as caught:
        Writer(run).write(probe)
    assert getattr(caught.value, "code", None) == "DAILY_LIMIT_EXCEEDED"
    assert probe.looked_up == []  # a refused request applied nothing: no look-up
    assert {op["status"] for op in _ledger(run)} == {"FAILED"}
    assert all("not applied" in op["error"] for op in _ledger(run))
    assert all(a.requeue for _, a in probe.written)


def test_a_record_error_fails_only_its_row() -> None:
    """One alias refused: that operation FAILED with monday's message (not re-queued), the other APPLIED."""

    def respond(_body: dict[str, Any]) -> httpx.Response:
        error = {"message": "invalid value", "path": ["i1"], "extensions": {"code": "ColumnValueException"}}
        return httpx.Response(
            200, json={"data": {"i0": {"id": "7"}, "i1": None, "complexity": COMPLEXITY}, "errors": [error]}
        )

    run = make_run(_transport(respond))
    probe = Probe(run, ["a", "b"])
    Writer(run).write(probe)
    ledger = {op["record_key"]: op for op in _ledger(run)}
    assert ledger["a"]["status"] == "APPLIED" and ledger["b"]["status"] == "FAILED"
    assert "invalid value" in ledger["b"]["error"]
    assert not dict(probe.written)["b"].requeue


def test_a_failed_look_up_leaves_the_create_unresolved_for_the_next_run() -> None:
    """Answer lost and the look-up fails too: FAILED 'unresolved', which the next run's recovery picks up."""
    from sync.engine import store
    from sync.engine.ledger import Ledger
    from sync.engine.options import RunParts as Parts
    from sync.errors import RetriableError

    class BlindProbe(Probe):
        def resolve(self, missing: Sequence[Intent]) -> dict[str, Answer]:
            raise RetriableError("the look-up timed out as well")

    run = make_run(_transport(lambda _b: httpx.Response(500, text="upstream error")))
    Writer(run).write(BlindProbe(run, ["a"]))
    (op,) = _ledger(run)
    assert op["status"] == "FAILED" and op["error"].startswith("unresolved: ")
    later = Parts(**{**run.__dict__, "run_id": "run-2", "ledger": Ledger(run.tables, "run-2")})
    assert [s.op_id for s in store.sent_operations(later)] == [op["op_id"]]
    assert store.sent_operations(run) == []  # never its own run's
