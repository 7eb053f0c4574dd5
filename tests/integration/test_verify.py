"""verify against a synced demo in the in-process emulator: clean first, then each kind of tampering."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.commands.common import AppContext, run_guarded
from sync.commands.verify_cmd import register
from sync.config import Config, load_config
from sync.connect import open_client, open_db
from sync.db import Tables
from sync.demo import init_demo
from sync.emulator import Emulator, EmulatorTransport
from sync.emulator.testing import make_emulator
from sync.engine import SyncOptions, run_sync, run_with
from sync.monday.client import MondayClient
from sync.monday.models import ItemRecord, ItemUpdate, NewItem
from sync.states import SyncState
from sync.verify import verify
from sync.verify_report import MISMATCH_CATEGORIES, VerifyReport

ENV = "development"
ORDERS = 40


@dataclass
class Synced:
    """A demo environment synced once into an emulator, with a client still open on it."""

    config: Config
    engine: Engine
    tables: Tables
    client: MondayClient
    emulator: Emulator

    @property
    def board_id(self) -> int:
        return self.config.environment(ENV).monday.board_id

    @property
    def subitem_board_id(self) -> int:
        return self.config.environment(ENV).monday.subitem_board_id

    def column(self, db_column: str) -> str:
        """The monday column id a DB column is mapped to on the items board."""
        return self.config.environment(ENV).mapping.items[db_column].column

    def verify(self) -> VerifyReport:
        return verify(self.config, ENV, client=self.client, db=self.engine, tables=self.tables)

    def row(self, n: int = 0) -> dict[str, Any]:
        """The n-th SYNCED target row (by order number)."""
        t = self.tables.target
        query = sa.select(t).where(t.c.sync_state == SyncState.SYNCED.value).order_by(t.c["AAG ORDER NUMBER"])
        with self.engine.connect() as conn:
            return conn.execute(query.offset(n).limit(1)).one()._asdict()

    def item(self, item_id: int) -> ItemRecord:
        [record] = self.client.get_items([item_id])
        return record


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[Synced]:
    """init_demo(40 orders) -> change detection + engine into a fresh emulator; verify starts clean."""
    demo = init_demo(tmp_path, orders=ORDERS)
    config = load_config(demo.config_path)
    engine, tables = open_db(config, ENV)
    emulator, _clock = make_emulator()
    try:
        with open_client(config, ENV, transport=EmulatorTransport(emulator)) as client:
            summary = run_with(config, ENV, SyncOptions(), client=client, db=engine, tables=tables)
            assert summary.status == "SUCCEEDED"
            yield Synced(config, engine, tables, client, emulator)
    finally:
        engine.dispose()


def only(report: VerifyReport, category: str) -> list[Any]:
    """The entries of ``category``, asserting every other mismatch category is empty."""
    others = {c: report.counts[c] for c in MISMATCH_CATEGORIES if c != category}
    assert others == dict.fromkeys(others, 0), others
    entries: list[Any] = getattr(report, category)
    assert report.counts[category] == len(entries) >= 1
    assert not report.ok
    return entries


def test_clean_after_sync(synced: Synced) -> None:
    """Right after a sync every SYNCED row and line matches the board: ok, nothing listed."""
    report = synced.verify()
    assert report.ok, report.as_dict()
    assert report.counts == dict.fromkeys(report.counts, 0)
    assert report.board_items == report.synced_rows == report.checked_items == ORDERS
    with synced.engine.connect() as conn:
        lines = conn.execute(sa.select(sa.func.count()).select_from(synced.tables.lines)).scalar_one()
    assert report.board_subitems == lines > 0


@pytest.mark.parametrize(("archive", "reason"), [(False, "deleted on monday"), (True, "archived on monday")])
def test_deleted_or_archived_item_is_missing(synced: Synced, archive: bool, reason: str) -> None:
    """An item deleted (or archived) on the board is listed as missing, with what monday says of it."""
    row = synced.row(3)
    [outcome] = synced.client.delete_items([row["monday_item_id"]], archive=archive, idempotency_key="tamper")
    assert outcome.ok
    [missing] = only(synced.verify(), "missing")
    assert (missing.order_number, missing.item_id, missing.reason) == (
        row["AAG ORDER NUMBER"], row["monday_item_id"], reason,
    )


def test_extra_item_is_orphan(synced: Synced) -> None:
    """An item created on the board for an order the database does not know is an orphan."""
    values = {synced.column("AAG ORDER NUMBER"): "ZZZ-999999"}
    stray = NewItem("x", "Stray order", None, values)
    [made] = synced.client.create_items(synced.board_id, [stray], create_labels=False, idempotency_key="x")
    [orphan] = only(synced.verify(), "orphans")
    assert (orphan.item_id, orphan.order_number) == (made.item_id, "ZZZ-999999")
    assert "no target row" in orphan.reason


def test_second_item_with_same_order_is_duplicate(synced: Synced) -> None:
    """A second item with an existing order number is a duplicate (not an orphan), naming the linked one."""
    row = synced.row(5)
    values = {synced.column("AAG ORDER NUMBER"): row["AAG ORDER NUMBER"]}
    [made] = synced.client.create_items(
        synced.board_id, [NewItem("d", "Copy", None, values)], create_labels=False, idempotency_key="dup"
    )
    [duplicate] = only(synced.verify(), "duplicates")
    assert duplicate.order_number == row["AAG ORDER NUMBER"]
    assert set(duplicate.item_ids) == {row["monday_item_id"], made.item_id}
    assert duplicate.linked_item_id == row["monday_item_id"]


@pytest.mark.parametrize(
    ("db_column", "board_value", "shown"),
    [
        ("PO NUMBER", "TAMPERED-PO", "TAMPERED-PO"),
        ("CUSTOMER PRICE", "1234.5", "1234.5"),
        ("EX FACTORY DATE", {"date": "2031-01-02"}, "2031-01-02"),
        ("STYLE DESCRIPTION", {"text": "Hand edited"}, "Hand edited"),
        ("ORDER TYPE", {"labels": ["PRE-BOOK"]}, "PRE-BOOK"),
    ],
    ids=["text", "numbers", "date", "long_text", "dropdown"],
)
def test_changed_value_is_value_mismatch(
    synced: Synced, db_column: str, board_value: object, shown: str
) -> None:
    """A value changed on the board is a value mismatch naming the order, the column, expected and actual."""
    row = synced.row(7)
    if db_column == "ORDER TYPE" and row["ORDER TYPE"] == "PRE-BOOK":
        board_value, shown = {"labels": ["RECEIVED"]}, "RECEIVED"
    column = synced.column(db_column)
    [outcome] = synced.client.update_items(
        synced.board_id, [ItemUpdate("u", row["monday_item_id"], {column: board_value})],
        create_labels=False, idempotency_key="edit",
    )
    assert outcome.ok, outcome.error
    [mismatch] = only(synced.verify(), "value_mismatches")
    assert (mismatch.order_number, mismatch.item_id) == (row["AAG ORDER NUMBER"], row["monday_item_id"])
    assert (mismatch.column, mismatch.db_column) == (column, db_column)
    assert mismatch.actual == shown
    assert mismatch.expected is not None
    assert mismatch.expected != shown


def test_numbers_compare_by_value(synced: Synced) -> None:
    """The same number written differently on the board (1.5 vs 1.5000) is not a mismatch."""
    row = synced.row(2)
    column = synced.column("ADMINISTRATION FEE")
    rewritten = format(row["ADMINISTRATION FEE"].normalize(), "f")
    assert synced.item(row["monday_item_id"]).values[column].text != rewritten
    synced.client.update_items(
        synced.board_id, [ItemUpdate("n", row["monday_item_id"], {column: rewritten})],
        create_labels=False, idempotency_key="num",
    )
    assert synced.item(row["monday_item_id"]).values[column].text == rewritten
    assert synced.verify().ok


def test_deleted_subitem_is_subitem_mismatch(synced: Synced) -> None:
    """A subitem deleted on the board is a subitem mismatch: counts differ and the size is named."""
    row = synced.row(9)
    item = synced.item(row["monday_item_id"])
    assert item.subitem_ids
    lines = synced.tables.lines
    with synced.engine.connect() as conn:
        size = conn.execute(
            sa.select(lines.c.size_code).where(lines.c.monday_subitem_id == item.subitem_ids[0])
        ).scalar_one()
    [outcome] = synced.client.delete_items([item.subitem_ids[0]], idempotency_key="sub")
    assert outcome.ok
    [mismatch] = only(synced.verify(), "subitem_mismatches")
    assert (mismatch.order_number, mismatch.item_id) == (row["AAG ORDER NUMBER"], row["monday_item_id"])
    assert (mismatch.expected, mismatch.actual) == (len(item.subitem_ids), len(item.subitem_ids) - 1)
    assert any(p.startswith(f"size {size} ") for p in mismatch.problems), mismatch.problems


def test_subitem_qty_changed_is_subitem_mismatch(synced: Synced) -> None:
    """A subitem quantity edited on the board is reported with the line's qty and the board's."""
    row = synced.row(11)
    item = synced.item(row["monday_item_id"])
    qty_column = synced.config.environment(ENV).mapping.subitems["qty"].column
    synced.client.update_items(
        synced.subitem_board_id, [ItemUpdate("q", item.subitem_ids[-1], {qty_column: "99999"})],
        create_labels=False, idempotency_key="qty",
    )
    [mismatch] = only(synced.verify(), "subitem_mismatches")
    assert mismatch.expected == mismatch.actual == len(item.subitem_ids)
    [problem] = mismatch.problems
    assert "board has 99999" in problem


def test_pending_rows_are_not_synced_not_mismatches(synced: Synced) -> None:
    """Rows still PENDING/ERROR are listed as not yet synced and do not make verify fail."""
    row = synced.row(0)
    t = synced.tables.target
    with synced.engine.begin() as conn:
        conn.execute(t.update().where(t.c.record_uuid == row["record_uuid"]).values(
            sync_state=SyncState.ERROR.value, sync_error_message="boom",
        ))
    report = synced.verify()
    assert report.ok
    [entry] = report.not_synced
    assert (entry.entity, entry.order_number, entry.state, entry.message) == (
        "ITEM", row["AAG ORDER NUMBER"], "ERROR", "boom",
    )
    assert report.synced_rows == ORDERS - 1


def test_cli_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`ordersync verify` on the demo's persistent emulator: exit 0 and JSON when clean, 1 after tampering."""
    demo = init_demo(tmp_path, orders=12)
    config = load_config(demo.config_path)
    assert run_sync(config, ENV).status == "SUCCEEDED"
    group = click.Group("ordersync")
    register(group)

    def invoke(*args: str) -> tuple[int, str]:
        app = AppContext(config_path=demo.config_path)
        code = run_guarded(lambda: group.main(args=["verify", *args], obj=app, standalone_mode=False))
        return code, capsys.readouterr().out

    code, out = invoke("--json")
    assert code == 0, out
    assert json.loads(out)["ok"] is True
    assert "clean" in invoke()[1]
    engine, tables = open_db(config, ENV)
    try:
        with engine.connect() as conn:
            item_id = conn.execute(sa.select(tables.target.c.monday_item_id).limit(1)).scalar_one()
    finally:
        engine.dispose()
    with open_client(config, ENV) as client:
        client.delete_items([int(item_id)], idempotency_key="cli-tamper")
    code, out = invoke("--json")
    assert code == 1, out
    assert json.loads(out)["counts"]["missing"] == 1
    code, out = invoke()
    assert code == 1
    assert "Missing items" in out
    assert "mismatches found" in out


