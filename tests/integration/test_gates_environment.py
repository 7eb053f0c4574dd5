"""environment-switching: the demo environments pass; the seed's mkp* production mapping fails."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sync.config import load_config
from validation.gates.environment import EnvironmentGate
from validation.gates.runner import GateContext, GateResult, GateStatus, run_gates

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.integration.gates_demo_support import build_demo
except ModuleNotFoundError:
    from gates_demo_support import build_demo  # type: ignore[no-redef]

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "seed_faulty_production.toml"


def _run(config_path: Path, env: str, tmp_path: Path) -> GateResult:
    ctx = GateContext(load_config(config_path), env, tmp_path / f"run-{env}")
    return run_gates(ctx, [EnvironmentGate()]).results[0]


@pytest.mark.parametrize("env", ["development", "production"])
def test_demo_environments_pass(
    env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """Each demo environment has its own boards, known columns, an emulator read and a database."""
    result = _run(build_demo(tmp_path / "demo", monkeypatch, database_url), env, tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    md = (tmp_path / f"run-{env}" / "environment-switching" / "environment.md").read_text(encoding="utf-8")
    assert "emulator transport: no token needed" in md


def test_seed_mkp_production_mapping_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """The seed's Planning-board mkp* ids are not on the production board and fail the gate by name."""
    demo = build_demo(tmp_path / "demo", monkeypatch, database_url).parent
    faulty = demo / "faulty.toml"
    shutil.copyfile(FIXTURE, faulty)
    result = _run(faulty, "production", tmp_path)
    assert result.status is GateStatus.FAILED
    checks = json.loads(
        (tmp_path / "run-production" / "environment-switching" / "environment.json").read_text(
            encoding="utf-8"
        )
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
    assert "exists on no known board" in result.summary


def test_http_transport_without_token_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    """With transport = http and no token in the environment, the gate fails naming the variable."""
    config_path = build_demo(tmp_path / "demo", monkeypatch, database_url)
    text = config_path.read_text(encoding="utf-8").replace('transport = "emulator"', 'transport = "http"', 1)
    config_path.write_text(text, encoding="utf-8")
    monkeypatch.delenv("MONDAY_API_TOKEN_DEV", raising=False)
    result = _run(config_path, "development", tmp_path)
    assert result.status is GateStatus.FAILED
    assert "MONDAY_API_TOKEN_DEV is not set" in result.summary
