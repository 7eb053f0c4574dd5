"""``ordersync gates ENV``: run the cutover gates for one environment and write the sign-off report.

Exit 0 only when the run is READY: every gate of the environment's required set ran and
passed. 1 when any gate failed, was inconclusive or errored, or a required gate is missing
(not registered, or skipped). With ``--only`` the run is a diagnosis: exit 0 means the
selected gates passed, yet the verdict still says NOT READY and names every required gate
that did not run (only a full run is READY, and only ``cutover`` promotes). 2 for a config
or command-line mistake (unknown environment or gate name), via ``run_guarded``.
"""

from __future__ import annotations

from pathlib import Path

import click

from sync.commands.common import EXIT_FAILED, EXIT_OK, AppContext, operator_console

__all__ = ["register"]


@click.command("gates")
@click.argument("env")
@click.option(
    "--only", "only", multiple=True, metavar="NAME", help="Run only this gate (repeatable; a diagnosis, never READY)."
)
@click.option(
    "--report-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Root folder; each run writes <root>/<UTC timestamp>-<ENV>/ (default: [paths] reports, next to the config).",
)
@click.option(
    "--window-hours",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Cutover window for volume-feasibility (default: [cutover] window_hours, 4).",
)
@click.pass_obj
def gates(app: AppContext, env: str, only: tuple[str, ...], report_dir: Path | None, window_hours: float | None) -> int:
    """Run the cutover gates for ENV (an environment name from the config)."""
    from validation.gates.registry import gate_names, required_gates, select_gates
    from validation.gates.report import new_run_dir, print_summary, write_reports
    from validation.gates.runner import GateContext, run_gates

    config = app.config
    config.environment(env)  # unknown environment -> ConfigError naming the known ones (exit 2)
    selected = select_gates(list(only) or None)
    run_dir = new_run_dir(report_dir if report_dir is not None else config.reports_dir, env)
    ctx = GateContext(config, env, run_dir, options={"window_hours": window_hours})
    run = run_gates(ctx, selected, required=required_gates(env), registered=gate_names())
    write_reports(run)
    print_summary(run, operator_console())
    ok = run.passed if only else run.ready
    if not ok:
        from sync.monitoring import send_alert

        send_alert(
            config,
            "gate_failed",
            f"ordersync gates {env}: NOT READY: {'; '.join(run.not_passed()) or 'no gate ran'}",
            environment=env,
            report=str(run_dir),
        )
    return EXIT_OK if ok else EXIT_FAILED


def register(cli: click.Group) -> None:
    """Attach the ``gates`` command."""
    cli.add_command(gates)
