"""Lost and duplicated records, reconciled from staging: every eligible order and line is on the board once.

The staging table is the source of truth, not the target table: an order that never reached
``FACT_ORDER_LIST`` (a crash between steps, a filter that dropped it) is as lost as one whose
create never reached monday. For one load-test user::

    rec = reconcile_staging(engine, tables, env, emulator.state, board_id="12", subitem_board_id="13")

* eligible orders: staging rows with a business key that is present and unique (the rule
  :func:`sync.changes.detect_changes` applies); eligible lines: their sizes with qty > 0,
  unless the order type is cancelled;
* on the board: live (not deleted, not archived) items of the user's board, found by the
  ``AAG ORDER NUMBER`` column of the config's mapping, and live subitems under them, found by
  the mapped ``size_code`` column;
* not synced: eligible rows whose target/lines row is not ``SYNCED`` with a monday id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from sync.config import Config, EnvironmentConfig
from sync.db import Tables
from sync.emulator.model import Item
from sync.emulator.state import EmulatorState
from sync.states import SyncState

__all__ = ["KEY_COLUMN", "SIZE_KEY", "Reconciliation", "reconcile_staging"]

KEY_COLUMN = "AAG ORDER NUMBER"  # the business key of an order (rule 2 of the design)
SIZE_KEY = "size_code"  # the lines column that identifies a subitem under its order
_MAX_PROBLEMS = 50


@dataclass(frozen=True)
class Reconciliation:
    """Staging vs the board: every eligible staging order and line must be on the board exactly once.

    ``lost``: an eligible order or line with no live item/subitem on the user's board (also rows that
    never reached the target table). ``duplicated``: extra copies, and items no staging row asks for.
    ``not_synced``: eligible rows whose target/lines row is not ``SYNCED`` with a monday id.
    """

    orders: int = 0
    lines: int = 0
    lost: int = 0
    duplicated: int = 0
    not_synced: int = 0
    problems: tuple[str, ...] = ()

    def __add__(self, other: Reconciliation) -> Reconciliation:
        return Reconciliation(
            self.orders + other.orders,
            self.lines + other.lines,
            self.lost + other.lost,
            self.duplicated + other.duplicated,
            self.not_synced + other.not_synced,
            (self.problems + other.problems)[:_MAX_PROBLEMS],
        )


def _eligible(conn: sa.Connection, tables: Tables, cancelled: Iterable[str]) -> tuple[set[str], set[tuple[str, str]]]:
    staging = tables.staging
    key = staging.c[KEY_COLUMN]
    dup_keys = sa.select(key).where(key.is_not(None)).group_by(key).having(sa.func.count() > 1)
    valid = sa.and_(key.is_not(None), sa.func.trim(key) != "", key.not_in(dup_keys))
    sizes = tables.size_columns(staging)
    rows = conn.execute(sa.select(key, staging.c["ORDER TYPE"], *sizes).where(valid)).all()
    cancelled_types = set(cancelled)
    orders = {str(r[0]) for r in rows}
    lines = {
        (str(r[0]), col.name)
        for r in rows
        if r[1] not in cancelled_types
        for col, qty in zip(sizes, r[2:], strict=True)
        if (qty or 0) > 0
    }
    return orders, lines


def _synced(conn: sa.Connection, tables: Tables) -> tuple[set[str], set[tuple[str, str]]]:
    target, lines = tables.target, tables.lines
    done = SyncState.SYNCED.value
    orders = conn.execute(
        sa.select(target.c[KEY_COLUMN]).where(target.c.sync_state == done, target.c.monday_item_id.is_not(None))
    ).scalars()
    line_rows = conn.execute(
        sa.select(target.c[KEY_COLUMN], lines.c.size_code)
        .select_from(lines.join(target, lines.c.record_uuid == target.c.record_uuid))
        .where(lines.c.sync_state == done, lines.c.monday_subitem_id.is_not(None))
    ).all()
    return {str(o) for o in orders}, {(str(o), str(s)) for o, s in line_rows}


def _on_board(
    state: EmulatorState, env: EnvironmentConfig, board_id: str, subitem_board_id: str
) -> tuple[Counter[str], Counter[tuple[str, str]], list[str]]:
    """Live items by order number and live subitems by (order number, size), as monday would list them."""
    problems: list[str] = []
    key_map = env.mapping.items.get(KEY_COLUMN)
    size_map = env.mapping.subitems.get(SIZE_KEY)
    if key_map is None:
        problems.append(f"mapping.items has no {KEY_COLUMN!r}: orders cannot be found on the board")
    if size_map is None:
        problems.append(f"mapping.subitems has no {SIZE_KEY!r}: lines cannot be found on the board")
    with state.lock:
        live: list[Item] = [i for i in state.items.values() if i.state == "active"]
        items = {i.id: i for i in live if i.board_id == board_id and i.parent_id is None}
        subitems = [i for i in live if i.board_id == subitem_board_id]
        orders: Counter[str] = Counter()
        number: dict[str, str] = {}
        for item in items.values():
            value = item.values.get(key_map.column) if key_map else None
            number[item.id] = value.text if value and value.text else f"<item {item.id} without {KEY_COLUMN}>"
            orders[number[item.id]] += 1
        lines: Counter[tuple[str, str]] = Counter()
        for sub in subitems:
            value = sub.values.get(size_map.column) if size_map else None
            parent = number.get(sub.parent_id or "", f"<parent {sub.parent_id} not on the board>")
            lines[(parent, value.text if value and value.text else f"<subitem {sub.id} without size>")] += 1
    return orders, lines, problems


def reconcile_staging(
    db: sa.Engine,
    tables: Tables,
    config: Config,
    env_name: str,
    state: EmulatorState,
    *,
    board_id: str,
    subitem_board_id: str,
) -> Reconciliation:
    """Compare one user's staging table with its board pair in the emulator (see the module doc)."""
    env = config.environment(env_name)
    with db.connect() as conn:
        want_orders, want_lines = _eligible(conn, tables, config.change_detection.cancelled_order_types)
        synced_orders, synced_lines = _synced(conn, tables)
    have_orders, have_lines, problems = _on_board(state, env, board_id, subitem_board_id)
    lost_orders = sorted(o for o in want_orders if have_orders[o] == 0)
    lost_lines = sorted(line for line in want_lines if have_lines[line] == 0)
    extra_orders = sum(
        n - 1 if o in want_orders else n for o, n in have_orders.items() if n > 1 or o not in want_orders
    )
    extra_lines = sum(n - 1 if k in want_lines else n for k, n in have_lines.items() if n > 1 or k not in want_lines)
    not_synced = len(want_orders - synced_orders) + len(want_lines - synced_lines)
    if lost_orders or lost_lines:
        problems.append(
            f"board {board_id}: {len(lost_orders)} staging order(s) and {len(lost_lines)} line(s) not on the board, "
            f"e.g. {(lost_orders or [f'{o} size {s}' for o, s in lost_lines])[:3]}"
        )
    if extra_orders or extra_lines:
        twice = sorted(o for o, n in have_orders.items() if n > 1)[:3]
        problems.append(
            f"board {board_id}: {extra_orders} extra item(s) and {extra_lines} extra subitem(s)"
            + (f", e.g. order {twice} on the board more than once" if twice else "")
        )
    if not_synced:
        problems.append(f"board {board_id}: {not_synced} eligible staging row(s) not SYNCED in the database")
    return Reconciliation(
        len(want_orders),
        len(want_lines),
        len(lost_orders) + len(lost_lines),
        extra_orders + extra_lines,
        not_synced,
        tuple(problems),
    )
