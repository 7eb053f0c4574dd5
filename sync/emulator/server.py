"""Serving the emulator: factory, persistent sessions, a threaded HTTP server and the CLI entry point.

The HTTP server is stdlib ``ThreadingHTTPServer`` (daemon threads, HTTP/1.1
keep-alive) so startup stays well under a second and requests that sleep for
injected latency run in parallel. Nothing here imports httpx.
"""

from __future__ import annotations

__all__ = ["build_emulator", "open_persistent", "run_server", "serve"]

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sync.emulator.app import Emulator
from sync.emulator.boards import load_boards
from sync.emulator.faults import FaultProfile
from sync.emulator.model import Board


def build_emulator(
    boards_path: Path | None = None,
    latency_ms: int = 0,
    jitter_ms: int = 0,
    fault_rate: float = 0.0,
    seed: int = 0,
    complexity_budget: int | None = None,
    rate_limit_per_minute: int | None = None,
    *,
    faults: FaultProfile | None = None,
    require_token: bool = True,
    **options: Any,
) -> Emulator:
    """An emulator over the packaged boards (or ``boards_path``: JSON board file or vcrpy cassette).

    ``fault_rate`` is split by :meth:`FaultProfile.from_fault_rate`; pass ``faults`` for exact rates.
    ``options`` go to :class:`Emulator` (``clock``, ``sleep``, ``costs``).
    """
    profile = faults or FaultProfile.from_fault_rate(
        fault_rate, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed
    )
    return Emulator(
        load_boards(boards_path),
        seed=seed,
        require_token=require_token,
        faults=profile,
        complexity_budget=complexity_budget,
        rate_limit_per_minute=rate_limit_per_minute,
        **options,
    )


@contextmanager
def open_persistent(
    state_path: Path, boards: list[Board] | Path | None = None, **options: Any
) -> Iterator[Emulator]:
    """An emulator whose state lives in ``state_path``: loaded if present, saved after every mutation.

    Successive CLI commands of the demo each open the same file and see the same boards and items.
    ``boards`` (list or board file) only seeds a new file; ``options`` go to :class:`Emulator`.
    """
    path = Path(state_path)
    if path.exists():
        emulator = Emulator.load(path, **options)
    else:
        seed_boards = boards if isinstance(boards, list) else load_boards(boards)
        emulator = Emulator(seed_boards, **options)
    emulator.on_mutation = lambda emu: emu.save(path)
    try:
        yield emulator
    finally:
        emulator.save(path)


def _handler_for(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = emulator.handle(
                self.command, self.path, dict(self.headers.items()), body
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _dispatch

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging; the oplog is the record of what happened."""

    return Handler


def serve(host: str = "127.0.0.1", port: int = 0, emulator: Emulator | None = None) -> ThreadingHTTPServer:
    """Start serving in a daemon thread and return the server (``server.server_address`` has the port).

    Stop with ``server.shutdown(); server.server_close()``.
    """
    server = ThreadingHTTPServer((host, port), _handler_for(emulator or build_emulator()))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="monday-emulator", daemon=True)
    thread.start()
    return server


def run_server(
    port: int,
    boards: Path | None,
    latency_ms: int,
    fault_rate: float,
    seed: int,
    host: str = "127.0.0.1",
    *,
    state_path: Path | None = None,
) -> None:
    """Serve until interrupted (the ``ordersync emulator`` command); prints the URL first.

    With ``state_path`` the state is loaded from / saved to that file after every mutation.
    """
    profile = FaultProfile.from_fault_rate(fault_rate, latency_ms=latency_ms, seed=seed)
    with _emulator_for(state_path, boards, profile, seed) as emulator:
        server = ThreadingHTTPServer((host, port), _handler_for(emulator))
        server.daemon_threads = True
        bound_host, bound_port = server.server_address[:2]
        print(f"monday emulator listening on http://{bound_host!s}:{bound_port}/v2", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


@contextmanager
def _emulator_for(
    state_path: Path | None, boards: Path | None, profile: FaultProfile, seed: int
) -> Iterator[Emulator]:
    if state_path is None:
        yield Emulator(load_boards(boards), seed=seed, faults=profile)
        return
    with open_persistent(state_path, boards, seed=seed, faults=profile) as emulator:
        yield emulator
