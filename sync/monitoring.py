"""Monitoring: structured JSON logs, per-run metrics (JSON + Prometheus text) and a webhook alert hook.

Three small pieces an operator wires into whatever they already run:

* ``ordersync --log-json ...`` installs :class:`JsonFormatter` on the root logger, one JSON
  object per line on stderr (``ts``, ``level``, ``logger``, ``message`` and any ``extra=``);
* :func:`write_run_metrics` turns a :class:`~sync.summary.RunSummary` into ``metrics.json``
  and ``metrics.prom`` (node-exporter textfile format) in a report folder;
* :func:`send_alert` posts JSON to the webhook whose URL is in the environment variable
  named by ``[alerts] webhook_url_env``. An alert never raises: a broken webhook must not
  stop a rollback.

Usage::

    configure_logging(json_logs=True)
    with time_queries() as queries:
        summary = run_sync(config, "production", SyncOptions(limit=10, kind="canary"))
    write_run_metrics(summary, report_dir, query_times=queries.durations)
    send_alert(config, "run_failed", f"run {summary.run_id} failed", run_id=summary.run_id)
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sync.config import Config
from sync.summary import RunSummary

__all__ = [
    "ALERT_EVENTS",
    "JsonFormatter",
    "PlainFormatter",
    "QueryTimes",
    "api_success_rate",
    "configure_logging",
    "prometheus_text",
    "run_metrics",
    "send_alert",
    "time_queries",
    "webhook_url",
    "write_run_metrics",
]

log = logging.getLogger(__name__)

#: The events that page someone; the payload's ``event`` field is one of these.
ALERT_EVENTS = ("gate_failed", "run_failed", "rollback", "rollback_incomplete")
ALERT_TIMEOUT_S = 5.0

# LogRecord attributes that are plumbing, not context; everything else in __dict__ came via extra=.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ``ts`` (UTC ISO), ``level``, ``logger``, ``message``, extras, ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record; values that are not JSON become their ``str``."""
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """``LEVEL logger: message key=value ...``: the extras stay visible without JSON."""

    def format(self, record: logging.LogRecord) -> str:
        """The message followed by the record's extras."""
        extras = " ".join(
            f"{k}={v}"
            for k, v in record.__dict__.items()
            if k not in _RECORD_FIELDS and not k.startswith("_")
        )
        return f"{record.levelname} {record.name}: {record.getMessage()}" + (f" {extras}" if extras else "")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]  # TextIO-typed in typeshed
    """Writes to whatever ``sys.stderr`` is *now* (test runners and click swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Re-bind to the current stderr, then write."""
        self.stream = sys.stderr
        super().emit(record)


class _QuietLibraries(logging.Filter):
    """Drop library records below WARNING (GX's "ephemeral docs site" INFO line) unless ``--verbose``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.split(".")[0] in ("sync", "validation")


def configure_logging(
    *, json_logs: bool, level: int = logging.INFO, stream: TextIO | None = None, verbose: bool = False
) -> logging.Handler:
    """Install (or replace) ordersync's handler on the root logger.

    With ``json_logs`` ordersync's own loggers (``sync.*``, ``validation.*``) speak at
    ``level`` as JSON lines; otherwise only warnings reach stderr, as plain text. Libraries
    (httpx, Great Expectations) are filtered to WARNING even when they raise their own level,
    unless ``verbose`` (``ordersync --verbose``), which also shows ordersync's INFO lines.
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_ordersync", False):
            root.removeHandler(old)
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler._ordersync = True  # type: ignore[attr-defined]  # marks our handler for replacement
    handler.setFormatter(JsonFormatter() if json_logs else PlainFormatter())
    if not verbose:
        handler.addFilter(_QuietLibraries())
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for name in ("sync", "validation"):
        logging.getLogger(name).setLevel(level if json_logs or verbose else logging.WARNING)
    return handler


# ---------------------------------------------------------------------------------------- query times
@dataclass
class QueryTimes:
    """Wall-clock seconds of every SQL statement executed while :func:`time_queries` was active."""

    durations: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, seconds: float) -> None:
        """Record one statement (thread-safe: the engine writes from two threads)."""
        with self._lock:
            self.durations.append(seconds)


