"""``ordersync emulator serve``: the local monday.com on 127.0.0.1, for curl, Locust and demos."""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["register"]


@click.group("emulator")
def emulator_group() -> None:
    """The local monday.com emulator."""


@emulator_group.command("serve")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Loopback only, unless you mean it.")
@click.option(
    "--boards",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="Board file (JSON) or a vcrpy cassette of a boards query; default: the packaged boards.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Keep the boards in this file between restarts.",
)
@click.option("--latency-ms", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--fault-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests answered with a 429, a 500 or a timeout (seeded).",
)
@click.option("--seed", type=int, default=0, show_default=True)
def serve(
    port: int, host: str, boards: Path | None, state_path: Path | None, latency_ms: int, fault_rate: float, seed: int
) -> int:
    """Serve the emulator until interrupted (POST /v2 GraphQL; GET /_emulator/oplog)."""
    from sync.emulator import run_server

    run_server(port, boards, latency_ms, fault_rate, seed, host, state_path=state_path)
    return 0


def register(cli: click.Group) -> None:
    """Attach the ``emulator`` commands."""
    cli.add_command(emulator_group)
