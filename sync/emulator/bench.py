"""Throughput benchmark of the served emulator: ``python -m sync.emulator.bench --seconds 10``.

Starts the HTTP server in-process on a free loopback port, then several client
threads send 50-alias ``create_item`` batches for N seconds. Prints requests/s
and mutations/s, which bounds what a load test against the emulator can reach.
Not a timed test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import httpx

from sync.emulator.server import build_emulator, serve

BATCH_SIZE = 50


def batch_document(size: int = BATCH_SIZE) -> str:
    """One mutation with ``size`` aliased create_item fields, the shape ordersync batches use."""
    fields = " ".join(
        f'i{n}: create_item(board_id: 9609317401, item_name: "bench {n}", column_values: $v) {{ id }}'
        for n in range(size)
    )
    return f"mutation Bench($v: JSON) {{ {fields} }}"


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)

    server = serve("127.0.0.1", 0, build_emulator(require_token=False))
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}/v2"
    values = json.dumps(
        {"text_mkr5wya6": "AAG-1", "numeric_mktb1d19": "12", "dropdown_mkr542p2": {"labels": ["GREYSON"]}}
    )
    body = {"query": batch_document(), "variables": {"v": values}}
    counts = {"requests": 0, "mutations": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.perf_counter() + args.seconds

    def worker() -> None:
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() < deadline:
                response = client.post(url, json=body)
                created = sum(1 for v in (response.json().get("data") or {}).values() if v)
                with lock:
                    counts["requests"] += 1
                    counts["mutations"] += created
                    counts["errors"] += int(response.status_code != 200)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    print(f"threads={args.threads} batch={BATCH_SIZE} seconds={elapsed:.1f}")
    print(
        f"requests/s={counts['requests'] / elapsed:.1f} mutations/s={counts['mutations'] / elapsed:.1f} "
        f"errors={counts['errors']}"
    )


if __name__ == "__main__":
    main()
