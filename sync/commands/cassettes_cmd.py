"""``ordersync cassettes record ENV``: record the environment's boards cassette (scrubbed, replayable).

Live recording needs the environment's token variable (``token_env``); ``--emulator`` records
the local emulator's boards through a loopback HTTP server instead. An existing
``boards.yaml`` is never overwritten without ``--replace``: the new recording goes to
``boards.new.yaml`` and the board-contract gate reports what changed, column by column.
"""

from __future__ import annotations

from pathlib import Path

import click

from sync.commands.common import EXIT_OK, AppContext

__all__ = ["register"]


@click.group("cassettes")
def cassettes_group() -> None:
    """Recorded monday.com board exchanges used by the board-contract gate and contract tests."""


@cassettes_group.command("record")
@click.argument("env")
@click.option(
    "--emulator",
    "use_emulator",
    is_flag=True,
    help="Record the local emulator (loopback HTTP server) instead of monday.com; no token needed.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Cassettes root (default: [paths] cassettes, next to the config).",
)
@click.option("--replace", is_flag=True, help="Overwrite boards.yaml instead of writing boards.new.yaml.")
@click.pass_obj
def record(app: AppContext, env: str, use_emulator: bool, out_dir: Path | None, replace: bool) -> int:
    """Record ENV's get_boards answer into <out>/<ENV>/boards.yaml (or boards.new.yaml)."""
    from validation.gates.cassettes import record_boards

    config = app.config
    config.environment(env)  # unknown environment -> ConfigError naming the known ones (exit 2)
    root = out_dir if out_dir is not None else config.base_dir / config.paths.cassettes
    from validation.gates.cassette_provenance import read_provenance

    path = record_boards(config, env, use_emulator=use_emulator, out_dir=root, replace=replace)
    click.echo(f"recorded {env} boards: {path} ({read_provenance(path).describe()})")
    if use_emulator and config.environment(env).monday.transport == "http":
        click.echo(
            f"note: {env} has transport 'http'; the board-contract gate does not accept an emulator "
            f"recording as evidence of the real board (record without --emulator for that)"
        )
    if path.name != "boards.yaml":
        click.echo(
            "boards.yaml exists: compare with `ordersync gates "
            f"{env} --only board-contract`, then re-run with --replace to accept"
        )
    return EXIT_OK


def register(cli: click.Group) -> None:
    """Attach the ``cassettes`` commands."""
    cli.add_command(cassettes_group)
