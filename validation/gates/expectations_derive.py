"""Expectations derived at run time from the environment's mapping, the board contract and sync.states.

The JSON suites in ``expectations/`` hold rules that never change with the config. Rules
that *do* depend on it are built here, so a mapping change is validated the moment it is
made and the vocabulary cannot drift from :mod:`sync.states`:

* text columns mapped into monday ``numbers`` with ``coerce = true`` hold numbers;
* columns mapped into ``date`` hold ISO dates (where the database does not enforce it);
* dropdown/status columns that may not create labels only hold the board's labels;
* the item name from ``items.name_template`` fits ``items.max_length``;
* group names are never the sentinel; sizes and TOTAL QTY are non-negative and add up;
* ``sync_state`` / ``action_type`` use the one vocabulary.

SQL for row-level rules is built with SQLAlchemy for the database's dialect (identifiers
quoted by the dialect, never by hand) around GX's ``{batch}`` placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from great_expectations.expectations.core.expect_column_values_to_be_in_set import ExpectColumnValuesToBeInSet
from great_expectations.expectations.core.expect_column_values_to_match_regex import (
    ExpectColumnValuesToMatchRegex,
)
from great_expectations.expectations.core.expect_column_values_to_not_be_in_set import (
    ExpectColumnValuesToNotBeInSet,
)
from great_expectations.expectations.core.expect_column_values_to_not_match_like_pattern import (
    ExpectColumnValuesToNotMatchLikePattern,
)
from great_expectations.expectations.core.unexpected_rows_expectation import UnexpectedRowsExpectation
from great_expectations.expectations.expectation import Expectation
from sqlalchemy.engine import Dialect

from sync.config import Config
from sync.states import ACTION_TYPES, SYNC_STATES
from validation.gates.board_contract import BoardContract

__all__ = ["BATCH_MARKER", "NUMBER_REGEX", "derive_expectations", "unexpected_rows_sql"]

BUSINESS_KEY = "AAG ORDER NUMBER"
#: What ``coerce = true`` accepts: optional sign, digits, optional decimals; empty is "no value".
NUMBER_REGEX = r"^\s*([-+]?[0-9]+(\.[0-9]+)?)?\s*$"
ISO_DATE_REGEX = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
BATCH_MARKER = "__ordersync_gx_batch__"


def unexpected_rows_sql(select: sa.Select[Any], dialect: Dialect) -> str:
    """Compile a select over :data:`BATCH_MARKER` for ``dialect``; the marker becomes GX's ``{batch}``."""
    sql = str(select.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    return sql.replace("{", "{{").replace("}", "}}").replace(BATCH_MARKER, "{batch}")


def derive_expectations(
    config: Config,
    env_name: str,
    role: str,
    columns: Mapping[str, Any],
    dialect: Dialect,
    contract: BoardContract,
    sizes: tuple[str, ...],
) -> list[Expectation]:
    """The run-time expectations for one table role (``staging``, ``target`` or ``lines``)."""
    if role == "lines":
        return _vocabulary()
    out = _mapping_rules(config, env_name, columns, dialect, contract)
    out += _order_rules(config, columns, dialect, sizes)
    if role == "target":
        out += _vocabulary()
    return out


def _why(text: str) -> dict[str, Any]:
    return {"why": text, "derived": True}


def _vocabulary() -> list[Expectation]:
    return [
        ExpectColumnValuesToBeInSet(
            column="sync_state",
            value_set=list(SYNC_STATES),
            meta=_why("sync_state uses the sync.states vocabulary"),
        ),
        ExpectColumnValuesToBeInSet(
            column="action_type",
            value_set=list(ACTION_TYPES),
            meta=_why("action_type uses the sync.states vocabulary"),
        ),
    ]


def _mapping_rules(
    config: Config, env_name: str, columns: Mapping[str, Any], dialect: Dialect, contract: BoardContract
) -> list[Expectation]:
    env = config.environment(env_name)
    board = contract.items_board
    out: list[Expectation] = []
    for db_column, mapping in env.mapping.items.items():
        db_type = columns.get(db_column)
        is_text = db_type is None or isinstance(db_type, sa.String)
        if mapping.type == "numbers" and mapping.coerce and is_text:
            out.append(_number_rule(db_column, mapping.column, dialect.name))
        elif mapping.type == "date" and (is_text or dialect.name == "sqlite"):
            # SQLite stores DATE as text and enforces nothing; other servers enforce the DATE type.
            out.append(
                ExpectColumnValuesToMatchRegex(
                    column=db_column,
                    regex=ISO_DATE_REGEX,
                    meta=_why(f"mapped to date column {mapping.column}: values must be YYYY-MM-DD dates"),
                )
            )
        elif mapping.type in ("dropdown", "status") and not mapping.create_labels_if_missing:
            column = board.column(mapping.column) if board else None
            if column is not None:  # a column missing from the board fails environment-switching
                out.append(
                    ExpectColumnValuesToBeInSet(
                        column=db_column,
                        value_set=list(column.labels),
                        meta=_why(
                            f"{mapping.type} {mapping.column} ({column.title!r}) may not create labels: "
                            f"values must be among the board's {len(column.labels)} labels"
                        ),
                    )
                )
    return out


def _number_rule(db_column: str, target: str, dialect_name: str) -> Expectation:
    why = _why(f"text column mapped with coerce = true into numbers column {target}: values must parse as numbers")
    if dialect_name == "mssql":  # GX has no regex for SQL Server; its LIKE supports character classes
        return ExpectColumnValuesToNotMatchLikePattern(column=db_column, like_pattern="%[^0-9.+ -]%", meta=why)
    return ExpectColumnValuesToMatchRegex(column=db_column, regex=NUMBER_REGEX, meta=why)


def _order_rules(
    config: Config, columns: Mapping[str, Any], dialect: Dialect, sizes: tuple[str, ...]
) -> list[Expectation]:
    def col(name: str) -> sa.ColumnClause[Any]:
        return sa.column(name, columns.get(name, sa.Unicode()))

    batch = sa.table(BATCH_MARKER)
    key, total = col(BUSINESS_KEY), col(config.sizes.end_before)
    out: list[Expectation] = [
        ExpectColumnValuesToNotBeInSet(
            column="group_name",
            value_set=[config.groups.sentinel],
            meta=_why(f"the sentinel group {config.groups.sentinel!r} is never created on a board"),
        )
    ]
    size_cols = [col(s) for s in sizes]
    negative = (
        sa.select(key, total, *size_cols).select_from(batch).where(sa.or_(total < 0, *(c < 0 for c in size_cols)))
    )
    out.append(
        UnexpectedRowsExpectation(
            unexpected_rows_query=unexpected_rows_sql(negative, dialect),
            description=f"size quantities and {total.name} are non-negative",
        )
    )
    size_sum = sum((sa.func.coalesce(c, 0) for c in size_cols), sa.literal(0))
    mismatch = (
        sa.select(key, total, size_sum.label("sum_of_sizes"))
        .select_from(batch)
        .where(sa.or_(total.is_(None), total != size_sum))
    )
    out.append(
        UnexpectedRowsExpectation(
            unexpected_rows_query=unexpected_rows_sql(mismatch, dialect),
            description=f"{total.name} equals the sum of the {len(sizes)} size columns",
        )
    )
    out.append(_name_length_rule(config, col, batch, dialect))
    return out


def _name_length_rule(config: Config, col: Any, batch: sa.TableClause, dialect: Dialect) -> Expectation:
    template = config.items.name_template
    placeholders = re.findall(r"\{([^{}]+)\}", template)
    literal_chars = len(re.sub(r"\{[^{}]+\}", "", template))
    parts = []
    for name in placeholders:
        column = col(name)
        text = column if isinstance(column.type, sa.String) else sa.cast(column, sa.Unicode(255))
        parts.append(sa.func.coalesce(sa.func.length(text), 0))
    # Literal characters are counted even when a placeholder is empty: an upper bound, never an underestimate.
    length = sum(parts, sa.literal(literal_chars))
    query = (
        sa.select(col(BUSINESS_KEY), length.label("item_name_length"))
        .select_from(batch)
        .where(length > config.items.max_length)
    )
    return UnexpectedRowsExpectation(
        unexpected_rows_query=unexpected_rows_sql(query, dialect),
        description=f"item name {template!r} fits items.max_length = {config.items.max_length}",
    )
