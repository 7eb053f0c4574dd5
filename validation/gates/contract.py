"""Gate ``board-contract``: the mapping fits the boards monday really has, as recorded in the cassette.

The seed's cutover plan mapped production to the Planning board's ``mkp*`` columns; nothing
checked the ids against the board. This gate replays ``cassettes/<env>/boards.yaml`` (replay
only: a missing cassette, or one that does not answer the client's current ``GetBoards``
document, fails the gate) and checks, naming environment, DB column, column id and reason:

* every mapped column exists on the right board (items mapping on the items board, subitems
  mapping on the subitems board) with the type the mapping declares;
* the board type can hold the DB column's type (a DATE into a dropdown fails; text into
  numbers fails unless the mapping says ``coerce = true``); DB types are the declared
  tables of :mod:`sync.db`, so the check runs offline;
* no monday column is the target of two DB columns;
* the items board's subtasks column links to the configured subitems board (``boardIds``);
* every GraphQL document the client can send validates against ``sync/monday/schema.graphql``.

Provenance: the evidence names where the cassette came from (the live API with its API
version, or the emulator) and when. For an environment whose ``transport`` is ``http`` (a
real monday board) an emulator recording is not evidence: the gate fails and says how to
re-record (``nox -s record-cassettes -- ENV``). An empty cassette, or one of another board,
is named as exactly that (and not replayed).

Contract changes: when a newer recording ``boards.new.yaml`` sits next to the cassette,
:func:`compare_recordings` reports column by column what was renamed, retyped, added or
removed; a removed or retyped *mapped* column fails the gate.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import graphql
import sqlalchemy as sa

from sync.config import ColumnMapping, Config
from sync.db import build_tables
from sync.monday import operations as ops
from sync.monday.models import BoardInfo
from validation.gates.board_contract import cassette_path
from validation.gates.cassette_provenance import CassetteProvenance, judge_provenance, read_provenance
from validation.gates.cassettes import NEW_CASSETTE_NAME, CassetteMiss, replay_boards
from validation.gates.contract_changes import ColumnChange, compare_recordings
from validation.gates.evidence import md_table, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = [
    "BoardContractGate",
    "ContractFinding",
    "check_documents",
    "check_mapping",
    "client_documents",
]

#: Which DB value kinds each monday column type can hold without loss or guessing.
ACCEPTS: Mapping[str, frozenset[str]] = {
    "text": frozenset({"text", "integer", "decimal", "date", "datetime", "boolean"}),
    "long_text": frozenset({"text", "integer", "decimal", "date", "datetime", "boolean"}),
    "name": frozenset({"text"}),
    "numbers": frozenset({"integer", "decimal"}),
    "date": frozenset({"date", "datetime"}),
    "dropdown": frozenset({"text"}),
    "status": frozenset({"text"}),
    "checkbox": frozenset({"boolean"}),
}
SUBTASKS_TYPE = "subtasks"


@dataclass(frozen=True)
class ContractFinding:
    """One contract check; ``why`` says what was found (a reason when ``ok`` is False)."""

    environment: str
    check: str
    board: str
    db_column: str | None
    column_id: str | None
    ok: bool
    why: str

    def describe(self) -> str:
        """``production items 'AAG SEASON' -> text_mkp47g7m: why``."""
        subject = " ".join(
            filter(
                None,
                [
                    self.environment,
                    self.board,
                    repr(self.db_column) if self.db_column else None,
                    f"-> {self.column_id}" if self.column_id else None,
                ],
            )
        )
        return f"{subject}: {self.why}"


class BoardContractGate:
    """Mapped columns exist on the recorded boards with compatible types; documents fit the schema."""

    name = "board-contract"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = ("checked", "cassette", "cassette_source")
    description = "replayed boards cassette: mapped column ids, types, DB compatibility, subitems link, documents"

    def run(self, ctx: GateContext) -> GateResult:
        """Replay, check, compare with a newer recording if any, and write contract.json + contract.md."""
        env = ctx.env_name
        cassette = cassette_path(ctx.config, env)
        findings: list[ContractFinding] = []
        changes: list[ColumnChange] = []
        prov = read_provenance(cassette) if cassette is not None else None
        monday = ctx.config.environment(env).monday
        wanted = (monday.board_id, monday.subitem_board_id)
        if prov is not None:
            judged = judge_provenance(prov, env, monday.transport, wanted)
            findings += [ContractFinding(env, check, "-", None, None, ok, why) for check, ok, why in judged]
        if cassette is None:
            findings.append(
                ContractFinding(
                    env,
                    "cassette",
                    "-",
                    None,
                    None,
                    False,
                    f"no cassette cassettes/{env}/boards.yaml under [paths] cassettes of {ctx.config.path} "
                    "(nor a shipped one); "
                    f"record one with `ordersync cassettes record {env}` (or `--emulator`)",
                )
            )
        elif prov is not None and not set(wanted) <= set(prov.board_ids):
            pass  # empty, or another board's: named above; a replay would only repeat "no recorded answer"
        else:
            try:
                boards = replay_boards(ctx.config, env, cassette)
            except CassetteMiss as exc:
                findings.append(ContractFinding(env, "cassette", "-", None, None, False, str(exc)))
            else:
                findings.append(ContractFinding(env, "cassette", "-", None, None, True, f"replayed {cassette}"))
                findings += check_mapping(ctx.config, env, boards)
            newer = cassette.with_name(NEW_CASSETTE_NAME)
            if newer.is_file():
                changes = compare_recordings(cassette, newer)
                findings += _change_findings(ctx.config, env, changes, newer)
        findings += check_documents(env)
        return self._result(ctx, cassette, findings, changes, prov)

    def _result(
        self,
        ctx: GateContext,
        cassette: Path | None,
        findings: list[ContractFinding],
        changes: list[ColumnChange],
        prov: CassetteProvenance | None,
    ) -> GateResult:
        problems = [f for f in findings if not f.ok]
        folder = ctx.evidence_dir(self.name)
        metrics = {
            "checked": len(findings),
            "problems": len(problems),
            "contract_changes": len(changes),
            "cassette": str(cassette) if cassette else None,
            "cassette_source": prov.source if prov else None,
            "cassette_api_version": prov.api_version if prov else None,
            "cassette_recorded_at": prov.recorded_at if prov else None,
        }
        payload = {
            "provenance": {**asdict(prov), "describe": prov.describe()} if prov else None,
            "metrics": metrics,
            "findings": [asdict(f) for f in findings],
            "changes": [asdict(c) for c in changes],
        }
        evidence = [
            write_json(folder / "contract.json", payload),
            write_text(
                folder / "contract.md",
                _markdown(ctx.env_name, cassette, findings, changes, prov.describe() if prov else "no cassette"),
            ),
        ]
        if problems:
            by_check: dict[str, list[str]] = defaultdict(list)
            for f in problems:
                by_check[f.check].append(_short(f))
            named = "; ".join(f"{check}: {', '.join(subjects)}" for check, subjects in by_check.items())
            summary = (
                f"{len(problems)} of {len(findings)} contract checks failed in {ctx.env_name} "
                f"({named}); first: {problems[0].describe()}"
            )
        else:
            origin = prov.describe() if prov else ""
            summary = f"all {len(findings)} contract checks passed against {cassette} ({origin})"
            if changes:
                summary += f"; {len(changes)} contract change(s) in {NEW_CASSETTE_NAME} touch no mapped column"
        return gate_result(ctx, self.name, passed=not problems, summary=summary, metrics=metrics, evidence=evidence)


def _short(finding: ContractFinding) -> str:
    if finding.db_column and finding.column_id:
        return f"{finding.board} {finding.db_column!r} -> {finding.column_id}"
    return finding.column_id or finding.why


# ---------------------------------------------------------------- mapping checks
def check_mapping(config: Config, env_name: str, boards: Sequence[BoardInfo]) -> list[ContractFinding]:
    """Every mapping check for ``env_name`` against recorded ``boards``; findings, never exceptions."""
    env = config.environment(env_name)
    by_id = {b.id: b for b in boards}
    tables = build_tables(env.source_table, env.target_table, env.lines_table)
    sides = (
        ("items", env.monday.board_id, env.mapping.items, tables.target),
        ("subitems", env.monday.subitem_board_id, env.mapping.subitems, tables.lines),
    )
    findings: list[ContractFinding] = []
    for kind, board_id, mapping, table in sides:
        board = by_id.get(board_id)
        if board is None:
            findings.append(
                ContractFinding(
                    env_name,
                    "board recorded",
                    kind,
                    None,
                    None,
                    False,
                    f"{kind} board {board_id} is not in the recording",
                )
            )
        other = next(
            (b for b in boards if b.id != board_id and b.id in (env.monday.board_id, env.monday.subitem_board_id)),
            None,
        )
        for db_column, target in mapping.items():
            findings += _column_findings(env_name, kind, board, other, table, db_column, target)
        findings += _single_target(env_name, kind, mapping)
    findings.append(_subitems_link(env_name, by_id.get(env.monday.board_id), env.monday.subitem_board_id))
    return findings


def _column_findings(
    env_name: str,
    kind: str,
    board: BoardInfo | None,
    other: BoardInfo | None,
    table: sa.Table,
    db_column: str,
    target: ColumnMapping,
) -> list[ContractFinding]:
    def finding(check: str, ok: bool, why: str) -> ContractFinding:
        return ContractFinding(env_name, check, kind, db_column, target.column, ok, why)

    out: list[ContractFinding] = []
    board_type: str = target.type
    if board is not None:
        column = next((c for c in board.columns if c.id == target.column), None)
        if column is None:
            where = f"not a column of {kind} board {board.id} {board.name!r}"
            if other is not None and any(c.id == target.column for c in other.columns):
                where += f"; it is on board {other.id} {other.name!r} (the wrong board for the {kind} mapping)"
            namesake = next((c for c in board.columns if c.title.strip().lower() == db_column.strip().lower()), None)
            if namesake is not None:
                where += f"; the board's column titled {namesake.title!r} is {namesake.id} ({namesake.type})"
            out.append(finding("column exists", False, where))
        else:
            out.append(finding("column exists", True, f"{column.title!r} on board {board.id}"))
            board_type = column.type
            out.append(
                finding(
                    "column type",
                    column.type == target.type,
                    f"board column {column.title!r} is {column.type}"
                    + ("" if column.type == target.type else f", the mapping declares {target.type}"),
                )
            )
    out.append(_db_compatible(finding, table, db_column, board_type, target))
    return out


def _db_compatible(
    finding: Callable[[str, bool, str], ContractFinding],
    table: sa.Table,
    db_column: str,
    board_type: str,
    target: ColumnMapping,
) -> ContractFinding:
    if db_column not in table.c:
        return finding("db type", False, f"{db_column!r} is not a column of {table.name}")
    db_type = table.c[db_column].type
    kind = _db_kind(db_type)
    accepted = ACCEPTS.get(board_type, frozenset())
    if kind in accepted:
        return finding("db type", True, f"{table.name}.{db_column} {db_type} fits a {board_type} column")
    if kind == "text" and board_type == "numbers" and target.coerce:
        return finding("db type", True, f"{table.name}.{db_column} {db_type} is parsed as a number (coerce = true)")
    hint = "; set coerce = true if the text always holds numbers" if kind == "text" and board_type == "numbers" else ""
    return finding(
        "db type",
        False,
        f"{table.name}.{db_column} is {db_type} ({kind}); a {board_type} column cannot hold it{hint}",
    )


def _db_kind(db_type: sa.types.TypeEngine[Any]) -> str:
    for kind, cls in (
        ("boolean", sa.Boolean),
        ("datetime", sa.DateTime),
        ("date", sa.Date),
        ("integer", sa.Integer),
        ("decimal", sa.Numeric),
        ("text", sa.String),
    ):
        if isinstance(db_type, cls):
            return kind
    return type(db_type).__name__.lower()


def _single_target(env_name: str, kind: str, mapping: Mapping[str, ColumnMapping]) -> list[ContractFinding]:
    sources: dict[str, list[str]] = defaultdict(list)
    for db_column, target in mapping.items():
        sources[target.column].append(db_column)
    return [
        ContractFinding(
            env_name,
            "single target",
            kind,
            db_column,
            column_id,
            False,
            f"written by {len(names)} DB columns ({', '.join(map(repr, names))}); the last value would silently win",
        )
        for column_id, names in sources.items()
        if len(names) > 1
        for db_column in names
    ]


def _subitems_link(env_name: str, items_board: BoardInfo | None, subitem_board_id: int) -> ContractFinding:
    def finding(ok: bool, why: str, column_id: str | None = None) -> ContractFinding:
        return ContractFinding(env_name, "subitems board link", "items", None, column_id, ok, why)

    if items_board is None:
        return finding(False, "items board not recorded; cannot read its subtasks column")
    links = [
        (c.id, [int(b) for b in c.settings.get("boardIds") or []])
        for c in items_board.columns
        if c.type == SUBTASKS_TYPE
    ]
    if not links:
        return finding(False, f"items board {items_board.id} has no subtasks column")
    for column_id, board_ids in links:
        if subitem_board_id in board_ids:
            return finding(True, f"subtasks column links to board {subitem_board_id}", column_id)
    return finding(
        False,
        f"subtasks column links to {links[0][1]}, not the configured subitem_board_id {subitem_board_id}",
        links[0][0],
    )


# ---------------------------------------------------------------- documents
#: Sample arguments per document builder in sync.monday.operations (one alias is enough to validate).
_SAMPLES: Mapping[str, Callable[[], ops.Document]] = {
    "create_items_document": lambda: ops.create_items_document(1, [("a", "g", '{"x":1}')], create_labels=True),
    "create_subitems_document": lambda: ops.create_subitems_document([(2, "s", None)], create_labels=False),
    "change_column_values_document": lambda: ops.change_column_values_document(1, [(3, "{}")], create_labels=False),
    "delete_items_document": lambda: ops.delete_items_document([4], archive=False),
    "create_group_document": lambda: ops.create_group_document(1, "g"),
    "delete_group_document": lambda: ops.delete_group_document(1, "g"),
    "delete_groups_document": lambda: ops.delete_groups_document(1, ["g", "h"]),
}
_QUERIES = {
    "BOARDS": "GetBoards",
    "ITEMS_PAGE": "ItemsPage",
    "NEXT_ITEMS_PAGE": "NextItemsPage",
    "ITEMS_PAGE_BY_COLUMN_VALUES": "ItemsPageByColumnValues",
    "ITEMS_BY_ID": "ItemsById",
    "ITEM_GROUPS_PAGE": "ItemGroupsPage",
    "NEXT_ITEM_GROUPS_PAGE": "NextItemGroupsPage",
    "COMPLEXITY": "Complexity",
}


def client_documents() -> list[ops.Document]:
    """One of every document the client can send: the read queries and each mutation builder.

    A builder added to ``sync.monday.operations`` without a sample here raises, so the gate
    (and its test) cannot silently skip a new document.
    """
    builders = {name for name in ops.__all__ if name.endswith("_document") and inspect.isfunction(getattr(ops, name))}
    unknown = sorted(builders - set(_SAMPLES))
    if unknown:
        raise LookupError(f"no sample arguments for document builder(s) {unknown}; add them to _SAMPLES")
    docs = [ops.Document(name, getattr(ops, constant)) for constant, name in _QUERIES.items()]
    docs += [_SAMPLES[name]() for name in sorted(builders)]
    docs.append(ops.create_items_document(1, [("a", "g", None), ("b", None, "{}")], create_labels=False))
    return docs


def check_documents(env_name: str, schema_text: str | None = None) -> list[ContractFinding]:
    """Validate every client document against the project's schema subset (or ``schema_text``)."""
    if schema_text is None:
        schema_text = (resources.files("sync.monday") / "schema.graphql").read_text(encoding="utf-8")
    schema = graphql.build_schema(schema_text)
    findings = []
    for doc in client_documents():
        try:
            errors = graphql.validate(schema, graphql.parse(doc.query))
        except graphql.GraphQLError as exc:
            errors = [exc]
        why = "; ".join(e.message for e in errors) if errors else "validates against sync/monday/schema.graphql"
        findings.append(ContractFinding(env_name, "document validates", "-", None, doc.operation_name, not errors, why))
    return findings


