"""Complexity cost estimation, the per-minute complexity budget and the requests-per-minute limit.

monday publishes no per-field cost table (monday-api.md §4), so costs are a
configurable mapping. The one documented number is kept: ``create_item`` costs
10,000 points. Nested fields under a paginated field are multiplied by its
``limit``, which is the shape of monday's estimate. The cost of a request is
computed up front from the document and reported honestly in ``complexity``.

Windows follow monday's wording: a budget "resets 60 seconds after the first
API call", i.e. a fixed window opened by the first request after the last reset.
"""

from __future__ import annotations

__all__ = ["DEFAULT_COSTS", "REPORTED_BUDGET", "Charge", "MinuteWindow", "estimate_cost"]

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)

REPORTED_BUDGET = 10_000_000  # personal-token minute budget; reported when no budget is enforced
DEFAULT_COSTS: Mapping[str, int] = {
    "create_item": 10_000,
    "create_subitem": 10_000,
    "change_multiple_column_values": 5_000,
    "archive_item": 5_000,
    "delete_item": 5_000,
    "move_item_to_group": 5_000,
    "create_group": 1_000,
    "delete_group": 1_000,
    "boards": 100,
    "items": 100,
    "items_page": 1_000,
    "next_items_page": 1_000,
    "items_page_by_column_values": 1_000,
    "column_values": 10,
}
DEFAULT_FIELD_COST = 1
_LIMITED_DEFAULTS = {
    "boards": 25,
    "items": 25,
    "items_page": 25,
    "next_items_page": 25,
    "items_page_by_column_values": 25,
}


def estimate_cost(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    costs: Mapping[str, int],
) -> int:
    """Points for one request: per-field costs, children multiplied by their parent's page size."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return _cost(operation.selection_set, fragments, variables, costs, 1, set())


def _cost(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    costs: Mapping[str, int],
    multiplier: int,
    seen: set[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            name = selection.name.value
            total += multiplier * costs.get(name, DEFAULT_FIELD_COST)
            inner = multiplier * _page_size(selection, variables) if name in _LIMITED_DEFAULTS else multiplier
            total += _cost(selection.selection_set, fragments, variables, costs, inner, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, fragments, variables, costs, multiplier, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                total += _cost(
                    fragment.selection_set,
                    fragments,
                    variables,
                    costs,
                    multiplier,
                    seen | {selection.name.value},
                )
    return total


def _page_size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "limit":
            continue
        if isinstance(argument.value, IntValueNode):
            return max(int(argument.value.value), 1)
        if isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
            return max(int(value), 1) if isinstance(value, int) else 1
    return _LIMITED_DEFAULTS[field.name.value]


@dataclass(frozen=True)
class Charge:
    """The outcome of asking a window for ``amount``: accepted or not, and the numbers to report."""

    accepted: bool
    before: int
    after: int
    reset_in_seconds: int


class MinuteWindow:
    """A fixed 60-second window with a capacity; ``capacity=None`` never refuses but still counts."""

    def __init__(self, capacity: int | None, clock: Callable[[], float], nominal: int | None = None) -> None:
        self.capacity = capacity
        self._nominal = capacity if capacity is not None else (nominal or REPORTED_BUDGET)
        self._clock = clock
        self._lock = threading.Lock()
        self._opened: float | None = None
        self._used = 0

    def charge(self, amount: int) -> Charge:
        """Take ``amount`` from the window if it fits; refused charges take nothing."""
        with self._lock:
            now = self._clock()
            if self._opened is None or now - self._opened >= 60:
                self._opened, self._used = now, 0
            reset = max(1, math.ceil(60 - (now - self._opened)))
            before = max(self._nominal - self._used, 0)
            if self.capacity is not None and amount > before:
                return Charge(False, before, before, reset)
            self._used += amount
            return Charge(True, before, max(before - amount, 0), reset)

    def peek(self) -> Charge:
        """Remaining capacity without charging (for the ``RateLimit`` header)."""
        with self._lock:
            now = self._clock()
            if self._opened is None or now - self._opened >= 60:
                return Charge(True, self._nominal, self._nominal, 60)
            left = max(self._nominal - self._used, 0)
            return Charge(True, left, left, max(1, math.ceil(60 - (now - self._opened))))

    def reset(self) -> None:
        """Forget usage (``POST /_emulator/reset``)."""
        with self._lock:
            self._opened, self._used = None, 0
