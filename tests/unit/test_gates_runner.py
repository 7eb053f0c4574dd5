"""The gate runner applies the fail-closed rules and never lets one broken gate stop the others."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sync.config import Config, load_config
from sync.demo import shipped_config_path
from validation.gates.runner import (
    GateContext,
    GateResult,
    GateStatus,
    MissingReason,
    gate_result,
    missing_gates,
    run_gates,
)


@pytest.fixture
def ctx(tmp_path: Path) -> GateContext:
    """A context over the shipped config (no gate here touches its databases)."""
    config: Config = load_config(shipped_config_path())
    return GateContext(config, "development", tmp_path / "run")


class FakeGate:
    """A gate whose behaviour is one function, for exercising the runner."""

    description = "test double"

    def __init__(self, name: str, body: Callable[[GateContext], GateResult]) -> None:
        self.name = name
        self._body = body

    def run(self, ctx: GateContext) -> GateResult:
        """Delegate to the body."""
        return self._body(ctx)


def _passing(name: str, checked: int = 3, write: bool = True) -> FakeGate:
    def body(ctx: GateContext) -> GateResult:
        evidence = []
        if write:
            path = ctx.evidence_dir(name) / "evidence.txt"
            path.write_text("checked things\n", encoding="utf-8")
            evidence.append(path)
        return gate_result(ctx, name, passed=True, summary="ok", metrics={"checked": checked}, evidence=evidence)

    return FakeGate(name, body)


def _raising(ctx: GateContext) -> GateResult:
    raise RuntimeError("database on fire")


def test_passing_gate_with_evidence_passes(ctx: GateContext) -> None:
    """A gate that checked things and wrote evidence keeps its pass, and the run passes."""
    run = run_gates(ctx, [_passing("good")])
    assert run.passed
    assert run.results[0].status is GateStatus.PASSED
    assert run.results[0].duration_s >= 0


def test_raising_gate_is_error_with_traceback_and_others_still_run(ctx: GateContext) -> None:
    """A gate that raised becomes 'error' with its traceback saved; the other gates still run."""
    run = run_gates(ctx, [FakeGate("broken", _raising), _passing("good")])
    broken, good = run.results
    assert broken.status is GateStatus.ERROR
    assert "database on fire" in broken.summary
    assert broken.evidence[0].name == "traceback.txt"
    assert "RuntimeError: database on fire" in broken.evidence[0].read_text(encoding="utf-8")
    assert good.status is GateStatus.PASSED
    assert not run.passed


def test_pass_without_evidence_is_inconclusive(ctx: GateContext) -> None:
    """A gate that says passed but wrote no evidence file has not passed: it could not show what it judged."""
    run = run_gates(ctx, [_passing("silent", write=False)])
    result = run.results[0]
    assert result.status is GateStatus.INCONCLUSIVE
    assert "produced no evidence" in result.summary
    assert not run.passed and not run.ready


def test_evidence_listed_but_missing_on_disk_is_failed(ctx: GateContext) -> None:
    """Evidence paths that do not exist do not count as evidence."""

    def body(c: GateContext) -> GateResult:
        return gate_result(
            c,
            "liar",
            passed=True,
            summary="ok",
            metrics={"checked": 1},
            evidence=[c.report_dir / "nowhere.json"],
        )

    result = run_gates(ctx, [FakeGate("liar", body)]).results[0]
    assert result.status is GateStatus.INCONCLUSIVE
    assert "evidence file nowhere.json is missing" in result.summary


def test_empty_evidence_file_is_inconclusive(ctx: GateContext) -> None:
    """An evidence file of zero bytes is no evidence: the pass becomes inconclusive, naming the file."""

    def body(c: GateContext) -> GateResult:
        path = c.evidence_dir("blank") / "checks.json"
        path.write_text("", encoding="utf-8")
        return gate_result(c, "blank", passed=True, summary="ok", metrics={"checked": 4}, evidence=[path])

    result = run_gates(ctx, [FakeGate("blank", body)]).results[0]
    assert result.status is GateStatus.INCONCLUSIVE
    assert "evidence file checks.json is empty" in result.summary


@pytest.mark.parametrize("metrics", [{}, {"checked": "all"}, {"checked": None}, {"checked": -1}])
def test_pass_whose_metrics_do_not_count_what_it_checked_is_inconclusive(
    ctx: GateContext, metrics: dict[str, object]
) -> None:
    """'all checks passed' with no count of checks behind it cannot be judged: inconclusive, never passed."""

    def body(c: GateContext) -> GateResult:
        path = c.evidence_dir("vague") / "e.txt"
        path.write_text("something\n", encoding="utf-8")
        return gate_result(c, "vague", passed=True, summary="all checks passed", metrics=metrics, evidence=[path])

    result = run_gates(ctx, [FakeGate("vague", body)]).results[0]
    assert result.status is GateStatus.INCONCLUSIVE
    assert "do not say how much it checked" in result.summary


def test_a_failure_keeps_its_own_summary(ctx: GateContext) -> None:
    """The inconclusive rules only downgrade passes; a finding stays a failure with its message."""

    def body(c: GateContext) -> GateResult:
        return gate_result(c, "finder", passed=False, summary="FACT.x missing", metrics={"checked": 2}, evidence=[])

    result = run_gates(ctx, [FakeGate("finder", body)]).results[0]
    assert result.status is GateStatus.FAILED
    assert result.summary == "FACT.x missing"


def test_a_run_missing_a_required_gate_is_not_ready_and_says_why(ctx: GateContext) -> None:
    """Required but unregistered, or registered but skipped: each is named; passed alone is not ready."""
    run = run_gates(
        ctx,
        [_passing("a")],
        required=["a", "b", "ghost"],
        registered=["a", "b"],
    )
    assert run.passed
    assert not run.ready
    assert [(m.name, m.reason) for m in run.missing] == [
        ("b", MissingReason.SKIPPED),
        ("ghost", MissingReason.NOT_REGISTERED),
    ]
    assert run.not_passed() == ["b: skipped (not selected)", "ghost: not registered"]


def test_a_selected_gate_without_a_result_is_lost() -> None:
    """A gate that was selected but whose result never came back is 'lost', not silently absent."""
    missing = missing_gates(["a", "b"], selected=["a", "b"], results=[], registered=["a", "b"])
    assert [m.describe() for m in missing] == [
        "a: lost (selected, but no result came back)",
        "b: lost (selected, but no result came back)",
    ]


def test_a_full_required_set_that_passed_is_ready(ctx: GateContext) -> None:
    """Every required gate ran and passed: the only READY run."""
    run = run_gates(ctx, [_passing("a"), _passing("b")], required=["a", "b"], registered=["a", "b"])
    assert run.ready
    assert run.missing == ()


def test_inconclusive_blocks_readiness_like_a_failure(ctx: GateContext) -> None:
    """An inconclusive gate in a complete run still leaves it NOT READY."""
    run = run_gates(ctx, [_passing("a"), _passing("b", write=False)], required=["a", "b"], registered=["a", "b"])
    assert not run.ready
    assert run.not_passed() == ["b (inconclusive)"]


def test_zero_checked_is_failed(ctx: GateContext) -> None:
    """A gate whose metrics say it checked 0 things has failed, even with evidence."""
    result = run_gates(ctx, [_passing("empty", checked=0)]).results[0]
    assert result.status is GateStatus.FAILED
    assert "checked 0" in result.summary


def test_non_result_return_is_error(ctx: GateContext) -> None:
    """A gate returning something other than a GateResult is an error, not a pass."""
    gate = FakeGate("sloppy", lambda c: True)  # type: ignore[arg-type,return-value]
    assert run_gates(ctx, [gate]).results[0].status is GateStatus.ERROR


def test_empty_run_does_not_pass(ctx: GateContext) -> None:
    """Running no gates proves nothing, so the run does not pass."""
    assert not run_gates(ctx, []).passed


def test_results_keep_the_given_order_and_environment(ctx: GateContext) -> None:
    """Parallel execution still reports results in the order the gates were given."""
    names = [f"g{i}" for i in range(5)]
    run = run_gates(ctx, [_passing(n) for n in names])
    assert [r.name for r in run.results] == names
    assert {r.environment for r in run.results} == {"development"}
    assert run.counts()["passed"] == 5


def test_the_registry_tells_skipped_from_not_registered_by_default(ctx: GateContext) -> None:
    """With the real required set and no ``registered`` given, every other gate is named with the right reason."""
    from validation.gates.registry import gate_names, required_gates

    run = run_gates(ctx, [_passing("schema-readiness")], required=required_gates("production"))
    assert run.passed and not run.ready
    reasons = {m.name: m.reason for m in run.missing}
    assert set(reasons) == set(required_gates("production")) - {"schema-readiness"}
    for name, reason in reasons.items():
        expected = MissingReason.SKIPPED if name in gate_names() else MissingReason.NOT_REGISTERED
        assert reason is expected, name


def test_a_pass_lacking_a_claimed_metric_is_inconclusive_and_names_it(ctx: GateContext) -> None:
    """A gate's ``claims`` are the metrics its pass rests on: a passed result without one has not shown it."""
    gate = _passing("load-like")
    gate.claims = ("checked", "records_per_s")  # type: ignore[attr-defined]
    result = run_gates(ctx, [gate], required=()).results[0]
    assert result.status is GateStatus.INCONCLUSIVE
    assert "records_per_s" in result.summary and "checked" not in result.summary.split("lack")[1]


def test_every_registered_gate_declares_the_metrics_its_pass_rests_on() -> None:
    """Each gate names its claims, so the runner can refuse a pass that did not measure them."""
    from validation.gates.registry import GATE_FACTORIES, load_gate

    for spec in GATE_FACTORIES:
        gate = load_gate(spec)
        claims = getattr(gate, "claims", ())
        assert "checked" in claims and len(claims) >= 2, f"{gate.name} declares no claims beyond 'checked': {claims}"
