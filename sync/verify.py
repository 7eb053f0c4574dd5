"""Reconcile the database with the board: does monday hold what ``SYNCED`` promises?

One pass over the subitems board and one over the items board (pages of 500), each page
of items checked against the target rows that link it by ``monday_item_id``; then one
streamed pass over the target for rows whose item is gone. Only an index of the board
(item id -> order number and subitem ids, order number -> item ids, and the mapped
columns of each subitem) is held in memory; database rows are read in bounded chunks.

Findings, each a named list (capped at ``max_listed`` entries; ``counts`` stay exact):

==================  ==========================================================================
missing             a SYNCED row whose item is not an active item of the board
orphans             an active board item no target row links, whose order is not a duplicate
duplicates          two or more active board items carrying one ``AAG ORDER NUMBER``
value_mismatches    a mapped column of a SYNCED row that the board holds differently
subitem_mismatches  lines of a SYNCED row against the subitems under its item (presence, qty)
wrong_groups        a SYNCED row whose item is not in the group its customer and season name
duplicate_groups    a group title ordersync uses on two or more groups of the items board
empty_groups        a group ordersync created (ledger, registry) that holds no active item
not_synced          rows and lines still NEW / PENDING / ERROR: reported, never a mismatch
==================  ==========================================================================

    with open_client(config, env) as client:
        report = verify(config, env, client=client, db=engine, tables=tables)
    sys.exit(0 if report.ok else 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from sync.comparable import comparable_cell, comparable_encoded, comparable_plain, shown
from sync.config import ColumnMapping, Config, EnvironmentConfig
from sync.db import Tables
from sync.errors import ConfigError, ConfigProblem, FatalError
from sync.mapping import BoardColumns, encode_columns
from sync.monday.client import MondayClient
from sync.monday.models import BoardInfo, ColumnValueRecord, ItemRecord
from sync.states import ActionType, SyncState
from sync.verify_groups import GroupCheck, naming_columns
from sync.verify_report import (
    DuplicateOrder,
    MissingItem,
    NotSynced,
    OrphanItem,
    SubitemMismatch,
    ValueMismatch,
    VerifyReport,
)

__all__ = ["verify"]

ORDER_KEY = "AAG ORDER NUMBER"
CHUNK = 500  # board items per DB look-up; well under SQL Server's 2,100 parameters
NOT_SYNCED_STATES = (SyncState.NEW.value, SyncState.PENDING.value, SyncState.ERROR.value)

T = TypeVar("T")


@dataclass(frozen=True)
class _BoardItem:
    order_number: str | None
    name: str
    subitem_ids: tuple[int, ...]


@dataclass(frozen=True)
class _BoardSubitem:
    parent_id: int | None
    name: str
    values: dict[str, ColumnValueRecord]


@dataclass
class _Board:
    """One board's columns as the encoder sees them, plus label id -> name for reading values back."""

    info: BoardInfo
    columns: BoardColumns
    label_names: dict[str, dict[str, str]]

    @classmethod
    def of(cls, info: BoardInfo) -> _Board:
        names: dict[str, dict[str, str]] = {}
        for col in info.columns:
            raw = col.settings.get("labels")
            if isinstance(raw, dict):  # status: {"1": "Done"}
                names[col.id] = {str(k): str(v) for k, v in raw.items() if v}
            elif isinstance(raw, list):  # dropdown: [{"id": 1, "name": "GREYSON"}]
                names[col.id] = {
                    str(label["id"]): str(label.get("name") or "")
                    for label in raw
                    if isinstance(label, dict) and label.get("id") is not None
                }
        return cls(info, BoardColumns.from_board(info), names)


def verify(
    config: Config,
    env_name: str,
    *,
    client: MondayClient,
    db: Engine,
    tables: Tables,
    max_listed: int = 1_000,
) -> VerifyReport:
    """Compare the environment's target and lines tables with its items and subitems boards."""
    return _Verifier(config, env_name, client, db, tables, max_listed).run()


