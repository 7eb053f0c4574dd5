"""What every command shares: the lazily loaded config, environment resolution, exit-code mapping."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from sync.config import Config, default_config_path, load_config, resolve_environment_name
from sync.errors import ConfigError, FatalError, OrdersyncError

__all__ = [
    "EXIT_FAILED",
    "EXIT_FATAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "AppContext",
    "err_console",
    "operator_console",
    "run_guarded",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_FATAL = 0, 1, 2, 3

#: Width of output that is not a terminal (a CI log, a pipe): wide enough that no path or line is wrapped.
PIPE_WIDTH = 4096


def operator_console(*, stderr: bool = False) -> Console:
    """A rich console for operator output; when not a terminal, nothing is wrapped at 80 columns."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr, soft_wrap=True)
    return Console(stderr=stderr, soft_wrap=True, width=PIPE_WIDTH)


err_console = operator_console(stderr=True)


@dataclass
class AppContext:
    """Per-invocation state handed to commands through click's context object."""

    config_path: Path | None = None
    log_json: bool = False
    verbose: bool = False
    _config: Config | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        """The config file this invocation uses."""
        return self.config_path or default_config_path()

    @property
    def config(self) -> Config:
        """The validated config (loaded on first use, so ``--help`` never needs a file)."""
        if self._config is None:
            self._config = load_config(self.path)
        return self._config

    def env_name(self, cli_env: str | None) -> str:
        """Resolve ``--env`` > ``$ORDERSYNC_ENV`` > ``active_environment``."""
        return resolve_environment_name(self.config, cli_env)

    def reload(self) -> Config:
        """Forget the cached config (after a promotion rewrote the file)."""
        self._config = None
        return self.config


def run_guarded(call: Callable[[], Any]) -> int:
    """Run a click command and turn ordersync's exceptions into the documented exit codes."""
    try:
        result = call()
    except ConfigError as exc:
        for problem in exc.problems:
            err_console.print(f"[red]config error[/red] {problem}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except click.exceptions.Abort:
        err_console.print("aborted")
        return EXIT_FAILED
    except FatalError as exc:
        err_console.print(f"[red]fatal[/red] {exc}", highlight=False, soft_wrap=True)
        return EXIT_FATAL
    except OrdersyncError as exc:
        err_console.print(f"[red]error[/red] {exc}", highlight=False, soft_wrap=True)
        return EXIT_FAILED
    return int(result) if isinstance(result, int) else EXIT_OK


def env_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--env`` option, spelled the same on every command."""
    return click.option(
        "--env", "env", default=None, help="Environment (default: $ORDERSYNC_ENV or active_environment)."
    )(function)


def stdout_is_tty() -> bool:
    """Progress bars only when a person is watching."""
    return sys.stdout.isatty()
