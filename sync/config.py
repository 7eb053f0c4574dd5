"""The ordersync TOML file: typed models, environment resolution and errors an operator can act on.

A config file holds every environment (development, production, ...) side by side, so a
cutover is a one-word change of ``active_environment``. Loading never touches the network
or the database; :func:`load_config` only parses and cross-checks, and every mistake comes
back at once as a :class:`~sync.errors.ConfigError` with one line per problem naming the
file, the key path and what is wrong.

Usage::

    cfg = load_config(Path("ordersync.toml"))
    env = cfg.environment(resolve_environment_name(cfg, cli_env=None))
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.engine import URL, make_url

from sync.config_cutover import CutoverPlan
from sync.errors import ConfigError, ConfigProblem
from sync.project_paths import ProjectFile, ProjectPaths, project_file

__all__ = [
    "COLUMN_ID_PATTERN",
    "ChangeDetectionConfig",
    "ColumnMapping",
    "Config",
    "CutoverPlan",
    "DatabaseConfig",
    "EnvironmentConfig",
    "GroupNaming",
    "ItemNaming",
    "MondayConfig",
    "SizeDiscovery",
    "SyncTuning",
    "default_config_path",
    "load_config",
    "monday_token",
    "resolve_environment_name",
]

DEFAULT_CONFIG_NAME = "ordersync.toml"
CONFIG_ENV_VAR = "ORDERSYNC_CONFIG"
ENVIRONMENT_ENV_VAR = "ORDERSYNC_ENV"

#: What a monday column id can look like: ``name``, ``text_mkr5wya6``, ``dropdown_mkr542p2``.
COLUMN_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

ColumnType = Literal["text", "long_text", "numbers", "date", "status", "dropdown", "checkbox", "name"]


class _Strict(BaseModel):
    """Unknown keys are errors: a typo in a key must not silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SyncTuning(_Strict):
    """How hard the engine pushes: batch sizes, concurrency, retries, timeouts, success bar."""

    batch_size: Annotated[int, Field(ge=1, le=500)] = 50
    max_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    request_timeout_s: Annotated[float, Field(gt=0, le=300)] = 30.0
    success_threshold: Annotated[float, Field(ge=0, le=1)] = 0.95
    complexity_budget_per_minute: Annotated[int, Field(ge=1)] | None = None
    requests_per_minute: Annotated[int, Field(ge=1)] | None = None


class GroupNaming(_Strict):
    """One monday group per customer and season: ``CUSTOMER NAME + ' ' + (CUSTOMER SEASON or AAG SEASON)``."""

    columns: list[str] = ["CUSTOMER NAME", "CUSTOMER SEASON"]
    fallback_columns: list[str] = ["CUSTOMER NAME", "AAG SEASON"]
    separator: str = " "
    sentinel: str = "check"


class ItemNaming(_Strict):
    """Templates for item and subitem names; ``{COLUMN NAME}`` placeholders, empty values skipped."""

    name_template: str = "{CUSTOMER STYLE} {CUSTOMER COLOUR DESCRIPTION} {AAG ORDER NUMBER}"
    subitem_name_template: str = "Size {size_code}"
    max_length: Annotated[int, Field(ge=1, le=255)] = 255


class SizeDiscovery(_Strict):
    """Size columns are the columns strictly between two marker columns of the staging table."""

    start_after: str = "UNIT OF MEASURE"
    end_before: str = "TOTAL QTY"
    max_sizes: Annotated[int, Field(ge=1)] = 300


class ChangeDetectionConfig(_Strict):
    """Which columns decide that an order changed, and what cancellation and removed sizes do."""

    hash_columns: list[str] = Field(
        default_factory=lambda: [
            "AAG ORDER NUMBER",
            "CUSTOMER NAME",
            "PO NUMBER",
            "CUSTOMER STYLE",
            "TOTAL QTY",
            "ORDER TYPE",
        ]
    )
    include_mapped_columns: bool = True
    cancelled_order_types: list[str] = ["CANCELLED"]
    cancel_policy: Literal["zero_lines"] = "zero_lines"
    removed_size_policy: Literal["zero", "delete"] = "zero"


class ColumnMapping(_Strict):
    """One DB column written into one monday column of a given type."""

    column: str
    type: ColumnType
    create_labels_if_missing: bool = False
    #: The DB column is text but holds numbers: parse it, and reject a row whose value does not parse.
    coerce: bool = False

    @field_validator("column")
    @classmethod
    def _looks_like_a_column_id(cls, value: str) -> str:
        if not COLUMN_ID_PATTERN.match(value):
            raise ValueError(
                f"{value!r} cannot be a monday column id (lower-case letters, digits and '_', like 'text_mkr5wya6')"
            )
        return value


class Mappings(_Strict):
    """DB column -> monday column, for the items board and for the subitems board."""

    items: dict[str, ColumnMapping]
    subitems: dict[str, ColumnMapping]