class _Verifier:
    """One verification; methods follow the order of the work."""

    def __init__(
        self, config: Config, env_name: str, client: MondayClient, db: Engine, tables: Tables, max_listed: int
    ) -> None:
        self.env: EnvironmentConfig = config.environment(env_name)
        self.client, self.db, self.tables = client, db, tables
        monday = self.env.monday
        self.report = VerifyReport(env_name, monday.board_id, monday.subitem_board_id, max_listed=max_listed)
        self.item_mapping = _existing(config, env_name, "items", self.env.mapping.items, tables.target)
        self.sub_mapping = {k: v for k, v in self.env.mapping.subitems.items() if k in tables.lines.c}
        order_target = self.env.mapping.items.get(ORDER_KEY)
        if order_target is None:
            raise ConfigError([ConfigProblem(
                str(config.path), f"environments.{env_name}.mapping.items",
                f"{ORDER_KEY!r} is not mapped; verify finds board items by it",
            )])
        self.order_column = order_target.column
        self.naming = config.groups
        selected = {ORDER_KEY, *self.item_mapping}
        self.group_columns = [c for c in naming_columns(config.groups) if c in tables.target.c and c not in selected]
        self.items: dict[int, _BoardItem] = {}
        self.by_order: dict[str, list[int]] = {}
        self.subitems: dict[int, _BoardSubitem] = {}
        self.linked: set[int] = set()

    def run(self) -> VerifyReport:
        self._load_boards()
        self._index_subitems()
        for chunk in _chunks(self.client.iter_items(self.report.board_id), CHUNK):
            self._check_page(chunk)
        self.groups.finish(self.report)
        self._duplicates_and_orphans()
        self._missing()
        self._not_synced()
        return self.report

    # ------------------------------------------------------------------ board
    def _load_boards(self) -> None:
        wanted = (self.report.board_id, self.report.subitem_board_id)
        found = {b.id: b for b in self.client.get_boards(list(wanted))}
        absent = [str(b) for b in wanted if b not in found]
        if absent:
            raise FatalError(f"board(s) {', '.join(absent)} not found or not visible to this token")
        self.board = _Board.of(found[self.report.board_id])
        self.groups = GroupCheck.load(self.db, self.tables, found[self.report.board_id], self.naming)
        self.sub_board = _Board.of(found[self.report.subitem_board_id])

    def _index_subitems(self) -> None:
        keep = {m.column for m in self.sub_mapping.values()}
        for sub in self.client.iter_items(self.report.subitem_board_id):
            values = {k: v for k, v in sub.values.items() if k in keep}
            self.subitems[sub.id] = _BoardSubitem(sub.parent_id, sub.name, values)
        self.report.board_subitems = len(self.subitems)

    # ------------------------------------------------------------- item pages
    def _check_page(self, chunk: Sequence[ItemRecord]) -> None:
        by_id = {item.id: item for item in chunk}
        for item in chunk:
            self.groups.see(item)
            order = _text_of(item.values.get(self.order_column))
            self.items[item.id] = _BoardItem(order, item.name, item.subitem_ids)
            if order:
                self.by_order.setdefault(order, []).append(item.id)
        self.report.board_items += len(chunk)
        t = self.tables.target
        columns = [t.c.record_uuid, t.c[ORDER_KEY], t.c.sync_state, t.c.monday_item_id]
        columns += [t.c[name] for name in self.item_mapping if name != ORDER_KEY]
        columns += [t.c[name] for name in self.group_columns]
        synced: dict[str, ItemRecord] = {}
        orders: dict[str, str] = {}
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(*columns).where(t.c.monday_item_id.in_(list(by_id))))
            for row in (r._asdict() for r in rows):
                item = by_id[int(row["monday_item_id"])]
                self.linked.add(item.id)
                if row["sync_state"] != SyncState.SYNCED.value:
                    continue
                self.report.checked_items += 1
                self._compare_values(row, item)
                self.groups.expect(str(row[ORDER_KEY]), row, item, self.report)
                synced[str(row["record_uuid"])] = item
                orders[str(row["record_uuid"])] = str(row[ORDER_KEY])
            if synced:
                self._compare_subitems(conn, synced, orders)

    def _compare_values(self, row: Mapping[str, Any], item: ItemRecord) -> None:
        order = str(row[ORDER_KEY])
        encoded = encode_columns(row, self.item_mapping, self.board.columns, describe=f"order {order}")
        for mismatch in _column_mismatches(row, encoded.values, self.item_mapping, self.board, item.values):
            self.report.add("value_mismatches", ValueMismatch(order, item.id, **mismatch))

    def _compare_subitems(
        self, conn: Connection, synced: Mapping[str, ItemRecord], orders: Mapping[str, str]
    ) -> None:
        lines = self.tables.lines
        extra = [lines.c[name] for name in self.sub_mapping if name not in ("size_code", "qty")]
        query = sa.select(
            lines.c.record_uuid, lines.c.size_code, lines.c.qty, lines.c.sync_state, lines.c.action_type,
            lines.c.monday_subitem_id, *extra,
        ).where(lines.c.record_uuid.in_(list(synced))).order_by(lines.c.record_uuid, lines.c.size_code)
        grouped: dict[str, list[dict[str, Any]]] = {uuid: [] for uuid in synced}
        for line in conn.execute(query):
            grouped[str(line.record_uuid)].append(line._asdict())
        for uuid, item in synced.items():
            found = self._subitem_problems(orders[uuid], item, grouped[uuid])
            if found is not None:
                self.report.add("subitem_mismatches", found)

    def _subitem_problems(
        self, order: str, item: ItemRecord, lines: Sequence[Mapping[str, Any]]
    ) -> SubitemMismatch | None:
        on_board = set(item.subitem_ids)
        known = {int(line["monday_subitem_id"]) for line in lines if line["monday_subitem_id"] is not None}
        problems: list[str] = []
        expected = 0
        for line in lines:
            if line["sync_state"] != SyncState.SYNCED.value:
                continue
            size, qty = line["size_code"], int(line["qty"])
            sid = int(line["monday_subitem_id"]) if line["monday_subitem_id"] is not None else None
            expected += qty > 0
            if line["action_type"] == ActionType.DELETE.value:
                if sid in on_board:
                    problems.append(f"size {size}: subitem {sid} should have been deleted")
                continue
            if sid is None or sid not in on_board:
                if qty > 0:
                    where = "no subitem id" if sid is None else f"subitem {sid} is not under the item"
                    problems.append(f"size {size} (qty {qty}): {where}")
                continue
            sub = self.subitems.get(sid)
            if sub is None:
                board = self.report.subitem_board_id
                problems.append(f"size {size}: subitem {sid} is not on subitems board {board}")
                continue
            describe = f"order {order} size {size}"
            encoded = encode_columns(line, self.sub_mapping, self.sub_board.columns, describe=describe).values
            for diff in _column_mismatches(line, encoded, self.sub_mapping, self.sub_board, sub.values):
                problems.append(
                    f"size {size}: {diff['title']} expected {diff['expected']}, board has {diff['actual']}"
                )
        for sid in sorted(on_board - known):
            sub = self.subitems.get(sid)
            name = sub.name if sub else "?"
            problems.append(f"subitem {sid} ({name}) has no line in {self.tables.lines.name}")
        if not problems:
            return None
        return SubitemMismatch(order, item.id, expected, len(on_board), tuple(problems))

    # ------------------------------------------------------- after the board
    def _duplicates_and_orphans(self) -> None:
        in_duplicates: set[int] = set()
        for order, ids in self.by_order.items():
            if len(ids) < 2:
                continue
            in_duplicates.update(ids)
            linked = next((i for i in ids if i in self.linked), None)
            self.report.add("duplicates", DuplicateOrder(order, tuple(ids), linked))
        unlinked = [i for i in self.items if i not in self.linked and i not in in_duplicates]
        t = self.tables.target
        for chunk in _chunks(unlinked, CHUNK):
            wanted = {o for i in chunk if (o := self.items[i].order_number)}
            known: dict[str, dict[str, Any]] = {}
            if wanted:
                with self.db.connect() as conn:
                    query = sa.select(t.c[ORDER_KEY], t.c.sync_state, t.c.monday_item_id).where(
                        t.c[ORDER_KEY].in_(sorted(wanted))
                    )
                    known = {str(r[0]): r._asdict() for r in conn.execute(query)}
            for item_id in chunk:
                entry = self.items[item_id]
                self.report.add("orphans", OrphanItem(
                    item_id, entry.order_number, entry.name, _orphan_reason(entry.order_number, known),
                ))

    def _missing(self) -> None:
        t = self.tables.target
        query = sa.select(t.c.record_uuid, t.c[ORDER_KEY], t.c.monday_item_id).where(
            t.c.sync_state == SyncState.SYNCED.value
        )
        with self.db.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=CHUNK).execute(query)
            for record_uuid, order, item_id in rows:
                self.report.synced_rows += 1
                if item_id is None:
                    entry = MissingItem(str(order), str(record_uuid), None, "SYNCED without a monday item id")
                    self.report.add("missing", entry)
                elif int(item_id) not in self.items:
                    entry = MissingItem(str(order), str(record_uuid), int(item_id), "not on the board")
                    self.report.add("missing", entry)
        self._explain_missing()

    def _explain_missing(self) -> None:
        """Ask monday what happened to the listed missing items (deleted, archived, on another board)."""
        ids = [m.item_id for m in self.report.missing if m.item_id is not None]
        if not ids:
            return
        seen = {item.id: item for item in self.client.get_items(ids)}
        explained = []
        for entry in self.report.missing:
            found = seen.get(entry.item_id) if entry.item_id is not None else None
            if entry.item_id is None:
                explained.append(entry)
            elif found is None:
                explained.append(replace(entry, reason="not found on monday"))
            elif found.state and found.state != "active":
                explained.append(replace(entry, reason=f"{found.state} on monday"))
            else:
                explained.append(replace(entry, reason="active on monday but not on this board"))
        self.report.missing = explained

    def _not_synced(self) -> None:
        t, lines = self.tables.target, self.tables.lines
        headers = sa.select(
            sa.literal("ITEM"), t.c[ORDER_KEY], t.c.record_uuid, t.c.sync_state, t.c.action_type,
            t.c.sync_error_message,
        ).where(t.c.sync_state.in_(NOT_SYNCED_STATES)).order_by(t.c[ORDER_KEY])
        line_rows = sa.select(
            sa.literal("SUBITEM"), t.c[ORDER_KEY], lines.c.line_uuid, lines.c.sync_state, lines.c.action_type,
            lines.c.sync_error_message,
        ).join_from(lines, t, lines.c.record_uuid == t.c.record_uuid).where(
            lines.c.sync_state.in_(NOT_SYNCED_STATES)
        ).order_by(t.c[ORDER_KEY], lines.c.size_code)
        with self.db.connect() as conn:
            streamed = conn.execution_options(stream_results=True, yield_per=CHUNK)
            for query in (headers, line_rows):
                for entity, order, key, state, action, message in streamed.execute(query):
                    order_number = None if order is None else str(order)
                    entry = NotSynced(str(entity), order_number, str(key), str(state), action, message)
                    self.report.add("not_synced", entry)