# ---------------------------------------------------------------- contract changes
def _change_findings(
    config: Config, env_name: str, changes: Sequence[ColumnChange], newer: Path
) -> list[ContractFinding]:
    env = config.environment(env_name)
    mapped = {
        env.monday.board_id: {m.column: c for c, m in env.mapping.items.items()},
        env.monday.subitem_board_id: {m.column: c for c, m in env.mapping.subitems.items()},
    }
    findings = []
    for change in changes:
        db_column = mapped.get(change.board_id, {}).get(change.column_id)
        breaking = db_column is not None and change.kind in ("removed", "retyped")
        kind = (
            "items"
            if change.board_id == env.monday.board_id
            else ("subitems" if change.board_id == env.monday.subitem_board_id else f"board {change.board_id}")
        )
        note = "mapped column; re-map before cutover" if breaking else ("mapped column" if db_column else "not mapped")
        findings.append(
            ContractFinding(
                env_name,
                "contract change",
                kind,
                db_column,
                change.column_id,
                not breaking,
                f"{change.describe()} in {newer.name} ({note})",
            )
        )
    return findings


def _markdown(
    env_name: str,
    cassette: Path | None,
    findings: Sequence[ContractFinding],
    changes: Sequence[ColumnChange],
    provenance: str,
) -> str:
    failed = [f for f in findings if not f.ok]
    text = (
        f"# board-contract: {env_name}\n\nCassette: `{cassette}`, {provenance}\n\n"
        f"{len(findings)} checks, {len(failed)} failed.\n\n"
    )
    if failed:
        text += (
            "## Failures\n\n"
            + md_table(
                ["check", "board", "DB column", "column id", "why"],
                [(f.check, f.board, f.db_column, f.column_id, f.why) for f in failed],
            )
            + "\n"
        )
    if changes:
        text += (
            "## Contract changes (committed -> newer recording)\n\n"
            + md_table(
                ["board", "column id", "change", "before", "after"],
                [(c.board_id, c.column_id, c.kind, c.before, c.after) for c in changes],
            )
            + "\n"
        )
    text += "## All checks\n\n" + md_table(
        ["ok", "check", "board", "DB column", "column id", "detail"],
        [("yes" if f.ok else "**NO**", f.check, f.board, f.db_column, f.column_id, f.why) for f in findings],
    )
    return text
