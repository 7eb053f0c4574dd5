"""Every GraphQL document ordersync sends, each with an ``operationName``.

Values always travel as variables; ``column_values`` is a JSON *string*
variable made with :func:`json.dumps`, never spliced into the query text (the
official Python SDK's string-building is how group ids starting with a digit
became parse errors). Mutation batches are aliased ``i0..iN`` so one request
writes many items; each alias has its own variables and the batch ends with
``complexity { ... }`` so the pacer learns the real cost.

    doc = create_items_document(123, [("Order 1", "topics", '{"text":"x"}')], create_labels=False)
"""

from __future__ import annotations

__all__ = [
    "BOARDS",
    "BOARD_CAPACITY",
    "COMPLEXITY",
    "COMPLEXITY_FIELDS",
    "DEFAULT_MAX_ALIASES",
    "ITEMS_BY_ID",
    "ITEMS_PAGE",
    "ITEMS_PAGE_BY_COLUMN_VALUES",
    "ITEM_GROUPS_PAGE",
    "MAX_REQUEST_COMPLEXITY",
    "NEXT_ITEMS_PAGE",
    "NEXT_ITEM_GROUPS_PAGE",
    "Document",
    "alias",
    "change_column_values_document",
    "create_group_document",
    "create_items_document",
    "create_subitems_document",
    "delete_group_document",
    "delete_groups_document",
    "delete_items_document",
    "plan_batches",
]

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_MAX_ALIASES = 50
MAX_ITEMS_BY_ID = 100  # root ``items(ids:)`` answers at most 100 items per request
MAX_REQUEST_COMPLEXITY = 5_000_000  # monday rejects a single query above this
COMPLEXITY_FIELDS = "complexity { before after query reset_in_x_seconds }"

ITEM_FIELDS = """
fragment ItemFields on Item {
  id
  name
  group { id }
  parent_item { id }
  column_values { id text value }
  subitems { id }
}
"""

BOARDS = """
query GetBoards($ids: [ID!], $limit: Int) {
  boards(ids: $ids, limit: $limit) {
    id
    name
    columns { id title type settings_str }
    groups { id title }
  }
}
"""

BOARD_CAPACITY = """
query BoardCapacity($ids: [ID!], $limit: Int) {
  boards(ids: $ids, limit: $limit) { id items_count items_limit }
}
"""

ITEMS_PAGE = (
    """
query ItemsPage($board: ID!, $limit: Int!) {
  boards(ids: [$board], limit: 1) { items_page(limit: $limit) { cursor items { ...ItemFields } } }
}
"""
    + ITEM_FIELDS
)

NEXT_ITEMS_PAGE = (
    """
query NextItemsPage($cursor: String!, $limit: Int!) {
  next_items_page(cursor: $cursor, limit: $limit) { cursor items { ...ItemFields } }
}
"""
    + ITEM_FIELDS
)

ITEMS_PAGE_BY_COLUMN_VALUES = (
    """
query ItemsPageByColumnValues($board: ID!, $columns: [ItemsPageByColumnValuesQuery!], $limit: Int!) {
  items_page_by_column_values(board_id: $board, columns: $columns, limit: $limit) {
    cursor
    items { ...ItemFields }
  }
}
"""
    + ITEM_FIELDS
)

ITEMS_BY_ID = (
    """
query ItemsById($ids: [ID!], $limit: Int) {
  items(ids: $ids, limit: $limit) { state ...ItemFields }
}
"""
    + ITEM_FIELDS
)

#: Only where each item is (id and group): what a rollback needs to know a group will be empty.
ITEM_GROUPS_PAGE = """
query ItemGroupsPage($board: ID!, $limit: Int!) {
  boards(ids: [$board], limit: 1) { items_page(limit: $limit) { cursor items { id group { id } } } }
}
"""

NEXT_ITEM_GROUPS_PAGE = """
query NextItemGroupsPage($cursor: String!, $limit: Int!) {
  next_items_page(cursor: $cursor, limit: $limit) { cursor items { id group { id } } }
}
"""

COMPLEXITY = f"query Complexity {{ {COMPLEXITY_FIELDS} }}"


