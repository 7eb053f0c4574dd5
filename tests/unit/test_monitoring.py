"""JSON log lines, run metrics as JSON and Prometheus text, and the alert hook's failure handling."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from sync.config import load_config
from sync.demo import shipped_config_path
from sync.monitoring import (
    JsonFormatter,
    configure_logging,
    prometheus_text,
    run_metrics,
    send_alert,
    time_queries,
    write_run_metrics,
)
from sync.summary import RunSummary

VALUE = r'"(?:[^"\\]|\\.)*"'
SAMPLE = re.compile(rf"^ordersync_[a-z0-9_]+\{{[a-z_]+={VALUE}(,[a-z_]+={VALUE})*\}} -?[0-9.e+-]+$")


def _summary(**overrides: object) -> RunSummary:
    values: dict[str, object] = {
        "run_id": "r1",
        "environment": "production",
        "kind": "canary",
        "status": "SUCCEEDED",
        "duration_s": 2.0,
        "items_created": 5,
        "items_updated": 0,
        "subitems_created": 20,
        "subitems_updated": 0,
        "subitems_deleted": 0,
        "groups_created": 2,
        "rows_error": 0,
        "rows_rejected": 1,
        "rows_unknown": 0,
        "adopted": 0,
        "records_synced": 25,
        "records_per_s": 12.5,
        "api_requests": 10,
        "api_mutations": 27,
        "retries": 2,
        "http_429": 1,
        "latency_ms": {"p50": 5.0, "p95": 9.0, "p99": 12.0, "max": 15.0},
        "success_rate": 0.96,
        "success_threshold": 0.95,
        "passed": True,
        "states": {"orders": {"SYNCED": 5, "PENDING": 3}, "lines": {"SYNCED": 20}},
        "customers": {},
        "changes": {},
        "plan": {},
        "errors": [],
        "rejects": [],
        "warnings": [],
    }
    values.update(overrides)
    return RunSummary(**values)  # type: ignore[arg-type]


def test_json_formatter_emits_one_parseable_object_with_extras() -> None:
    """Each record is one JSON line carrying level, logger, message and the ``extra=`` fields."""
    stream = io.StringIO()
    handler = configure_logging(json_logs=True, stream=stream)
    try:
        logging.getLogger("validation.test").info("step done", extra={"cutover_id": "c1", "ok": True})
    finally:
        logging.getLogger().removeHandler(handler)
        configure_logging(json_logs=False)
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["level"] == "info" and line["logger"] == "validation.test" and line["message"] == "step done"
    assert line["cutover_id"] == "c1" and line["ok"] is True and line["ts"].endswith("+00:00")


def test_json_formatter_includes_the_exception() -> None:
    """A logged exception travels as text in ``exc``."""
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "sync", logging.ERROR, __file__, 1, "failed", None, exc_info=__import__("sys").exc_info()
        )
    out = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in out["exc"]


def test_run_metrics_cover_states_api_rates_and_latency() -> None:
    """Rows by state, API calls, success rates, 429s, retries and latency percentiles are all present."""
    metrics = run_metrics(_summary(), query_times=[0.001, 0.002, 0.010])
    assert metrics["rows_by_state"]["orders"] == {"SYNCED": 5, "PENDING": 3}
    assert metrics["api_success_rate"] == 0.8 and metrics["http_429"] == 1 and metrics["retries"] == 2
    assert metrics["latency_ms"]["p95"] == 9.0
    assert metrics["db_queries"]["count"] == 3 and metrics["db_queries"]["latency_ms"]["max"] == 10.0


def test_prometheus_text_is_well_formed_and_labels_are_unique() -> None:
    """Every sample line parses, every metric has HELP and TYPE, no sample repeats a label name."""
    text = prometheus_text(run_metrics(_summary(run_id='r"1'), query_times=[0.003]))
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert samples and all(SAMPLE.match(line) for line in samples), samples
    for line in samples:
        names = re.findall(r'[{,]([a-z_]+)="', line)
        assert len(names) == len(set(names)), line
    assert (
        'ordersync_rows{run_id="r\\"1",environment="production",kind="canary",table="orders",state="SYNCED"} 5' in text
    )
    metrics = {line.split("{")[0] for line in samples}
    for name in metrics:
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text


def test_write_run_metrics_writes_json_and_prom(tmp_path: Path) -> None:
    """Both files land in the folder under the given stem."""
    paths = write_run_metrics(_summary(), tmp_path, stem="canary-metrics")
    assert [p.name for p in paths] == ["canary-metrics.json", "canary-metrics.prom"]
    assert json.loads(paths[0].read_text())["run_id"] == "r1"


def test_time_queries_records_statements_only_inside_the_block() -> None:
    """SQL run inside the block is timed; after it, the listeners are gone."""
    engine = sa.create_engine("sqlite://")
    with time_queries() as times, engine.connect() as conn:
        conn.execute(sa.text("select 1"))
        conn.execute(sa.text("select 2"))
    with engine.connect() as conn:
        conn.execute(sa.text("select 3"))
    assert len(times.durations) == 2


def test_send_alert_without_a_webhook_does_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``webhook_url_env`` (or an unset variable) means no request and False."""
    config = load_config(shipped_config_path())
    assert send_alert(config, "rollback", "x") is False
    wired = config.model_copy(update={"alerts": {"webhook_url_env": "ORDERSYNC_TEST_HOOK"}})
    monkeypatch.delenv("ORDERSYNC_TEST_HOOK", raising=False)
    assert send_alert(wired, "rollback", "x") is False


def test_send_alert_never_raises_on_a_broken_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusing or unreachable webhook returns False; a rollback must not die of its alert."""
    config = load_config(shipped_config_path()).model_copy(
        update={"alerts": {"webhook_url_env": "ORDERSYNC_TEST_HOOK"}}
    )
    monkeypatch.setenv("ORDERSYNC_TEST_HOOK", "http://hooks.invalid/x")

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    assert send_alert(config, "gate_failed", "x", transport=httpx.MockTransport(refuse)) is False
    assert send_alert(config, "gate_failed", "x", transport=httpx.MockTransport(unreachable)) is False
    with pytest.raises(ValueError, match="unknown alert event"):
        send_alert(config, "party", "x")
