"""The cutover: gates, backup, promotion, live checks, canary, verification; any failure rolls back.

The seed plan's deployment sequence, made executable::

    pre-deployment   the target's whole required gate set -> stop unless READY (nothing changed);
                     a subset (``--only``) is refused: a cutover never promotes on part of the gates
                     back up the config file, snapshot the target DB's sync state
    deployment       promote active_environment; DB connection; board access; probe group create + delete
    canary           sync N orders (or one customer) to the target board, kind "canary"
    validation       verify what the canary touched; run success rate and API success rate vs threshold
    rollback         on any failure after promotion: config back byte for byte, canary runs undone
                     on the board (rollback_run), probe group removed, DB sync state restored

Everything lands in ``<report_root>/cutover-<id>/``: the gate report, ``cutover.json``, canary
metrics (JSON + Prometheus), ``verify.json`` and the sign-off page. ``inject`` forces a
failure at one named step so tests (and a rehearsal) can prove the rollback; it is checked
explicitly at each step and only ever makes things fail.

    result = run_cutover(Path("ordersync.toml"), to_env="production", canary=25, who="ana")
    sys.exit(0 if result.ok else 1)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sync.config import Config, load_config
from sync.connect import open_client, open_db
from sync.engine import SyncOptions, run_sync
from sync.errors import ConfigError, ConfigProblem, OrdersyncError
from sync.monitoring import (
    JsonFormatter,
    api_success_rate,
    send_alert,
    time_queries,
    webhook_url,
    write_run_metrics,
)
from sync.summary import RunSummary
from sync.verify import verify
from validation.cutover.canary_scope import canary_scope, scoped_findings
from validation.cutover.promote import backup_config, current_user, new_cutover_id, promote, record_cutover
from validation.cutover.result import CutoverResult, Step, dump
from validation.cutover.rollback import RollbackOutcome, rollback_cutover, runs_between
from validation.cutover.snapshot import take_snapshot
from validation.gates.evidence import write_json
from validation.gates.registry import gate_names, required_gates, select_gates
from validation.gates.report import write_reports
from validation.gates.runner import Gate, GateContext, GateResult, gate_result, run_gates

__all__ = ["DEFAULT_CANARY", "INJECT_POINTS", "CutoverResult", "Step", "dump", "rollback_cutover", "run_cutover"]

log = logging.getLogger(__name__)

DEFAULT_CANARY = 10
#: List every finding, so restricting them to the canary never meets a truncated list.
VERIFY_MAX_LISTED = 1_000_000
INJECT_POINTS = ("gate", "canary", "verify", "after-promotion")


class StepFailed(Exception):
    """A check found a problem; the message is the reason the operator reads."""


class _InjectedGateFailure:
    """A gate that always fails with evidence: the ``inject="gate"`` rehearsal of a failing gate."""

    name = "injected-failure"
    description = "forced failure (cutover rehearsal: --inject gate)"

    def run(self, ctx: GateContext) -> GateResult:
        """Fail with an evidence file saying so."""
        path = write_json(ctx.evidence_dir(self.name) / "injected.json", {"injected": True})
        return gate_result(
            ctx,
            self.name,
            passed=False,
            summary="failure injected on purpose (--inject gate)",
            metrics={"checked": 1},
            evidence=[path],
        )


def run_cutover(
    config_path: Path,
    *,
    to_env: str = "production",
    canary: int | None = None,
    canary_customer: str | None = None,
    who: str | None = None,
    report_root: Path = Path("reports"),
    inject: str | None = None,
    gates: Sequence[str] | None = None,
    gate_options: Mapping[str, Any] | None = None,
) -> CutoverResult:
    """Run the whole sequence behind the target's required gate set.

    ``gates`` exists only to refuse a subset with a clear message (``--only``): a cutover
    always runs every required gate and promotes only on a READY run.
    """
    if gates:
        raise ConfigError(
            [
                ConfigProblem(
                    "<command line>",
                    "--only",
                    f"a cutover runs every required gate and never promotes on a subset ({', '.join(gates)}); "
                    f"to look at one gate run: ordersync gates {to_env} --only NAME",
                )
            ]
        )
    if inject is not None and inject not in INJECT_POINTS:
        raise ConfigError(
            [
                ConfigProblem(
                    "<command line>",
                    "--inject",
                    f"unknown step {inject!r} (known: {', '.join(INJECT_POINTS)})",
                )
            ]
        )
    if canary is not None and canary_customer is not None:
        raise ConfigError(
            [ConfigProblem("<command line>", "--canary", "give either a canary size or a canary customer, not both")]
        )
    if canary is not None and canary < 1:
        raise ConfigError([ConfigProblem("<command line>", "--canary", "must be at least 1")])
    config = load_config(config_path)
    config.environment(to_env)
    if config.active_environment == to_env:
        raise ConfigError(
            [
                ConfigProblem(
                    str(config_path),
                    "active_environment",
                    f"{to_env!r} is already active; there is nothing to cut over",
                )
            ]
        )
    required = required_gates(to_env)
    registered = gate_names()
    selected: list[Gate] = select_gates([name for name in required if name in registered])
    if inject == "gate":
        selected.append(_InjectedGateFailure())
    cutover_id = new_cutover_id(to_env)
    report_dir = report_root / f"cutover-{cutover_id}"
    report_dir.mkdir(parents=True, exist_ok=False)
    result = CutoverResult(
        cutover_id,
        config_path,
        config.active_environment,
        to_env,
        current_user(who),
        report_dir,
        datetime.now(UTC),
    )
    _Cutover(
        config,
        result,
        selected,
        required,
        canary if canary_customer is None else None,
        canary_customer,
        inject,
        dict(gate_options or {}),
    ).execute()
    return result


class _Cutover:
    """One cutover's state; methods follow the seed's sequence."""

    def __init__(
        self,
        config: Config,
        result: CutoverResult,
        gates: list[Gate],
        required: tuple[str, ...],
        canary: int | None,
        customer: str | None,
        inject: str | None,
        gate_options: dict[str, Any],
    ) -> None:
        self.config, self.result, self.gates, self.required = config, result, gates, required
        self.canary_size = canary if canary is not None or customer is not None else DEFAULT_CANARY
        self.customer, self.inject, self.gate_options = customer, inject, gate_options
        self.env = config.environment(result.to_env)
        self.summary: RunSummary | None = None

    @property
    def _ctx(self) -> dict[str, Any]:
        return {"cutover_id": self.result.cutover_id, "environment": self.result.to_env}

    # ------------------------------------------------------------------------------------ top level
    def execute(self) -> None:
        r = self.result
        log.info("cutover started", extra={**self._ctx, "who": r.who, "from_env": r.from_env})
        self._record("STARTED")
        try:
            self._pre_deployment()
        except Exception as exc:  # nothing has changed yet: stop, name the cause, point to the report
            reason = str(exc) if isinstance(exc, StepFailed) else f"pre-deployment crashed: {type(exc).__name__}: {exc}"
            self._finish("FAILED", reason)
            return
        try:
            self._deployment()
            self._canary()
            self._validation()
        except BaseException as exc:
            reason = (
                str(exc) if isinstance(exc, StepFailed) else f"crashed after promotion: {type(exc).__name__}: {exc}"
            )
            log.error("cutover failed after promotion; rolling back", extra={**self._ctx, "reason": reason})
            self._roll_back(reason)
            if not isinstance(exc, Exception):
                raise
            return
        self._finish("SUCCEEDED", None)

    @contextmanager
    def _step(self, name: str, phase: str) -> Iterator[Step]:
        step = Step(name, phase, ok=False, summary="")
        self.result.steps.append(step)
        t0 = time.perf_counter()
        try:
            yield step
        except BaseException as exc:
            step.ok = False
            step.summary = step.summary or (str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}")
            raise
        else:
            step.ok = True
        finally:
            step.duration_s = round(time.perf_counter() - t0, 3)
            log.info("cutover step", extra={**self._ctx, "step": name, "ok": step.ok, "summary": step.summary})

    # ------------------------------------------------------------------------------- pre-deployment
    def _pre_deployment(self) -> None:
        r = self.result
        with self._step("gates", "pre-deployment") as step:
            ctx = GateContext(self.config, r.to_env, r.report_dir, options=self.gate_options)
            run = run_gates(ctx, self.gates, required=self.required, registered=gate_names())
            r.gate_run = run
            for path in write_reports(run):
                r.artifacts[path.name] = path.name
            failed = run.not_passed()
            step.details = {"counts": run.counts(), "failed": failed, "missing": [m.describe() for m in run.missing]}
            tally = [f"{n} {k}" for k, n in run.counts().items() if n]
            if run.missing:
                tally.append(f"{len(run.missing)} required missing")
            step.summary = f"{len(run.results)} gate(s): " + ", ".join(tally)
            if not run.ready:
                where = r.report_dir / "index.html"
                send_alert(
                    self.config,
                    "gate_failed",
                    f"cutover {r.cutover_id} to {r.to_env}: NOT READY: {'; '.join(failed) or '(none ran)'}",
                    report=str(where),
                    **self._ctx,
                )
                raise StepFailed(f"NOT READY: {'; '.join(failed) or 'no gate ran'}; see {where}")
        with self._step("backup-config", "pre-deployment") as step:
            backup = backup_config(r.config_path, r.cutover_id)
            step.summary = f"config saved as {backup.name}"
            step.details = {"backup": str(backup.resolve())}
        with self._step("snapshot-db", "pre-deployment") as step:
            engine, tables = open_db(self.config, r.to_env)
            try:
                counts = take_snapshot(
                    engine,
                    tables,
                    r.cutover_id,
                    board_ids=[self.env.monday.board_id, self.env.monday.subitem_board_id],
                )
            finally:
                engine.dispose()
            step.summary = "sync state saved: " + ", ".join(f"{t} {n}" for t, n in counts.items())
            step.details = {"snapshot_id": r.cutover_id, "rows": counts}

    # ----------------------------------------------------------------------------------- deployment
    def _deployment(self) -> None:
        r = self.result
        with self._step("promote", "deployment") as step:
            promotion = promote(r.config_path, r.to_env, cutover_id=r.cutover_id, who=r.who)
            self.config = load_config(r.config_path)
            if self.config.active_environment != r.to_env:
                raise StepFailed(f"the promoted file says active_environment = {self.config.active_environment!r}")
            step.summary = f"active_environment {promotion.from_env} -> {promotion.to_env}"
            step.details = promotion.as_dict()
            self._promoted_at = datetime.fromisoformat(promotion.at).replace(tzinfo=None)
        with self._step("database-connection", "deployment") as step:
            engine, tables = open_db(self.config, r.to_env)
            try:
                with engine.connect() as conn:
                    rows = conn.execute(sa.select(sa.func.count()).select_from(tables.target)).scalar_one()
            finally:
                engine.dispose()
            step.summary = f"connected; {tables.target.name} holds {rows} row(s)"
        board, subitems = self.env.monday.board_id, self.env.monday.subitem_board_id
        with open_client(self.config, r.to_env) as client:
            with self._step("board-access", "deployment") as step:
                found = {b.id: b.name for b in client.get_boards([board, subitems])}
                missing = [b for b in (board, subitems) if b not in found]
                if missing:
                    raise StepFailed(f"board(s) {missing} not visible with the {r.to_env} token")
                step.summary = "; ".join(f"{b} {found[b]!r}" for b in (board, subitems))
            with self._step("group-permission", "deployment") as step:
                name = f"ordersync probe {r.cutover_id}"
                group_id = client.create_group(board, name)
                self._record("PROMOTED", {"probe_group": {"board_id": board, "group_id": group_id, "deleted": False}})
                if self.inject == "after-promotion":
                    raise RuntimeError("injected crash after promotion (--inject after-promotion)")
                client.delete_group(board, group_id)
                self._record("PROMOTED", {"probe_group": {"board_id": board, "group_id": group_id, "deleted": True}})
                step.summary = f"created and deleted group {name!r} ({group_id}) on board {board}"

    # --------------------------------------------------------------------------------------- canary
    def _canary(self) -> None:
        r = self.result
        what = f"customer {self.customer!r}" if self.customer else f"{self.canary_size} order(s)"
        with self._step("canary", "canary") as step:
            options = SyncOptions(
                limit=self.canary_size if not self.customer else None, customer=self.customer, kind="canary"
            )
            try:
                with time_queries() as queries:
                    summary = run_sync(self.config, r.to_env, options)
            except OrdersyncError as exc:
                send_alert(
                    self.config,
                    "run_failed",
                    f"cutover {r.cutover_id}: canary run failed: {exc}",
                    **self._ctx,
                )
                raise StepFailed(f"canary ({what}) failed: {exc}") from exc
            finally:
                self._note_canary_runs()
            self.summary = summary
            r.canary = summary.as_dict()
            r.canary["api_success_rate"] = api_success_rate(summary)
            for path in write_run_metrics(summary, r.report_dir, query_times=queries.durations, stem="canary-metrics"):
                r.artifacts[path.name] = path.name
            write_json(r.report_dir / "canary-summary.json", r.canary)
            r.artifacts["canary-summary.json"] = "canary-summary.json"
            step.summary = (
                f"{what}: {summary.items_created} item(s), {summary.subitems_created} subitem(s), "
                f"{summary.groups_created} group(s) in {summary.duration_s:.1f}s; "
                f"{summary.rows_error} in error, {summary.rows_rejected} rejected"
            )
            step.details = {"run_id": summary.run_id, "status": summary.status}
            problems = []
            if summary.records_synced == 0:
                problems.append("it synced nothing (a canary that proves nothing has failed)")
            if summary.rows_error or summary.rows_unknown or summary.rows_rejected:
                problems.append(
                    f"{summary.rows_error} row(s) in error, {summary.rows_rejected} rejected, "
                    f"{summary.rows_unknown} with unknown outcome"
                )
                first = (summary.errors or summary.rejects or [{}])[0]
                if first.get("message") or first.get("reason"):
                    problems.append(f"first: {first.get('message') or first.get('reason')}")
            if not summary.passed:
                problems.append(f"run {summary.run_id} status {summary.status}")
            if self.inject == "canary":
                problems.append("canary errors injected (--inject canary)")
            if problems:
                send_alert(
                    self.config,
                    "run_failed",
                    f"cutover {r.cutover_id}: canary failed: {'; '.join(problems)}",
                    run_id=summary.run_id,
                    **self._ctx,
                )
                raise StepFailed(f"canary ({what}) failed: {'; '.join(problems)}")

    def _note_canary_runs(self) -> None:
        """Every canary run since promotion, from the ledger (also when the run raised)."""
        engine, tables = open_db(self.config, self.result.to_env)
        try:
            runs = runs_between(engine, tables, self.result.to_env, self._promoted_at, None)
        finally:
            engine.dispose()
        self.result.canary_run_ids = [run["run_id"] for run in runs if run["kind"] == "canary"]
        self._record("CANARY", {"canary_run_ids": self.result.canary_run_ids})

    # ----------------------------------------------------------------------------------- validation
    def _validation(self) -> None:
        r = self.result
        assert self.summary is not None  # the canary step either set it or raised
        summary, threshold = self.summary, self.config.sync.success_threshold
        with self._step("verify", "validation") as step:
            engine, tables = open_db(self.config, r.to_env)
            try:
                with open_client(self.config, r.to_env) as client:
                    report = verify(
                        self.config,
                        r.to_env,
                        client=client,
                        db=engine,
                        tables=tables,
                        max_listed=VERIFY_MAX_LISTED,
                    )
                scope = canary_scope(engine, tables, r.canary_run_ids)
            finally:
                engine.dispose()
            if not scope["item_ids"]:
                raise StepFailed("the ledger names no item the canary wrote; there is nothing to verify")
            findings = scoped_findings(report.as_dict(), scope)
            r.verify = {
                "scope": "canary",
                "canary_findings": findings,
                "whole_board_ok": report.ok,
                "report": report.as_dict(),
            }
            write_json(r.report_dir / "verify.json", r.verify)
            r.artifacts["verify.json"] = "verify.json"
            if self.inject == "verify":
                findings["injected"] = 1
            step.details = {"findings": findings, "checked_items": report.checked_items}
            step.summary = f"{len(scope['item_ids'])} canary item(s) checked against the board: " + (
                ", ".join(f"{n} {k}" for k, n in findings.items()) if findings else "no mismatch"
            )
            if findings:
                raise StepFailed(
                    "verify found mismatches on what the canary wrote: "
                    + ", ".join(f"{n} {k}" for k, n in findings.items())
                    + f"; see {r.report_dir / 'verify.json'}"
                )
        with self._step("success-rates", "validation") as step:
            api_rate = api_success_rate(summary)
            step.details = {
                "success_rate": summary.success_rate,
                "api_success_rate": api_rate,
                "threshold": threshold,
            }
            step.summary = f"run {summary.success_rate:.1%}, API {api_rate:.1%} (threshold {threshold:.0%})"
            low = [
                f"{k} {v:.1%}"
                for k, v in (("run success rate", summary.success_rate), ("API success rate", api_rate))
                if v < threshold
            ]
            if low:
                raise StepFailed(f"{', '.join(low)} below the {threshold:.0%} threshold")

    # ------------------------------------------------------------------------------------ endings
    def _roll_back(self, reason: str) -> None:
        r = self.result
        t0 = time.perf_counter()
        try:
            outcome = rollback_cutover(r.config_path, r.cutover_id, who=r.who, reason=reason)
        except Exception as exc:  # the report must still be written, naming what is left
            outcome = RollbackOutcome(r.cutover_id, r.to_env)
            outcome.remaining.append(
                f"rollback crashed ({type(exc).__name__}: {exc}); run `ordersync rollback --cutover {r.cutover_id}`"
            )
        r.rollback = outcome
        summary = "complete" if outcome.complete else "INCOMPLETE: " + "; ".join(outcome.remaining)
        r.steps.append(
            Step(
                "rollback", "rollback", outcome.complete, summary, outcome.as_dict(), round(time.perf_counter() - t0, 3)
            )
        )
        self._finish("ROLLED_BACK" if outcome.complete else "ROLLBACK_INCOMPLETE", reason, recorded=True)

    def _finish(self, status: str, reason: str | None, *, recorded: bool = False) -> None:
        r = self.result
        r.status, r.reason, r.finished_at = status, reason, datetime.now(UTC)
        if not recorded:
            self._record(status, {"reason": reason}, finished=True)
        r.monitoring = {
            "run_metrics": "canary-metrics.prom" in r.artifacts,
            "db_query_timing": bool(r.canary) and "canary-metrics.json" in r.artifacts,
            "alert_webhook": webhook_url(self.config) is not None,
            "json_logs": any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers),
        }
        from validation.cutover.signoff import write_signoff  # the page renders this result; imported late on purpose

        write_json(r.report_dir / "cutover.json", r.as_dict())
        r.artifacts["cutover.json"] = "cutover.json"
        for path in write_signoff(r.as_dict(), r.report_dir):
            r.artifacts[path.name] = path.name
        write_json(r.report_dir / "cutover.json", r.as_dict())
        log.info("cutover finished", extra={**self._ctx, "status": status, "reason": reason})

    def _record(self, status: str, details: dict[str, Any] | None = None, *, finished: bool = False) -> None:
        """Best effort: the database may be the very thing that is broken; the files still tell the story."""
        r = self.result
        try:
            record_cutover(
                self.config,
                r.to_env,
                r.cutover_id,
                status=status,
                from_env=r.from_env,
                who=r.who,
                details={"report_dir": str(r.report_dir.resolve()), **(details or {})},
                finished=finished,
            )
        except Exception as exc:  # recording must never change the outcome
            log.warning("cutover not recorded in the database", extra={**self._ctx, "error": str(exc)})
