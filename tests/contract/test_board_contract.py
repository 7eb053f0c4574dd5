"""The board-contract gate against the committed cassettes (replayed, never recorded; no emulator here)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from sync.config import ColumnMapping, Config, load_config
from sync.connect import build_client
from sync.monday import operations as ops
from sync.monday.models import BoardInfo
from validation.gates.cassettes import vcr_config as cassette_vcr_config
from validation.gates.contract import BoardContractGate, ContractFinding, check_documents, check_mapping
from validation.gates.contract_changes import ColumnChange, compare_recordings
from validation.gates.runner import GateContext, GateStatus

try:  # tests/ as a package (rootdir on sys.path) or as plain folders (this folder on sys.path)
    from tests.seeded_defects import assert_gate_caught
except ModuleNotFoundError:
    from seeded_defects import assert_gate_caught  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
CASSETTES = REPO / "cassettes"
SHIPPED = REPO / "ordersync.toml"
FAULTY = REPO / "tests" / "fixtures" / "seed_faulty_production.toml"
ENVS = ["development", "production"]
#: Table C of the seed plan: Planning-board ids that do not exist on the production board.
SEED_BAD_COLUMNS = {
    "CUSTOMER NAME": "dropdown_mkp4ar5n",
    "AAG SEASON": "text_mkp47g7m",
    "CUSTOMER SEASON": "dropdown_mkp4kmtp",
    "AAG ORDER NUMBER": "text_mkp6sfqv",
    "CUSTOMER STYLE": "text_mkp4w7tj",
    "CUSTOMER COLOUR DESCRIPTION": "text_mkp41ze2",
}


@pytest.fixture
def vcr_config() -> dict[str, Any]:
    """Replay only, matched on method, path and GraphQL body (the matcher is registered in conftest)."""
    return cassette_vcr_config()


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """The committed top-level cassettes/<env>/ folder (``env`` parameter), not the per-module default."""
    callspec = getattr(request.node, "callspec", None)
    env = callspec.params.get("env", "development") if callspec else "development"
    return str(CASSETTES / env)


def replayed_boards(config: Config, env: str) -> list[BoardInfo]:
    """``get_boards`` through the real client and httpx's network transport, which vcrpy answers."""
    monday = config.environment(env).monday
    client = build_client(config, env, None, "replayed-token")
    with client.http:
        return client.get_boards([monday.board_id, monday.subitem_board_id])


def failures(findings: list[ContractFinding]) -> list[ContractFinding]:
    return [f for f in findings if not f.ok]


def with_items_mapping(config: Config, env: str, **changes: ColumnMapping) -> Config:
    """A config copy whose items mapping has ``changes`` applied (bypasses load-time cross-checks)."""
    environment = config.environment(env)
    mapping = environment.mapping.model_copy(update={"items": {**environment.mapping.items, **changes}})
    new_env = environment.model_copy(update={"mapping": mapping})
    return config.model_copy(update={"environments": {**config.environments, env: new_env}})


def run_gate(config: Config, env: str, tmp_path: Path) -> Any:
    return BoardContractGate().run(GateContext(config, env, tmp_path / "report"))


@pytest.mark.vcr
@pytest.mark.default_cassette("boards.yaml")
@pytest.mark.parametrize("env", ENVS)
def test_shipped_config_fits_the_recorded_boards(env: str) -> None:
    """Every mapped column of the shipped config exists with its type on the replayed boards."""
    config = load_config(SHIPPED)
    boards = replayed_boards(config, env)
    findings = check_mapping(config, env, boards)
    assert failures(findings) == []
    assert {f.check for f in findings} >= {"column exists", "column type", "db type", "subitems board link"}
    assert len(findings) > 3 * len(config.environment(env).mapping.items)


@pytest.mark.vcr
@pytest.mark.default_cassette("boards.yaml")
@pytest.mark.parametrize("env", ["production"])
def test_seed_production_mapping_fails_naming_each_bad_column(env: str) -> None:
    """The seed plan's mkp* mapping (Planning board ids) fails on the production board, column by column."""
    config = load_config(FAULTY)
    bad = failures(check_mapping(config, env, replayed_boards(config, env)))
    named = {(f.db_column, f.column_id) for f in bad if f.check == "column exists"}
    assert set(SEED_BAD_COLUMNS.items()) <= named
    assert ("size_code", "text_mkp_size_code") in named
    assert ("qty", "numeric_mkp_qty") in named
    season = next(f for f in bad if f.column_id == "text_mkp47g7m")
    assert season.environment == "production"
    assert "not a column of items board 9200517329" in season.why
    assert "dropdown_mkr58de6" in season.why  # points at the board's real AAG SEASON column


