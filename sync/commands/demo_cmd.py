"""``ordersync demo init``: the embedded default (SQLite + the local monday emulator)."""

from __future__ import annotations

import time
from pathlib import Path

import click
import psutil

from sync.commands.common import AppContext
from sync.demo import init_demo

__all__ = ["register"]


@click.group("demo")
def demo_group() -> None:
    """The embedded default for trying ordersync on one machine."""


@demo_group.command("init")
@click.option("--orders", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--dir", "directory", type=click.Path(path_type=Path), default=Path("work/demo"), show_default=True)
@click.option(
    "--bad-rows", is_flag=True, help="Add the rows real staging tables contain (bad number, unknown label, ...)."
)
@click.pass_obj
def init(app: AppContext, orders: int, seed: int, directory: Path, bad_rows: bool) -> int:
    """Build a SQLite order book and a config that points at it and at the emulator."""
    del app
    started = time.perf_counter()
    result = init_demo(directory, orders=orders, seed=seed, with_bad_rows=bad_rows)
    elapsed = time.perf_counter() - started
    peak_mb = _peak_rss_mb()
    click.echo(
        f"demo ready in {result.directory}: {result.orders} orders, {result.lines} size lines "
        f"({elapsed:.1f}s, peak RSS {peak_mb:.0f} MB)"
    )
    click.echo(f"config: {result.config_path}")
    click.echo(f"next:   ordersync --config {result.config_path} sync")
    return 0


def _peak_rss_mb() -> float:
    info = psutil.Process().memory_info()
    peak = getattr(info, "peak_wset", None)
    if peak is None:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return float(peak) / 1e6


def register(cli: click.Group) -> None:
    """Attach the ``demo`` commands."""
    cli.add_command(demo_group)
