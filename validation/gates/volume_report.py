"""``volume.md``: the pending work, the batch plan, the bounds, board capacity, the schedule, per-plan days."""

from __future__ import annotations

__all__ = ["VolumeFindings", "render"]

from dataclasses import asdict, dataclass

from validation.gates.evidence import md_table
from validation.gates.volume_model import (
    Capacity,
    PendingWork,
    Priced,
    Projection,
    VolumeLimits,
    Window,
    days_by_plan,
)


@dataclass(frozen=True)
class VolumeFindings:
    """Everything the gate measured and decided, for the page."""

    env_name: str
    plan: str
    work: PendingWork
    limits: VolumeLimits
    priced: Priced
    projection: Projection
    capacities: list[Capacity]
    windows: list[Window]
    declared_windows: int
    problems: list[str]


def _offset(minutes: float) -> str:
    whole = round(minutes)
    return f"+{whole // 60}:{whole % 60:02d}"


def _clock(window: Window) -> tuple[str, str]:
    if window.starts_at is None or window.ends_at is None:
        return _offset(window.start_minute), _offset(window.end_minute)
    return window.starts_at.strftime("%Y-%m-%d %H:%M UTC"), window.ends_at.strftime("%Y-%m-%d %H:%M UTC")


def render(f: VolumeFindings) -> str:
    """The whole page as Markdown."""
    verdict = "PASSED" if not f.problems else "FAILED"
    orders = f.work.new_items + f.work.changed_items
    engine_days = days_by_plan(f.priced.requests)
    naive_calls = orders + f.work.subitems + f.work.new_groups
    naive_days = days_by_plan(naive_calls)
    records = orders + f.work.subitems
    per_record = f.priced.requests / records if records else 0.0
    out = [
        f"# volume-feasibility: {f.env_name} ({verdict})\n",
        *(f"- **{p}**" for p in f.problems),
        "\n## Pending work\n",
        md_table(["what", "count"], list(asdict(f.work).items())),
        "\n## Requests, from the client's batch plan\n",
        md_table(
            ["board / kind", "requests"],
            [
                ("items board (creates + updates)", f"{f.priced.item_requests:,}"),
                ("subitems board", f"{f.priced.subitem_requests:,}"),
                ("groups", f"{f.priced.group_requests:,}"),
                ("board reads (structure, values before updates)", f"{f.priced.read_requests:,}"),
                ("total calls", f"{f.priced.requests:,}"),
            ],
        ),
        f"\n{f.priced.aliases_per_request:.1f} aliases per request, {per_record:.3f} calls per record, "
        f"{f.priced.points:,} complexity points.\n",
        "\n## Minutes by bound\n",
        md_table(
            ["bound", "minutes", "binding"],
            [(k, f"{v:,.2f}", "yes" if k == f.projection.binding else "") for k, v in f.projection.minutes.items()],
        ),
        "\n## Board capacity\n",
        md_table(
            ["board", "id", "on it", "items_limit", "planned creates", "fit", "overflow"],
            [
                (
                    c.board,
                    c.board_id,
                    f"{c.items_count:,}",
                    "unknown" if c.items_limit is None else f"{c.items_limit:,}",
                    f"{c.planned:,}",
                    f"{c.fit:,}",
                    f"{c.overflow:,}",
                )
                for c in f.capacities
            ],
        ),
        f"\n## Schedule ({len(f.windows)} window(s) needed, {f.declared_windows} declared, plan {f.plan})\n",
        md_table(
            ["window", "orders", "calls", "starts", "work ends"],
            [(w.number, f"{w.first_order:,}-{w.last_order:,}", f"{w.calls:,}", *_clock(w)) for w in f.windows],
        ),
        "\n## Days of daily calls per monday plan\n",
        md_table(
            ["plan", "engine calls", "engine days", "naive calls (1 per record)", "naive days"],
            [
                (plan.value, f"{f.priced.requests:,}", engine_days[plan], f"{naive_calls:,}", naive_days[plan])
                for plan in engine_days
            ],
        ),
        "\n## Limits used\n",
        md_table(["knob", "value"], list(asdict(f.limits).items())),
    ]
    return "\n".join(out) + "\n"
