"""What every command shares: the lazily loaded config, environment resolution, exit-code mapping."""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from sync.config import Config, default_config_path, load_config, resolve_environment_name
from sync.errors import ConfigError, FatalError, OrdersyncError, RetriableError

__all__ = [
    "EXIT_FAILED",
    "EXIT_FATAL",
    "EXIT_OK",
    "EXIT_SIGINT",
    "EXIT_SIGTERM",
    "EXIT_USAGE",
    "AppContext",
    "Terminated",
    "describe",
    "err_console",
    "exit_code_for",
    "operator_console",
    "run_guarded",
    "set_debug",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_FATAL = 0, 1, 2, 3
#: A process stopped by signal N exits 128 + N: SIGINT (Ctrl-C) 130, SIGTERM 143.
SIGNAL_EXIT_BASE = 128
EXIT_SIGINT = SIGNAL_EXIT_BASE + signal.SIGINT
EXIT_SIGTERM = SIGNAL_EXIT_BASE + signal.SIGTERM

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


def set_debug(enabled: bool) -> None:
    """``--debug``: failures print their traceback (to stderr) before the one-line message."""
    _debug[0] = enabled


_debug = [False]


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM (unless a command installed its own handler)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def exit_code_for(exc: BaseException) -> int:
    """The one table from what went wrong to the documented exit code (see :mod:`sync.cli`)."""
    signum = getattr(exc, "signum", None)
    if isinstance(signum, int):
        return SIGNAL_EXIT_BASE + signum  # SIGTERM -> 143, SIGINT -> 130
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_SIGINT
    if isinstance(exc, ConfigError):
        return EXIT_FATAL if _missing_secret(exc) else EXIT_USAGE
    if isinstance(exc, click.exceptions.Exit):
        return int(exc.exit_code)
    if isinstance(exc, click.ClickException):
        return EXIT_USAGE
    if isinstance(exc, click.exceptions.Abort):
        return EXIT_FAILED
    if isinstance(exc, FatalError | RetriableError | DBAPIError | NoSuchTableError):
        return EXIT_FATAL  # token, board, monday unreachable after every retry, database
    if isinstance(exc, OrdersyncError):
        return EXIT_FAILED
    raise exc


def describe(exc: BaseException) -> str:
    """One line for the operator; never a traceback (``--debug`` adds it)."""
    if isinstance(exc, DBAPIError):
        return f"[red]database {_db_problem(exc)}:[/red] {_first_line(exc.orig)}"
    if isinstance(exc, NoSuchTableError):
        return f"[red]database table missing:[/red] {_first_line(f'{exc} (check the table names in the config)')}"
    if isinstance(exc, RetriableError):
        return f"[red]monday.com unreachable after every retry:[/red] {_first_line(exc)}"
    if isinstance(exc, FatalError):
        return f"[red]fatal:[/red] {_first_line(exc)}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (SIGINT)"
    if getattr(exc, "signum", None) is not None:
        return f"stopped: {escape(str(exc))}"
    if isinstance(exc, click.exceptions.Abort):
        return "aborted"
    return f"[red]error[/red] {escape(str(exc))}"


def run_guarded(call: Callable[[], Any]) -> int:
    """Run a click command and turn what it raises into the documented exit codes (:func:`exit_code_for`)."""
    try:
        result = call()
    except (Exception, KeyboardInterrupt, Terminated) as exc:
        code = exit_code_for(exc)  # re-raises what is not ours: a bug keeps its traceback
        if _debug[0]:
            traceback.print_exception(exc, file=sys.stderr)
        if isinstance(exc, ConfigError):
            label = "fatal" if code == EXIT_FATAL else "config error"
            for problem in exc.problems:
                err_console.print(f"[red]{label}[/red] {problem}", highlight=False, soft_wrap=True)
        elif isinstance(exc, click.ClickException):
            exc.show()
        elif not isinstance(exc, click.exceptions.Exit):
            err_console.print(describe(exc), highlight=False, soft_wrap=True)
        return code
    return int(result) if isinstance(result, int) else EXIT_OK


def _missing_secret(exc: ConfigError) -> bool:
    """A token (or password) variable that is not set: the file is right, the environment is not."""
    return bool(exc.problems) and all(
        p.key.endswith(("token_env", "password_env")) and "is not set" in p.message for p in exc.problems
    )


def _db_problem(exc: DBAPIError) -> str:
    text = str(exc.orig).lower()
    if "locked" in text or "lock timeout" in text:
        return "locked"
    if any(word in text for word in ("permission denied", "readonly", "read-only", "privilege", "authentication")):
        return "permission denied"
    if any(word in text for word in ("unable to open", "connection", "could not connect", "timeout", "resolve")):
        return "unreachable"
    return "error"


def _first_line(value: object) -> str:
    lines = [line.strip() for line in str(value).splitlines() if line.strip()]
    text = lines[0] if lines else type(value).__name__
    return escape(text) + ("" if _debug[0] else " (--debug shows the traceback)")


def env_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--env`` option, spelled the same on every command."""
    return click.option(
        "--env", "env", default=None, help="Environment (default: $ORDERSYNC_ENV or active_environment)."
    )(function)


def stdout_is_tty() -> bool:
    """Progress bars only when a person is watching."""
    return sys.stdout.isatty()
