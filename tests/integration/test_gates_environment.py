"""environment-switching: the demo environments pass; the seed's mkp* production mapping fails; a shared
database or board, a missing token and a client that loses a board are caught by name."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest
import sqlalchemy as sa
import tomlkit

from sync.config import load_config
from sync.monday import MondayClient
from sync.monday.client import BoardInfo
from validation.gates.environment import EnvironmentGate
from validation.gates.runner import GateContext, GateResult, GateStatus, run_gates

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]
try:
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]
from validation.gates.environment_shared import database_identity

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "seed_faulty_production.toml"


def _run(config_path: Path, env: str, tmp_path: Path) -> GateResult:
    ctx = GateContext(load_config(config_path), env, tmp_path / f"run-{env}")
    return run_gates(ctx, [EnvironmentGate()]).results[0]


@pytest.mark.parametrize("env", ["development", "production"])
def test_demo_environments_pass(env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """Each demo environment has its own boards, known columns, an emulator read and a database."""
    result = _run(build_demo(tmp_path / "demo", monkeypatch, database_url), env, tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    md = (tmp_path / f"run-{env}" / "environment-switching" / "environment.md").read_text(encoding="utf-8")
    assert "emulator transport: no token needed" in md


@pytest.mark.seeded_defect(gate="environment-switching", kind="config")
def test_seed_mkp_production_mapping_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """The seed's Planning-board mkp* ids are not on the production board and fail the gate by name."""
    demo = build_demo(tmp_path / "demo", monkeypatch, database_url).parent
    faulty = demo / "faulty.toml"
    shutil.copyfile(FIXTURE, faulty)
    result = _run(faulty, "production", tmp_path)
    assert result.status is GateStatus.FAILED
    checks = json.loads(
        (tmp_path / "run-production" / "environment-switching" / "environment.json").read_text(encoding="utf-8")
    )["checks"]
    failed = {c["subject"] for c in checks if not c["ok"]}
    for column in (
        "dropdown_mkp4ar5n",
        "text_mkp47g7m",
        "dropdown_mkp4kmtp",
        "text_mkp6sfqv",
        "numeric_mkp_qty",
    ):
        assert any(column in subject for subject in failed), column
    assert_gate_caught(result, "exists on no known board")


@pytest.mark.seeded_defect(gate="environment-switching", kind="config")
def test_http_transport_without_token_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    """With transport = http and no token in the environment, the gate fails naming the variable."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    text = config_path.read_text(encoding="utf-8").replace('transport = "emulator"', 'transport = "http"', 1)
    config_path.write_text(text, encoding="utf-8")
    monkeypatch.delenv("MONDAY_API_TOKEN_DEV", raising=False)
    result = _run(config_path, "development", tmp_path)
    assert result.status is GateStatus.FAILED
    assert "MONDAY_API_TOKEN_DEV is not set" in result.summary
    assert_gate_caught(result, "MONDAY_API_TOKEN_DEV is not set")


def _edit(config_path: Path, env: str, key: str, value: object) -> None:
    doc = tomlkit.parse(config_path.read_text(encoding="utf-8"))
    section = doc["environments"][env]  # type: ignore[index]
    *parents, leaf = key.split(".")
    for part in parents:
        section = section[part]  # type: ignore[index]
    section[leaf] = value  # type: ignore[index]
    config_path.write_text(tomlkit.dumps(doc), encoding="utf-8")


@pytest.mark.seeded_defect(gate="environment-switching", kind="config")
def test_production_pointing_at_developments_database_file_fails_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """production's URL spells development's SQLite file differently (./x/../dev.db): one file, so it fails."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, "sqlite://")
    dev_url = load_config(config_path).database_url("development")
    dev_file = Path(str(dev_url.database))
    _edit(config_path, "production", "database.url", f"sqlite:///./sub/../{dev_file.name}")
    monkeypatch.chdir(tmp_path)
    result = _run(config_path, "production", tmp_path)
    assert_gate_caught(result, f"production uses development's database demo/{dev_file.name}")


@pytest.mark.seeded_defect(gate="environment-switching", kind="product")
def test_a_client_that_loses_a_board_from_its_answer_fails_naming_the_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Client defect: get_boards loses the last board asked for (off by one); the subitems board is named unreadable."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    real = MondayClient.get_boards

    def off_by_one(self: MondayClient, ids: Sequence[int]) -> list[BoardInfo]:
        return [b for b in real(self, ids) if b.id != ids[-1]]

    monkeypatch.setattr(MondayClient, "get_boards", off_by_one)
    subitems = load_config(config_path).environment("development").monday.subitem_board_id
    result = _run(config_path, "development", tmp_path)
    assert_gate_caught(result, f"boards [{subitems}] not readable")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("postgresql+psycopg://u@LOCALHOST/orders", "postgresql://other@127.0.0.1:5432/orders"),
        ("mssql+pyodbc://u@sql.example.internal:1433/Orders", "mssql+pyodbc://v@SQL.example.internal/orders"),
        ("sqlite:////tmp/x/../db.sqlite", "sqlite:////tmp/db.sqlite"),
    ],
)
def test_database_identity_sees_through_spelling(a: str, b: str) -> None:
    """Driver, user, host case, loopback alias, default port and path dots do not make a second database."""
    assert database_identity(sa.make_url(a)) == database_identity(sa.make_url(b))


def test_database_identity_keeps_different_databases_apart() -> None:
    """Another name, port or host is another database; in-memory SQLite is private to each connection."""
    base = database_identity(sa.make_url("postgresql://u@db/orders"))
    for other in ("postgresql://u@db/orders_dev", "postgresql://u@db:5433/orders", "postgresql://u@db2/orders"):
        assert database_identity(sa.make_url(other)) != base
    assert database_identity(sa.make_url("sqlite://")) is None
