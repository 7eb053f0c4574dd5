"""``ordersync db init``, ``db upgrade`` and ``db ddl``: create or upgrade the schema, or print it for a DBA."""

from __future__ import annotations

import click
import sqlalchemy as sa
from sqlalchemy.dialects import mssql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from sync.commands.common import AppContext, env_option, operator_console
from sync.db import DEFAULT_SIZES, build_tables, create_schema, make_engine

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


@db_group.command("upgrade")
@env_option
@click.option("--sql", "as_sql", is_flag=True, help="Print the change as SQL for a DBA instead of applying it.")
@click.option(
    "--dialect",
    type=click.Choice(sorted(DIALECTS)),
    default=None,
    help="With --sql: the dialect to write (default: the environment's database).",
)
@click.pass_obj
def upgrade(app: AppContext, env: str | None, as_sql: bool, dialect: str | None) -> int:
    """Add the sync columns, constraints, indexes and ledger tables that existing tables lack; keep every row."""
    from sync.db import discover_sizes
    from sync.db_upgrade import apply_upgrade, plan_upgrade, render_upgrade

    name = app.env_name(env)
    config, resolved = app.config, app.config.environment(name)
    engine = make_engine(config.database_url(name))
    try:
        sizes = DEFAULT_SIZES
        if resolved.source_table in sa.inspect(engine).get_table_names():
            marks = config.sizes
            sizes = discover_sizes(engine, resolved.source_table, marks.start_after, marks.end_before, marks.max_sizes)
        tables = build_tables(resolved.source_table, resolved.target_table, resolved.lines_table, sizes)
        target = dialect or engine.dialect.name
        steps = plan_upgrade(engine, tables, target)
        if as_sql:
            click.echo(f"-- ordersync db upgrade --env {name}: {len(steps)} step(s) for {target}")
            for statement in render_upgrade(steps, DIALECTS.get(target, engine.dialect)):
                click.echo(f"{statement}\n")
            return 0
        applied = apply_upgrade(engine, steps)
    finally:
        engine.dispose()
    out = operator_console()
    for step in steps:
        out.print(f"  {step.describe()}", highlight=False)
    out.print(f"schema of {name} up to date: {applied} change(s) applied", highlight=False)
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
