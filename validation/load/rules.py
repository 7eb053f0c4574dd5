"""Load-test rules: profiles, thresholds, verdicts, and what the load-test gate's profile must be.

Pure and dependency-light on purpose: the locustfile (inside the measured process), the
baseline, the scale benchmark and the orchestrating runner in :mod:`validation.load.runner`
all judge with these same functions, so Locust's exit code and the report can never
disagree on a rule. The staging reconciliation lives in :mod:`validation.load.reconcile`.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sync.config import Config
from sync.shipped import PROFILES_NAME, shipped_path
from validation.load.reconcile import Reconciliation

__all__ = [
    "CONFIG_ENV",
    "COST_PER_RECORD",
    "ENV_NAME",
    "ENV_NAME_ENV",
    "GATE_MIN_LATENCY_MS",
    "LOCUSTFILE",
    "OUT_ENV",
    "PROFILES_PATH",
    "PROFILE_ENV",
    "RESULT_FILE",
    "RUNNER_JUDGED",
    "SCRATCH_ENV",
    "SEED_MIN_RECORDS_PER_S",
    "URL_ENV",
    "LoadProfile",
    "Measured",
    "Reconciliation",
    "Thresholds",
    "Verdict",
    "evaluate",
    "exit_code",
    "gate_profile_problems",
    "load_profile",
    "user_config",
]


#: The shipped profiles (package data; a project's own are ``[paths] load_profiles`` in its config).
PROFILES_PATH = shipped_path(PROFILES_NAME)
#: The locustfile is a module of this package, so an installed ordersync can run it from any cwd.
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")
#: What one created item or subitem costs in the emulator (monday's documented 10,000 for create_item).
COST_PER_RECORD = 10_000
PROFILE_ENV = "ORDERSYNC_LOAD_PROFILE"  # the profile as JSON
URL_ENV = "ORDERSYNC_LOAD_URL"  # the emulator's base URL, e.g. http://127.0.0.1:8123
OUT_ENV = "ORDERSYNC_LOAD_OUT"  # where the locustfile writes locust_result.json
SCRATCH_ENV = "ORDERSYNC_LOAD_SCRATCH"  # the run's scratch folder for users' databases (removed after the run)
CONFIG_ENV = "ORDERSYNC_LOAD_CONFIG"  # the config under test as JSON (default: the shipped config)
ENV_NAME_ENV = "ORDERSYNC_LOAD_ENV"  # the environment under test whose board pair every user clones
RESULT_FILE = "locust_result.json"
ENV_NAME = "development"  # the default environment under test (the shipped config's dev boards)
#: The seed plan's throughput gate (TASK021): the gate never judges against less.
SEED_MIN_RECORDS_PER_S = 200.0
#: monday's realistic round trip for a mutation; the gate's profile must simulate at least this (with jitter).
GATE_MIN_LATENCY_MS = 250
#: Verdicts only the orchestrating runner can judge (the staging reconciliation, the baseline).
RUNNER_JUDGED = frozenset({"lost records", "duplicated records", "rows not SYNCED", "baseline records"})


# ---------------------------------------------------------------------------------------------- profiles
@dataclass(frozen=True)
class Thresholds:
    """What a run must reach; ``None`` means the profile does not judge that number."""

    min_records_per_s: float = 0.0
    target_records_per_s: float | None = None
    max_failure_ratio: float = 0.0
    max_rss_mb: float | None = None
    min_budget_ratio: float | None = None
    max_avoidable_429: int | None = None


#: The whole order book the load report projects: the origin's ORDER_LIST held 101,404 orders.
BOOK_ORDERS = 101_404


@dataclass(frozen=True)
class LoadProfile:
    """One named load profile from ``loadtests/profiles.toml``."""

    name: str
    description: str = ""
    users: int = 4
    run_time_s: int = 60
    stop_timeout_s: int = 60
    orders_per_run: int = 200
    orders_per_user: int = 10_000
    batch_size: int | None = None  # None: the config under test's [sync] batch_size (the gate never overrides it)
    latency_ms: int = 0
    jitter_ms: int = 0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_timeout: float = 0.0
    rate_timeout_after_apply: float = 0.0
    complexity_budget_per_minute: int | None = None
    rate_limit_per_minute: int | None = None
    pace: bool = False
    baseline_s: float = 20.0
    seed: int = 42
    book_orders: int = BOOK_ORDERS  # the whole book the report projects days per monday plan for
    thresholds: Thresholds = Thresholds()

    @property
    def budget_bound_per_s(self) -> float | None:
        """Records/s the complexity budget allows (each create costs :data:`COST_PER_RECORD`)."""
        if self.complexity_budget_per_minute is None:
            return None
        return self.complexity_budget_per_minute / COST_PER_RECORD / 60.0

    def user_share(self, limit: int | None) -> int | None:
        """One user's pacing share of a server-wide per-minute limit (2% kept back for estimate error)."""
        if limit is None or not self.pace:
            return None
        return max(1, int(limit * 0.98 / self.users))

    def to_json(self) -> str:
        """The profile as JSON (how it travels to the Locust subprocess)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_mapping(cls, name: str, raw: Mapping[str, Any]) -> LoadProfile:
        """Build from a TOML table or :meth:`to_json` output; unknown keys are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known - {"name"})
        if unknown:
            raise ValueError(f"load profile {name!r}: unknown key(s) {', '.join(unknown)}")
        values = {k: v for k, v in raw.items() if k not in ("name", "thresholds")}
        return cls(name=name, thresholds=Thresholds(**dict(raw.get("thresholds") or {})), **values)


