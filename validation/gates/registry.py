"""The ordered list of cutover gates, and selection by name for ``ordersync gates --only``.

Each entry is ``"module:Class"``; the class takes no arguments and has ``name`` and
``description`` class attributes. Modules are imported only when the gate is selected,
so ``ordersync --help`` never pays for Great Expectations. Adding a gate is one line::

    GATE_FACTORIES = (
        ...,
        "validation.gates.contract:BoardContractGate",
    )

Order is the order of the report; the runner treats gates as independent.

The *required set* (:data:`REQUIRED_GATES`, :func:`required_gates`) is what a run must hold a
passing result for before it is READY. It is code, not config: it lists every gate by name
(all nine, ``change-detection`` included), it is the same for every environment (a cutover
may target any of them), and every registered gate is added to it, so registering a gate
makes it required. No config key can drop a gate from it; ``--only`` runs are diagnostic
and are NOT READY. A required name that no registry entry provides shows as
``<name>: not registered``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import cast

from sync.errors import ConfigError, ConfigProblem
from validation.gates.runner import Gate

__all__ = ["GATE_FACTORIES", "REQUIRED_GATES", "gate_names", "load_gate", "required_gates", "select_gates"]

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


#: Every gate a cutover needs, by name. A gate missing from GATE_FACTORIES is still required.
REQUIRED_GATES: tuple[str, ...] = (
    "schema-readiness",
    "environment-switching",
    "data-expectations",
    "volume-feasibility",
    "board-contract",
    "ordering",
    "dropdown-population",
    "load-test",
    "change-detection",
)


def required_gates(env_name: str) -> tuple[str, ...]:
    """The gates ``env_name`` must pass to be READY: :data:`REQUIRED_GATES` plus every registered gate.

    The same for every environment (production included): ``env_name`` names the caller's
    environment in messages and keeps the door open for a per-environment *addition*; nothing
    can remove a gate.
    """
    del env_name  # every environment needs every gate; see the module docstring
    return tuple(dict.fromkeys([*REQUIRED_GATES, *gate_names()]))


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
                ConfigProblem("<command line>", "--only", f"unknown gate {name!r} (known: {', '.join(known)})")
                for name in unknown
            ]
        )
    return [load_gate(spec) for spec, name in zip(GATE_FACTORIES, known, strict=True) if not wanted or name in wanted]