@contextmanager
def time_queries() -> Iterator[QueryTimes]:
    """Time every statement on every engine for the duration of the block (SQLAlchemy events)."""
    times = QueryTimes()

    def before(conn: Any, _cursor: Any, _stmt: Any, _params: Any, _context: Any, _many: bool) -> None:
        conn.info.setdefault("_ordersync_t0", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, _stmt: Any, _params: Any, _context: Any, _many: bool) -> None:
        starts = conn.info.get("_ordersync_t0")
        if starts:
            times.add(time.perf_counter() - starts.pop())

    sa.event.listen(Engine, "before_cursor_execute", before)
    sa.event.listen(Engine, "after_cursor_execute", after)
    try:
        yield times
    finally:
        sa.event.remove(Engine, "before_cursor_execute", before)
        sa.event.remove(Engine, "after_cursor_execute", after)


# --------------------------------------------------------------------------------------------- metrics
def _percentiles_ms(seconds: Sequence[float]) -> dict[str, float]:
    if not seconds:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}
    ordered = sorted(seconds)
    if len(ordered) == 1:
        return dict.fromkeys(("p50", "p95", "p99", "max"), round(ordered[0] * 1000, 3))
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 3),
        "p95": round(cuts[94] * 1000, 3),
        "p99": round(cuts[98] * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
    }


def api_success_rate(summary: RunSummary) -> float:
    """Share of API requests answered without a retry (1.0 when the run made none)."""
    if summary.api_requests <= 0:
        return 1.0
    return round(max(summary.api_requests - summary.retries, 0) / summary.api_requests, 4)


def run_metrics(summary: RunSummary, *, query_times: Sequence[float] | None = None) -> dict[str, Any]:
    """The numbers worth a dashboard: rows by state, API calls, success rates, 429s, retries, latencies."""
    metrics: dict[str, Any] = {
        "run_id": summary.run_id,
        "environment": summary.environment,
        "kind": summary.kind,
        "status": summary.status,
        "passed": summary.passed,
        "duration_s": summary.duration_s,
        "rows_by_state": summary.states,
        "records_synced": summary.records_synced,
        "records_per_s": summary.records_per_s,
        "items": {"created": summary.items_created, "updated": summary.items_updated},
        "subitems": {
            "created": summary.subitems_created,
            "updated": summary.subitems_updated,
            "deleted": summary.subitems_deleted,
        },
        "groups_created": summary.groups_created,
        "rows": {
            "error": summary.rows_error,
            "rejected": summary.rows_rejected,
            "unknown": summary.rows_unknown,
        },
        "api_requests": summary.api_requests,
        "api_mutations": summary.api_mutations,
        "api_success_rate": api_success_rate(summary),
        "retries": summary.retries,
        "http_429": summary.http_429,
        "latency_ms": dict(summary.latency_ms),
        "success_rate": summary.success_rate,
        "success_threshold": summary.success_threshold,
    }
    if query_times is not None:
        metrics["db_queries"] = {
            "count": len(query_times),
            "total_s": round(sum(query_times), 4),
            "latency_ms": _percentiles_ms(query_times),
        }
    return metrics


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(metrics: Mapping[str, Any]) -> str:
    """Prometheus exposition text (textfile-collector ready) for :func:`run_metrics` output."""
    base = (
        f'run_id="{_label(metrics["run_id"])}",environment="{_label(metrics["environment"])}",'
        f'kind="{_label(metrics["kind"])}"'
    )
    out: list[str] = []

    def gauge(name: str, help_text: str, samples: Sequence[tuple[str, float]]) -> None:
        out.append(f"# HELP ordersync_{name} {help_text}")
        out.append(f"# TYPE ordersync_{name} gauge")
        for extra, value in samples:
            labels = base + (f",{extra}" if extra else "")
            out.append(f"ordersync_{name}{{{labels}}} {float(value):g}")

    rows = [
        (f'table="{_label(t)}",state="{_label(s)}"', n)
        for t, states in sorted(metrics["rows_by_state"].items())
        for s, n in sorted(states.items())
    ]
    gauge("rows", "Rows by table and sync_state after the run.", rows)
    gauge(
        "run_passed", "1 when the run met its success threshold.", [("", 1.0 if metrics["passed"] else 0.0)]
    )
    gauge("run_duration_seconds", "Wall-clock duration of the run.", [("", metrics["duration_s"])])
    gauge("records_synced", "Item and subitem writes monday confirmed.", [("", metrics["records_synced"])])
    gauge("records_per_second", "Confirmed writes per second.", [("", metrics["records_per_s"])])
    gauge(
        "row_problems",
        "Rows in error, rejected or with an unknown outcome.",
        [(f'problem="{k}"', v) for k, v in sorted(metrics["rows"].items())],
    )
    gauge(
        "api_requests",
        "HTTP requests sent to monday (attempts, including retries).",
        [("", metrics["api_requests"])],
    )
    gauge("api_mutations", "Mutations sent to monday.", [("", metrics["api_mutations"])])
    gauge(
        "api_success_rate",
        "Share of API requests answered without a retry.",
        [("", metrics["api_success_rate"])],
    )
    gauge("api_retries", "Retried API requests.", [("", metrics["retries"])])
    gauge("api_http_429", "HTTP 429 answers from monday.", [("", metrics["http_429"])])
    gauge(
        "api_latency_milliseconds",
        "API latency percentiles.",
        [(f'quantile="{q}"', v) for q, v in sorted(metrics["latency_ms"].items())],
    )
    gauge("success_rate", "Share of attempted writes monday confirmed.", [("", metrics["success_rate"])])
    if "db_queries" in metrics:
        db = metrics["db_queries"]
        gauge("db_queries", "SQL statements executed during the run.", [("", db["count"])])
        gauge("db_query_seconds_total", "Total time spent in SQL statements.", [("", db["total_s"])])
        gauge(
            "db_query_latency_milliseconds",
            "SQL statement latency percentiles.",
            [(f'quantile="{q}"', v) for q, v in sorted(db["latency_ms"].items())],
        )
    return "\n".join(out) + "\n"


