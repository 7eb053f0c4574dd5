"""Each kind of write as a :class:`~sync.engine.writer.Write`: what it sends, looks up and writes back.

Groups, item creates / updates / moves, and subitem creates / updates / deletes all go
through :class:`~sync.engine.writer.Writer`; these classes hold only what differs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from sync.engine import recovery, store
from sync.engine.ledger import Entity, Intent, OpKind, OpStatus
from sync.engine.options import RunParts
from sync.engine.plan import Batch, ItemOp, SubitemOp
from sync.engine.writer import Answer, Write
from sync.errors import FatalError, RetriableError
from sync.monday.models import ItemUpdate, NewItem, NewSubitem

__all__ = ["GroupWrite", "ItemWrite", "MoveWrite", "SubitemWrite", "group_key"]

Pairs = Sequence[tuple[Intent, Answer]]


def group_key(name: str) -> str:
    """The ledger's record key for a group name (at most 64 characters, unique per name)."""
    return name if len(name) <= 64 else f"{name[:55]}#{hashlib.sha1(name.encode()).hexdigest()[:8]}"


class GroupWrite(Write):
    """Create the groups a chunk needs; ``known`` (name -> id) is updated with what exists afterwards."""

    kind = OpKind.CREATE_GROUP

    def __init__(self, run: RunParts, names: Sequence[str], known: dict[str, str]) -> None:
        board = run.env.monday.board_id
        super().__init__(
            run,
            [Intent(OpKind.CREATE_GROUP, Entity.GROUP, board, group_key(n), after={"group_name": n}) for n in names],
        )
        self.names = {group_key(n): n for n in names}
        self.known = known
        self.refused: dict[str, str] = {}

    def send(self, idempotency_key: str) -> dict[str, Answer]:
        board = self.run.env.monday.board_id
        names = list(self.names.values())
        answers = self.run.client.create_groups(board, names, idempotency_key=idempotency_key)
        return {
            group_key(name): Answer(OpStatus.APPLIED, value)
            if isinstance(value, str)
            else Answer(OpStatus.FAILED, None, str(value))
            for name, value in answers.items()
        }

    def resolve(self, missing: Sequence[Intent]) -> dict[str, Answer]:
        found = recovery.find_groups(self.run, [self.names[i.record_key] for i in missing])
        return {group_key(n): Answer(OpStatus.ADOPTED, gid) for n, gid in found.items()}

    def write_back(self, conn: Connection, settled: Pairs) -> None:
        created = {self.names[i.record_key]: str(a.monday_id) for i, a in settled if a.ok}
        store.register_groups(conn, self.run, self.run.env.monday.board_id, created, self.run.run_id)
        self.known.update(created)
        self.run.counters.add(groups_created=len(created))
        for intent, answer in settled:
            name = self.names[intent.record_key]
            if not answer.ok:
                self.refused[name] = f"monday refused to create group {name!r}: {answer.error}"