def _groups_by_size(synced: Synced) -> dict[str, list[int]]:
    members: dict[str, list[int]] = {}
    for item in synced.client.iter_items(synced.board_id):
        members.setdefault(str(item.group_id), []).append(item.id)
    return members


def test_item_moved_to_another_group_is_in_the_wrong_group(synced: Synced) -> None:
    """A person drags an item into another group (on the emulator's board): verify names order and both groups."""
    members = _groups_by_size(synced)
    group_id, ids = next((g, i) for g, i in members.items() if len(i) >= 2)  # its group does not become empty
    elsewhere = synced.client.create_group(synced.board_id, "Somewhere else")
    with synced.emulator.state.lock:  # the emulator has no move mutation; this is the board UI's drag and drop
        synced.emulator.state.items[str(ids[0])].group_id = elsewhere
    [wrong] = only(synced.verify(), "wrong_groups")
    titles = {g.id: g.title for g in synced.client.get_boards([synced.board_id])[0].groups}
    assert (wrong.item_id, wrong.actual_group, wrong.actual_group_id) == (ids[0], "Somewhere else", elsewhere)
    assert wrong.expected_group == titles[group_id]


def test_a_second_group_with_an_ordersync_title_is_a_duplicate_group(synced: Synced) -> None:
    """A group created by hand (or by a retry that lost its answer) with a title ordersync uses."""
    members = _groups_by_size(synced)
    group_id = next(iter(members))
    title = {g.id: g.title for g in synced.client.get_boards([synced.board_id])[0].groups}[group_id]
    copy = synced.client.create_group(synced.board_id, title)
    [duplicate] = only(synced.verify(), "duplicate_groups")
    assert duplicate.title == title and set(duplicate.group_ids) == {group_id, copy}
    assert set(duplicate.items) == set(members[group_id])


def test_a_group_ordersync_created_that_holds_nothing_is_an_empty_group(synced: Synced) -> None:
    """The only order of a group is removed from the database and its item from the board: the group stays empty."""
    members = _groups_by_size(synced)
    group_id, [item_id] = next((g, i) for g, i in members.items() if len(i) == 1)
    t, lines = synced.tables.target, synced.tables.lines
    with synced.engine.begin() as conn:
        uuid = conn.execute(sa.select(t.c.record_uuid).where(t.c.monday_item_id == item_id)).scalar_one()
        conn.execute(lines.delete().where(lines.c.record_uuid == uuid))
        conn.execute(t.delete().where(t.c.record_uuid == uuid))
    [outcome] = synced.client.delete_items([item_id], idempotency_key="empty-it")
    assert outcome.ok
    [empty] = only(synced.verify(), "empty_groups")
    assert empty.group_id == group_id and empty.created_by_run is not None and "sync" in empty.created_by_run
