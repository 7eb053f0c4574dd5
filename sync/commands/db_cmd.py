"""``ordersync db init`` and ``db ddl``: create the schema, or print it for a DBA."""

from __future__ import annotations

import click
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from sync.commands.common import AppContext, env_option
from sync.db import build_tables, create_schema, make_engine

__all__ = ["register"]

DIALECTS: dict[str, Dialect] = {
    "mssql": mssql.dialect(),  # type: ignore[no-untyped-call]
    "postgresql": postgresql.dialect(),  # type: ignore[no-untyped-call]
    "sqlite": sqlite.dialect(),
}


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("init")
@env_option
@click.pass_obj
def init(app: AppContext, env: str | None) -> int:
    """Create the staging, target, lines and ledger tables that do not exist yet."""
    name = app.env_name(env)
    resolved = app.config.environment(name)
    tables = build_tables(resolved.source_table, resolved.target_table, resolved.lines_table)
    engine = make_engine(app.config.database_url(name))
    try:
        create_schema(engine, tables)
        present = sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    click.echo(f"schema ready in {name}: {', '.join(present)}")
    return 0


@db_group.command("ddl")
@click.option("--dialect", type=click.Choice(sorted(DIALECTS)), default="mssql", show_default=True)
@env_option
@click.pass_obj
def ddl(app: AppContext, dialect: str, env: str | None) -> int:
    """Print the CREATE statements for a DBA (SQL Server by default)."""
    name = app.env_name(env)
    resolved = app.config.environment(name)
    tables = build_tables(resolved.source_table, resolved.target_table, resolved.lines_table)
    for statement in ddl_statements(tables.metadata, dialect):
        click.echo(f"{statement.strip()};\n")
    return 0


def ddl_statements(metadata: sa.MetaData, dialect: str) -> list[str]:
    """Every CREATE TABLE / CREATE INDEX of ``metadata`` compiled for ``dialect``."""
    target = DIALECTS[dialect]
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=target)))
        statements += [str(CreateIndex(index).compile(dialect=target)) for index in table.indexes]
    return statements


def register(cli: click.Group) -> None:
    """Attach the ``db`` commands."""
    cli.add_command(db_group)