def write_run_metrics(
    summary: RunSummary, folder: Path, *, query_times: Sequence[float] | None = None, stem: str = "metrics"
) -> list[Path]:
    """Write ``<stem>.json`` and ``<stem>.prom`` into ``folder`` and return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = run_metrics(summary, query_times=query_times)
    json_path = folder / f"{stem}.json"
    json_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    prom_path = folder / f"{stem}.prom"
    prom_path.write_text(prometheus_text(metrics), encoding="utf-8")
    log.info("run metrics written", extra={"run_id": summary.run_id, "metrics_json": str(json_path)})
    return [json_path, prom_path]


# ---------------------------------------------------------------------------------------------- alerts
def webhook_url(config: Config) -> str | None:
    """The alert webhook URL from the variable ``[alerts] webhook_url_env`` names, or None."""
    var = config.alerts.get("webhook_url_env")
    url = os.environ.get(var, "").strip() if var else ""
    return url or None


def send_alert(
    config: Config, event: str, text: str, *, transport: httpx.BaseTransport | None = None, **fields: Any
) -> bool:
    """POST ``{"event", "text", "at", **fields}`` to the webhook; True when it answered 2xx, never raises.

    ``text`` is what chat webhooks (Slack, Teams) display; the other keys are for machines.
    """
    if event not in ALERT_EVENTS:
        raise ValueError(f"unknown alert event {event!r} (known: {', '.join(ALERT_EVENTS)})")
    url = webhook_url(config)
    if url is None:
        log.info("alert not sent: no webhook configured", extra={"event": event})
        return False
    payload = {
        "event": event,
        "text": f"ordersync: {text}",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
    }
    try:
        with httpx.Client(timeout=ALERT_TIMEOUT_S, transport=transport) as client:
            response = client.post(
                url, content=json.dumps(payload, default=str), headers={"Content-Type": "application/json"}
            )
    except httpx.HTTPError as exc:
        log.warning("alert not delivered", extra={"event": event, "error": str(exc)})
        return False
    if response.is_success:
        log.info("alert sent", extra={"event": event, "status": response.status_code})
        return True
    log.warning("alert refused by webhook", extra={"event": event, "status": response.status_code})
    return False
