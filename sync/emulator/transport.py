"""In-process transport: an ``httpx.Client`` talks to an :class:`Emulator` without sockets.

Usage: ``httpx.Client(transport=EmulatorTransport(emulator), base_url="https://api.monday.com")``.
An injected timeout (before or after apply) surfaces as ``httpx.ReadTimeout``,
exactly what a real socket timeout raises, so retry code is exercised for real.
"""

from __future__ import annotations

__all__ = ["EmulatorTransport"]

import httpx

from sync.emulator.app import Emulator


class EmulatorTransport(httpx.BaseTransport):
    """``httpx.BaseTransport`` that hands each request to :meth:`Emulator.handle`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the emulator; convert timeout faults to ``httpx.ReadTimeout``."""
        path = request.url.raw_path.decode("ascii")
        status, headers, body = self.emulator.handle(
            request.method, path, dict(request.headers), request.read()
        )
        if headers.get("X-Emulator-Fault") == "timeout":
            raise httpx.ReadTimeout("emulated read timeout", request=request)
        return httpx.Response(status, headers=headers, content=body, request=request)
