"""Load tests: profiles, threshold verdicts, lost/duplicate reconciliation and the orchestrated run.

``run_load_test("capacity", Path("reports/load"))`` does, in order:

1. starts one emulator server on a free loopback port with the profile's latency, faults and
   limits (in a thread of this process: the Locust process is the one being measured);
2. runs ``locust -f loadtests/locustfile.py --headless`` as a subprocess; every simulated user
   drives the real :func:`sync.engine.run_with` against its own cloned board pair, and the
   locustfile reconciles the emulator's oplog with each user's database when it quits;
3. samples the peak RSS of the Locust process tree with psutil;
4. syncs the same kind of data the naive way (one request per record, the ``monday`` PyPI
   client) against the same server: :mod:`validation.loadtest_baseline`;
5. judges every threshold of the profile and writes ``loadtest.json`` and the sign-off page
   ``loadtest.html`` next to Locust's own HTML and CSVs.

The verdict logic (:func:`evaluate`, :func:`exit_code`, :func:`reconcile`) is pure and shared
with the locustfile, so Locust's exit code and the report can never disagree on a rule.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import psutil

from sync.config import Config
from validation.gates import GateContext, GateResult, gate_result

__all__ = [
    "COST_PER_RECORD",
    "ENV_NAME",
    "LOCUSTFILE",
    "PROFILES_PATH",
    "LoadGate",
    "LoadProfile",
    "LoadTestResult",
    "Measured",
    "Reconciliation",
    "Thresholds",
    "Verdict",
    "describe",
    "evaluate",
    "exit_code",
    "load_profile",
    "reconcile",
    "run_load_test",
    "user_config",
]

ROOT = Path(__file__).resolve().parents[1]
PROFILES_PATH = ROOT / "loadtests" / "profiles.toml"
LOCUSTFILE = ROOT / "loadtests" / "locustfile.py"
#: What one created item or subitem costs in the emulator (monday's documented 10,000 for create_item).
COST_PER_RECORD = 10_000
PROFILE_ENV = "ORDERSYNC_LOAD_PROFILE"  # the profile as JSON
URL_ENV = "ORDERSYNC_LOAD_URL"  # the emulator's base URL, e.g. http://127.0.0.1:8123
OUT_ENV = "ORDERSYNC_LOAD_OUT"  # where the locustfile writes locust_result.json
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


# ---------------------------------------------------------------------------------------------- the run
@dataclass(frozen=True)
class LoadTestResult:
    """What :func:`run_load_test` measured and judged, and where the report files are."""

    profile: LoadProfile
    measured: Measured
    verdicts: list[Verdict]
    baseline: dict[str, Any]
    locust_exit_code: int
    report_dir: Path
    files: dict[str, Path]
    locust: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every gating verdict passed and Locust itself exited 0."""
        return exit_code(self.verdicts) == 0 and self.locust_exit_code == 0

    @property
    def ratio(self) -> float | None:
        """Engine records/s over baseline records/s."""
        base = float(self.baseline.get("records_per_s") or 0)
        return self.measured.records_per_s / base if base > 0 else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``loadtest.json``)."""
        m = self.measured
        return {
            "profile": asdict(self.profile),
            "passed": self.passed,
            "locust_exit_code": self.locust_exit_code,
            "measured": {
                **asdict(m),
                "records_per_s": round(m.records_per_s, 2),
                "failure_ratio": round(m.failure_ratio, 6),
            },
            "baseline": self.baseline,
            "engine_over_baseline": round(self.ratio, 1) if self.ratio is not None else None,
            "verdicts": [asdict(v) for v in self.verdicts],
            "locust": self.locust,
            "files": {k: p.name for k, p in self.files.items()},
        }


class _RssSampler(threading.Thread):
    """Peak RSS of a process and all its descendants, sampled every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid, self.interval, self.peak_bytes = pid, interval, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
            except psutil.NoSuchProcess:
                return
            self.peak_bytes = max(self.peak_bytes, total)
            self._stop_event.wait(self.interval)

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop_event.set()
        self.join(timeout=5)
        return self.peak_bytes / 1_048_576