@dataclass(frozen=True)
class Document:
    """One request body: query text, variables, operation name and the aliases it writes."""

    operation_name: str
    query: str
    variables: dict[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The JSON body monday expects."""
        return {"query": self.query, "operationName": self.operation_name, "variables": self.variables}


def alias(index: int) -> str:
    """The alias of the ``index``-th mutation in a batch (``i0``, ``i1``...)."""
    return f"i{index}"


def plan_batches(
    count: int,
    *,
    max_aliases: int = DEFAULT_MAX_ALIASES,
    cost_per_alias: int = 10_000,
    max_complexity: int = MAX_REQUEST_COMPLEXITY,
) -> list[range]:
    """Split ``count`` writes into index ranges bounded by alias count and per-request complexity."""
    if max_aliases < 1:
        raise ValueError("max_aliases must be at least 1")
    size = max(1, min(max_aliases, max_complexity // max(cost_per_alias, 1)))
    return [range(start, min(start + size, count)) for start in range(0, count, size)]


def create_items_document(
    board_id: int, items: Sequence[tuple[str, str | None, str | None]], *, create_labels: bool
) -> Document:
    """Aliased ``create_item`` batch; each item is (name, group id, column_values JSON string)."""
    decls, fields = ["$board: ID!", "$labels: Boolean"], []
    variables: dict[str, Any] = {"board": str(board_id), "labels": create_labels}
    for n, (name, group_id, values) in enumerate(items):
        decls += [f"$n{n}: String!", f"$g{n}: String", f"$v{n}: JSON"]
        fields.append(
            f"{alias(n)}: create_item(board_id: $board, item_name: $n{n}, group_id: $g{n}, "
            f"column_values: $v{n}, create_labels_if_missing: $labels) {{ id }}"
        )
        variables.update({f"n{n}": name, f"g{n}": group_id, f"v{n}": values})
    return _mutation("CreateItems", decls, fields, variables, len(items))


def create_subitems_document(subitems: Sequence[tuple[int, str, str | None]], *, create_labels: bool) -> Document:
    """Aliased ``create_subitem`` batch; each entry is (parent item id, name, column_values JSON)."""
    decls, fields = ["$labels: Boolean"], []
    variables: dict[str, Any] = {"labels": create_labels}
    for n, (parent, name, values) in enumerate(subitems):
        decls += [f"$p{n}: ID!", f"$n{n}: String!", f"$v{n}: JSON"]
        fields.append(
            f"{alias(n)}: create_subitem(parent_item_id: $p{n}, item_name: $n{n}, "
            f"column_values: $v{n}, create_labels_if_missing: $labels) {{ id }}"
        )
        variables.update({f"p{n}": str(parent), f"n{n}": name, f"v{n}": values})
    return _mutation("CreateSubitems", decls, fields, variables, len(subitems))


def change_column_values_document(
    board_id: int, updates: Sequence[tuple[int, str]], *, create_labels: bool
) -> Document:
    """Aliased ``change_multiple_column_values`` batch; each entry is (item id, column_values JSON)."""
    decls, fields = ["$board: ID!", "$labels: Boolean"], []
    variables: dict[str, Any] = {"board": str(board_id), "labels": create_labels}
    for n, (item_id, values) in enumerate(updates):
        decls += [f"$id{n}: ID", f"$v{n}: JSON!"]
        fields.append(
            f"{alias(n)}: change_multiple_column_values(board_id: $board, item_id: $id{n}, "
            f"column_values: $v{n}, create_labels_if_missing: $labels) {{ id }}"
        )
        variables.update({f"id{n}": str(item_id), f"v{n}": values})
    return _mutation("ChangeColumnValues", decls, fields, variables, len(updates))


def delete_items_document(item_ids: Sequence[int], *, archive: bool) -> Document:
    """Aliased ``delete_item`` (or ``archive_item``) batch."""
    mutation = "archive_item" if archive else "delete_item"
    decls: list[str] = []
    fields: list[str] = []
    variables: dict[str, Any] = {}
    for n, item_id in enumerate(item_ids):
        decls.append(f"$id{n}: ID")
        fields.append(f"{alias(n)}: {mutation}(item_id: $id{n}) {{ id }}")
        variables[f"id{n}"] = str(item_id)
    return _mutation("ArchiveItems" if archive else "DeleteItems", decls, fields, variables, len(item_ids))


def move_items_document(moves: Sequence[tuple[int, str]]) -> Document:
    """Aliased ``move_item_to_group`` batch; each entry is (item id, group id)."""
    decls: list[str] = []
    fields: list[str] = []
    variables: dict[str, Any] = {}
    for n, (item_id, group_id) in enumerate(moves):
        decls += [f"$id{n}: ID", f"$g{n}: String!"]
        fields.append(f"{alias(n)}: move_item_to_group(item_id: $id{n}, group_id: $g{n}) {{ id }}")
        variables.update({f"id{n}": str(item_id), f"g{n}": group_id})
    return _mutation("MoveItems", decls, fields, variables, len(moves))


def create_group_document(board_id: int, name: str) -> Document:
    """``create_group`` as alias ``i0``; new groups go to the bottom so existing order is kept."""
    return _mutation(
        "CreateGroup",
        ["$board: ID!", "$name: String!"],
        ["i0: create_group(board_id: $board, group_name: $name, position_relative_method: before_at) { id title }"],
        {"board": str(board_id), "name": name},
        1,
    )


def create_groups_document(board_id: int, names: Sequence[str]) -> Document:
    """Aliased ``create_group`` batch: one request for every group a chunk of orders needs."""
    decls = ["$board: ID!"]
    fields: list[str] = []
    variables: dict[str, Any] = {"board": str(board_id)}
    for n, name in enumerate(names):
        decls.append(f"$name{n}: String!")
        fields.append(
            f"{alias(n)}: create_group(board_id: $board, group_name: $name{n}, "
            "position_relative_method: before_at) { id title }"
        )
        variables[f"name{n}"] = name
    return _mutation("CreateGroups", decls, fields, variables, len(names))


def delete_group_document(board_id: int, group_id: str) -> Document:
    """``delete_group`` as alias ``i0`` (monday deletes the group's items with it)."""
    return _mutation(
        "DeleteGroup",
        ["$board: ID!", "$group: String!"],
        ["i0: delete_group(board_id: $board, group_id: $group) { id }"],
        {"board": str(board_id), "group": group_id},
        1,
    )


def delete_groups_document(board_id: int, group_ids: Sequence[str]) -> Document:
    """Aliased ``delete_group`` batch (a rollback removing the groups a run created)."""
    decls = ["$board: ID!"]
    fields: list[str] = []
    variables: dict[str, Any] = {"board": str(board_id)}
    for n, group_id in enumerate(group_ids):
        decls.append(f"$group{n}: String!")
        fields.append(f"{alias(n)}: delete_group(board_id: $board, group_id: $group{n}) {{ id }}")
        variables[f"group{n}"] = group_id
    return _mutation("DeleteGroups", decls, fields, variables, len(group_ids))


def _mutation(name: str, decls: list[str], fields: list[str], variables: dict[str, Any], count: int) -> Document:
    args = f"({', '.join(decls)})" if decls else ""
    body = "\n  ".join([*fields, COMPLEXITY_FIELDS])
    return Document(name, f"mutation {name}{args} {{\n  {body}\n}}", variables, tuple(alias(n) for n in range(count)))