class ItemWrite(Write):
    """Create or update one batch of items."""

    def __init__(
        self, run: RunParts, batch: Batch[ItemOp], groups: Mapping[str, str], board_values: Mapping[int, Any]
    ) -> None:
        self.kind, self.batch, self.groups = batch.kind, batch, groups
        self.ops = {op.record_uuid: op for op in batch.ops}
        update = batch.kind is OpKind.UPDATE_ITEM
        board = run.env.monday.board_id
        intents = [
            Intent(
                batch.kind,
                Entity.ITEM,
                board,
                op.record_uuid,
                str(op.item_id) if update else None,
                before={**op.before, "monday_values": board_values.get(op.item_id or 0, {})},
                after={"name": op.name, "group": op.group_name, "values": op.values},
            )
            for op in batch.ops
        ]
        super().__init__(run, intents)

    def send(self, idempotency_key: str) -> dict[str, Answer]:
        client, board, labels = self.run.client, self.run.env.monday.board_id, self.batch.create_labels
        if self.kind is OpKind.UPDATE_ITEM:
            ups = [ItemUpdate(op.record_uuid, int(op.item_id or 0), op.values) for op in self.batch.ops]
            outcomes = client.update_items(board, ups, create_labels=labels, idempotency_key=idempotency_key)
        else:
            new = [NewItem(op.record_uuid, op.name, self.groups[op.group_name], op.values) for op in self.batch.ops]
            outcomes = client.create_items(board, new, create_labels=labels, idempotency_key=idempotency_key)
        return dict(self.answer(o) for o in outcomes)

    def resolve(self, missing: Sequence[Intent]) -> dict[str, Answer]:
        if self.kind is OpKind.UPDATE_ITEM:
            return super().resolve(missing)
        found = recovery.find_items(self.run, {i.record_key: self.ops[i.record_key].order_number for i in missing})
        return {key: Answer(OpStatus.ADOPTED, str(item_id)) for key, item_id in found.items()}

    def write_back(self, conn: Connection, settled: Pairs) -> None:
        counters, synced, errors = self.run.counters, [], []
        for intent, answer in settled:
            op = self.ops[intent.record_key]
            if answer.ok:
                item_id = op.item_id if self.kind is OpKind.UPDATE_ITEM else int(str(answer.monday_id))
                gid = self.groups.get(op.group_name)
                synced.append(
                    {"record_uuid": op.record_uuid, "item_id": item_id, "group_id": gid, "group_name": op.group_name}
                    | {"item_name": op.name}
                )
                counters.note_customer(op.customer, True)
            elif not answer.requeue:
                message = f"order {op.order_number}: {answer.error}"
                errors.append((op.record_uuid, message))
                counters.note_error("ITEM", op.order_number, message)
                counters.note_customer(op.customer, False)
        done = "items_updated" if self.kind is OpKind.UPDATE_ITEM else "items_created"
        counters.add(**{done: len(synced), "adopted": sum(1 for _, a in settled if a.status is OpStatus.ADOPTED)})
        store.mark_items_synced(conn, self.run, synced)
        store.mark_item_errors(conn, self.run, errors)


class MoveWrite(Write):
    """Move items whose group changed (customer or season edited) into their new group."""

    kind = OpKind.MOVE_ITEM

    def __init__(self, run: RunParts, batch: Batch[ItemOp], groups: Mapping[str, str]) -> None:
        self.batch, self.groups = batch, groups
        self.ops = {op.record_uuid: op for op in batch.ops}
        board = run.env.monday.board_id
        intents = [
            Intent(
                OpKind.MOVE_ITEM,
                Entity.ITEM,
                board,
                op.record_uuid,
                str(op.item_id),
                before={"group_id": op.before.get("group_id"), "group_name": op.moved_from},
                after={"group_id": groups[op.group_name], "group_name": op.group_name},
            )
            for op in batch.ops
        ]
        super().__init__(run, intents)
        self.failed: set[str] = set()

    def send(self, idempotency_key: str) -> dict[str, Answer]:
        moves = [(op.record_uuid, int(op.item_id or 0), self.groups[op.group_name]) for op in self.batch.ops]
        outcomes = self.run.client.move_items_to_group(moves, idempotency_key=idempotency_key)
        return dict(self.answer(o) for o in outcomes)

    def write_back(self, conn: Connection, settled: Pairs) -> None:
        errors = []
        for intent, answer in settled:
            if answer.ok:
                continue
            op = self.ops[intent.record_key]
            self.failed.add(op.record_uuid)
            if not answer.requeue:
                message = f"order {op.order_number}: could not move to group {op.group_name!r}: {answer.error}"
                errors.append((op.record_uuid, message))
                self.run.counters.note_error("ITEM", op.order_number, message)
        self.run.counters.add(items_moved=sum(1 for _, a in settled if a.ok))
        store.mark_item_errors(conn, self.run, errors)