def _locust_command(profile: LoadProfile, report_dir: Path) -> list[str]:
    script = Path(sys.executable).with_name("locust")
    base = [str(script)] if script.exists() else [sys.executable, "-m", "locust"]
    return [
        *base,
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(profile.users),
        "-r",
        str(profile.users),
        "--run-time",
        f"{profile.run_time_s}s",
        "--stop-timeout",
        str(profile.stop_timeout_s),
        "--csv",
        str(report_dir / "locust"),
        "--csv-full-history",
        "--html",
        str(report_dir / "locust.html"),
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]


def run_load_test(
    profile_name: str, report_dir: Path, *, duration_s: int | None = None, profiles_path: Path = PROFILES_PATH
) -> LoadTestResult:
    """Run one profile end to end (emulator, Locust, baseline, verdicts) and write the report files."""
    from sync.emulator import FaultProfile, build_emulator, serve
    from validation.loadtest_baseline import run_baseline
    from validation.loadtest_report import write_report

    profile = load_profile(profile_name, profiles_path)
    if duration_s is not None:
        profile = replace(profile, run_time_s=int(duration_s))
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    emulator = build_emulator(
        faults=FaultProfile(
            profile.latency_ms,
            profile.jitter_ms,
            profile.rate_429,
            profile.rate_500,
            profile.rate_timeout,
            profile.rate_timeout_after_apply,
            profile.seed,
        ),
        complexity_budget=profile.complexity_budget_per_minute,
        rate_limit_per_minute=profile.rate_limit_per_minute,
        seed=profile.seed,
    )
    server = serve("127.0.0.1", 0, emulator)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        env = {**os.environ, PROFILE_ENV: profile.to_json(), URL_ENV: url, OUT_ENV: str(report_dir)}
        (report_dir / RESULT_FILE).unlink(missing_ok=True)
        log = (report_dir / "locust.log").open("w", encoding="utf-8")
        with log:
            proc = subprocess.Popen(
                _locust_command(profile, report_dir), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            sampler = _RssSampler(proc.pid)
            sampler.start()
            try:
                code = proc.wait(timeout=profile.run_time_s + profile.stop_timeout_s + 180)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            peak_mb = sampler.stop()
        locust = _read_locust_result(report_dir)
        baseline = run_baseline(url, profile, users=profile.users, duration_s=profile.baseline_s)
    finally:
        server.shutdown()
        server.server_close()
    measured = _measured(locust, peak_mb)
    verdicts = evaluate(profile, measured)
    files = {
        "locust_html": report_dir / "locust.html",
        "locust_stats": report_dir / "locust_stats.csv",
        "locust_history": report_dir / "locust_stats_history.csv",
        "locust_failures": report_dir / "locust_failures.csv",
        "locust_log": report_dir / "locust.log",
        "json": report_dir / "loadtest.json",
        "html": report_dir / "loadtest.html",
    }
    result = LoadTestResult(profile, measured, verdicts, baseline, code, report_dir, files, locust)
    write_report(result)
    return result


def _read_locust_result(report_dir: Path) -> dict[str, Any]:
    path = report_dir / RESULT_FILE
    if not path.is_file():
        return {"error": f"{RESULT_FILE} missing: the locustfile did not reach its quitting listener"}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _measured(locust: Mapping[str, Any], peak_rss_mb: float) -> Measured:
    """Fold the locustfile's numbers with the RSS measured here (the tree: Locust and its children)."""
    rec = dict(locust.get("reconciliation") or {})
    rec["problems"] = tuple(rec.get("problems") or ())
    return Measured(
        records=int(locust.get("records", 0)),
        elapsed_s=float(locust.get("elapsed_s", 0.0)),
        requests=int(locust.get("requests", 0)),
        request_failures=int(locust.get("request_failures", 0)),
        records_failed=int(locust.get("records_failed", 0)),
        peak_rss_mb=round(peak_rss_mb, 1) if peak_rss_mb > 0 else None,
        http_429=int(locust.get("http_429", 0)),
        reconciliation=Reconciliation(**rec) if rec else Reconciliation(not_synced=-1, problems=("not reconciled",)),
        runs=int(locust.get("runs", 0)),
        latency_ms={k: float(v) for k, v in (locust.get("latency_ms") or {}).items()},
    )


# ---------------------------------------------------------------------------------------------- gate
class LoadGate:
    """Gate ``load-test``: a short real Locust run of the engine against the emulator meets its thresholds.

    Options: ``load_profile`` (default ``ci``), ``load_duration_s`` (overrides the profile's run time).
    """

    name = "load-test"
    description = "A short real Locust run of the sync engine against the emulator meets its profile's thresholds."

    def run(self, ctx: GateContext) -> GateResult:
        """Run the profile into the gate's evidence folder and turn the verdicts into a GateResult."""
        profile = str(ctx.options.get("load_profile") or "ci")
        duration = ctx.options.get("load_duration_s")
        result = run_load_test(profile, ctx.evidence_dir(self.name), duration_s=int(duration) if duration else None)
        missed = [v.name for v in result.verdicts if v.gating and not v.passed]
        m = result.measured
        summary = (
            f"profile {profile}: {m.records} records at {m.records_per_s:.0f}/s, "
            f"{m.reconciliation.lost} lost, {m.reconciliation.duplicated} duplicated; "
            + (f"missed: {', '.join(missed)}" if missed else "every threshold met")
        )
        metrics = {
            "checked": sum(1 for v in result.verdicts if v.gating),
            "records": m.records,
            "records_per_s": round(m.records_per_s, 1),
            "baseline_records_per_s": result.baseline.get("records_per_s"),
            "peak_rss_mb": m.peak_rss_mb,
            "lost": m.reconciliation.lost,
            "duplicated": m.reconciliation.duplicated,
            "locust_exit_code": result.locust_exit_code,
        }
        evidence = [p for k, p in result.files.items() if k in ("html", "json", "locust_html") and p.is_file()]
        return gate_result(ctx, self.name, passed=result.passed, summary=summary, metrics=metrics, evidence=evidence)


def describe(result: LoadTestResult) -> list[str]:
    """The figures and verdicts of a run as printable lines (the CLI and ``python -m`` print these)."""
    m, b = result.measured, result.baseline
    ratio = round(result.ratio, 1) if result.ratio is not None else None
    lines = [
        f"profile {result.profile.name}: {m.records} records in {m.elapsed_s:.1f}s = {m.records_per_s:.1f}/s "
        f"over {m.runs} runs; baseline {b.get('records_per_s')}/s; engine/baseline {ratio}x",
        f"write latency ms {m.latency_ms}; peak RSS {m.peak_rss_mb} MB; 429s {m.http_429}; "
        f"lost {m.reconciliation.lost}, duplicated {m.reconciliation.duplicated}, "
        f"not synced {m.reconciliation.not_synced}",
    ]
    for v in result.verdicts:
        mark = "PASS" if v.passed else ("FAIL" if v.gating else "below (info)")
        lines.append(f"  {mark:12} {v.name}: {v.measured} {v.comparison} {v.limit} {v.note}".rstrip())
    lines.append(f"report: {result.files['html']}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m validation.loadtest PROFILE REPORT_DIR [--duration S]``: run, print, exit 0/1."""
    import argparse

    parser = argparse.ArgumentParser(description="Run one load profile and write its sign-off report.")
    parser.add_argument("profile")
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("--duration", type=int, default=None, help="override the profile's run time (s)")
    args = parser.parse_args(argv)
    result = run_load_test(args.profile, args.report_dir, duration_s=args.duration)
    print("\n".join(describe(result)))
    return 0 if result.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
