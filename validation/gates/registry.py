"""The ordered list of cutover gates, and selection by name for ``ordersync gates --only``.

Each entry is ``"module:Class"``; the class takes no arguments and has ``name`` and
``description`` class attributes. Modules are imported only when the gate is selected,
so ``ordersync --help`` never pays for Great Expectations. Adding a gate is one line::

    GATE_FACTORIES = (
        ...,
        "validation.gates.contract:BoardContractGate",
    )

Order is the order of the report; the runner treats gates as independent.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import cast

from sync.errors import ConfigError, ConfigProblem
from validation.gates.runner import Gate

__all__ = ["GATE_FACTORIES", "gate_names", "load_gate", "select_gates"]

GATE_FACTORIES: tuple[str, ...] = (
    "validation.gates.schema:SchemaGate",
    "validation.gates.environment:EnvironmentGate",
    "validation.gates.expectations:ExpectationsGate",
    "validation.gates.volume:VolumeGate",
    "validation.gates.contract:BoardContractGate",
    "validation.gates.ordering:OrderingGate",
    "validation.gates.dropdown:DropdownGate",
    "validation.gates.change_detection:ChangeDetectionGate",
    "validation.load.runner:LoadGate",
)


def load_gate(spec: str) -> Gate:
    """Import ``module:Class`` and instantiate it."""
    module_name, _, class_name = spec.partition(":")
    factory = getattr(importlib.import_module(module_name), class_name)
    return cast(Gate, factory())


def gate_names() -> list[str]:
    """Every registered gate's name, in registry order (reads class attributes, runs nothing)."""
    names = []
    for spec in GATE_FACTORIES:
        module_name, _, class_name = spec.partition(":")
        names.append(str(getattr(importlib.import_module(module_name), class_name).name))
    return names


def select_gates(names: Sequence[str] | None) -> list[Gate]:
    """All gates (``None`` or empty), or the named ones in registry order; unknown names are ConfigErrors."""
    known = gate_names()
    wanted = list(dict.fromkeys(names or []))
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ConfigError(
            [
                ConfigProblem(
                    "<command line>", "--only", f"unknown gate {name!r} (known: {', '.join(known)})"
                )
                for name in unknown
            ]
        )
    return [
        load_gate(spec)
        for spec, name in zip(GATE_FACTORIES, known, strict=True)
        if not wanted or name in wanted
    ]
