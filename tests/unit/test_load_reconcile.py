"""Staging reconciliation: every eligible staging order and line on the board exactly once.

A real engine run (``sync.engine.run_with``) writes to an in-process emulator; the
reconciliation reads the staging table, the database and the emulator's boards. Each test then
plants one defect on the board or in staging and expects it counted and named.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.config import Config, load_config
from sync.connect import EMULATOR_TOKEN, build_client
from sync.db import Tables, build_tables, create_schema, make_engine
from sync.demo import generate_orders, insert_orders, shipped_config_path
from sync.emulator import build_emulator
from sync.emulator.app import Emulator
from sync.emulator.model import Item
from sync.emulator.transport import EmulatorTransport
from sync.engine import SyncOptions, run_with
from validation.load.reconcile import KEY_COLUMN, Reconciliation, reconcile_staging
from validation.load.rules import ENV_NAME, load_profile, user_config


@dataclasses.dataclass
class Synced:
    """One user's synced database and board pair."""

    emulator: Emulator
    config: Config
    db: sa.Engine
    tables: Tables
    board: str
    sub: str

    def reconcile(self) -> Reconciliation:
        """Reconcile this user's staging with its boards."""
        return reconcile_staging(
            self.db,
            self.tables,
            self.config,
            ENV_NAME,
            self.emulator.state,
            board_id=self.board,
            subitem_board_id=self.sub,
        )


@pytest.fixture
def synced(tmp_path: Path) -> Synced:
    """20 generated orders synced by the real engine onto a cloned board pair."""
    emulator = build_emulator(require_token=False)
    base = load_config(shipped_config_path())
    board, sub = emulator.clone_boards(base.environment(ENV_NAME).monday.board_id)
    assert sub is not None
    db_url = f"sqlite:///{tmp_path / 'orders.db'}"
    config = user_config(base, load_profile("ci"), "http://emulator.local", db_url, int(board), int(sub))
    tables, db = build_tables(), make_engine(db_url)
    create_schema(db, tables)
    insert_orders(db, tables.staging, generate_orders(20, 11))
    client = build_client(config, ENV_NAME, EmulatorTransport(emulator), EMULATOR_TOKEN)
    summary = run_with(config, ENV_NAME, SyncOptions(), client=client, db=db, tables=tables)
    assert summary.status == "SUCCEEDED"
    return Synced(emulator, config, db, tables, board, sub)


def _an_item(s: Synced) -> Item:
    return next(i for i in s.emulator.state.items.values() if i.board_id == s.board and i.parent_id is None)


def test_a_clean_run_reconciles_every_staging_order_and_line(synced: Synced) -> None:
    """20 orders and their lines: none lost, none duplicated, all SYNCED."""
    rec = synced.reconcile()
    assert rec.orders == 20 and rec.lines > 20
    assert (rec.lost, rec.duplicated, rec.not_synced, rec.problems) == (0, 0, 0, ())


def test_an_order_that_never_reached_the_target_table_is_lost(synced: Synced) -> None:
    """A staging row the run never saw: not on the board, not SYNCED; the old DB-side check could not see it."""
    insert_orders(synced.db, synced.tables.staging, generate_orders(1, 99, start=5_000))
    rec = synced.reconcile()
    assert rec.lost >= 1 and rec.not_synced >= 1
    assert "not on the board" in rec.problems[0]


def test_a_deleted_item_is_lost_with_its_lines(synced: Synced) -> None:
    """An item gone from the board loses the order and every line under it."""
    item = _an_item(synced)
    item.state = "deleted"
    for sub_id in item.subitem_ids:
        synced.emulator.state.items[sub_id].state = "deleted"
    rec = synced.reconcile()
    assert rec.lost == 1 + len(item.subitem_ids) and rec.duplicated == 0


def test_an_order_on_the_board_twice_is_a_duplicate_naming_the_order(synced: Synced) -> None:
    """A second live item with the same order number is a duplicate, named in the problems."""
    item = _an_item(synced)
    synced.emulator.state.items["990000001"] = dataclasses.replace(item, id="990000001", subitem_ids=[])
    rec = synced.reconcile()
    column = synced.config.environment(ENV_NAME).mapping.items[KEY_COLUMN].column
    assert rec.duplicated == 1 and rec.lost == 0
    assert item.values[column].text in " ".join(rec.problems)
