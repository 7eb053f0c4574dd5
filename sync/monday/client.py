"""The domain operations the sync engine calls; everything monday-shaped stops here.

Writes go out as aliased batches (:mod:`sync.monday.operations`). Per batch:

* a whole-request retriable error (429, 5xx, timeout, 423, 409 conflict) is
  retried by the :class:`RetryPolicy`, re-sending the *same* ``Idempotency-Key``
  so a request that did run on monday's side is replayed, not repeated;
* an alias that failed with a record error becomes an :class:`Outcome` with
  ``error`` set; the rest of the batch still counts;
* an alias that failed with a retriable error is re-sent alone in a follow-up
  request with its own derived key (those aliases did not run);
* anything fatal raises. ``exc.completed`` then holds the outcomes already known,
  so the caller never loses the ids of items that *were* created.

Reads that page (``iter_items``, ``find_items_by_column``) survive an expired
cursor (:mod:`sync.monday.paging`).

    client = MondayClient(http, retry=RetryPolicy(), pacer=Pacer())
    outcomes = client.create_items(123, items, create_labels=False, idempotency_key="run-7")
"""

from __future__ import annotations

__all__ = ["MondayClient"]

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx

from sync.monday import operations as ops
from sync.monday.errors import MondayError, MondayFatalError, MondayRecordError, MondayRetriableError
from sync.monday.graphql import GraphQLResult, execute
from sync.monday.models import (
    BoardCapacity,
    BoardInfo,
    ClientStats,
    ComplexityInfo,
    ItemRecord,
    ItemUpdate,
    NewItem,
    NewSubitem,
    Outcome,
)
from sync.monday.pacing import Pacer
from sync.monday.paging import walk_items
from sync.monday.parsing import board_from, item_from, item_id_from, parse_complexity
from sync.monday.retry import GiveUp, RetryPolicy, call_with_retry

_UNIT_COST = 10_000  # per-alias estimate when no pacer supplies one
_LOOKUP_CHUNK = 100  # values per items_page_by_column_values request; monday documents no cap


