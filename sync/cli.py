"""``ordersync``: a thin command line over the library.

Each command group lives in :mod:`sync.commands` and only parses options, calls library
functions and prints. Exit codes are the contract with nox and CI:

====  ==============================================================
0     everything asked for succeeded
1     the run finished but did not pass (threshold missed, gate failed, verify mismatch)
2     the config or the command line is wrong (each problem named with file and key)
3     a fatal error outside the data: the token is unset or refused, a board is unknown,
      monday is unreachable after every retry, the database is unreachable, locked or
      refuses us (one line, no traceback; ``--debug`` prints it)
130   interrupted (SIGINT, Ctrl-C)
143   terminated (SIGTERM)
====  ==============================================================

The mapping lives in one place: :func:`sync.commands.common.exit_code_for`.
"""

from __future__ import annotations

import importlib
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import click

from sync.commands.common import AppContext, Terminated, run_guarded, set_debug
from sync.monitoring import configure_logging

__all__ = ["cli", "main"]

COMMAND_MODULES = (
    "config_cmd",
    "init_cmd",
    "db_cmd",
    "demo_cmd",
    "emulator_cmd",
    "sync_cmd",
    "verify_cmd",
    "gates_cmd",
    "cassettes_cmd",
    "loadtest_cmd",
    "cutover_cmd",
    "report_cmd",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default: $ORDERSYNC_CONFIG or ./ordersync.toml).",
)
@click.option("--log-json", is_flag=True, help="Write structured JSON logs to stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Show INFO logs, libraries' too (Great Expectations, httpx).")
@click.option("--debug", is_flag=True, help="On a failure, print the traceback before the one-line message.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_json: bool, verbose: bool, debug: bool) -> None:
    """Move orders from SQL Server into monday.com, and cut over from dev to prod behind gates."""
    set_debug(debug)
    ctx.obj = AppContext(config_path=config_path, log_json=log_json, verbose=verbose)
    configure_logging(json_logs=log_json, verbose=verbose)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"sync.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sync.commands.{name}":
                continue
            raise
        module.register(cli)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code (the table above, via ``run_guarded``)."""
    set_debug(False)
    previous = _raise_on_sigterm()
    try:
        return run_guarded(lambda: cli.main(args=argv, prog_name="ordersync", standalone_mode=False))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_on_sigterm() -> signal.Handlers | Callable[[int, FrameType | None], Any] | int | None:
    """SIGTERM raises :class:`Terminated` (exit 143) unless someone else already handles it.

    A command that needs a graceful stop (the engine finishing its batch) installs its own
    handler while it runs and raises anything with a ``signum`` attribute, or ``Terminated``.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    current = signal.getsignal(signal.SIGTERM)
    if current not in (signal.SIG_DFL, None):
        return None

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise Terminated(signum)

    signal.signal(signal.SIGTERM, stop)
    return current


if __name__ == "__main__":
    sys.exit(main())
