"""Gate ``environment-switching``: the target environment is wired to its own boards, token and database.

The seed's cutover plan labelled the Planning board's ``mkp*`` column ids as production,
so a switch to production would have written into columns that do not exist there. This
gate proves, before the switch, that the environment under test:

* resolves from the config, and shares neither a board nor a database with any other
  environment (databases compared by resolved SQLite file or by server, port and name:
  "production uses development's database work/demo/dev.db");
* mentions no other environment's board id anywhere in its monday config or mapping;
* maps only column ids that exist on its *own* boards' contract (a column that exists only
  on another environment's board is named as such), with the mapped monday type;
* can read its boards with its own credentials (``token_env`` for ``transport = "http"``;
  the in-process persistent emulator, which needs no token, for ``transport = "emulator"``);
* reaches its database (``SELECT 1``) and finds its three tables there.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

import httpx
import sqlalchemy as sa

from sync.config import Config, monday_token, resolve_environment_name
from sync.db import make_engine
from sync.errors import ConfigError
from sync.monday import MondayClient, RetryPolicy, build_http_client
from validation.gates.board_contract import BoardContract, load_board_contract
from validation.gates.environment_shared import shared_with
from validation.gates.evidence import md_table, write_json, write_text
from validation.gates.runner import GateContext, GateResult, gate_result

__all__ = ["EnvCheck", "EnvironmentGate", "check_environment"]


@dataclass(frozen=True)
class EnvCheck:
    """One environment-switching check: what was checked, what was found, pass or fail."""

    check: str
    subject: str
    ok: bool
    detail: str


class EnvironmentGate:
    """The environment's boards, mapping, credentials and database belong to it and work."""

    name = "environment-switching"
    #: metrics a pass rests on: a passed result without them is inconclusive (runner)
    claims = ("checked", "board_id", "subitem_board_id")
    description = "own boards and column ids, no foreign board ids, token + board read, database reachable"

    def run(self, ctx: GateContext) -> GateResult:
        """Run every check and write environment.json + environment.md."""
        checks = check_environment(ctx.config, ctx.env_name)
        problems = [c for c in checks if not c.ok]
        folder = ctx.evidence_dir(self.name)
        env = ctx.config.environment(ctx.env_name)
        metrics = {
            "checked": len(checks),
            "problems": len(problems),
            "transport": env.monday.transport,
            "board_id": env.monday.board_id,
            "subitem_board_id": env.monday.subitem_board_id,
        }
        evidence = [
            write_json(folder / "environment.json", {"metrics": metrics, "checks": [asdict(c) for c in checks]}),
            write_text(folder / "environment.md", _markdown(ctx.env_name, checks)),
        ]
        if problems:
            named = "; ".join(f"{c.subject}: {c.detail}" for c in problems[:4])
            more = f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""
            summary = f"{len(problems)} of {len(checks)} checks failed: {named}{more}"
        else:
            summary = f"all {len(checks)} checks passed ({env.monday.transport} transport)"
        return gate_result(ctx, self.name, passed=not problems, summary=summary, metrics=metrics, evidence=evidence)


def check_environment(config: Config, env_name: str) -> list[EnvCheck]:
    """Every environment-switching check for ``env_name``; findings are results, not exceptions."""
    checks = [
        EnvCheck("config resolves", env_name, True, f"resolves to {resolve_environment_name(config, env_name)!r}")
    ]
    env = config.environment(env_name)
    own = {env.monday.board_id, env.monday.subitem_board_id}
    others = {
        name: {e.monday.board_id, e.monday.subitem_board_id}
        for name, e in config.environments.items()
        if name != env_name
    }
    for other, shared in shared_with(config, env_name).items():
        checks.append(
            EnvCheck(
                "shares no board or database",
                f"{env_name} vs {other}",
                not shared,
                "; ".join(str(s) for s in shared) if shared else "own boards and own database",
            )
        )
    text = json.dumps({"monday": env.monday.model_dump(mode="json"), "mapping": env.mapping.model_dump(mode="json")})
    for other, boards in sorted(others.items()):
        for board in sorted(boards - own):
            found = re.search(rf"(?<!\d){board}(?!\d)", text) is not None
            checks.append(
                EnvCheck(
                    "no foreign board id",
                    f"board {board} of {other}",
                    not found,
                    f"board id {board} of environment {other!r} appears in this environment's monday config or mapping"
                    if found
                    else "not mentioned",
                )
            )
    contract = load_board_contract(config, env_name)
    checks += _column_checks(config, env_name, contract, {n: load_board_contract(config, n) for n in others})
    checks.append(_read_boards(config, env_name))
    checks += _database(config, env_name)
    return checks


