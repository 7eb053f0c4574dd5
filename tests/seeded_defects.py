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

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from validation.gates.runner import GateResult, GateStatus

__all__ = [
    "CAUGHT_STATUSES",
    "HELPERS",
    "KINDS",
    "SeededTest",
    "assert_gate_caught",
    "assert_output_names",
    "coverage_problems",
    "scan_source",
    "scan_tests",
]

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


#: The assertion helpers a seeded-defect test must call (by name, as the meta-test reads the source).
HELPERS = frozenset({"assert_gate_caught", "assert_output_names"})
MARKER = "seeded_defect"


@dataclass(frozen=True)
class SeededTest:
    """One ``@pytest.mark.seeded_defect`` test as written in a test module's source."""

    where: str
    gate: str | None
    kind: str | None
    calls_helper: bool

    def problems(self, known_gates: Iterable[str]) -> list[str]:
        """What is wrong with this marker or this test (empty when it counts)."""
        out = []
        known = list(known_gates)
        if self.gate not in known:
            out.append(f"{self.where}: marker names unknown gate {self.gate!r} (known: {', '.join(known)})")
        if self.kind not in KINDS:
            out.append(f"{self.where}: marker kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not self.calls_helper:
            out.append(f"{self.where}: never calls {' or '.join(sorted(HELPERS))}, so it cannot prove a catch")
        return out


def scan_source(source: str, filename: str) -> list[SeededTest]:
    """Every seeded-defect test in one module's source (functions and methods, decorators as written)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and _is_marker(decorator.func):
                args = {k.arg: k.value for k in decorator.keywords}
                found.append(
                    SeededTest(
                        f"{filename}::{node.name}",
                        _literal(args.get("gate")),
                        _literal(args.get("kind")),
                        _calls_helper(node),
                    )
                )
    return found


def scan_tests(root: Path) -> list[SeededTest]:
    """Every seeded-defect test under ``root`` (the tests folder), read from source, never from collection."""
    out = []
    for path in sorted(root.rglob("*.py")):
        out += scan_source(path.read_text(encoding="utf-8"), path.relative_to(root.parent).as_posix())
    return out


def coverage_problems(tests: Iterable[SeededTest], gates: Iterable[str]) -> dict[str, list[str]]:
    """Per gate, the kinds it has no valid seeded-defect test of (only gates with a gap are listed)."""
    tests = list(tests)
    out: dict[str, list[str]] = {}
    for gate in gates:
        have = {t.kind for t in tests if t.gate == gate and not t.problems([gate])}
        lacking = [kind for kind in KINDS if kind not in have]
        if lacking:
            out[gate] = lacking
    return out


def _is_marker(func: ast.expr) -> bool:
    """``pytest.mark.seeded_defect`` or ``mark.seeded_defect``."""
    return isinstance(func, ast.Attribute) and func.attr == MARKER


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _calls_helper(node: ast.AST) -> bool:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in HELPERS:
                return True
    return False