def load_profile(name: str, path: Path = PROFILES_PATH) -> LoadProfile:
    """The named profile; a ValueError naming the known ones when it does not exist."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    if name not in raw:
        raise ValueError(f"no load profile {name!r} in {path} (known: {', '.join(sorted(raw))})")
    return LoadProfile.from_mapping(name, raw[name])


def user_config(
    base: Config,
    profile: LoadProfile,
    url: str,
    db_url: str,
    board_id: int,
    subitem_board_id: int,
    *,
    env_name: str = ENV_NAME,
) -> Config:
    """``base`` (the config under test) with one user's database, cloned boards and the emulator's URL.

    The mapping, batch size and client settings stay the config's own; a profile's ``batch_size``
    and pacing shares apply only when the profile sets them (``pace = true`` / ``batch_size``).
    """
    raw = base.model_dump()
    env = raw["environments"][env_name]
    env["database"] = {"url": db_url}
    env["monday"].update(
        api_url=f"{url.rstrip('/')}/v2",
        transport="http",
        board_id=board_id,
        subitem_board_id=subitem_board_id,
        emulator_state=None,
    )
    if profile.batch_size is not None:
        raw["sync"]["batch_size"] = profile.batch_size
    if profile.pace:
        raw["sync"].update(
            complexity_budget_per_minute=profile.user_share(profile.complexity_budget_per_minute),
            requests_per_minute=profile.user_share(profile.rate_limit_per_minute),
        )
    raw["environments"] = {env_name: env}
    raw["active_environment"] = env_name
    return Config.model_validate(raw)


def gate_profile_problems(profile: LoadProfile) -> list[str]:
    """Why ``profile`` cannot judge the load-test gate (empty: it can): never below the seed's figures."""
    problems = []
    if profile.thresholds.min_records_per_s < SEED_MIN_RECORDS_PER_S:
        problems.append(
            f"profile {profile.name!r} gates at min_records_per_s {profile.thresholds.min_records_per_s:g}, "
            f"below the seed's {SEED_MIN_RECORDS_PER_S:g}"
        )
    if profile.latency_ms < GATE_MIN_LATENCY_MS or profile.jitter_ms <= 0:
        problems.append(
            f"profile {profile.name!r} simulates {profile.latency_ms} ms ± {profile.jitter_ms} ms; "
            f"the gate needs ≥ {GATE_MIN_LATENCY_MS} ms with jitter"
        )
    if profile.batch_size is not None:
        problems.append(f"profile {profile.name!r} sets batch_size: the gate judges the config's own")
    return problems


