"""``ordersync config check``: resolve and print an environment, or name every problem."""

from __future__ import annotations

import os

import click
from rich.table import Table

from sync.commands.common import AppContext, env_option, operator_console

__all__ = ["register"]


@click.group("config")
def config_group() -> None:
    """Inspect the configuration."""


@config_group.command("check")
@env_option
@click.pass_obj
def check(app: AppContext, env: str | None) -> int:
    """Validate the config file and print the resolved environment."""
    config = app.config
    name = app.env_name(env)
    resolved = config.environment(name)
    console = operator_console()
    table = Table(title=f"ordersync config: {app.path} -> environment [bold]{name}[/bold]", show_header=False)
    table.add_column("key", style="cyan")
    table.add_column("value")
    table.add_row("database", config.database_url(name).render_as_string(hide_password=True))
    table.add_row("tables", f"{resolved.source_table} -> {resolved.target_table}, {resolved.lines_table}")
    table.add_row("items board", str(resolved.monday.board_id))
    table.add_row("subitems board", str(resolved.monday.subitem_board_id))
    transport = resolved.monday.transport
    table.add_row(
        "monday",
        f"{transport} {resolved.monday.api_url if transport == 'http' else config.emulator_state_path(name)}"
        f" (API-Version {resolved.monday.api_version})",
    )
    token_state = "set" if os.environ.get(resolved.monday.token_env) else "not set"
    table.add_row("token", f"${resolved.monday.token_env} ({token_state})")
    creatable = sorted(m.column for m in resolved.mapping.items.values() if m.create_labels_if_missing)
    table.add_row("item mapping", f"{len(resolved.mapping.items)} columns; labels may be created in {len(creatable)}")
    table.add_row("subitem mapping", f"{len(resolved.mapping.subitems)} columns")
    table.add_row("environments", ", ".join(sorted(config.environments)))
    for key in ("expectations", "cassettes", "load_profiles"):
        table.add_row(key.replace("_", " "), config.project_file(key).describe())
    table.add_row("reports", str(config.reports_dir))
    console.print(table)
    return 0


def register(cli: click.Group) -> None:
    """Attach the ``config`` commands."""
    cli.add_command(config_group)
