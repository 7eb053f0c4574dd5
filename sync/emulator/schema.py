"""GraphQL execution of ``sync/monday/schema.graphql`` against :class:`EmulatorState`.

The emulator runs the very SDL file the client is validated against, so any
document the client sends that monday would reject for shape reasons is also
rejected here. Resolvers are plain objects read by graphql-core's default
resolver (attributes, or methods called with the field arguments); an
:class:`ApiError` from a resolver nulls only that field (alias) and becomes one
``errors[]`` entry with the alias path.
"""

from __future__ import annotations

__all__ = ["Executor", "load_schema"]

import json
import threading
from collections import OrderedDict
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    ValueNode,
    build_schema,
    execute,
    parse,
    validate,
    value_from_ast_untyped,
)

from sync.emulator import query
from sync.emulator.state import EmulatorState, RequestContext
from sync.emulator.views import Api, ItemView, group_dict

_DOC_CACHE_SIZE = 256


def load_schema() -> GraphQLSchema:
    """Build the packaged schema and give the ``JSON`` scalar monday's "JSON formatted string" parsing."""
    sdl = (resources.files("sync.monday") / "schema.graphql").read_text(encoding="utf-8")
    schema = build_schema(sdl)
    json_type = schema.type_map["JSON"]
    assert isinstance(json_type, GraphQLScalarType)
    # graphql-core 3.2 reads parse_value/parse_literal, 3.3 reads coerce_input_value for variables.
    for attribute, parser in (
        ("parse_value", _parse_json),
        ("coerce_input_value", _parse_json),
        ("parse_literal", _parse_json_literal),
    ):
        setattr(json_type, attribute, parser)
    return schema


def _parse_json(value: Any) -> Any:
    """A JSON argument arrives as a string and is decoded; objects are accepted as already decoded."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise GraphQLError("Syntax error in JSON input") from None
    return value


def _parse_json_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> Any:
    return _parse_json(value_from_ast_untyped(node, variables))


class Executor:
    """Parses/validates documents (with a small cache) and executes them against the state."""

    def __init__(self, schema: GraphQLSchema | None = None) -> None:
        self.schema = schema or load_schema()
        self._cache: OrderedDict[str, tuple[DocumentNode | None, list[GraphQLError]]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def prepare(self, source: str) -> tuple[DocumentNode | None, list[GraphQLError]]:
        """Parse and validate ``source``; returns the document or the validation errors."""
        with self._cache_lock:
            hit = self._cache.get(source)
            if hit is not None:
                self._cache.move_to_end(source)
                return hit
        try:
            document: DocumentNode | None = parse(source)
            errors = list(validate(self.schema, document)) if document else []
        except GraphQLError as error:
            document, errors = None, [error]
        result = (None if errors else document, errors)
        with self._cache_lock:
            self._cache[source] = result
            if len(self._cache) > _DOC_CACHE_SIZE:
                self._cache.popitem(last=False)
        return result

    def run(
        self,
        state: EmulatorState,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        ctx: RequestContext,
    ) -> ExecutionResult:
        """Execute under the state lock so one request is atomic with respect to other requests."""
        with state.lock:
            result = execute(
                self.schema,
                document,
                root_value=_Root(state, ctx),
                variable_values=variables,
                operation_name=operation_name,
            )
        assert isinstance(result, ExecutionResult)
        return result


def operation_of(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation a request selects (None when the name matches nothing)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


class _Root(Api):
    """Resolves ``Query`` and ``Mutation`` fields."""

    def boards(
        self, _info: Any, limit: int, page: int, state: str, ids: list[str] | None = None
    ) -> list[Any]:
        boards = list(self.state.boards.values())
        if ids is not None:
            wanted = [str(i) for i in ids]
            boards = [self.state.boards[i] for i in wanted if i in self.state.boards]
        boards = [b for b in boards if state == "all" or b.state == state]
        start = max(page - 1, 0) * limit
        return [self.board(b) for b in boards[start : start + limit]]

    def items(self, _info: Any, limit: int, ids: list[str] | None = None) -> list[Any]:
        """Root ``items``: any state (use it to see archived/deleted items), at most ``limit`` (max 100)."""
        if ids is None:
            return []
        found = [self.state.items[str(i)] for i in ids if str(i) in self.state.items]
        return [self.item(i) for i in found[: min(limit, 100)]]

    def next_items_page(self, _info: Any, cursor: str, limit: int) -> dict[str, Any]:
        return self.page(query.next_page(self.state, cursor, limit, self.ctx.now))

    def items_page_by_column_values(
        self,
        _info: Any,
        board_id: str,
        limit: int,
        columns: list[dict[str, Any]] | None = None,
        cursor: str | None = None,
    ) -> dict[str, Any]:
        if cursor is not None:
            return self.page(query.next_page(self.state, cursor, limit, self.ctx.now))
        board = self.state.board(board_id)
        matching = query.match_by_column_values(self.state, board, columns or [])
        return self.page(query.first_page(self.state, matching, limit, self.ctx.now))

    def complexity(self, _info: Any) -> dict[str, int]:
        return self.ctx.complexity

    def create_group(
        self,
        _info: Any,
        board_id: str,
        group_name: str,
        group_color: str | None = None,
        relative_to: str | None = None,
        position_relative_method: str | None = None,
    ) -> Any:
        group = self.state.create_group(
            self.ctx, board_id, group_name, group_color, relative_to, position_relative_method
        )
        board = self.state.boards[str(board_id)]
        return group_dict(group, board.active_groups().index(group))

    def delete_group(self, _info: Any, board_id: str, group_id: str) -> Any:
        group = self.state.delete_group(self.ctx, board_id, group_id)
        return group_dict(group, 0)

    def create_item(
        self,
        _info: Any,
        board_id: str,
        item_name: str,
        group_id: str | None = None,
        column_values: Any = None,
        create_labels_if_missing: bool | None = None,
    ) -> ItemView:
        return self.item(
            self.state.create_item(
                self.ctx, board_id, item_name, group_id, column_values, bool(create_labels_if_missing)
            )
        )

    def create_subitem(
        self,
        _info: Any,
        parent_item_id: str,
        item_name: str,
        column_values: Any = None,
        create_labels_if_missing: bool | None = None,
    ) -> ItemView:
        return self.item(
            self.state.create_subitem(
                self.ctx, parent_item_id, item_name, column_values, bool(create_labels_if_missing)
            )
        )

    def change_multiple_column_values(
        self,
        _info: Any,
        board_id: str,
        column_values: Any,
        item_id: str | None = None,
        create_labels_if_missing: bool | None = None,
    ) -> ItemView:
        return self.item(
            self.state.change_values(
                self.ctx, board_id, item_id, column_values, bool(create_labels_if_missing)
            )
        )

    def archive_item(self, _info: Any, item_id: str | None = None) -> ItemView:
        return self.item(self.state.set_item_state(self.ctx, item_id, "archived"))

    def delete_item(self, _info: Any, item_id: str | None = None) -> ItemView:
        return self.item(self.state.set_item_state(self.ctx, item_id, "deleted"))

    def move_item_to_group(self, _info: Any, group_id: str, item_id: str | None = None) -> ItemView:
        return self.item(self.state.move_item(self.ctx, item_id, group_id))
