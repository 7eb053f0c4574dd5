"""``ordersync verify``: reconcile the database with the board; exit 1 on any mismatch."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from sync.commands.common import EXIT_FAILED, EXIT_OK, AppContext, env_option, operator_console
from sync.connect import open_client, open_db
from sync.load_windows import check_window, verify_window
from sync.verify import verify
from sync.verify_report import CATEGORIES, MISMATCH_CATEGORIES, VerifyReport

__all__ = ["register"]

SHOWN = 20  # entries printed per category; --json carries every listed one

TITLES = {
    "missing": "Missing items (SYNCED rows not on the board)",
    "orphans": "Orphan items (on the board, not in the database)",
    "duplicates": "Duplicate order numbers on the board",
    "value_mismatches": "Value mismatches",
    "subitem_mismatches": "Subitem mismatches",
    "wrong_groups": "Items in the wrong group",
    "duplicate_groups": "Duplicate groups (one title, several groups)",
    "empty_groups": "Empty groups ordersync created",
    "not_synced": "Not yet synced (not a mismatch)",
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "missing": ("order_number", "item_id", "reason"),
    "orphans": ("item_id", "order_number", "name", "reason"),
    "duplicates": ("order_number", "item_ids", "linked_item_id"),
    "value_mismatches": ("order_number", "item_id", "title", "column", "expected", "actual"),
    "subitem_mismatches": ("order_number", "item_id", "expected", "actual", "problems"),
    "wrong_groups": ("order_number", "item_id", "expected_group", "actual_group"),
    "duplicate_groups": ("title", "group_ids", "items"),
    "empty_groups": ("group_id", "title", "created_by_run"),
    "not_synced": ("entity", "order_number", "state", "action", "message"),
}


@click.command("verify")
@env_option
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON instead of tables.")
@click.option(
    "--window",
    type=click.IntRange(min=1),
    default=None,
    help="Check only window K of a multi-window initial load: the orders its runs carried (per the ledger).",
)
@click.pass_obj
def verify_command(app: AppContext, env: str | None, as_json: bool, window: int | None) -> int:
    """Compare the target table and its lines with the monday boards (exit 1 on any mismatch)."""
    config = app.config
    name = app.env_name(env)
    if window is not None:
        return _verify_window(app, name, window, as_json)
    engine, tables = open_db(config, name)
    try:
        with open_client(config, name) as client:
            report = verify(config, name, client=client, db=engine, tables=tables)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print_report(report, operator_console())
    return EXIT_OK if report.ok else EXIT_FAILED


def _verify_window(app: AppContext, name: str, window: int, as_json: bool) -> int:
    check_window(app.config, window)  # exit 2 before anything is opened
    engine, tables = open_db(app.config, name)
    try:
        with open_client(app.config, name) as client:
            report = verify_window(app.config, name, window, client=client, db=engine, tables=tables)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        for line in report.lines():
            operator_console().print(line, highlight=False, markup=False)
    return EXIT_OK if report.ok else EXIT_FAILED


def print_report(report: VerifyReport, console: Console) -> None:
    """Counts per category, then the first entries of each non-empty category."""
    boards = f"board {report.board_id} / subitems {report.subitem_board_id}"
    summary = Table(title=f"verify {report.environment}: {boards}")
    summary.add_column("category")
    summary.add_column("count", justify="right")
    for category in CATEGORIES:
        count = report.counts[category]
        style = "red" if count and category in MISMATCH_CATEGORIES else ""
        summary.add_row(TITLES[category], f"[{style}]{count}[/{style}]" if style else str(count))
    console.print(summary)
    console.print(
        f"board items {report.board_items}, board subitems {report.board_subitems}, "
        f"SYNCED rows {report.synced_rows}, items compared {report.checked_items}",
        highlight=False,
    )
    for category in CATEGORIES:
        entries = getattr(report, category)
        if not entries:
            continue
        shown = min(SHOWN, len(entries))
        table = Table(title=f"{TITLES[category]}: first {shown} of {report.counts[category]}")
        for column in COLUMNS[category]:
            table.add_column(column, overflow="fold")
        for entry in entries[:SHOWN]:
            data = asdict(entry)
            table.add_row(*(_cell(data[c]) for c in COLUMNS[category]))
        console.print(table)
    verdict = "[green]clean[/green]" if report.ok else "[red]mismatches found[/red]"
    console.print(f"verify: {verdict}")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value)
    return str(value)


def register(cli: click.Group) -> None:
    """Attach ``verify``."""
    cli.add_command(verify_command)
