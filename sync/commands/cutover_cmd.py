"""``ordersync cutover`` and ``ordersync rollback``: promote behind every gate, undo a cutover or one run.

A cutover never promotes on a subset of the gates: ``--only`` is refused with exit 2, and
the gate step stops the cutover unless the run is READY (every required gate passed).

Exit codes: 0 only for a full success (promoted, canary verified; or a rollback with nothing
left); 1 when the cutover stopped or rolled back, or a rollback left something to do by hand;
2 for a config or command-line mistake (via ``run_guarded``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from sync.commands.common import EXIT_FAILED, EXIT_OK, AppContext, err_console, operator_console
from sync.monitoring import configure_logging, send_alert

__all__ = ["register"]


@click.command("cutover")
@click.option("--to", "to_env", default="production", show_default=True, help="Environment to promote.")
@click.option(
    "--canary",
    type=click.IntRange(min=1),
    default=None,
    help="Sync this many orders to the target as the canary (default 10).",
)
@click.option(
    "--canary-customer", default=None, metavar="NAME", help="Use every order of one customer as the canary."
)
@click.option("--who", default=None, help="Who runs the cutover (default: $USER).")
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Root folder; the cutover writes <root>/cutover-<id>/ (default: [paths] reports, next to the config).",
)
@click.option(
    "--only",
    "only",
    multiple=True,
    metavar="GATE",
    help="Refused (exit 2): a cutover runs every required gate; use `ordersync gates ENV --only GATE`.",
)
@click.option(
    "--inject",
    type=click.Choice(["gate", "canary", "verify", "after-promotion"]),
    default=None,
    hidden=True,
    help="Force a failure at one step to rehearse the rollback.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def cutover(
    app: AppContext,
    to_env: str,
    canary: int | None,
    canary_customer: str | None,
    who: str | None,
    report_dir: Path | None,
    only: tuple[str, ...],
    inject: str | None,
    as_json: bool,
) -> int:
    """Gates, backup, promote, probe, canary, verify; roll back automatically on any failure."""
    from validation.cutover.runner import dump, run_cutover

    configure_logging(json_logs=app.log_json, verbose=app.verbose)
    if canary is not None and canary_customer is not None:
        raise click.UsageError("give --canary or --canary-customer, not both")
    result = run_cutover(
        app.path,
        to_env=to_env,
        canary=canary,
        canary_customer=canary_customer,
        who=who,
        report_root=report_dir if report_dir is not None else app.config.reports_dir,
        inject=inject,
        gates=list(only) or None,
    )
    app.reload()
    if as_json:
        click.echo(dump(result))
        return EXIT_OK if result.ok else EXIT_FAILED
    console = operator_console()
    for step in result.steps:
        mark = "[green]ok[/green]  " if step.ok else "[red]FAIL[/red]"
        console.print(
            f"{mark} {step.phase:<15} {step.name:<20} {step.summary}", highlight=False, soft_wrap=True
        )
    signoff = result.report_dir / "signoff.html"
    if result.ok:
        console.print(
            f"[green]CUTOVER SUCCEEDED[/green]: {result.to_env} is active (cutover {result.cutover_id})"
        )
    else:
        console.print(f"[red]CUTOVER {result.status}[/red]: {result.reason}", highlight=False, soft_wrap=True)
        if result.rollback is not None and not result.rollback.complete:
            for item in result.rollback.remaining:
                console.print(f"[yellow]left to do[/yellow] {item}", highlight=False, soft_wrap=True)
    console.print(f"sign-off: {signoff}", highlight=False)
    return EXIT_OK if result.ok else EXIT_FAILED


@click.command("rollback")
@click.option(
    "--cutover",
    "cutover_id",
    default=None,
    metavar="ID",
    help="Undo a cutover ('last' for the newest): config, canary on the board, DB state.",
)
@click.option("--run", "run_id", default=None, metavar="RUN_ID", help="Undo one sync run from its ledger.")
@click.option("--env", "env", default=None, help="Environment of --run (default: the active one).")
@click.option("--archive", is_flag=True, help="With --run: archive created items instead of deleting them.")
@click.option("--who", default=None, help="Who rolls back (default: $USER).")
@click.pass_obj
def rollback(
    app: AppContext,
    cutover_id: str | None,
    run_id: str | None,
    env: str | None,
    archive: bool,
    who: str | None,
) -> int:
    """Undo a cutover (--cutover ID|last) or one run (--run RUN_ID); safe to repeat."""
    configure_logging(json_logs=app.log_json, verbose=app.verbose)
    if (cutover_id is None) == (run_id is None):
        raise click.UsageError("give exactly one of --cutover ID or --run RUN_ID")
    if archive and run_id is None:
        raise click.UsageError("--archive only applies to --run")
    console = operator_console()
    if cutover_id is not None:
        from validation.cutover.rollback import rollback_cutover

        outcome = rollback_cutover(app.path, cutover_id, who=who)
        app.reload()
        console.print(
            f"cutover {outcome.cutover_id}: config {outcome.config}", highlight=False, soft_wrap=True
        )
        for run, undone in outcome.runs.items():
            console.print(f"run {run}: {plain(undone)}", highlight=False, soft_wrap=True)
        console.print(
            f"probe group: {outcome.probe_group}; database: {plain(outcome.database)}",
            highlight=False,
            soft_wrap=True,
        )
        return _verdict(console, outcome.complete, outcome.remaining, refused=outcome.refused)
    from sync.rollback import rollback_run

    assert run_id is not None  # exactly one of the two was given
    name = app.env_name(env)
    report = rollback_run(app.config, name, run_id, archive=archive)
    for line in report.lines():
        console.print(line, highlight=False, soft_wrap=True, markup=False)
    if not report.already_rolled_back:
        send_alert(
            app.config,
            "rollback" if report.complete else "rollback_incomplete",
            f"run {run_id} on {name} rolled back" + ("" if report.complete else ": INCOMPLETE"),
            run_id=run_id,
            environment=name,
            remaining=report.remaining,
        )
    if report.refused:
        return _verdict(console, False, [], refused=True)
    return _verdict(console, report.complete, report.remaining)


def plain(values: Mapping[str, Any]) -> str:
    """``key: value, ...`` for an operator: no braces, quotes or ``True``; lists joined, empty ones as none."""
    parts = []
    for key, value in values.items():
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, Mapping):
            shown = f"({plain(value)})" if value else "none"
        elif isinstance(value, list | tuple | set):
            shown = ", ".join(str(v) for v in value) if value else "none"
        else:
            shown = "none" if value is None else str(value)
        parts.append(f"{str(key).replace('_', ' ')}: {shown}")
    return ", ".join(parts) or "nothing"


def _verdict(console: Console, complete: bool, remaining: list[str], *, refused: bool = False) -> int:
    if complete:
        console.print("[green]ROLLED BACK[/green]: nothing left to undo")
        return EXIT_OK
    label = "why" if refused else "left to do"
    for item in remaining:
        err_console.print(f"[yellow]{label}[/yellow] {escape(item)}", highlight=False, soft_wrap=True)
    if refused:
        console.print("[red]ROLLBACK REFUSED[/red]: nothing was changed; see 'why' above")
    else:
        console.print("[red]ROLLBACK INCOMPLETE[/red]: see 'left to do' above")
    return EXIT_FAILED


def register(cli: click.Group) -> None:
    """Attach ``cutover`` and ``rollback``."""
    cli.add_command(cutover)
    cli.add_command(rollback)