def test_gate_fails_the_seed_production_mapping(tmp_path: Path) -> None:
    """The gate replays the production cassette itself and names the bad columns in summary and evidence."""
    result = run_gate(load_config(FAULTY), "production", tmp_path)
    assert result.status is GateStatus.FAILED
    for column_id in ("dropdown_mkp4ar5n", "text_mkp47g7m", "dropdown_mkp4kmtp"):
        assert column_id in result.summary
    evidence = json.loads(next(p for p in result.evidence if p.suffix == ".json").read_text(encoding="utf-8"))
    bad = {f["column_id"] for f in evidence["findings"] if not f["ok"]}
    assert set(SEED_BAD_COLUMNS.values()) <= bad


def with_transport(config: Config, env: str, transport: str) -> Config:
    """A config copy whose environment talks to ``transport`` (bypasses load-time cross-checks)."""
    environment = config.environment(env)
    monday = environment.monday.model_copy(update={"transport": transport})
    new_env = environment.model_copy(update={"monday": monday})
    return config.model_copy(update={"environments": {**config.environments, env: new_env}})


def project_with_cassette(tmp_path: Path, env: str, text: str) -> Config:
    """A project folder (shipped config) whose cassettes/<env>/boards.yaml holds ``text``."""
    shutil.copy(SHIPPED, tmp_path / "ordersync.toml")
    folder = tmp_path / "cassettes" / env
    folder.mkdir(parents=True)
    (folder / "boards.yaml").write_text(text, encoding="utf-8")
    return load_config(tmp_path / "ordersync.toml")


def live_recording(env: str) -> str:
    """The committed cassette as if recorded from api.monday.com (stamp, URL and time)."""
    document = yaml.safe_load((CASSETTES / env / "boards.yaml").read_text(encoding="utf-8"))
    for interaction in document["interactions"]:
        interaction["request"]["uri"] = "https://api.monday.com/v2"
        headers = interaction["response"]["headers"]
        headers["x-ordersync-recorded-from"] = ["monday"]
        headers["x-ordersync-recorded-at"] = ["2026-11-30T09:15:00+00:00"]
    return str(yaml.safe_dump(document, allow_unicode=True))


