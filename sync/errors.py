"""ordersync's exception tree, grouped by what the caller must do.

::

    OrdersyncError                 anything ordersync raises on purpose
    ├── ConfigError                the config file is wrong: fix it and run again (exit 2)
    ├── RetriableError             try the same thing again later (429, 5xx, timeouts, 423)
    ├── FatalError                 stop the run: auth, invalid query, daily limit, unknown board
    └── RecordError                one row failed; mark it ERROR and carry on with the rest

Every error raised from a monday.com answer keeps ``code``, ``message`` and
``request_id`` (see :mod:`sync.monday.errors`), so an operator can quote it to
monday support.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "FatalError",
    "OrdersyncError",
    "RecordError",
    "RetriableError",
]

from dataclasses import dataclass


class OrdersyncError(Exception):
    """Root of every error ordersync raises deliberately."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file: where it is and what is wrong."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class ConfigError(OrdersyncError):
    """The configuration cannot be used; carries one problem per mistake found."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class RetriableError(OrdersyncError):
    """The operation may succeed if repeated later; ``retry_after`` is the server's hint."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FatalError(OrdersyncError):
    """Nothing in this run can succeed until a person acts (token, board, quota, query)."""


class RecordError(OrdersyncError):
    """One record cannot be written as it is; the message names the order, column and value."""

    def __init__(self, message: str, *, column: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.column = column
        self.value = value
