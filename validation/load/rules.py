"""Load-test rules: profiles, thresholds, verdicts and the lost/duplicate reconciliation.

Pure and dependency-light on purpose: the locustfile (inside the measured process), the
baseline, the scale benchmark and the orchestrating runner in :mod:`validation.load.runner`
all judge with these same functions, so Locust's exit code and the report can never
disagree on a rule.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sync.config import Config
from sync.shipped import PROFILES_NAME, shipped_path

__all__ = [
    "COST_PER_RECORD",
    "ENV_NAME",
    "LOCUSTFILE",
    "OUT_ENV",
    "PROFILES_PATH",
    "PROFILE_ENV",
    "RESULT_FILE",
    "SCRATCH_ENV",
    "URL_ENV",
    "LoadProfile",
    "Measured",
    "Reconciliation",
    "Thresholds",
    "Verdict",
    "evaluate",
    "exit_code",
    "load_profile",
    "reconcile",
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
RESULT_FILE = "locust_result.json"
ENV_NAME = "development"  # the shipped config's environment whose boards are cloned for every user


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
    batch_size: int = 50
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
    base: Config, profile: LoadProfile, url: str, db_url: str, board_id: int, subitem_board_id: int
) -> Config:
    """``base`` with one user's database and cloned boards, the emulator's URL and the profile's tuning."""
    raw = base.model_dump()
    env = raw["environments"][ENV_NAME]
    env["database"] = {"url": db_url}
    env["monday"].update(
        api_url=f"{url.rstrip('/')}/v2",
        transport="http",
        board_id=board_id,
        subitem_board_id=subitem_board_id,
        emulator_state=None,
    )
    raw["sync"].update(
        batch_size=profile.batch_size,
        complexity_budget_per_minute=profile.user_share(profile.complexity_budget_per_minute),
        requests_per_minute=profile.user_share(profile.rate_limit_per_minute),
    )
    raw["environments"] = {ENV_NAME: env}
    raw["active_environment"] = ENV_NAME
    return Config.model_validate(raw)


# ---------------------------------------------------------------------------------------------- verdicts
@dataclass(frozen=True)
class Reconciliation:
    """Emulator oplog vs the users' databases: what monday has that the DB lacks, and vice versa."""

    orders: int = 0
    lines: int = 0
    lost: int = 0
    duplicated: int = 0
    not_synced: int = 0
    problems: tuple[str, ...] = ()

    def __add__(self, other: Reconciliation) -> Reconciliation:
        return Reconciliation(
            self.orders + other.orders,
            self.lines + other.lines,
            self.lost + other.lost,
            self.duplicated + other.duplicated,
            self.not_synced + other.not_synced,
            (self.problems + other.problems)[:50],
        )


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
    reconciliation: Reconciliation
    runs: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)

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
        _check("lost records", rec.lost, "<=", 0, note="synced in the DB but not created on the board"),
        _check("duplicated records", rec.duplicated, "<=", 0, note="created on the board more than once"),
        _check("rows not SYNCED", rec.not_synced, "<=", 0, note="every inserted order and line ends SYNCED"),
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


def reconcile(
    operations: Iterable[Mapping[str, Any]],
    *,
    board_id: str,
    subitem_board_id: str,
    item_ids: Mapping[str, int | None],
    subitem_ids: Mapping[str, int | None],
) -> Reconciliation:
    """Compare one user's DB (order -> item id, line -> subitem id; None = not synced) with the oplog.

    Lost: a DB id with no ``create_item``/``create_subitem`` on the user's board. Duplicated: a
    create on the board no DB row points at, or one id created twice. Not synced: a row without id.
    """
    created: dict[str, list[str]] = {"create_item": [], "create_subitem": []}
    for op in operations:
        kind = str(op.get("op"))
        board = str(op.get("board_id"))
        if (kind == "create_item" and board == board_id) or (kind == "create_subitem" and board == subitem_board_id):
            created[kind].append(str(op.get("item_id")))
    problems: list[str] = []
    lost = duplicated = not_synced = 0
    for kind, wanted in (("create_item", item_ids), ("create_subitem", subitem_ids)):
        on_board = created[kind]
        ids = {str(v) for v in wanted.values() if v is not None}
        not_synced += sum(1 for v in wanted.values() if v is None)
        missing = ids - set(on_board)
        extra = [i for i in on_board if i not in ids]
        twice = len(on_board) - len(set(on_board))
        lost += len(missing)
        duplicated += len(extra) + twice
        if missing:
            problems.append(
                f"{kind}: {len(missing)} id(s) in the DB never created on board, e.g. {sorted(missing)[:3]}"
            )
        if extra or twice:
            problems.append(f"{kind}: {len(extra)} orphan and {twice} repeated create(s) on the board")
    return Reconciliation(len(item_ids), len(subitem_ids), lost, duplicated, not_synced, tuple(problems))