# ---------------------------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Measured:
    """The numbers a run produced; every verdict is computed from these and nothing else."""

    records: int
    elapsed_s: float
    requests: int
    request_failures: int
    records_failed: int
    peak_rss_mb: float | None
    http_429: int
    reconciliation: Reconciliation | None  # None: not reconciled (yet); every verdict on it fails closed
    runs: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    record_writes: int = 0  # create/change/delete requests that carried records
    records_applied: int = 0  # records monday applied in those requests (counted per request, runs finished or not)
    baseline_records: int | None = None  # records the naive baseline synced; None: it did not run

    @property
    def records_per_write(self) -> float | None:
        """Records per record-carrying request: the batch size the engine actually achieved."""
        return self.records_applied / self.record_writes if self.record_writes else None

    @property
    def records_per_s(self) -> float:
        """Records confirmed by monday and written back, per second of the users' working window."""
        return self.records / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def failure_ratio(self) -> float:
        """The worse of failed HTTP requests / requests and failed records / records attempted."""
        by_request = self.request_failures / self.requests if self.requests else 0.0
        attempted = self.records + self.records_failed
        by_record = self.records_failed / attempted if attempted else 0.0
        return max(by_request, by_record)


@dataclass(frozen=True)
class Verdict:
    """One threshold judged: ``gating=False`` verdicts are reported but never fail a run."""

    name: str
    measured: float | None
    limit: float
    comparison: str  # ">=" or "<="
    passed: bool
    gating: bool = True
    note: str = ""


def _check(
    name: str, measured: float | None, comparison: str, limit: float, *, gating: bool = True, note: str = ""
) -> Verdict:
    if measured is None:
        return Verdict(name, None, limit, comparison, False, gating, note or "not measured; fail-closed")
    ok = measured >= limit if comparison == ">=" else measured <= limit
    return Verdict(name, round(measured, 3), limit, comparison, ok, gating, note)


def evaluate(profile: LoadProfile, measured: Measured) -> list[Verdict]:
    """Judge every threshold of ``profile``; a run that synced nothing fails (fail-closed)."""
    t = profile.thresholds
    rec = measured.reconciliation
    verdicts = [
        _check("records synced", measured.records, ">=", 1, note="a run that synced nothing proves nothing"),
        _check("records/s", measured.records_per_s, ">=", t.min_records_per_s),
        _check("failure ratio", measured.failure_ratio, "<=", t.max_failure_ratio),
        _check(
            "lost records",
            rec.lost if rec else None,
            "<=",
            0,
            note="eligible staging orders/lines not on the board",
        ),
        _check(
            "duplicated records",
            rec.duplicated if rec else None,
            "<=",
            0,
            note="on the board more than once, or not asked for by staging",
        ),
        _check(
            "rows not SYNCED",
            rec.not_synced if rec else None,
            "<=",
            0,
            note="every eligible order and line ends SYNCED",
        ),
        _check(
            "baseline records",
            measured.baseline_records,
            ">=",
            1,
            note="the naive one-request-per-record baseline must run to compare against",
        ),
    ]
    if t.target_records_per_s is not None:
        verdicts.append(
            _check(
                "engine target records/s",
                measured.records_per_s,
                ">=",
                t.target_records_per_s,
                gating=False,
                note="the engine's own capacity target; reported, not gating",
            )
        )
    if t.max_rss_mb is not None:
        verdicts.append(_check("peak RSS MB", measured.peak_rss_mb, "<=", t.max_rss_mb))
    bound = profile.budget_bound_per_s
    if t.min_budget_ratio is not None:
        ratio = measured.records_per_s / bound if bound else None
        verdicts.append(
            _check(
                "share of budget bound",
                ratio,
                ">=",
                t.min_budget_ratio,
                note=f"budget bound {bound:.2f} records/s" if bound else "profile has no budget",
            )
        )
    if t.max_avoidable_429 is not None:
        verdicts.append(
            _check(
                "avoidable 429s",
                measured.http_429,
                "<=",
                t.max_avoidable_429,
                note="the engine paces to the budget, so every 429 was avoidable",
            )
        )
    return verdicts


def exit_code(verdicts: Sequence[Verdict]) -> int:
    """0 when every gating verdict passed (and there was at least one), else 1."""
    gating = [v for v in verdicts if v.gating]
    return 0 if gating and all(v.passed for v in gating) else 1
