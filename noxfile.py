"""Nox sessions for ordersync: each one wires the ordersync CLI or pytest, nothing more.

``nox -l`` is the menu. Sessions that need an environment use ``$ORDERSYNC_CONFIG`` when it
is set; otherwise they build the embedded default (SQLite + the local monday emulator) in
``work/demo`` first, so every session runs on a fresh machine with no set-up.
"""

from __future__ import annotations

import os

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "tests"]

DEMO_DIR = "work/demo"
DEMO_CONFIG = f"{DEMO_DIR}/ordersync.toml"


def _install(session: nox.Session, *extras: str) -> None:
    """ordersync with its runtime dependencies (the load gate's baseline client ``monday`` included) + extras."""
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


def _config(session: nox.Session) -> str:
    """The config to use: $ORDERSYNC_CONFIG, or a freshly built demo."""
    configured = os.environ.get("ORDERSYNC_CONFIG")
    if configured:
        return configured
    session.run("ordersync", "demo", "init", "--dir", DEMO_DIR)
    return DEMO_CONFIG


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pytest-xdist); extra args go to pytest, e.g. `nox -s tests -- -m postgres`."""
    _install(session, "test")
    session.run("pytest", *(session.posargs or ["-n", "auto", "-q"]))


@nox.session
def lint(session: nox.Session) -> None:
    """ruff on everything, mypy --strict on sync/ and validation/."""
    _install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("mypy")


@nox.session(name="gates-development")
def gates_development(session: nox.Session) -> None:
    """Run every cutover gate against the development environment and write the report."""
    _install(session)
    session.run("ordersync", "--config", _config(session), "gates", "development", *session.posargs)


@nox.session(name="gates-production")
def gates_production(session: nox.Session) -> None:
    """Run every cutover gate (load test included) against production and write the report."""
    _install(session)
    session.run("ordersync", "--config", _config(session), "gates", "production", *session.posargs)


@nox.session
def loadtest(session: nox.Session) -> None:
    """Locust load test of the real engine against the emulator: `nox -s loadtest -- capacity|realistic|ci`."""
    _install(session)
    profile = session.posargs[0] if session.posargs else "capacity"
    session.run("ordersync", "loadtest", profile, *session.posargs[1:])


@nox.session(default=False)
def scale(session: nox.Session) -> None:
    """Change detection + dry-run plan at scale, judged against its targets (`-- --orders 10000 100000 1000000`)."""
    _install(session)
    session.run("python", "-m", "loadtests.scale", *(session.posargs or ["--orders", "10000", "100000"]))


@nox.session
def cutover(session: nox.Session) -> None:
    """The whole cutover: gates, promotion, canary, verify, automatic rollback; writes the sign-off report."""
    _install(session)
    session.run(
        "ordersync",
        "--config",
        _config(session),
        "cutover",
        "--to",
        "production",
        *(session.posargs or ["--canary", "25"]),
    )


@nox.session(default=False)
def rollback(session: nox.Session) -> None:
    """Roll back the last cutover (or `nox -s rollback -- --cutover ID`)."""
    _install(session)
    config = os.environ.get("ORDERSYNC_CONFIG", DEMO_CONFIG)
    session.run("ordersync", "--config", config, "rollback", *(session.posargs or ["--cutover", "last"]))


@nox.session(name="record-cassettes", default=False)
def record_cassettes(session: nox.Session) -> None:
    """Re-record board cassettes: `nox -s record-cassettes -- ENV [--emulator]` (live needs the env's token)."""
    if not session.posargs:
        session.error("Usage: nox -s record-cassettes -- ENV [--emulator]")
    _install(session)
    config = os.environ.get("ORDERSYNC_CONFIG", "ordersync.toml")
    session.run("ordersync", "--config", config, "cassettes", "record", *session.posargs)
