"""``ordersync sync``, ``retry`` and ``rollback --run``: the engine's commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sync.commands.common import AppContext, env_option, operator_console, stdout_is_tty
from sync.engine import RunSummary, SyncOptions, run_sync
from sync.load_windows import check_window, window_end
from sync.monitoring import send_alert
from sync.states import SyncState
from sync.summary import warning_rows

__all__ = ["parse_until", "print_summary", "register"]


#: A run stopped by a signal exits like a process killed by it: 128 + the signal number (143 SIGTERM, 130 SIGINT).
SIGNAL_EXIT_BASE = 128


def _run(app: AppContext, env: str | None, options: SyncOptions, as_json: bool) -> int:
    name = app.env_name(env)
    if stdout_is_tty() and not as_json and not options.dry_run:
        with Progress(
            TextColumn("[bold]syncing orders"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        ) as bar:
            task = bar.add_task("orders", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            with_bar = SyncOptions(**{**options.__dict__, "on_progress": progress})
            summary = run_sync(app.config, name, with_bar, handle_signals=True)
    else:
        summary = run_sync(app.config, name, options, handle_signals=True)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2, default=str))
    else:
        print_summary(summary)
    if summary.stop_reason:
        operator_console(stderr=True).print(
            f"[yellow]{summary.status}[/yellow] {summary.stop_reason}; the next run resumes"
        )
    if summary.status == "INTERRUPTED" and summary.signal is not None:
        return SIGNAL_EXIT_BASE + summary.signal
    if not summary.passed:
        send_alert(
            app.config,
            "run_failed",
            f"ordersync {options.kind} {summary.run_id} in {name}: {summary.status}, "
            f"success rate {summary.success_rate:.1%}",
            run_id=summary.run_id,
            environment=name,
        )
    return 0 if summary.passed else 1


@click.command("sync")
@env_option
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing anywhere.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N orders.")
@click.option("--customer", default=None, help="Only this customer (CUSTOMER NAME).")
@click.option("--until", "until", default=None, metavar="HH:MM", help="Pause cleanly at this local time.")
@click.option("--max-requests", type=click.IntRange(min=1), default=None, help="Pause cleanly after N API requests.")
@click.option(
    "--window",
    type=click.IntRange(min=1),
    default=None,
    help="Window K of the cutover's multi-window initial load: recorded in the ledger; pauses at the window's end.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def sync_command(
    app: AppContext,
    env: str | None,
    dry_run: bool,
    limit: int | None,
    customer: str | None,
    until: str | None,
    max_requests: int | None,
    window: int | None,
    as_json: bool,
) -> int:
    """Detect changes in staging and push them to monday.com (groups -> items -> subitems)."""
    stop_at = parse_until(until)
    if window is not None:
        check_window(app.config, window)
        end = window_end(app.config, window)
        if stop_at is None and end is not None:
            if end <= datetime.now(UTC).replace(tzinfo=None):
                raise click.BadParameter(
                    f"window {window} ended at {end:%Y-%m-%d %H:%M} UTC ([cutover] first_window_start); "
                    "pass --until to run it late",
                    param_hint="--window",
                )
            stop_at = end
    options = SyncOptions(
        dry_run=dry_run, limit=limit, customer=customer, until=stop_at, max_requests=max_requests, window=window
    )
    return _run(app, env, options, as_json)


def parse_until(value: str | None, now: datetime | None = None) -> datetime | None:
    """``HH:MM`` local time -> the next such moment, as naive UTC (what the engine compares with)."""
    if value is None:
        return None
    try:
        wall = time.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a time of day as HH:MM", param_hint="--until") from None
    local_now = (now or datetime.now(UTC)).astimezone()
    at = local_now.replace(hour=wall.hour, minute=wall.minute, second=0, microsecond=0)
    if at <= local_now:
        at += timedelta(days=1)
    return at.astimezone(UTC).replace(tzinfo=None)


@click.command("retry")
@env_option
@click.option("--max-retries", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def retry_command(app: AppContext, env: str | None, max_retries: int, as_json: bool) -> int:
    """Re-drive rows in ERROR (each row at most --max-retries times)."""
    options = SyncOptions(detect=False, states=(SyncState.ERROR.value,), max_retries=max_retries, kind="retry")
    return _run(app, env, options, as_json)


def print_summary(summary: RunSummary) -> None:
    """The end-of-run table an operator reads."""
    console = operator_console()
    verdict = {
        "SUCCEEDED": "[green]SUCCEEDED[/green]",
        "DRY_RUN": "[cyan]DRY RUN[/cyan]",
        "PAUSED": "[yellow]PAUSED[/yellow]",
        "INTERRUPTED": "[yellow]INTERRUPTED[/yellow]",
    }.get(summary.status, f"[red]{summary.status}[/red]")
    table = Table(title=f"run {summary.run_id}: {verdict}", show_header=False)
    table.add_column("what", style="cyan")
    table.add_column("value")
    rows: list[tuple[str, Any]] = []
    if summary.plan:
        plan = summary.plan
        rows += [
            ("groups to create", len(plan["groups_to_create"])),
            ("items to create", plan["items_to_create"]),
            ("items to update", plan["items_to_update"]),
            ("lines to push", plan["lines_to_push"]),
            ("rows rejected", plan["rejected"]),
        ]
    else:
        rows += [
            ("groups created", summary.groups_created),
            ("items created / updated", f"{summary.items_created} / {summary.items_updated}"),
            (
                "subitems created / updated / deleted",
                f"{summary.subitems_created} / {summary.subitems_updated} / {summary.subitems_deleted}",
            ),
            (
                "rows in error / rejected / unknown",
                f"{summary.rows_error} / {summary.rows_rejected} / {summary.rows_unknown}",
            ),
            ("records synced", f"{summary.records_synced} in {summary.duration_s:.1f}s ({summary.records_per_s}/s)"),
            ("API requests / retries / 429s", f"{summary.api_requests} / {summary.retries} / {summary.http_429}"),
            ("latency p50 / p95 / p99 ms", " / ".join(str(summary.latency_ms[k]) for k in ("p50", "p95", "p99"))),
            ("success rate", f"{summary.success_rate:.1%} (threshold {summary.success_threshold:.0%})"),
        ]
    changes = summary.changes
    if changes:
        rows.append(
            (
                "changes",
                f"new {changes['new']}, updated {changes['updated']}, cancelled {changes['cancelled']}, "
                f"unchanged {changes['unchanged']}, rejected {len(changes['rejected'])}",
            )
        )
    rows += [(f"{k} by state", ", ".join(f"{s} {n}" for s, n in sorted(v.items()))) for k, v in summary.states.items()]
    rows += warning_rows(summary)
    for key, value in rows:
        table.add_row(key, str(value))
    console.print(table)
    if summary.customers:
        per = Table(title="per customer")
        per.add_column("customer")
        per.add_column("synced", justify="right")
        per.add_column("error", justify="right")
        for name, counts in summary.customers.items():
            per.add_row(name, str(counts.get("synced", 0)), str(counts.get("error", 0)))
        console.print(per)
    problems = summary.rejects[:10] + summary.errors[:10]
    for problem in problems:
        console.print(f"[yellow]problem[/yellow] {problem.get('message')}", highlight=False, soft_wrap=True)
    rejected = changes.get("rejected", []) if changes else []
    for reject in rejected[:10]:
        console.print(
            f"[yellow]staging row left untouched[/yellow] {reject['record_uuid']}: {reject['reason']}",
            highlight=False,
            soft_wrap=True,
        )


def register(cli: click.Group) -> None:
    """Attach the engine commands."""
    cli.add_command(sync_command)
    cli.add_command(retry_command)
