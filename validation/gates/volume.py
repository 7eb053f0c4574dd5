"""Gate ``volume-feasibility``: the pending work fits monday's limits inside the cutover window.

The origin pushed 29 records in 60 s and nobody had priced a full order book against
monday's budgets. This gate counts the environment's pending work straight from the
database (set-based SQL, nothing loaded into memory), prices it with monday's published
costs and limits, and projects how long the push takes under each bound:

* complexity per minute (every create/change costs ~10,000 points);
* requests per minute (writes go out as aliased batches of ``sync.batch_size``);
* daily calls (a request beyond the plan's daily cap waits for midnight UTC).

The largest projection is the *binding* bound; it must fit the window (default 4 h,
``ordersync gates ENV --window-hours N``). ``[sync] complexity_budget_per_minute`` and
``requests_per_minute`` in the config override the defaults.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.db import build_tables, discover_sizes, make_engine
from sync.states import SyncState
from validation.gates.evidence import md_table, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = ["PendingWork", "Projection", "VolumeGate", "VolumeLimits", "count_pending", "project"]

MINUTES_PER_DAY = 24 * 60
BUSINESS_KEY = "AAG ORDER NUMBER"


@dataclass(frozen=True)
class VolumeLimits:
    """monday's costs and limits (monday-api.md: rate limits); every number is a knob, none is hidden."""

    create_item: int = 10_000
    create_subitem: int = 10_000
    change: int = 10_000
    create_group: int = 10_000
    complexity_per_minute: int = 10_000_000  # personal tokens
    requests_per_minute: int = 5_000  # Enterprise
    daily_calls: int = 25_000  # Enterprise
    max_request_complexity: int = 5_000_000
    batch_size: int = 50
    window_hours: float = 4.0

    @classmethod
    def for_run(cls, config: Config, options: dict[str, Any]) -> VolumeLimits:
        """Defaults, then the config's ``[sync]`` pacing keys, then command-line options."""
        limits = cls(batch_size=config.sync.batch_size)
        if config.sync.complexity_budget_per_minute:
            limits = dataclasses.replace(
                limits, complexity_per_minute=config.sync.complexity_budget_per_minute
            )
        if config.sync.requests_per_minute:
            limits = dataclasses.replace(limits, requests_per_minute=config.sync.requests_per_minute)
        known = {f.name for f in dataclasses.fields(cls)}
        overrides = {k: v for k, v in options.items() if k in known and v is not None}
        return dataclasses.replace(limits, **overrides)


@dataclass(frozen=True)
class PendingWork:
    """What the next push has to do, counted in the database."""

    staging_rows: int
    new_items: int
    changed_items: int
    subitems: int
    new_groups: int


@dataclass(frozen=True)
class Projection:
    """The priced work and the minutes each bound needs; ``binding`` is the largest."""

    points: int
    requests: int
    minutes: dict[str, float]
    binding: str
    projected_minutes: float
    window_minutes: float

    @property
    def fits(self) -> bool:
        """The push ends inside the window."""
        return self.projected_minutes <= self.window_minutes


class VolumeGate:
    """Pending items, subitems and groups, priced against monday's limits, fit the cutover window."""

    name = "volume-feasibility"
    description = (
        "pending work priced against complexity/minute, requests/minute and daily calls fits the window"
    )

    def run(self, ctx: GateContext) -> GateResult:
        """Count, price, project and write volume.json + volume.md."""
        limits = VolumeLimits.for_run(ctx.config, dict(ctx.options))
        engine = make_engine(ctx.config.database_url(ctx.env_name))
        try:
            work = count_pending(ctx.config, ctx.env_name, engine)
        finally:
            engine.dispose()
        projection = project(work, limits)
        folder = ctx.evidence_dir(self.name)
        metrics: dict[str, Any] = {
            "checked": work.staging_rows,
            **asdict(work),
            "points": projection.points,
            "requests": projection.requests,
            "binding_bound": projection.binding,
            "projected_minutes": round(projection.projected_minutes, 2),
            "window_minutes": projection.window_minutes,
        }
        payload = {
            "metrics": metrics,
            "limits": asdict(limits),
            "work": asdict(work),
            "minutes_by_bound": projection.minutes,
        }
        evidence = [
            write_json(folder / "volume.json", payload),
            write_text(folder / "volume.md", _markdown(ctx.env_name, work, limits, projection)),
        ]
        verdict = "fits" if projection.fits else "does NOT fit"
        summary = (
            f"{work.new_items} new + {work.changed_items} changed items, {work.subitems} subitems, "
            f"{work.new_groups} groups = {projection.points:,} points / {projection.requests:,} requests; "
            f"{projection.projected_minutes:.1f} min bound by {projection.binding}, {verdict} the "
            f"{limits.window_hours:g} h window"
        )
        return gate_result(
            ctx, self.name, passed=projection.fits, summary=summary, metrics=metrics, evidence=evidence
        )