@pytest.mark.parametrize("env", ENVS)
def test_gate_passes_the_shipped_config_on_the_emulator(env: str, tmp_path: Path) -> None:
    """transport = emulator + committed (emulator) cassette: every check passes; evidence names the source."""
    result = run_gate(with_transport(load_config(SHIPPED), env, "emulator"), env, tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    assert result.metrics["checked"] > 100
    assert result.metrics["cassette_source"] == "emulator"
    assert result.metrics["cassette_api_version"] == "2026-10"
    assert "recorded from the emulator (API version 2026-10)" in result.summary
    assert all(p.is_file() for p in result.evidence)
    evidence = json.loads(next(p for p in result.evidence if p.suffix == ".json").read_text(encoding="utf-8"))
    assert evidence["provenance"]["source"] == "emulator"


@pytest.mark.seeded_defect(gate="board-contract", kind="config")
@pytest.mark.parametrize("env", ENVS)
def test_emulator_cassette_is_not_evidence_of_a_real_board(env: str, tmp_path: Path) -> None:
    """transport = http (the shipped default) with an emulator recording: failed, with the re-record command."""
    result = run_gate(load_config(SHIPPED), env, tmp_path)
    assert_gate_caught(
        result, "recorded from the emulator", "transport 'http'", f"nox -s record-cassettes -- {env}"
    )


def test_live_recording_passes_a_real_board_and_says_when(tmp_path: Path) -> None:
    """A cassette recorded from api.monday.com is evidence for transport = http; the time and version are named."""
    config = project_with_cassette(tmp_path, "production", live_recording("production"))
    result = run_gate(config, "production", tmp_path)
    assert result.status is GateStatus.PASSED, result.summary
    assert "the live monday API (API version 2026-10) at 2026-11-30T09:15:00+00:00" in result.summary
    assert result.metrics["cassette_recorded_at"] == "2026-11-30T09:15:00+00:00"


@pytest.mark.seeded_defect(gate="board-contract", kind="config")
def test_empty_cassette_is_named_empty(tmp_path: Path) -> None:
    """A cassette without interactions is 'empty cassette', not a vague replay miss."""
    config = project_with_cassette(tmp_path, "production", "interactions: []\nversion: 1\n")
    assert_gate_caught(run_gate(config, "production", tmp_path), "empty cassette", "has no interactions")


@pytest.mark.seeded_defect(gate="board-contract", kind="config")
def test_cassette_of_another_board_is_named(tmp_path: Path) -> None:
    """The development recording filed under production: 'cassette of another board', with both ids."""
    text = live_recording("development")
    config = project_with_cassette(tmp_path, "production", text)
    result = run_gate(config, "production", tmp_path)
    assert_gate_caught(result, "cassette of another board", "9609317401", "9200517329")


@pytest.mark.seeded_defect(gate="board-contract", kind="product")
def test_client_document_drift_fails_the_replay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's GetBoards document changed (labels no longer read): the recording no longer answers it."""
    monkeypatch.setattr(ops, "BOARDS", ops.BOARDS.replace("settings_str", ""))
    config = project_with_cassette(tmp_path, "production", live_recording("production"))
    assert_gate_caught(run_gate(config, "production", tmp_path), "no recorded answer", "re-record")


@pytest.mark.vcr
@pytest.mark.default_cassette("boards.yaml")
@pytest.mark.parametrize("env", ["development"])
def test_type_incompatibilities_and_double_targets_are_named(env: str) -> None:
    """A DATE into a dropdown, text into numbers without coerce, two DB columns into one: each fails."""
    config = with_items_mapping(
        load_config(SHIPPED),
        env,
        **{
            "ETA CUSTOMER WAREHOUSE DATE": ColumnMapping(column="dropdown_mkr542p2", type="dropdown"),
            "DESIGN FEE": ColumnMapping(column="numeric_mkr5h612", type="numbers", coerce=False),
            "HANDLING": ColumnMapping(column="numeric_mkr5k68", type="numbers"),
        },
    )
    bad = failures(check_mapping(config, env, replayed_boards(config, env)))
    by_check = {(f.check, f.db_column): f for f in bad}
    date_into_dropdown = by_check["db type", "ETA CUSTOMER WAREHOUSE DATE"]
    assert "DATE" in date_into_dropdown.why
    assert "dropdown" in date_into_dropdown.why
    assert "coerce = true" in by_check["db type", "DESIGN FEE"].why
    assert by_check["single target", "ETA CUSTOMER WAREHOUSE DATE"].column_id == "dropdown_mkr542p2"
    assert by_check["single target", "CUSTOMER NAME"].column_id == "dropdown_mkr542p2"
    assert by_check["single target", "HANDLING"].column_id == "numeric_mkr5k68"
    assert ("db type", "HANDLING") not in by_check  # DECIMAL into numbers is fine


@pytest.mark.vcr
@pytest.mark.default_cassette("boards.yaml")
@pytest.mark.parametrize("env", ["development"])
def test_wrong_type_and_wrong_board_are_named(env: str) -> None:
    """A declared type that differs from the board, and a subitems column mapped on the items side."""
    config = with_items_mapping(
        load_config(SHIPPED),
        env,
        **{
            "AAG SEASON": ColumnMapping(column="dropdown_mkr58de6", type="text"),
            "NOTES": ColumnMapping(column="numeric_mkra7j8e", type="numbers"),
        },
    )
    bad = failures(check_mapping(config, env, replayed_boards(config, env)))
    retyped = next(f for f in bad if f.check == "column type")
    assert (retyped.db_column, retyped.column_id) == ("AAG SEASON", "dropdown_mkr58de6")
    assert "is dropdown, the mapping declares text" in retyped.why
    wrong_board = next(f for f in bad if f.column_id == "numeric_mkra7j8e" and f.check == "column exists")
    assert "board 9609317948" in wrong_board.why
    assert "wrong board" in wrong_board.why


def test_missing_cassette_fails_the_gate(tmp_path: Path) -> None:
    """No cassette for the environment is a failure naming the file and the record command."""
    config = load_config(SHIPPED)
    dev = config.environment("development")
    staging = dev.model_copy(
        update={"monday": dev.monday.model_copy(update={"board_id": 1, "subitem_board_id": 2})}
    )
    config = config.model_copy(update={"environments": {**config.environments, "staging": staging}})
    result = run_gate(config, "staging", tmp_path)
    assert result.status is GateStatus.FAILED
    assert "cassettes/staging/boards.yaml" in result.summary
    assert "ordersync cassettes record staging" in result.summary


def test_cassette_that_does_not_answer_the_current_request_fails(tmp_path: Path) -> None:
    """Replay only: a request the cassette never saw (other board ids) fails, never reaches the network."""
    config = load_config(SHIPPED)
    prod = config.environment("production")
    moved = prod.model_copy(update={"monday": prod.monday.model_copy(update={"board_id": 1234})})
    config = config.model_copy(update={"environments": {**config.environments, "production": moved}})
    result = run_gate(config, "production", tmp_path)
    assert result.status is GateStatus.FAILED
    assert "cassette of another board" in result.summary
    assert "1234" in result.summary


def test_every_document_is_checked_and_a_bad_schema_fails_them() -> None:
    """Documents validate against the subset; against a schema lacking a field, each affected one is named."""
    assert failures(check_documents("development")) == []
    schema = (REPO / "sync" / "monday" / "schema.graphql").read_text(encoding="utf-8")
    broken = schema.replace("  create_group(board_id: ID!", "  make_group(board_id: ID!")
    bad = failures(check_documents("development", broken))
    assert [f.column_id for f in bad] == ["CreateGroup"]
    assert "create_group" in bad[0].why


# ---------------------------------------------------------------- contract changes
def edited_cassette(source: Path, target: Path, edit: Any) -> Path:
    """Copy a cassette, letting ``edit(boards)`` change the recorded boards answer."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    response = document["interactions"][0]["response"]["body"]
    payload = json.loads(response["string"])
    edit(payload["data"]["boards"])
    response["string"] = json.dumps(payload, ensure_ascii=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return target


def board_edits(boards: list[dict[str, Any]]) -> None:
    """On the production items board: retype STYLE, rename PO NUMBER, drop ADMINISTRATION FEE, add one."""
    columns = next(b for b in boards if b["id"] == "9200517329")["columns"]
    for column in columns:
        if column["id"] == "dropdown_mkr5tgaa":
            column["type"] = "text"
            column["settings_str"] = "{}"
        if column["id"] == "text_mkr5ej2x":
            column["title"] = "PO #"
    columns[:] = [c for c in columns if c["id"] != "numeric_mkr5k68"]
    columns.append({"id": "text_mkt0new1", "title": "NEW NOTE", "type": "text", "settings_str": "{}"})


def test_compare_recordings_reports_column_by_column(tmp_path: Path) -> None:
    """Renamed, retyped, added and removed columns are each reported with before and after."""
    committed = CASSETTES / "production" / "boards.yaml"
    newer = edited_cassette(committed, tmp_path / "boards.new.yaml", board_edits)
    changes = compare_recordings(committed, newer)
    board = 9200517329
    assert ColumnChange(board, "dropdown_mkr5tgaa", "retyped", "dropdown", "text") in changes
    assert ColumnChange(board, "text_mkr5ej2x", "renamed", "PO NUMBER", "PO #") in changes
    assert ColumnChange(board, "numeric_mkr5k68", "removed", "'ADMINISTRATION FEE' numbers", None) in changes
    assert ColumnChange(board, "text_mkt0new1", "added", None, "'NEW NOTE' text") in changes
    assert compare_recordings(committed, committed) == []


def test_gate_fails_on_removed_or_retyped_mapped_columns_in_a_newer_recording(tmp_path: Path) -> None:
    """boards.new.yaml beside the cassette: removed/retyped mapped columns fail, a rename is reported."""
    shutil.copy(SHIPPED, tmp_path / "ordersync.toml")
    folder = tmp_path / "cassettes" / "production"
    folder.mkdir(parents=True)
    shutil.copy(CASSETTES / "production" / "boards.yaml", folder / "boards.yaml")
    edited_cassette(folder / "boards.yaml", folder / "boards.new.yaml", board_edits)
    result = run_gate(load_config(tmp_path / "ordersync.toml"), "production", tmp_path)
    assert result.status is GateStatus.FAILED
    evidence = json.loads(next(p for p in result.evidence if p.suffix == ".json").read_text(encoding="utf-8"))
    changes = {f["column_id"]: f for f in evidence["findings"] if f["check"] == "contract change"}
    assert not changes["dropdown_mkr5tgaa"]["ok"]
    assert changes["dropdown_mkr5tgaa"]["db_column"] == "CUSTOMER STYLE"
    assert not changes["numeric_mkr5k68"]["ok"]
    assert changes["numeric_mkr5k68"]["db_column"] == "ADMINISTRATION FEE"
    assert changes["text_mkr5ej2x"]["ok"]
    assert "renamed" in changes["text_mkr5ej2x"]["why"]
    assert changes["text_mkt0new1"]["ok"]
    assert result.metrics["contract_changes"] == 4
