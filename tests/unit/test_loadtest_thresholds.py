"""Load-test verdicts: thresholds, fail-closed rules, exit codes and oplog reconciliation."""

from __future__ import annotations

from dataclasses import replace

import pytest

from validation.load.rules import (
    LoadProfile,
    Measured,
    Reconciliation,
    Thresholds,
    evaluate,
    exit_code,
    gate_profile_problems,
    load_profile,
)

CAPACITY = LoadProfile(
    "capacity",
    thresholds=Thresholds(min_records_per_s=200, target_records_per_s=1_000, max_failure_ratio=0.0, max_rss_mb=300),
)
REALISTIC = LoadProfile(
    "realistic",
    users=4,
    complexity_budget_per_minute=6_000_000,
    pace=True,
    thresholds=Thresholds(min_budget_ratio=0.9, max_avoidable_429=0),
)


def measured(**changes: object) -> Measured:
    """A clean run: 30,000 records in 60 s, no failures, 250 MB."""
    base = Measured(
        records=30_000,
        elapsed_s=60.0,
        requests=400,
        request_failures=0,
        records_failed=0,
        peak_rss_mb=250.0,
        http_429=0,
        reconciliation=Reconciliation(orders=6_000, lines=24_000),
        baseline_records=120,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def by_name(profile: LoadProfile, run: Measured) -> dict[str, bool]:
    """Verdicts keyed by threshold name."""
    return {v.name: v.passed for v in evaluate(profile, run)}


def test_a_clean_run_passes_with_exit_code_0() -> None:
    """Every gating threshold met gives exit code 0; the engine's own target is reported, not gating."""
    verdicts = evaluate(CAPACITY, measured())
    assert exit_code(verdicts) == 0
    target = next(v for v in verdicts if v.name == "engine target records/s")
    assert (target.passed, target.gating, target.measured) == (False, False, 500.0)


@pytest.mark.parametrize(
    ("change", "missed"),
    [
        ({"records": 6_000}, "records/s"),
        ({"request_failures": 1}, "failure ratio"),
        ({"records_failed": 3}, "failure ratio"),
        ({"peak_rss_mb": 301.0}, "peak RSS MB"),
        ({"peak_rss_mb": None}, "peak RSS MB"),
        ({"reconciliation": Reconciliation(lost=1)}, "lost records"),
        ({"reconciliation": Reconciliation(duplicated=2)}, "duplicated records"),
        ({"reconciliation": Reconciliation(not_synced=1)}, "rows not SYNCED"),
        ({"records": 0}, "records synced"),
        ({"reconciliation": None}, "lost records"),
        ({"reconciliation": None}, "duplicated records"),
        ({"baseline_records": None}, "baseline records"),
        ({"baseline_records": 0}, "baseline records"),
    ],
)
def test_a_missed_threshold_gives_exit_code_1(change: dict[str, object], missed: str) -> None:
    """Each threshold, missed alone, fails its verdict and makes the exit code 1."""
    verdicts = by_name(CAPACITY, measured(**change))
    assert verdicts[missed] is False
    assert exit_code(evaluate(CAPACITY, measured(**change))) == 1


def test_realistic_judges_the_budget_bound_and_avoidable_429s() -> None:
    """6M/min at 10,000 per record bounds 10 records/s; 9/s passes 0.9x, 8.9/s and any 429 fail."""
    assert REALISTIC.budget_bound_per_s == pytest.approx(10.0)
    assert REALISTIC.user_share(6_000_000) == 1_470_000
    assert by_name(REALISTIC, measured(records=540))["share of budget bound"] is True
    assert by_name(REALISTIC, measured(records=534))["share of budget bound"] is False
    assert by_name(REALISTIC, measured(records=540, http_429=1))["avoidable 429s"] is False


def test_no_gating_verdict_is_never_a_pass() -> None:
    """An empty verdict list exits 1: nothing judged is nothing proven."""
    assert exit_code([]) == 1


def test_the_gate_profile_never_judges_below_the_seed() -> None:
    """The shipped ci profile gates at 200/s with ≥ 250 ms jittered latency and the config's batch size."""
    ci = load_profile("ci")
    assert gate_profile_problems(ci) == []
    assert ci.thresholds.min_records_per_s == 200 and ci.latency_ms >= 250 and ci.jitter_ms > 0
    assert ci.batch_size is None
    lowered = replace(ci, thresholds=replace(ci.thresholds, min_records_per_s=50))
    assert "below the seed's 200" in gate_profile_problems(lowered)[0]
    fast = replace(ci, latency_ms=20)
    assert "needs ≥ 250 ms" in gate_profile_problems(fast)[0]
    assert "sets batch_size" in gate_profile_problems(replace(ci, batch_size=200))[0]


def test_shipped_profiles_load_and_unknown_keys_are_errors() -> None:
    """The three shipped profiles parse; a typo in a profile key is an error, not a default."""
    assert {load_profile(n).name for n in ("capacity", "realistic", "ci")} == {"capacity", "realistic", "ci"}
    assert load_profile("capacity").thresholds.min_records_per_s == 200
    with pytest.raises(ValueError, match="unknown key"):
        LoadProfile.from_mapping("x", {"userz": 3})
    with pytest.raises(ValueError, match="no load profile"):
        load_profile("nope")
