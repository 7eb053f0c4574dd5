"""Count what the next push has to do, straight from the database (set-based, nothing loaded).

Orders not SYNCED-and-unchanged in target, their size lines with qty > 0 (all of them, and
those of new orders, which are the creates on the subitems board; none for a cancelled
order), and the groups the push will create. Used by ``volume-feasibility``.
"""

from __future__ import annotations

__all__ = ["count_pending"]

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.db import build_tables, discover_sizes
from sync.states import SyncState
from validation.gates.volume_model import PendingWork

BUSINESS_KEY = "AAG ORDER NUMBER"
CANCEL_COLUMN = "ORDER TYPE"


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
    sized = sum((sa.case((s.c[size] > 0, 1), else_=0) for size in sizes), sa.literal(0))
    # A cancelled order's lines all go to qty 0 (sync.changes): none of them is created.
    cancelled = s.c[CANCEL_COLUMN].in_(list(config.change_detection.cancelled_order_types))
    lines = sa.case((cancelled, 0), else_=sized)
    joined = s.outerjoin(t, s.c[BUSINESS_KEY] == t.c[BUSINESS_KEY])
    totals = sa.select(
        sa.func.count(),
        sa.func.sum(sa.case((is_new, 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(~is_new, changed), 1), else_=0)),
        sa.func.sum(sa.case((pending, lines), else_=0)),
        sa.func.sum(sa.case((is_new, lines), else_=0)),
    ).select_from(joined)
    group_columns = list(dict.fromkeys([*config.groups.columns, *config.groups.fallback_columns]))
    keys = sa.select(*(s.c[c] for c in group_columns)).select_from(joined).where(pending).distinct()
    existing_q = sa.select(tables.groups.c.group_name).where(tables.groups.c.board_id == env.monday.board_id)
    with engine.connect() as conn:
        rows, new, changed_n, subitems, new_subitems = conn.execute(totals).one()
        names = {_group_name(config, dict(zip(group_columns, row, strict=True))) for row in conn.execute(keys)}
        existing = set(conn.execute(existing_q).scalars())
    names.discard(config.groups.sentinel)
    return PendingWork(
        int(rows or 0),
        int(new or 0),
        int(changed_n or 0),
        int(subitems or 0),
        int(new_subitems or 0),
        len(names - existing),
    )


def _group_name(config: Config, values: dict[str, Any]) -> str:
    """The engine's rule: primary columns when all are set, else the fallback, else the sentinel."""
    naming = config.groups
    for columns in (naming.columns, naming.fallback_columns):
        parts = [str(values.get(c) or "").strip() for c in columns]
        if all(parts):
            return naming.separator.join(parts)
    return naming.sentinel