def count_pending(config: Config, env_name: str, engine: Engine) -> PendingWork:
    """Orders not SYNCED-and-unchanged in target, their size lines with qty > 0, groups not yet created."""
    env = config.environment(env_name)
    sizes = discover_sizes(
        engine, env.source_table, config.sizes.start_after, config.sizes.end_before, config.sizes.max_sizes
    )
    tables = build_tables(env.source_table, env.target_table, env.lines_table, sizes)
    s, t = tables.staging, tables.target
    compared = dict.fromkeys([*config.change_detection.hash_columns, *sizes])
    if config.change_detection.include_mapped_columns:
        compared.update(dict.fromkeys(env.mapping.items))
    changed = sa.or_(
        t.c.sync_state.is_(None),
        t.c.sync_state != SyncState.SYNCED.value,
        *(s.c[c].is_distinct_from(t.c[c]) for c in compared if c in s.c and c in t.c),
    )
    is_new = t.c.record_uuid.is_(None)
    pending = sa.or_(is_new, changed)
    lines = sum((sa.case((s.c[size] > 0, 1), else_=0) for size in sizes), sa.literal(0))
    joined = s.outerjoin(t, s.c[BUSINESS_KEY] == t.c[BUSINESS_KEY])
    totals = sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((is_new, 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(~is_new, changed), 1), else_=0)),
        sa.func.sum(sa.case((pending, lines), else_=0)),
    ).select_from(joined)
    group_columns = list(dict.fromkeys([*config.groups.columns, *config.groups.fallback_columns]))
    keys = sa.select(*(s.c[c] for c in group_columns)).select_from(joined).where(pending).distinct()
    existing_q = sa.select(tables.groups.c.group_name).where(tables.groups.c.board_id == env.monday.board_id)
    with engine.connect() as conn:
        rows, new, changed_n, subitems = conn.execute(totals).one()
        names = {
            _group_name(config, dict(zip(group_columns, row, strict=True))) for row in conn.execute(keys)
        }
        existing = set(conn.execute(existing_q).scalars())
    names.discard(config.groups.sentinel)
    return PendingWork(
        int(rows or 0), int(new or 0), int(changed_n or 0), int(subitems or 0), len(names - existing)
    )


def _group_name(config: Config, values: dict[str, Any]) -> str:
    """The engine's rule: primary columns when all are set, else the fallback, else the sentinel."""
    naming = config.groups
    for columns in (naming.columns, naming.fallback_columns):
        parts = [str(values.get(c) or "").strip() for c in columns]
        if all(parts):
            return naming.separator.join(parts)
    return naming.sentinel


def project(work: PendingWork, limits: VolumeLimits) -> Projection:
    """Price the work and project the minutes under each bound; the largest one binds."""
    kinds = (
        (work.new_groups, limits.create_group),
        (work.new_items, limits.create_item),
        (work.changed_items, limits.change),
        (work.subitems, limits.create_subitem),
    )
    points = sum(n * cost for n, cost in kinds)
    requests = 0
    for n, cost in kinds:
        per_request = max(1, min(limits.batch_size, limits.max_request_complexity // max(cost, 1)))
        requests += math.ceil(n / per_request)
    days_of_quota = math.ceil(requests / limits.daily_calls) if requests else 0
    minutes = {
        "complexity per minute": points / limits.complexity_per_minute,
        "requests per minute": requests / limits.requests_per_minute,
        # Requests beyond today's cap wait for midnight UTC: each extra day of quota is a day.
        "daily calls": max(0, days_of_quota - 1) * MINUTES_PER_DAY,
    }
    binding = max(minutes, key=lambda k: minutes[k])
    return Projection(points, requests, minutes, binding, minutes[binding], limits.window_hours * 60)


def _markdown(env_name: str, work: PendingWork, limits: VolumeLimits, projection: Projection) -> str:
    verdict = "fits" if projection.fits else "does NOT fit"
    return (
        f"# volume-feasibility: {env_name}\n\n"
        f"Projected {projection.projected_minutes:.2f} min, bound by **{projection.binding}**; "
        f"{verdict} the {limits.window_hours:g} h window.\n\n## Pending work\n\n"
        + md_table(["what", "count"], list(asdict(work).items()))
        + f"\nPriced: {projection.points:,} complexity points in {projection.requests:,} requests.\n\n"
        "## Minutes by bound\n\n"
        + md_table(
            ["bound", "minutes", "binding"],
            [
                (k, f"{v:.2f}", "yes" if k == projection.binding else "")
                for k, v in projection.minutes.items()
            ],
        )
        + "\n## Limits used\n\n"
        + md_table(["knob", "value"], list(asdict(limits).items()))
    )
