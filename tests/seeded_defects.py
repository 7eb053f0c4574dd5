"""Seeded-defect tests: the helper they assert with, and the marker the meta-test counts.

A seeded-defect test plants ONE realistic defect (in the engine, client or emulator: a
*product* defect; or in the config or the data: a *config* defect), runs the gate and
asserts it caught the defect and named the cause::

    from seeded_defects import assert_gate_caught

    @pytest.mark.seeded_defect(gate="schema-readiness", kind="config")
    def test_missing_sync_pending_at_fails(...):
        result = run_gates(ctx, [SchemaGate()]).results[0]
        assert_gate_caught(result, "FACT_ORDER_LIST.sync_pending_at")

``tests/unit/test_seeded_defect_meta.py`` reads every test module's source (not the
collected items, so ``-k`` or a single file never changes its verdict) and fails when a
registered gate lacks a ``product`` or a ``config`` test, when a marker names an unknown
gate or kind, or when a marked test never calls one of the assertion helpers below.
"""

from __future__ import annotations

from collections.abc import Iterable

from validation.gates.runner import GateResult, GateStatus

__all__ = ["CAUGHT_STATUSES", "KINDS", "assert_gate_caught", "assert_output_names"]

#: ``product``: a defect in the engine, the monday client or the emulator.
#: ``config``: a defect in the config, the environment or the data.
KINDS = ("product", "config")

#: A gate caught a defect when it did not pass and did not crash: a finding, or "could not judge".
CAUGHT_STATUSES = frozenset(s for s in GateStatus if s.value in ("failed", "inconclusive"))


def assert_gate_caught(result: GateResult, *causes: str) -> None:
    """The gate failed (or went inconclusive) and its summary names every one of ``causes``."""
    assert causes, "a seeded-defect test must name the cause it expects in the message"
    assert result.status in CAUGHT_STATUSES, (
        f"gate {result.name} did not catch the seeded defect: {result.status.value}: {result.summary}"
    )
    _names_all(result.summary, causes, f"gate {result.name} summary")


def assert_output_names(
    text: str, *causes: str, exit_code: int | None = None, expected_exit: Iterable[int] = (1,)
) -> None:
    """Operator output (CLI or page) names every cause; the exit code, when given, is a failing one."""
    assert causes, "a seeded-defect test must name the cause it expects in the message"
    if exit_code is not None:
        assert exit_code in tuple(expected_exit), f"exit code {exit_code}, expected one of {tuple(expected_exit)}"
    _names_all(text, causes, "output")


def _names_all(text: str, causes: Iterable[str], where: str) -> None:
    missing = [c for c in causes if c not in text]
    assert not missing, f"{where} does not name {missing}: {text}"
