"""Kept so existing imports work: the planner lives in :mod:`sync.engine.plan`."""

from sync.engine.plan import ItemOp, Plan, RowReject, SubitemOp, plan_items, plan_subitems

__all__ = ["ItemOp", "Plan", "RowReject", "SubitemOp", "plan_items", "plan_subitems"]
