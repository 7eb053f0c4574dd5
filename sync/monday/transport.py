"""Build the one ``httpx.Client`` that talks to monday.com.

The ``transport`` argument is the seam every test layer plugs into: production
leaves it ``None`` (httpx's network transport), unit tests pass an
``httpx.MockTransport``, the emulator passes its in-process transport, and vcrpy
cassettes patch the same seam. Nothing above this module knows which one it got.

    http = build_http_client(api_url="https://api.monday.com/v2", token=token)
"""

from __future__ import annotations

__all__ = ["DEFAULT_API_URL", "DEFAULT_API_VERSION", "build_http_client", "endpoint_url"]

import httpx

DEFAULT_API_URL = "https://api.monday.com/v2"
#: Pinned on purpose: monday changes error shapes and fields between versions
#: and silently falls back to "Current" for unknown-but-well-formed versions.
DEFAULT_API_VERSION = "2026-10"


def build_http_client(
    *,
    api_url: str,
    token: str | None,
    api_version: str = DEFAULT_API_VERSION,
    timeout_s: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """Return a client whose base URL is the GraphQL endpoint, with auth and version pinned.

    The token goes only into the ``Authorization`` header (monday wants it bare,
    without ``Bearer``); it is never logged, and httpx's ``repr`` of the client
    does not show headers.
    """
    headers = {"API-Version": api_version, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    return httpx.Client(
        base_url=api_url,
        headers=headers,
        timeout=httpx.Timeout(timeout_s),
        transport=transport,
    )


def endpoint_url(http: httpx.Client) -> str:
    """The exact endpoint to POST to.

    httpx appends a ``/`` to every base URL; monday's endpoint is ``/v2`` without
    one, so the GraphQL layer posts to this absolute URL instead of ``""``.
    """
    return str(http.base_url).rstrip("/")
