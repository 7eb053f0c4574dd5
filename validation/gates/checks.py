"""The one record a gate's individual claims are kept in, and how they read in a summary or a table.

A gate that verifies several claims (ordering's "groups before items", change-detection's
"third sync sends zero mutations", dropdown's "labels of CUSTOMER NAME match the DB") keeps
each as a :class:`Check`: what it looked at, how many problems, the first few verbatim. A
check that looked at nothing is not ``ok``: it proves nothing::

    check = Check.of("one item per order", len(orders), [f"order {o} has 2 items" for o in dupes])
    if not check.ok:
        summary = check.describe()      # "one item per order: 3 violation(s), e.g. order 1 has 2 items"
    md = checks_table(checks)           # the evidence page's table
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from validation.gates.evidence import md_table

__all__ = ["MAX_VIOLATIONS", "Check", "checks_table", "clip"]

#: Violations kept verbatim per check (the count is always exact).
MAX_VIOLATIONS = 20


@dataclass(frozen=True)
class Check:
    """One claim of a gate: how many things it looked at and the first problems it found."""

    name: str
    checked: int
    violations: list[str] = field(default_factory=list)
    violation_count: int = 0
    #: optional tallies shown with the check (e.g. label -> items carrying it)
    values: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, checked: int, violations: Sequence[str], values: Mapping[str, int] | None = None) -> Check:
        """A check keeping the first :data:`MAX_VIOLATIONS` violations and the exact count."""
        return cls(name, checked, list(violations[:MAX_VIOLATIONS]), len(violations), dict(values or {}))

    @property
    def ok(self) -> bool:
        """No violation, and at least one thing checked."""
        return self.violation_count == 0 and self.checked > 0

    def describe(self, noun: str = "violation") -> str:
        """``name: N violation(s), e.g. <first>``, or ``name: nothing checked`` for a check that looked at nothing."""
        if not self.violations:
            return (
                f"{self.name}: nothing checked"
                if self.checked == 0
                else f"{self.name}: {self.violation_count} {noun}(s)"
            )
        return f"{self.name}: {self.violation_count} {noun}(s), e.g. {clip(self.violations[0])}"


def clip(text: str, limit: int = 200) -> str:
    """Keep summaries readable; the evidence file has the full message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def checks_table(
    checks: Iterable[Check], headers: Sequence[str] = ("ok", "check", "checked", "violations", "first violation")
) -> str:
    """The evidence page's table: one row per check, its first violation verbatim."""
    rows = [
        ("yes" if c.ok else "**NO**", c.name, c.checked, c.violation_count, c.violations[0] if c.violations else "")
        for c in checks
    ]
    return md_table(list(headers), rows)
