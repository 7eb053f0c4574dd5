"""Load tests: profiles, threshold verdicts, lost/duplicate reconciliation and the orchestrated run.

``run_load_test("capacity", Path("reports/load"))`` does, in order:

1. starts one emulator server on a free loopback port with the profile's latency, faults and
   limits (in a thread of this process: the Locust process is the one being measured);
2. runs ``locust -f validation/load/locustfile.py --headless`` as a subprocess (cwd: a scratch
   folder that is removed afterwards; every path it gets is absolute); every simulated user
   drives the real :func:`sync.engine.run_with` with the *config under test* (its mapping,
   batch size and client settings) against its own clone of that environment's board pair;
3. samples the peak RSS of the Locust process tree with psutil;
4. reconciles every user's *staging* table with its boards in the emulator (in this process):
   each eligible order and line must be on the board exactly once (:mod:`validation.load.reconcile`);
5. syncs the same kind of data the naive way (one request per record, the ``monday`` PyPI
   client) against the same server: :mod:`validation.load.baseline`; it always runs;
6. judges every threshold of the profile, names the causes of a failed run and writes
   ``loadtest.json`` and the sign-off page ``loadtest.html`` next to Locust's own HTML and CSVs.

The verdict logic lives in :mod:`validation.load.rules`, shared with the locustfile.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import psutil

from sync.config import Config, load_config
from sync.demo import shipped_config_path
from validation.gates.runner import GateContext, GateResult, gate_result
from validation.load.outcome import (
    LoadTestResult,
    causes,
    describe,
    measured_from,
    read_locust_result,
    reconcile_users,
)
from validation.load.rules import (
    CONFIG_ENV,
    ENV_NAME,
    ENV_NAME_ENV,
    LOCUSTFILE,
    OUT_ENV,
    PROFILE_ENV,
    PROFILES_PATH,
    RESULT_FILE,
    SCRATCH_ENV,
    URL_ENV,
    LoadProfile,
    evaluate,
    gate_profile_problems,
    load_profile,
)

__all__ = ["LoadGate", "LoadTestResult", "describe", "run_load_test"]


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
    profile_name: str,
    report_dir: Path,
    *,
    duration_s: int | None = None,
    profiles_path: Path = PROFILES_PATH,
    config: Config | None = None,
    env_name: str = ENV_NAME,
) -> LoadTestResult:
    """Run one profile end to end (emulator, Locust, reconciliation, baseline, verdicts); write the report.

    ``config``/``env_name``: the config and environment under test (default: the shipped config's
    development environment); their mapping, batch size and client settings are what is measured.
    """
    from sync.emulator import FaultProfile, build_emulator, serve
    from validation.load.baseline import run_baseline
    from validation.load.report import write_report

    profile = load_profile(profile_name, profiles_path)
    if duration_s is not None:
        profile = replace(profile, run_time_s=int(duration_s))
    config = config or load_config(shipped_config_path())
    report_dir = Path(report_dir).resolve()  # Locust runs elsewhere: it gets absolute paths only
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
    scratch = tempfile.TemporaryDirectory(prefix="ordersync-load-")
    try:
        env = {
            **os.environ,
            PROFILE_ENV: profile.to_json(),
            URL_ENV: url,
            OUT_ENV: str(report_dir),
            SCRATCH_ENV: scratch.name,
            CONFIG_ENV: config.model_dump_json(),
            ENV_NAME_ENV: env_name,
        }
        (report_dir / RESULT_FILE).unlink(missing_ok=True)
        log = (report_dir / "locust.log").open("w", encoding="utf-8")
        with log:
            proc = subprocess.Popen(
                _locust_command(profile, report_dir), cwd=scratch.name, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            sampler = _RssSampler(proc.pid)
            sampler.start()
            try:
                code = proc.wait(timeout=profile.run_time_s + profile.stop_timeout_s + 180)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
            peak_mb = sampler.stop()
        locust = read_locust_result(report_dir)
        reconciliation = reconcile_users(locust, config, env_name, emulator.state)
        baseline = run_baseline(
            url,
            profile,
            users=profile.users,
            duration_s=profile.baseline_s,
            scratch=Path(scratch.name),
            config=config,
            env_name=env_name,
        )
    finally:
        server.shutdown()
        server.server_close()
        scratch.cleanup()
    measured = measured_from(locust, peak_mb, reconciliation, baseline)
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
    batch = int(locust.get("batch_size") or profile.batch_size or config.sync.batch_size)
    result = LoadTestResult(profile, measured, verdicts, baseline, code, report_dir, files, locust, env_name, batch)
    result.causes.extend(causes(result))
    write_report(result)
    return result


class LoadGate:
    """Gate ``load-test``: a short real Locust run of the engine against the emulator meets its thresholds.

    Options: ``load_profile`` (default ``ci``), ``load_duration_s`` (overrides the profile's run time).
    """

    name = "load-test"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = ("checked", "records_per_s", "min_records_per_s", "baseline_records_per_s", "lost", "duplicated")
    description = "A short real Locust run of the sync engine against the emulator meets its profile's thresholds."

    def run(self, ctx: GateContext) -> GateResult:
        """Run the gate's profile with the config and environment under test; the verdicts decide."""
        name = str(ctx.options.get("load_profile") or "ci")
        duration = ctx.options.get("load_duration_s")
        profiles = ctx.config.project_file("load_profiles").path
        problems = gate_profile_problems(load_profile(name, profiles))
        if problems:
            return gate_result(
                ctx,
                self.name,
                passed=False,
                summary="; ".join(problems),
                metrics={"profile_problems": len(problems)},
                evidence=[],
            )
        result = run_load_test(
            name,
            ctx.evidence_dir(self.name),
            duration_s=int(duration) if duration else None,
            profiles_path=profiles,
            config=ctx.config,
            env_name=ctx.env_name,
        )
        m, t = result.measured, result.profile.thresholds
        rec = m.reconciliation
        head = (
            f"profile {name} ({result.profile.latency_ms} ms ± {result.profile.jitter_ms} ms, config batch size "
            f"{result.batch_size}): {m.records} records at {m.records_per_s:.0f}/s (gate ≥ {t.min_records_per_s:g}/s), "
            f"baseline {result.baseline.get('records_per_s')}/s, "
            + (f"{rec.lost} lost, {rec.duplicated} duplicated" if rec else "not reconciled")
        )
        summary = head + ("; " + "; ".join(result.causes) if result.causes else "; every threshold met")
        metrics = {
            "checked": sum(1 for v in result.verdicts if v.gating),
            "records": m.records,
            "records_per_s": round(m.records_per_s, 1),
            "min_records_per_s": t.min_records_per_s,
            "latency_ms": result.profile.latency_ms,
            "batch_size": result.batch_size,
            "records_per_write": round(m.records_per_write, 1) if m.records_per_write else None,
            "baseline_records_per_s": result.baseline.get("records_per_s"),
            "engine_over_baseline": round(result.ratio, 1) if result.ratio is not None else None,
            "peak_rss_mb": m.peak_rss_mb,
            "max_rss_mb": t.max_rss_mb,
            "lost": rec.lost if rec else None,
            "duplicated": rec.duplicated if rec else None,
            "locust_exit_code": result.locust_exit_code,
        }
        evidence = [p for k, p in result.files.items() if k in ("html", "json", "locust_html") and p.is_file()]
        return gate_result(ctx, self.name, passed=result.passed, summary=summary, metrics=metrics, evidence=evidence)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m validation.load.runner PROFILE REPORT_DIR [--duration S]``: run, print, exit 0/1."""
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