class DatabaseConfig(_Strict):
    """Either a full SQLAlchemy ``url`` (no password in it) or its parts plus ``password_env``."""

    url: str | None = None
    dialect: str | None = None
    host: str | None = None
    port: int | None = None
    name: str | None = None
    user: str | None = None
    password_env: str | None = None
    query: dict[str, str] = {}

    def sqlalchemy_url(self, base_dir: Path) -> URL:
        """Build the URL, reading the password from the environment and anchoring SQLite paths."""
        password = os.environ.get(self.password_env) if self.password_env else None
        if self.url is not None:
            url = make_url(self.url)
            if password is not None:
                url = url.set(password=password)
        else:
            assert self.dialect is not None  # checked by _check_database
            url = URL.create(
                self.dialect,
                username=self.user,
                password=password,
                host=self.host,
                port=self.port,
                database=self.name,
                query=self.query,
            )
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            # SQLite's URI form (``sqlite:///file:dev.db?mode=ro&uri=true``) keeps its ``file:`` prefix.
            prefix = "file:" if url.database.startswith("file:") else ""
            path = Path(url.database.removeprefix(prefix))
            if not path.is_absolute():
                url = url.set(database=prefix + str((base_dir / path).resolve()))
        return url


class MondayConfig(_Strict):
    """The boards of one environment and how to reach them."""

    board_id: int
    subitem_board_id: int
    api_url: str = "https://api.monday.com/v2"
    api_version: str = "2026-10"
    token_env: str = "MONDAY_API_TOKEN"
    transport: Literal["http", "emulator"] = "http"
    emulator_state: str | None = None

    @field_validator("board_id", "subitem_board_id", mode="before")
    @classmethod
    def _board_id_is_integer(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be an integer board id, got {value!r}")
        if value <= 0:
            raise ValueError(f"must be a positive board id, got {value!r}")
        return value

    @field_validator("api_version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not re.fullmatch(r"\d{4}-\d{2}", value):
            raise ValueError(f"must look like YYYY-MM (e.g. 2026-10), got {value!r}")
        return value


class EnvironmentConfig(_Strict):
    """Everything one environment needs: tables, database, boards and mappings."""

    source_table: str = "swp_ORDER_LIST_SYNC"
    target_table: str = "FACT_ORDER_LIST"
    lines_table: str = "ORDER_LIST_LINES"
    database: DatabaseConfig
    monday: MondayConfig
    mapping: Mappings


class Config(_Strict):
    """A whole ordersync file. ``path`` is where it came from (for messages and relative paths)."""

    active_environment: str
    sync: SyncTuning = SyncTuning()
    groups: GroupNaming = GroupNaming()
    items: ItemNaming = ItemNaming()
    sizes: SizeDiscovery = SizeDiscovery()
    change_detection: ChangeDetectionConfig = ChangeDetectionConfig()
    alerts: dict[str, str] = {}
    cutover: CutoverPlan = CutoverPlan()
    paths: ProjectPaths = ProjectPaths()
    environments: dict[str, EnvironmentConfig]
    path: Path = Path(DEFAULT_CONFIG_NAME)

    @property
    def base_dir(self) -> Path:
        """Directory relative paths in the file are resolved against."""
        return self.path.resolve().parent

    def project_file(self, key: str, *parts: str) -> ProjectFile:
        """A ``[paths]`` entry resolved against the config file (shipped default when the project lacks it)."""
        return project_file(self.base_dir, self.paths, key, *parts)

    @property
    def reports_dir(self) -> Path:
        """Where reports go unless a command gets ``--report-dir``: ``[paths] reports`` next to the config."""
        return (self.base_dir / self.paths.reports).resolve()

    def environment(self, name: str) -> EnvironmentConfig:
        """The named environment; a ConfigError naming the known ones when it does not exist."""
        try:
            return self.environments[name]
        except KeyError:
            raise ConfigError([_unknown_env(self.path, "environment", name, self)]) from None

    def database_url(self, name: str) -> URL:
        """The SQLAlchemy URL of an environment's database."""
        return self.environment(name).database.sqlalchemy_url(self.base_dir)

    def emulator_state_path(self, name: str) -> Path | None:
        """Where the in-process emulator of an environment keeps its boards, if it uses one."""
        monday = self.environment(name).monday
        if monday.transport != "emulator" or monday.emulator_state is None:
            return None
        path = Path(monday.emulator_state)
        return path if path.is_absolute() else (self.base_dir / path).resolve()


def default_config_path() -> Path:
    """``$ORDERSYNC_CONFIG`` if set, else ``./ordersync.toml``."""
    return Path(os.environ.get(CONFIG_ENV_VAR, DEFAULT_CONFIG_NAME))


def load_config(path: Path) -> Config:
    """Parse, validate and cross-check a config file; raise ConfigError listing every problem."""
    file = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([ConfigProblem(file, "<file>", "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(file, "<toml>", f"not valid TOML: {exc}")]) from None
    if "path" in raw:
        raise ConfigError([ConfigProblem(file, "path", "unknown key")])
    try:
        config = Config.model_validate({**raw, "path": path})
    except ValidationError as exc:
        raise ConfigError(_problems_from_pydantic(file, exc)) from None
    problems = _cross_check(config)
    if problems:
        raise ConfigError(problems)
    return config


def resolve_environment_name(config: Config, cli_env: str | None) -> str:
    """``--env`` beats ``$ORDERSYNC_ENV`` beats ``active_environment``; unknown names are errors."""
    if cli_env:
        source, name = "--env", cli_env
    elif os.environ.get(ENVIRONMENT_ENV_VAR):
        source, name = ENVIRONMENT_ENV_VAR, os.environ[ENVIRONMENT_ENV_VAR]
    else:
        source, name = "active_environment", config.active_environment
    if name not in config.environments:
        raise ConfigError([_unknown_env(config.path, source, name, config)])
    return name


def monday_token(config: Config, env_name: str) -> str:
    """Read the environment's API token from its env var; error (never showing a value) when unset."""
    monday = config.environment(env_name).monday
    token = os.environ.get(monday.token_env, "")
    if not token.strip():
        raise ConfigError(
            [
                ConfigProblem(
                    str(config.path),
                    f"environments.{env_name}.monday.token_env",
                    f"environment variable {monday.token_env} is not set; a live call to monday.com needs a token",
                )
            ]
        )
    return token


def _unknown_env(path: Path, key: str, name: str, config: Config) -> ConfigProblem:
    known = ", ".join(sorted(config.environments))
    return ConfigProblem(str(path), key, f"unknown environment {name!r} (known: {known})")


def _problems_from_pydantic(file: str, exc: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"]) or "<root>"
        kind = err["type"]
        if kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            if "input" in err and kind not in ("value_error",):
                message += f" (got {err['input']!r})"
        problems.append(ConfigProblem(file, key, message))
    return problems


def _cross_check(config: Config) -> list[ConfigProblem]:
    """Rules that span keys: environment names, shared boards, duplicate targets, database shape."""
    file = str(config.path)
    problems: list[ConfigProblem] = []
    if config.active_environment not in config.environments:
        problems.append(_unknown_env(config.path, "active_environment", config.active_environment, config))
    boards: dict[int, str] = {}
    for name, env in config.environments.items():
        for key in ("board_id", "subitem_board_id"):
            board = getattr(env.monday, key)
            where = f"environments.{name}.monday.{key}"
            if board in boards:
                problems.append(ConfigProblem(file, where, f"board {board} is also used by {boards[board]}"))
            else:
                boards[board] = where
        for board_kind, mapping in (("items", env.mapping.items), ("subitems", env.mapping.subitems)):
            problems += _duplicate_targets(file, f"environments.{name}.mapping.{board_kind}", mapping)
        problems += _check_database(file, f"environments.{name}.database", env.database)
        if env.monday.transport == "emulator" and not env.monday.emulator_state:
            problems.append(
                ConfigProblem(
                    file, f"environments.{name}.monday.emulator_state", "required when transport = 'emulator'"
                )
            )
    return problems


def _duplicate_targets(file: str, key: str, mapping: Mapping[str, ColumnMapping]) -> list[ConfigProblem]:
    seen: dict[str, str] = {}
    problems = []
    for db_column, target in mapping.items():
        if target.column in seen:
            problems.append(
                ConfigProblem(
                    file,
                    f"{key}.{db_column!r}",
                    f"monday column {target.column} is already the target of {seen[target.column]!r}; "
                    "two DB columns cannot write one monday column",
                )
            )
        else:
            seen[target.column] = db_column
    return problems


def _check_database(file: str, key: str, db: DatabaseConfig) -> list[ConfigProblem]:
    if db.url is None and db.dialect is None:
        return [ConfigProblem(file, key, "give either 'url' or 'dialect' (+ host, name, user, password_env)")]
    if db.url is not None and db.dialect is not None:
        return [ConfigProblem(file, key, "give either 'url' or the parts, not both")]
    if db.url is not None:
        try:
            url = make_url(db.url)
        except Exception as exc:  # SQLAlchemy raises ArgumentError for malformed URLs
            return [ConfigProblem(file, f"{key}.url", f"not a SQLAlchemy URL: {exc}")]
        if url.password:
            return [ConfigProblem(file, f"{key}.url", "must not contain a password; use password_env")]
    return []


def as_plain_dict(config: Config) -> dict[str, Any]:
    """A JSON-ready view of the config for reports (no secrets are ever stored in it)."""
    return config.model_dump(mode="json", exclude={"path"})
