"""The gate registry lists every gate once, in order, and rejects unknown names clearly."""

from __future__ import annotations

import pytest

from sync.errors import ConfigError
from validation.gates.registry import GATE_FACTORIES, gate_names, select_gates
from validation.gates.runner import Gate

MINE = ["schema-readiness", "environment-switching", "data-expectations", "volume-feasibility"]


def test_all_gates_in_registry_order() -> None:
    """No names selects every registered gate in registry order."""
    gates = select_gates(None)
    assert [g.name for g in gates] == gate_names()
    assert len(gates) == len(GATE_FACTORIES)
    assert all(isinstance(g, Gate) and g.description for g in gates)


def test_names_are_unique_and_include_the_cutover_gates() -> None:
    """Gate names are unique and the four cutover gates are registered."""
    names = gate_names()
    assert len(names) == len(set(names))
    assert set(MINE) <= set(names)


def test_only_selects_named_gates_in_registry_order() -> None:
    """--only picks the named gates, ordered by the registry, duplicates ignored."""
    gates = select_gates(["volume-feasibility", "schema-readiness", "volume-feasibility"])
    assert [g.name for g in gates] == ["schema-readiness", "volume-feasibility"]


def test_unknown_gate_is_config_error_listing_known_names() -> None:
    """An unknown gate name is a ConfigError that lists the known gates."""
    with pytest.raises(ConfigError) as info:
        select_gates(["schema-readiness", "no-such-gate"])
    message = str(info.value)
    assert "no-such-gate" in message
    assert all(name in message for name in MINE)
