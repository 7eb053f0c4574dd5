"""``ordersync loadtest PROFILE``: a Locust load test of the real engine against the emulator.

ordersync loadtest capacity [--out reports/load/capacity] [--duration 90]

Exit 0 when every gating threshold of the profile is met, 1 when one is missed; the
sign-off page is ``<out>/loadtest.html``. Profiles come from the config's ``[paths]
load_profiles`` when a config is found (``--config`` / ``$ORDERSYNC_CONFIG`` / ``./ordersync.toml``),
and the engine is measured with that config's environment (``--env``, else the active one):
its mapping, batch size and client settings. Without a config, the shipped profiles and
config are used. Reports go under the config's ``[paths] reports`` (else ``./reports``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from sync.commands.common import EXIT_FAILED, EXIT_OK, AppContext

__all__ = ["register"]


@click.command("loadtest")
@click.argument("profile", default="capacity")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Report folder (default: <[paths] reports>/load/<profile>-<UTC timestamp>).",
)
@click.option("--duration", type=click.IntRange(min=1), default=None, help="Override the profile's run time (s).")
@click.option("--env", "env", default=None, help="Environment under test (default: the active one).")
@click.pass_obj
def loadtest(app: AppContext, profile: str, out: Path | None, duration: int | None, env: str | None) -> int:
    """Run one load profile (capacity, realistic, ci): Locust, baseline, verdicts, sign-off page."""
    from validation.load.rules import PROFILES_PATH
    from validation.load.runner import describe, run_load_test

    profiles, reports = PROFILES_PATH, Path("reports")
    under_test: dict[str, Any] = {}
    if app.path.is_file():  # a project: its own profiles, report folder, config and environment
        profiles, reports = app.config.project_file("load_profiles").path, app.config.reports_dir
        under_test = {"config": app.config, "env_name": app.env_name(env)}
    folder = out or reports / "load" / f"{profile}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    result = run_load_test(profile, folder, duration_s=duration, profiles_path=profiles, **under_test)
    for line in describe(result):
        click.echo(line)
    return EXIT_OK if result.passed else EXIT_FAILED


def register(cli: click.Group) -> None:
    """Attach the ``loadtest`` command."""
    cli.add_command(loadtest)
