"""Projection benchmark: ``python -m loadtests.volume_projection --orders 500``.

Does the volume gate's projection match what happens? On the ``realistic`` load profile
(monday's limits scaled down: the profile's complexity budget and requests per minute,
enforced by the emulator, the engine paced to them; 250 ms + up to 100 ms latency per
request; 50 aliases per request) it

1. builds a demo staging table of N orders and starts the emulator over HTTP on loopback,
2. runs the ``volume-feasibility`` gate on that environment: projected minutes and calls,
3. runs the real engine (``sync.engine.run_with``) through the same client settings and
   measures the run's wall time and the calls it made (client requests, retries included),
4. prints projected vs measured side by side and exits 1 when either differs by more than
   ``--tolerance`` (default 10 %).

It then prices the whole book (``--book-orders``, default 100,000, with the demo's lines per
order) for the engine and for the naive one-request-per-record client: calls per record and
the days of daily calls each monday plan needs. ``--json PATH`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import httpx

from loadtests.bench_env import emulated_demo
from sync.engine import SyncOptions, run_with
from sync.monday.client import MondayClient
from sync.monday.retry import RetryPolicy
from validation.gates.runner import GateContext, run_gates
from validation.gates.volume import VolumeGate, limits_for_run
from validation.gates.volume_model import PendingWork, VolumeLimits, days_by_plan, price
from validation.load.rules import ENV_NAME


def _offline_client(max_batch: int, base: MondayClient) -> MondayClient:
    """A client with ``base``'s pricing but ``max_batch`` aliases; it is only asked for batch plans."""
    return MondayClient(
        httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(599))),
        retry=RetryPolicy(max_attempts=1),
        pacer=base.pacer,
        max_batch=max_batch,
        max_request_complexity=base.max_request_complexity,
    )


def measure(orders: int, profile_name: str, work_dir: Path) -> dict[str, Any]:
    """Gate projection and a measured engine run on the same environment."""
    with emulated_demo(orders, profile_name, work_dir) as bench:
        config, profile = bench.config, bench.profile
        mean_latency_s = (profile.latency_ms + profile.jitter_ms / 2) / 1000
        ctx = GateContext(
            config,
            ENV_NAME,
            work_dir / "gate",
            options={"transport": httpx.HTTPTransport(), "request_latency_s": mean_latency_s},
        )
        gate = run_gates(ctx, [VolumeGate()]).results[0]
        client = bench.client()
        started = time.perf_counter()
        summary = run_with(config, ENV_NAME, SyncOptions(), client=client, db=bench.engine, tables=bench.tables)
        wall_s = time.perf_counter() - started
    m = gate.metrics
    records = m["new_items"] + m["changed_items"] + m["subitems"]
    return {
        "profile": profile_name,
        "orders": orders,
        "records": records,
        "gate_status": gate.status.value,
        "gate_summary": gate.summary,
        "projected_minutes": m["projected_minutes"],
        "binding_bound": m["binding_bound"],
        "projected_calls": m["requests"],
        "measured_minutes": round(wall_s / 60, 3),
        "measured_calls": client.stats.requests,
        "retries": client.stats.retries,
        "http_429": client.stats.http_429,
        "run_status": summary.status,
        "work": {k: m[k] for k in ("new_items", "changed_items", "subitems", "new_subitems", "new_groups")},
        "limits": asdict(limits_for_run(config, dict(ctx.options))),
        "client": client,
    }


def book_table(result: dict[str, Any], book_orders: int) -> list[dict[str, Any]]:
    """The whole book priced for the engine's client and for one request per record."""
    work = result["work"]
    per_order = work["subitems"] / max(work["new_items"] + work["changed_items"], 1)
    lines = round(book_orders * per_order)
    book = PendingWork(book_orders, book_orders, 0, lines, lines, work["new_groups"])
    limits = VolumeLimits(**result["limits"])
    base: MondayClient = result["client"]
    rows = []
    for name, max_batch in (("engine", base.max_batch), ("naive", 1)):
        batch = limits.engine_batch if name == "engine" else 1
        priced = price(book, _offline_client(max_batch, base), replace(limits, engine_batch=batch))
        rows.append(
            {
                "client": name,
                "calls": priced.requests,
                "calls_per_record": round(priced.requests / (book_orders + lines), 4),
                "days": {plan.value: days for plan, days in days_by_plan(priced.requests).items()},
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Measure, print side by side, exit 1 outside the tolerance."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--profile", default="realistic")
    parser.add_argument("--tolerance", type=float, default=0.10)
    parser.add_argument("--book-orders", type=int, default=100_000)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ordersync-volume-") as tmp:
        result = measure(args.orders, args.profile, Path(tmp))
    book = book_table(result, args.book_orders)
    result.pop("client")
    dur = result["measured_minutes"] / result["projected_minutes"] - 1 if result["projected_minutes"] else float("inf")
    calls = result["measured_calls"] / result["projected_calls"] - 1 if result["projected_calls"] else float("inf")
    ok = abs(dur) <= args.tolerance and abs(calls) <= args.tolerance
    print(
        f"profile {result['profile']}: {result['orders']} orders, {result['records']} records; "
        f"run {result['run_status']}"
    )
    print(f"{'':10} {'projected':>10} {'measured':>10} {'delta':>8}")
    print(f"{'minutes':10} {result['projected_minutes']:>10.2f} {result['measured_minutes']:>10.2f} {dur:>+8.1%}")
    print(f"{'calls':10} {result['projected_calls']:>10,} {result['measured_calls']:>10,} {calls:>+8.1%}")
    print(f"bound by {result['binding_bound']}; retries {result['retries']}, 429s {result['http_429']}")
    plans = list(book[0]["days"])
    print(f"\nwhole book, {args.book_orders:,} orders: calls per record and days of daily calls per plan")
    print(f"{'client':8} {'calls':>10} {'calls/rec':>10} " + " ".join(f"{p:>10}" for p in plans))
    for row in book:
        days = " ".join(f"{row['days'][p]:>10,}" for p in plans)
        print(f"{row['client']:8} {row['calls']:>10,} {row['calls_per_record']:>10.4f} {days}")
    verdict = "within" if ok else "OUTSIDE"
    print(f"\nprojection {verdict} +-{args.tolerance:.0%} (duration {dur:+.1%}, calls {calls:+.1%})")
    if args.json:
        payload = {**result, "duration_delta": dur, "calls_delta": calls, "book": book, "within_tolerance": ok}
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
