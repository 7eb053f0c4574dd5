"""``ordersync init DIR``: scaffold a project (config with comments, suites, cassettes, load profiles)."""

from __future__ import annotations

from pathlib import Path

import click

from sync.commands.common import AppContext, operator_console
from sync.scaffold import scaffold_project

__all__ = ["register"]


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."))
@click.option("--force", is_flag=True, help="Replace an existing ordersync.toml and shipped files.")
@click.pass_obj
def init(app: AppContext, directory: Path, force: bool) -> int:
    """Create ordersync.toml, expectations/, cassettes/<env>/ and loadtests/profiles.toml in DIRECTORY."""
    del app
    result = scaffold_project(directory, force=force)
    out = operator_console()
    out.print(f"project ready in {result.directory.resolve()}", highlight=False)
    for path in result.written:
        out.print(f"  wrote {path}", highlight=False)
    for path in result.kept:
        out.print(f"  kept  {path} (already there)", highlight=False)
    out.print(f"next:   ordersync --config {result.config_path} config check", highlight=False)
    return 0


def register(cli: click.Group) -> None:
    """Attach ``init``."""
    cli.add_command(init)
