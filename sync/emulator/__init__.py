"""A local monday.com API emulator: the product's stand-in for monday in gates, load tests and demos.

It executes ``sync/monday/schema.graphql`` with graphql-core over an in-memory
copy of the Customer Master Schedule boards, validates column values like
monday, and reproduces monday's limits, error shapes, idempotency and faults.
Errors and envelopes follow the request's ``API-Version`` (legacy shapes before
2025-01, ``account_id`` before 2025-07; :mod:`sync.emulator.shapes`).

* in-process: ``httpx.Client(transport=EmulatorTransport(build_emulator(require_token=False)))``
* over HTTP: ``serve(port=0, emulator=...)`` or ``run_server(...)`` (the CLI)
* persisted between commands: ``with open_persistent(path) as emulator: ...``
"""

from __future__ import annotations

__all__ = [
    "Emulator",
    "EmulatorTransport",
    "FaultProfile",
    "OpRecord",
    "boards_from_cassette",
    "boards_from_file",
    "build_emulator",
    "default_boards",
    "open_persistent",
    "run_server",
    "serve",
]

from sync.emulator.app import Emulator
from sync.emulator.boards import boards_from_cassette, boards_from_file, default_boards
from sync.emulator.faults import FaultProfile
from sync.emulator.oplog import OpRecord
from sync.emulator.server import build_emulator, open_persistent, run_server, serve
from sync.emulator.transport import EmulatorTransport