class SubitemWrite(Write):
    """Create, update or delete one batch of subitems (the subitems board)."""

    def __init__(self, run: RunParts, batch: Batch[SubitemOp], board_values: Mapping[int, Any]) -> None:
        self.kind, self.batch = batch.kind, batch
        self.ops = {op.line_uuid: op for op in batch.ops}
        board = run.env.monday.subitem_board_id
        intents = [
            Intent(
                batch.kind,
                Entity.SUBITEM,
                board,
                op.line_uuid,
                str(op.subitem_id) if op.subitem_id else None,
                before={
                    **op.before,
                    "monday_values": board_values.get(op.subitem_id or 0, {}),
                    "parent_item_id": op.parent_item_id,
                    "name": op.name,
                },
                after={"values": op.values},
            )
            for op in batch.ops
        ]
        super().__init__(run, intents)

    def send(self, idempotency_key: str) -> dict[str, Answer]:
        client, ops, labels = self.run.client, self.batch.ops, self.batch.create_labels
        if self.kind is OpKind.CREATE_SUBITEM:
            subs = [NewSubitem(op.line_uuid, op.parent_item_id, op.name, op.values) for op in ops]
            return dict(
                self.answer(o)
                for o in client.create_subitems(subs, create_labels=labels, idempotency_key=idempotency_key)
            )
        if self.kind is OpKind.UPDATE_SUBITEM:
            ups = [ItemUpdate(op.line_uuid, int(op.subitem_id or 0), op.values) for op in ops]
            board = self.run.env.monday.subitem_board_id
            return dict(
                self.answer(o)
                for o in client.update_items(board, ups, create_labels=labels, idempotency_key=idempotency_key)
            )
        return self._deleted(
            client.delete_items([int(op.subitem_id or 0) for op in ops], idempotency_key=idempotency_key)
        )

    def partial(self, exc: RetriableError | FatalError) -> dict[str, Answer]:
        completed = getattr(exc, "completed", None) or ()
        return self._deleted(completed) if self.kind is OpKind.DELETE_SUBITEM else super().partial(exc)

    def _deleted(self, outcomes: Any) -> dict[str, Answer]:
        """delete_items answers by subitem id: map back to line keys."""
        by_id = {str(op.subitem_id): op.line_uuid for op in self.batch.ops}
        return {by_id[k]: a for k, a in (self.answer(o) for o in outcomes) if k in by_id}

    def resolve(self, missing: Sequence[Intent]) -> dict[str, Answer]:
        if self.kind is not OpKind.CREATE_SUBITEM:
            return super().resolve(missing)
        wanted = {i.record_key: (self.ops[i.record_key].parent_item_id, self.ops[i.record_key].name) for i in missing}
        found = recovery.find_subitems(self.run, wanted)
        return {key: Answer(OpStatus.ADOPTED, str(sid)) for key, sid in found.items()}

    def write_back(self, conn: Connection, settled: Pairs) -> None:
        counters, synced, errors, removed = self.run.counters, [], [], []
        for intent, answer in settled:
            op = self.ops[intent.record_key]
            if answer.ok and self.kind is OpKind.DELETE_SUBITEM:
                removed.append(op.line_uuid)
            elif answer.ok:
                sid = int(str(answer.monday_id)) if self.kind is OpKind.CREATE_SUBITEM else int(op.subitem_id or 0)
                synced.append((op.line_uuid, sid, op.parent_item_id))
            elif not answer.requeue:
                message = f"order {op.order_number} line {op.name}: {answer.error}"
                errors.append((op.line_uuid, message))
                counters.note_error("SUBITEM", op.order_number, message)
        done = {
            OpKind.CREATE_SUBITEM: "subitems_created",
            OpKind.UPDATE_SUBITEM: "subitems_updated",
            OpKind.DELETE_SUBITEM: "subitems_deleted",
        }[self.kind]
        counters.add(
            **{done: len(synced) + len(removed), "adopted": sum(1 for _, a in settled if a.status is OpStatus.ADOPTED)}
        )
        store.mark_lines_synced(conn, self.run, synced)
        store.mark_line_errors(conn, self.run, errors)
        store.remove_lines(conn, self.run, removed)