class MondayClient:
    """monday.com operations with batching, pacing and retries; ``stats`` counts what happened."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        retry: RetryPolicy,
        pacer: Pacer | None,
        max_batch: int = ops.DEFAULT_MAX_ALIASES,
        max_request_complexity: int = ops.MAX_REQUEST_COMPLEXITY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.retry = retry
        self.pacer = pacer
        self.max_batch = max_batch
        self.max_request_complexity = max_request_complexity
        self.stats = ClientStats()
        self._sleep = sleep
        self._clock = clock

    # ----------------------------------------------------------------- reads
    def get_boards(self, board_ids: Sequence[int]) -> list[BoardInfo]:
        """Columns and groups of each board; boards the token cannot see are simply absent."""
        doc = ops.Document("GetBoards", ops.BOARDS, {"ids": [str(b) for b in board_ids], "limit": len(board_ids)})
        boards = self._send(doc, "boards").data.get("boards") or []
        return [board_from(b) for b in boards if b]

    def board_capacity(self, board_ids: Sequence[int]) -> list[BoardCapacity]:
        """``items_count`` and ``items_limit`` of each board; boards the token cannot see are absent."""
        variables = {"ids": [str(b) for b in board_ids], "limit": len(board_ids)}
        doc = ops.Document("BoardCapacity", ops.BOARD_CAPACITY, variables)
        boards = self._send(doc, "boards").data.get("boards") or []
        return [
            BoardCapacity(
                int(b["id"]),
                int(b.get("items_count") or 0),
                int(b["items_limit"]) if b.get("items_limit") is not None else None,
            )
            for b in boards
            if b
        ]

    # ------------------------------------------------------- batch planning
    def alias_cost(self, operation: str) -> int:
        """The complexity this client prices one alias of ``operation`` at (the pacer's table, else 10,000)."""
        return self.pacer.estimate(operation) if self.pacer else _UNIT_COST

    def batch_plan(self, operation: str, count: int) -> list[range]:
        """The alias ranges :meth:`create_items` & co. send for ``count`` writes, one range per request."""
        return ops.plan_batches(
            count,
            max_aliases=self.max_batch,
            cost_per_alias=self.alias_cost(operation),
            max_complexity=self.max_request_complexity,
        )

    def iter_items(self, board_id: int, *, limit: int = 500) -> Iterator[ItemRecord]:
        """Every active item on the board, page by page (items_page, then next_items_page)."""
        doc = ops.Document("ItemsPage", ops.ITEMS_PAGE, {"board": str(board_id), "limit": limit})

        def first_page() -> Mapping[str, Any]:
            boards = self._send(doc, "items_page").data.get("boards") or []
            if not boards:
                raise MondayFatalError(
                    f"board {board_id} not found or not visible", code="InvalidBoardIdException"
                )
            page: Mapping[str, Any] = boards[0].get("items_page") or {}
            return page

        yield from self._walk(first_page, limit, f"board {board_id}")

    def get_items(self, item_ids: Sequence[int]) -> list[ItemRecord]:
        """Items by id in any state (active, archived, deleted), 100 per request; unknown ids are absent.

        Answers come back in monday's order, not the request's; duplicated ids are asked once.
        """
        wanted = [str(i) for i in dict.fromkeys(item_ids)]
        found: list[ItemRecord] = []
        for start in range(0, len(wanted), ops.MAX_ITEMS_BY_ID):
            chunk = wanted[start : start + ops.MAX_ITEMS_BY_ID]
            doc = ops.Document("ItemsById", ops.ITEMS_BY_ID, {"ids": chunk, "limit": len(chunk)})
            found += [item_from(raw) for raw in self._send(doc, "items").data.get("items") or [] if raw]
        return found

    def find_items_by_column(self, board_id: int, column_id: str, values: Sequence[str]) -> dict[str, list[int]]:
        """Item ids per requested value (empty list = no such item); used after an unknown write outcome."""
        found: dict[str, list[int]] = {v: [] for v in values}
        wanted = list(found)
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            doc = ops.Document(
                "ItemsPageByColumnValues",
                ops.ITEMS_PAGE_BY_COLUMN_VALUES,
                {
                    "board": str(board_id),
                    "limit": 500,
                    "columns": [{"column_id": column_id, "column_values": chunk}],
                },
            )


            def first_page(doc: ops.Document = doc) -> Mapping[str, Any]:
                page: Mapping[str, Any] = (
                    self._send(doc, "items_page_by_column_values").data.get("items_page_by_column_values") or {}
                )
                return page

            for item in self._walk(first_page, 500, f"board {board_id} column {column_id}"):
                cell = item.values.get(column_id)
                text = (cell.text or "").strip() if cell else ""
                key = text if text in found else (chunk[0] if len(chunk) == 1 else None)
                if key is not None and item.id not in found[key]:
                    found[key].append(item.id)
        return found

    def complexity(self) -> ComplexityInfo:
        """The current complexity budget as monday reports it."""
        info = parse_complexity(
            self._send(ops.Document("Complexity", ops.COMPLEXITY), "complexity").data.get("complexity")
        )
        if info is None:
            raise MondayFatalError("complexity missing from response", code="NO_DATA")
        return info

    # ---------------------------------------------------------------- writes
    def create_group(self, board_id: int, name: str, *, idempotency_key: str | None = None) -> str:
        """Create a group at the bottom of the board and return its (opaque, string) id.

        Pass an ``idempotency_key`` so a retry after a timeout-after-apply cannot create it twice.
        """
        doc = ops.create_group_document(board_id, name)
        return str(self._single(doc, "create_group", idempotency_key=idempotency_key)["id"])

    def create_groups(
        self, board_id: int, names: Sequence[str], *, idempotency_key: str
    ) -> dict[str, str | MondayError]:
        """Create several groups in aliased requests; name -> group id, or the error for that name.

        The same ``idempotency_key`` (per request: ``-<batch>``) is re-sent on retries, so a
        timeout after monday applied the request cannot create a group twice.
        """
        out: dict[str, str | MondayError] = {}
        for batch_no, batch in enumerate(self.batch_plan("create_group", len(names))):
            chunk = [names[i] for i in batch]
            result = self._send(
                ops.create_groups_document(board_id, chunk),
                "create_group",
                idempotency_key=f"{idempotency_key}-{batch_no}",
            )
            self.stats.mutations += len(chunk)
            for n, name in enumerate(chunk):
                err = result.alias_errors.get(ops.alias(n))
                value = result.data.get(ops.alias(n))
                if err is None and isinstance(value, dict) and value.get("id"):
                    out[name] = str(value["id"])
                else:
                    error = err or MondayFatalError(f"create_group {name!r} returned no data", code="NO_DATA")
                    self.stats.count_error(error.code)
                    out[name] = error
        return out

    def delete_group(self, board_id: int, group_id: str) -> None:
        """Delete a group and every item in it."""
        self._single(ops.delete_group_document(board_id, group_id), "delete_group")

    def create_items(
        self, board_id: int, items: Sequence[NewItem], *, create_labels: bool, idempotency_key: str
    ) -> list[Outcome]:
        """Create items in aliased batches; one Outcome per item, in input order."""
        return self._write(
            "create_item",
            [i.key for i in items],
            idempotency_key,
            lambda idx: ops.create_items_document(
                board_id,
                [(items[i].name, items[i].group_id, _dump(items[i].column_values)) for i in idx],
                create_labels=create_labels,
            ),
        )

    def create_subitems(
        self, subitems: Sequence[NewSubitem], *, create_labels: bool, idempotency_key: str
    ) -> list[Outcome]:
        """Create subitems in aliased batches; column ids are the subitems board's."""
        return self._write(
            "create_subitem",
            [s.key for s in subitems],
            idempotency_key,
            lambda idx: ops.create_subitems_document(
                [(subitems[i].parent_item_id, subitems[i].name, _dump(subitems[i].column_values)) for i in idx],
                create_labels=create_labels,
            ),
        )

    def update_items(
        self, board_id: int, updates: Sequence[ItemUpdate], *, create_labels: bool, idempotency_key: str
    ) -> list[Outcome]:
        """Change several columns of many items, one alias per item."""
        return self._write(
            "change_multiple_column_values",
            [u.key for u in updates],
            idempotency_key,
            lambda idx: ops.change_column_values_document(
                board_id,
                [(updates[i].item_id, _dump(updates[i].column_values) or "{}") for i in idx],
                create_labels=create_labels,
            ),
        )

    def delete_items(self, item_ids: Sequence[int], *, archive: bool = False, idempotency_key: str) -> list[Outcome]:
        """Delete (or archive) items; the Outcome key is the item id as a string."""
        return self._write(
            "archive_item" if archive else "delete_item",
            [str(i) for i in item_ids],
            idempotency_key,
            lambda idx: ops.delete_items_document([item_ids[i] for i in idx], archive=archive),
        )

    def move_items_to_group(self, moves: Sequence[tuple[str, int, str]], *, idempotency_key: str) -> list[Outcome]:
        """Move items to other groups of their board; each move is (key, item id, group id)."""
        return self._write(
            "move_item_to_group",
            [key for key, _, _ in moves],
            idempotency_key,
            lambda idx: ops.move_items_document([(moves[i][1], moves[i][2]) for i in idx]),
        )

    # -------------------------------------------------------------- plumbing
    def _write(
        self,
        operation: str,
        keys: Sequence[str],
        idempotency_key: str,
        build: Callable[[Sequence[int]], ops.Document],
    ) -> list[Outcome]:
        if len(set(keys)) != len(keys):
            raise ValueError(f"{operation}: keys must be unique within one call")
        done: dict[int, Outcome] = {}
        try:
            for batch_no, batch in enumerate(self.batch_plan(operation, len(keys))):
                self._write_batch(operation, keys, list(batch), f"{idempotency_key}-{batch_no}", build, done)
        except MondayError as exc:
            exc.completed = tuple(done[i] for i in sorted(done))
            raise
        return [done[i] for i in range(len(keys))]

    def _write_batch(
        self,
        operation: str,
        keys: Sequence[str],
        pending: list[int],
        key: str,
        build: Callable[[Sequence[int]], ops.Document],
        done: dict[int, Outcome],
    ) -> None:
        round_no = 0
        while pending:
            doc = build(pending)
            attempt_key = key if round_no == 0 else f"{key}-r{round_no}"
            result = self._send(doc, operation, idempotency_key=attempt_key)
            self.stats.mutations += len(pending)
            fatal: MondayError | None = None
            again: list[tuple[int, MondayError]] = []
            for name, index in zip(doc.aliases, pending, strict=True):
                err = result.alias_errors.get(name)
                if err is not None:
                    self.stats.count_error(err.code)
                if isinstance(err, MondayRetriableError):
                    again.append((index, err))
                    continue
                if isinstance(err, MondayFatalError):
                    fatal = fatal or err
                done[index] = _outcome(keys[index], result.data.get(name), err)
            if fatal is not None:
                raise fatal
            round_no += 1
            pending = [index for index, _ in again]
            if again:
                decision = self.retry.decide(round_no, again[0][1])
                if isinstance(decision, GiveUp):
                    done.update((i, Outcome(keys[i], None, e)) for i, e in again)
                    return
                self.stats.retries += 1
                self._sleep(decision.delay)

    def _single(self, doc: ops.Document, operation: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
        result = self._send(doc, operation, idempotency_key=idempotency_key)
        self.stats.mutations += 1
        err = result.alias_errors.get("i0")
        if err is not None:
            self.stats.count_error(err.code)
            raise err
        value = result.data.get("i0")
        if not isinstance(value, dict):
            raise MondayFatalError(f"{operation} returned no data", code="NO_DATA")
        return value

    def _send(self, doc: ops.Document, operation: str, *, idempotency_key: str | None = None) -> GraphQLResult:
        cost = self.pacer.estimate(operation, max(len(doc.aliases), 1)) if self.pacer else 0

        def attempt() -> GraphQLResult:
            if self.pacer is not None:
                self.stats.waited_s += self.pacer.before_request(cost)
            started = self._clock()
            self.stats.requests += 1
            try:
                result = execute(self.http, doc, idempotency_key=idempotency_key)
            except MondayError as exc:
                self.stats.count_error(exc.code)
                self.stats.http_429 += exc.http_status == 429
                raise
            finally:
                self.stats.latencies.append(self._clock() - started)
            if self.pacer is not None:
                self.pacer.after_response(result.complexity, result.rate_limit)
            return result

        return call_with_retry(attempt, self.retry, sleep=self._sleep, clock=self._clock, on_retry=self._on_retry)

    def _on_retry(self, attempt: int, error: Exception, delay: float) -> None:
        self.stats.retries += 1

    def _walk(self, first_page: Callable[[], Mapping[str, Any]], limit: int, what: str) -> Iterator[ItemRecord]:
        def next_page(cursor: str) -> Mapping[str, Any]:
            doc = ops.Document("NextItemsPage", ops.NEXT_ITEMS_PAGE, {"cursor": cursor, "limit": limit})
            page: Mapping[str, Any] = self._send(doc, "next_items_page").data.get("next_items_page") or {}
            return page

        return walk_items(first_page, next_page, self.stats, what)


def _outcome(key: str, data: object, err: MondayError | None) -> Outcome:
    if err is None:
        try:
            return Outcome(key, item_id_from(data), None)
        except MondayRecordError as missing:  # null data without an error: report, don't abort the batch
            return Outcome(key, None, missing)
    return Outcome(key, None, err)


def _dump(values: Mapping[str, object]) -> str | None:
    """column_values as the JSON *string* monday wants; None when there is nothing to send."""
    return json.dumps(dict(values), ensure_ascii=False, separators=(",", ":")) if values else None