# ---------------------------------------------------------------- comparison
def _column_mismatches(
    row: Mapping[str, Any],
    encoded: Mapping[str, object],
    mapping: Mapping[str, ColumnMapping],
    board: _Board,
    cells: Mapping[str, ColumnValueRecord],
) -> Iterator[dict[str, Any]]:
    """Per mapped column: expected (encoded DB value) against the board's cell, normalised per type."""
    for db_column, target in mapping.items():
        column = target.column
        column_type = board.columns.types.get(column)
        title = board.columns.titles.get(column, column)
        raw = row.get(db_column)
        present = raw is not None and not (isinstance(raw, str) and not raw.strip())
        if column_type is None:
            if present:
                yield _diff(column, db_column, title, shown(raw), None, "column is not on the board")
            continue
        labels = board.label_names.get(column, {})
        actual = comparable_cell(column_type, cells.get(column), labels)
        note = None
        if column in encoded:
            expected = comparable_encoded(column_type, encoded[column], labels)
        elif present:  # the encoder refused it: compare the plain value and say why
            expected, note = comparable_plain(column_type, raw), "value cannot be encoded for this column"
        else:
            expected = None
        if expected != actual:
            yield _diff(column, db_column, title, shown(expected), shown(actual), note)


def _diff(
    column: str, db_column: str, title: str, expected: str | None, actual: str | None, note: str | None
) -> dict[str, Any]:
    return {"column": column, "db_column": db_column, "title": title, "expected": expected,
            "actual": actual, "note": note}


# ------------------------------------------------------------------- helpers
def _text_of(cell: ColumnValueRecord | None) -> str | None:
    text = (cell.text or "").strip() if cell else ""
    return text or None


def _orphan_reason(order: str | None, known: Mapping[str, Mapping[str, Any]]) -> str:
    if not order:
        return "no AAG ORDER NUMBER on the board"
    row = known.get(order)
    if row is None:
        return f"no target row for order {order}"
    if row["monday_item_id"] is None:
        return f"the target row for order {order} ({row['sync_state']}) has no monday item id yet"
    return f"the target row for order {order} links item {row['monday_item_id']}"


def _existing(
    config: Config, env_name: str, kind: str, mapping: Mapping[str, ColumnMapping], table: sa.Table
) -> dict[str, ColumnMapping]:
    missing = [name for name in mapping if name not in table.c]
    if missing:
        raise ConfigError([
            ConfigProblem(str(config.path), f"environments.{env_name}.mapping.{kind}.{name!r}",
                          f"column does not exist in {table.name}")
            for name in missing
        ])
    return dict(mapping)


def _chunks(values: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
