"""``ordersync report``: metrics of any past run from the ledger, and a re-rendered cutover sign-off.

ordersync report metrics RUN_ID [--env production] [--out reports/runs]
ordersync report signoff reports/cutover-20261125T191500Z-production-1a2b3c
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import sqlalchemy as sa

from sync.commands.common import EXIT_FAILED, EXIT_OK, AppContext, env_option
from sync.monitoring import configure_logging, write_run_metrics
from sync.summary import RunSummary

__all__ = ["register"]


@click.group("report")
def report() -> None:
    """Write monitoring and sign-off files from what a run or a cutover left behind."""


@report.command("metrics")
@click.argument("run_id")
@env_option
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Root folder; files go to <out>/<RUN_ID>/metrics.json|prom (default: <[paths] reports>/runs).",
)
@click.pass_obj
def metrics(app: AppContext, run_id: str, env: str | None, out: Path | None) -> int:
    """Per-run metrics (JSON + Prometheus text) from the summary the ledger kept for RUN_ID."""
    from sync.connect import open_db

    configure_logging(json_logs=app.log_json, verbose=app.verbose)
    name = app.env_name(env)
    engine, tables = open_db(app.config, name)
    try:
        with engine.connect() as conn:
            raw = conn.execute(sa.select(tables.runs.c.summary).where(tables.runs.c.run_id == run_id)).scalar()
    finally:
        engine.dispose()
    if not raw:
        click.echo(f"run {run_id} has no summary in the ledger of {name} (unknown, or still running)", err=True)
        return EXIT_FAILED
    fields = RunSummary.__dataclass_fields__
    summary = RunSummary(**{k: v for k, v in json.loads(raw).items() if k in fields})
    root = out if out is not None else app.config.reports_dir / "runs"
    for path in write_run_metrics(summary, root / run_id):
        click.echo(str(path))
    return EXIT_OK


@report.command("signoff")
@click.argument("cutover_dir", type=click.Path(path_type=Path, file_okay=False, exists=True))
def signoff(cutover_dir: Path) -> int:
    """Re-render signoff.html and signoff.md from CUTOVER_DIR/cutover.json (e.g. after adding a load report)."""
    from validation.cutover.signoff import write_signoff

    source = cutover_dir / "cutover.json"
    if not source.is_file():
        click.echo(f"{source} not found: is {cutover_dir} a cutover report folder?", err=True)
        return EXIT_FAILED
    for path in write_signoff(json.loads(source.read_text(encoding="utf-8")), cutover_dir):
        click.echo(str(path))
    return EXIT_OK


def register(cli: click.Group) -> None:
    """Attach the ``report`` group."""
    cli.add_command(report)