def _column_checks(
    config: Config, env_name: str, contract: BoardContract, other_contracts: dict[str, BoardContract]
) -> list[EnvCheck]:
    env = config.environment(env_name)
    checks = []
    for kind, board, mapping in (
        ("items", contract.items_board, env.mapping.items),
        ("subitems", contract.subitems_board, env.mapping.subitems),
    ):
        board_id = contract.items_board_id if kind == "items" else contract.subitems_board_id
        if board is None:
            checks.append(
                EnvCheck(
                    "board in contract",
                    f"{kind} board {board_id}",
                    False,
                    f"not described by {contract.source}",
                )
            )
            continue
        for db_column, target in mapping.items():
            subject = f"{kind} {db_column!r} -> {target.column}"
            column = board.column(target.column)
            if column is None:
                elsewhere = [
                    f"{_board_of(c, target.column)} of {name}"
                    for name, c in sorted(other_contracts.items())
                    if target.column in c.column_ids()
                ]
                where = (
                    f"exists only on another environment's board: {', '.join(elsewhere)}"
                    if elsewhere
                    else "exists on no known board"
                )
                checks.append(
                    EnvCheck(
                        "column on own board",
                        subject,
                        False,
                        f"not on {kind} board {board.id} ({board.name}); {where}",
                    )
                )
            elif column.type != target.type:
                checks.append(
                    EnvCheck(
                        "column on own board",
                        subject,
                        False,
                        f"board column {column.title!r} is {column.type}, mapping says {target.type}",
                    )
                )
            else:
                checks.append(
                    EnvCheck(
                        "column on own board",
                        subject,
                        True,
                        f"{column.title!r} ({column.type}) on board {board.id}",
                    )
                )
    return checks


def _board_of(contract: BoardContract, column_id: str) -> str:
    board = next(b for b in contract.boards.values() if column_id in b.columns)
    return f"board {board.id} ({board.name})"


def _read_boards(config: Config, env_name: str) -> EnvCheck:
    monday = config.environment(env_name).monday
    ids = [monday.board_id, monday.subitem_board_id]
    try:
        if monday.transport == "emulator":
            from sync.emulator import EmulatorTransport, open_persistent

            state = config.emulator_state_path(env_name)
            assert state is not None  # the config cross-check requires emulator_state for the emulator
            with open_persistent(state, require_token=False) as emulator:
                seen = _get_boards(config, env_name, None, EmulatorTransport(emulator), ids)
            how = f"emulator transport: no token needed; in-process emulator {state}"
        else:
            token = monday_token(config, env_name)
            seen = _get_boards(config, env_name, token, None, ids)
            how = f"http {monday.api_url} with ${monday.token_env} (set)"
    except ConfigError as exc:
        return EnvCheck("token and board read", "monday", False, "; ".join(p.message for p in exc.problems))
    except Exception as exc:  # any failure to read is the finding itself
        return EnvCheck("token and board read", "monday", False, f"boards query failed: {type(exc).__name__}: {exc}")
    missing = [b for b in ids if b not in seen]
    if missing:
        return EnvCheck("token and board read", "monday", False, f"{how}; boards {missing} not readable")
    return EnvCheck("token and board read", "monday", True, f"{how}; read {', '.join(seen[b] for b in ids)}")


def _get_boards(
    config: Config, env_name: str, token: str | None, transport: httpx.BaseTransport | None, ids: list[int]
) -> dict[int, str]:
    monday = config.environment(env_name).monday
    http = build_http_client(
        api_url=monday.api_url,
        token=token,
        api_version=monday.api_version,
        timeout_s=config.sync.request_timeout_s,
        transport=transport,
    )
    with http:
        client = MondayClient(http, retry=RetryPolicy(max_attempts=3), pacer=None)
        return {b.id: f"{b.id} {b.name!r}" for b in client.get_boards(ids)}


def _database(config: Config, env_name: str) -> list[EnvCheck]:
    env = config.environment(env_name)
    try:
        engine = make_engine(config.database_url(env_name))
        try:
            with engine.connect() as conn:
                conn.execute(sa.select(sa.literal(1))).scalar_one()
            tables = set(sa.inspect(engine).get_table_names())
        finally:
            engine.dispose()
    except Exception as exc:  # unreachable database is the finding
        return [EnvCheck("database reachable", "database", False, f"{type(exc).__name__}: {exc}")]
    checks = [EnvCheck("database reachable", "database", True, "SELECT 1 answered")]
    for table in (env.source_table, env.target_table, env.lines_table):
        checks.append(EnvCheck("table exists", table, table in tables, "present" if table in tables else "missing"))
    return checks


def _markdown(env_name: str, checks: list[EnvCheck]) -> str:
    failed = sum(1 for c in checks if not c.ok)
    return f"# environment-switching: {env_name}\n\n{len(checks)} checks, {failed} failed.\n\n" + md_table(
        ["ok", "check", "subject", "detail"],
        [("yes" if c.ok else "**NO**", c.check, c.subject, c.detail) for c in checks],
    )
