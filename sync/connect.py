"""Wire an environment to its database and its monday: the only place that chooses a transport.

``transport = "http"`` talks to ``api_url`` with the token from ``token_env``;
``transport = "emulator"`` runs the local emulator in-process, its boards persisted in
``emulator_state`` so successive commands see the same board. Tests and load tests pass
their own ``transport`` (a cassette, an emulator, an HTTP server on loopback).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from sqlalchemy.engine import Engine

from sync.config import Config, monday_token
from sync.db import Tables, build_tables, discover_sizes, make_engine
from sync.monday.client import MondayClient
from sync.monday.pacing import Pacer
from sync.monday.retry import RetryPolicy
from sync.monday.transport import build_http_client

__all__ = ["EMULATOR_TOKEN", "build_client", "open_client", "open_db"]

#: The emulator accepts any token; this one makes it obvious in logs that no real token is in play.
EMULATOR_TOKEN = "emulator-local"


def open_db(config: Config, env_name: str) -> tuple[Engine, Tables]:
    """The environment's engine and its tables, with size columns discovered from staging."""
    env = config.environment(env_name)
    engine = make_engine(config.database_url(env_name))
    sizes = discover_sizes(
        engine, env.source_table, config.sizes.start_after, config.sizes.end_before, config.sizes.max_sizes
    )
    return engine, build_tables(env.source_table, env.target_table, env.lines_table, sizes)


def build_client(
    config: Config, env_name: str, transport: httpx.BaseTransport | None, token: str | None
) -> MondayClient:
    """A client with the environment's API version, timeouts, retry policy and pacing."""
    env = config.environment(env_name)
    http = build_http_client(
        api_url=env.monday.api_url,
        token=token,
        api_version=env.monday.api_version,
        timeout_s=config.sync.request_timeout_s,
        transport=transport,
    )
    pacer = None
    if config.sync.complexity_budget_per_minute or config.sync.requests_per_minute:
        pacer = Pacer(
            budget_per_minute=config.sync.complexity_budget_per_minute,
            requests_per_minute=config.sync.requests_per_minute,
        )
    return MondayClient(
        http,
        retry=RetryPolicy(max_attempts=config.sync.max_attempts),
        pacer=pacer,
        max_batch=config.sync.batch_size,
    )


@contextmanager
def open_client(
    config: Config, env_name: str, *, transport: httpx.BaseTransport | None = None, token: str | None = None
) -> Iterator[MondayClient]:
    """A ready client for the environment; closes (and for the emulator, saves) on exit."""
    env = config.environment(env_name)
    if transport is not None:
        client = build_client(config, env_name, transport, token or EMULATOR_TOKEN)
        try:
            yield client
        finally:
            client.http.close()
        return
    if env.monday.transport == "emulator":
        from sync.emulator import EmulatorTransport, open_persistent

        state = config.emulator_state_path(env_name)
        assert state is not None  # the config check requires it for transport = "emulator"
        state.parent.mkdir(parents=True, exist_ok=True)
        with open_persistent(state, require_token=False) as emulator:
            client = build_client(config, env_name, EmulatorTransport(emulator), EMULATOR_TOKEN)
            try:
                yield client
            finally:
                client.http.close()
        return
    client = build_client(config, env_name, None, monday_token(config, env_name))
    try:
        yield client
    finally:
        client.http.close()
