"""Record and replay the vcrpy cassettes that pin what each environment's monday boards look like.

A cassette ``cassettes/<env>/boards.yaml`` is one real exchange: the client's
``get_boards([items_board, subitems_board])`` request and monday's answer. It is recorded
through vcrpy's patch of httpx's transport seam, either against monday itself (needs the
environment's token variable) or against the emulator behind a real loopback HTTP server
(``--emulator``), and it is scrubbed before it is written:

* request: the ``Authorization`` header (and cookies, host, user agent) are dropped; a
  loopback URL loses its ephemeral port so re-recording gives the same file;
* response: ``account_id`` keys, ``request_id`` values, e-mail addresses and every header
  except content type and API version are removed.

Requests are matched on the GraphQL body (query text with whitespace collapsed, plus the
variables) and on method and path, never on the host: a cassette recorded from the emulator
answers the same document sent to ``api.monday.com``. A changed ``GetBoards`` document no
longer matches, so the replay fails until the cassette is re-recorded.

Every recorded answer is stamped with where it came from (``x-ordersync-recorded-from``:
``monday`` or ``emulator``) and when (``x-ordersync-recorded-at``, UTC); monday's own
``api-version`` header is kept. :func:`read_provenance` reads them back (older cassettes
without the stamp: the source is inferred from the recorded URL, the time is unknown).

When ``boards.yaml`` already exists, a new recording goes to ``boards.new.yaml``; the
board-contract gate reports the difference column by column. ``replace=True`` overwrites
the committed file instead (after review).

    path = record_boards(config, "development", use_emulator=True, out_dir=Path("cassettes"))
    boards = replay_boards(config, "development", path)
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import vcr
from vcr.cassette import Cassette
from vcr.request import Request as VcrRequest

from sync.config import Config, monday_token
from sync.connect import EMULATOR_TOKEN
from sync.monday import MondayClient, RetryPolicy, build_http_client
from sync.monday.models import BoardInfo
from validation.gates.cassette_provenance import EMULATOR_SOURCE, LIVE_SOURCE, LOOPBACK, stamp

__all__ = [
    "CASSETTE_NAME",
    "GRAPHQL_MATCHER",
    "MATCH_ON",
    "NEW_CASSETTE_NAME",
    "CassetteMiss",
    "CassetteTransport",
    "configure_vcr",
    "graphql_body",
    "record_boards",
    "replay_boards",
    "scrub_request",
    "scrub_response",
    "vcr_config",
]

CASSETTE_NAME = "boards.yaml"
NEW_CASSETTE_NAME = "boards.new.yaml"
GRAPHQL_MATCHER = "graphql_body"
#: Never the host or port: the emulator's loopback recording must answer the real endpoint's request.
MATCH_ON = ("method", "path", GRAPHQL_MATCHER)
FILTER_HEADERS = (
    "authorization",
    "cookie",
    "host",
    "user-agent",
    "content-length",
    "accept-encoding",
    "connection",
)
KEEP_RESPONSE_HEADERS = frozenset({"content-type", "api-version"})
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_SCRUBBED_KEYS = frozenset({"account_id", "request_id"})


class CassetteMiss(Exception):
    """The cassette has no recorded answer for a request the client sent (replay only, never recorded)."""


# ---------------------------------------------------------------- matching
def _graphql_parts(request: VcrRequest) -> tuple[str, Any]:
    raw = request.body
    text = raw.decode("utf-8") if isinstance(raw, bytes) else (raw or "")
    try:
        body = json.loads(text) if text else {}
    except ValueError:
        return text, None
    if not isinstance(body, dict):
        return text, None
    return " ".join(str(body.get("query") or "").split()), body.get("variables") or {}


def graphql_body(r1: VcrRequest, r2: VcrRequest) -> None:
    """vcrpy matcher: same GraphQL query (whitespace-insensitive) and same variables."""
    query1, variables1 = _graphql_parts(r1)
    query2, variables2 = _graphql_parts(r2)
    assert query1 == query2, "GraphQL query text differs"
    assert variables1 == variables2, f"GraphQL variables differ: {variables1!r} != {variables2!r}"


def configure_vcr(instance: vcr.VCR) -> None:
    """Register the GraphQL body matcher (pytest-recording calls this from ``pytest_recording_configure``)."""
    instance.register_matcher(GRAPHQL_MATCHER, graphql_body)


def vcr_config() -> dict[str, Any]:
    """Keyword arguments for ``VCR.use_cassette`` shared by the recorder and the tests (replay only)."""
    return {
        "record_mode": "none",
        "match_on": list(MATCH_ON),
        "filter_headers": list(FILTER_HEADERS),
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "decode_compressed_response": True,
    }


# ---------------------------------------------------------------- scrubbing
def scrub_request(request: VcrRequest) -> VcrRequest:
    """Drop the ephemeral port of a loopback (emulator) URL; headers are removed by ``filter_headers``."""
    parts = urlsplit(request.uri)
    if parts.hostname in LOOPBACK and parts.port is not None:
        request.uri = urlunsplit((parts.scheme, parts.hostname, parts.path, parts.query, parts.fragment))
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Remove account ids, request ids, e-mails and every header but content type and API version."""
    body = response.get("body") or {}
    raw = body.get("string")
    if raw:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        try:
            payload = json.loads(text)
        except ValueError:
            scrubbed = _EMAIL.sub("redacted@example.invalid", text)
        else:
            scrubbed = json.dumps(_scrub(payload), ensure_ascii=False, separators=(",", ":"))
        body["string"] = scrubbed.encode("utf-8") if isinstance(raw, bytes) else scrubbed
    headers = response.get("headers") or {}
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in KEEP_RESPONSE_HEADERS}
    return response


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items() if k not in _SCRUBBED_KEYS}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, str):
        if _looks_like_json(value):  # settings_str is JSON inside a string
            try:
                return json.dumps(_scrub(json.loads(value)), ensure_ascii=False)
            except ValueError:
                pass
        return _EMAIL.sub("redacted@example.invalid", value)
    return value


def _looks_like_json(text: str) -> bool:
    stripped = text.strip()
    return len(stripped) > 1 and stripped[0] in "{[" and stripped[-1] in "}]"


# ---------------------------------------------------------------- recording
def record_boards(config: Config, env_name: str, *, use_emulator: bool, out_dir: Path, replace: bool = False) -> Path:
    """Record the environment's ``get_boards`` answer into ``out_dir/<env>/boards.yaml`` (or ``.new.yaml``).

    Live recording (``use_emulator=False``) reads the token from the environment's ``token_env``
    and raises a ConfigError naming that variable when it is unset. With ``use_emulator`` the
    packaged emulator boards are served on a loopback port for the duration of the recording.
    """
    env = config.environment(env_name)
    folder = out_dir / env_name
    folder.mkdir(parents=True, exist_ok=True)
    committed = folder / CASSETTE_NAME
    target = committed if replace or not committed.exists() else folder / NEW_CASSETTE_NAME
    board_ids = [env.monday.board_id, env.monday.subitem_board_id]
    with _endpoint(config, env_name, use_emulator) as (api_url, token, source):
        recorder = vcr.VCR()
        configure_vcr(recorder)
        settings = {
            **vcr_config(),
            "record_mode": "all",
            "before_record_response": lambda r: stamp(scrub_response(r), source),
        }
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp) / CASSETTE_NAME
            with recorder.use_cassette(str(scratch), **settings):
                http = build_http_client(
                    api_url=api_url,
                    token=token,
                    api_version=env.monday.api_version,
                    timeout_s=config.sync.request_timeout_s,
                )
                with http:
                    boards = MondayClient(http, retry=RetryPolicy(max_attempts=3), pacer=None).get_boards(board_ids)
            missing = sorted(set(board_ids) - {b.id for b in boards})
            if missing:
                raise LookupError(
                    f"{source} did not return board(s) {missing} for environment {env_name!r}; nothing was written"
                )
            target.write_text(scratch.read_text(encoding="utf-8"), encoding="utf-8")
    return target


@contextmanager
def _endpoint(config: Config, env_name: str, use_emulator: bool) -> Iterator[tuple[str, str, str]]:
    """``(api_url, token, provenance)``: a loopback emulator server, or the real API with the env's token."""
    if not use_emulator:
        env = config.environment(env_name)
        yield env.monday.api_url, monday_token(config, env_name), LIVE_SOURCE
        return
    from sync.emulator import build_emulator, serve

    server = serve("127.0.0.1", 0, build_emulator(require_token=False))
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}/v2", EMULATOR_TOKEN, EMULATOR_SOURCE
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------- replaying
class CassetteTransport(httpx.BaseTransport):
    """Answer requests from a cassette through vcrpy's own matching, with ``record_mode`` none.

    Unlike ``vcr.use_cassette`` it patches nothing process-wide, so a gate replaying a cassette
    cannot intercept the HTTP traffic of another gate running in a parallel thread.
    """

    def __init__(self, path: Path) -> None:
        instance = vcr.VCR()
        configure_vcr(instance)
        self.path = path
        self.cassette = Cassette.load(
            path=str(path),
            record_mode="none",
            match_on=tuple(instance.matchers[name] for name in MATCH_ON),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Play the recorded answer for ``request`` or raise :class:`CassetteMiss`."""
        candidate = VcrRequest(request.method, str(request.url), request.read(), dict(request.headers))
        if not self.cassette.can_play_response_for(candidate):
            raise CassetteMiss(
                f"{self.path} has no recorded answer for this {_describe(candidate)} "
                "(the client's document or variables changed?); re-record the cassette"
            )
        recorded = self.cassette.play_response(candidate)
        raw = recorded["body"]["string"]
        content = raw if isinstance(raw, bytes) else str(raw).encode("utf-8")
        headers = [
            (name, value)
            for name, values in (recorded.get("headers") or {}).items()
            for value in values
            if name.lower() != "content-length"
        ]
        return httpx.Response(int(recorded["status"]["code"]), headers=headers, content=content, request=request)


def _describe(request: VcrRequest) -> str:
    query, variables = _graphql_parts(request)
    name = re.match(r"(?:query|mutation)\s+(\w+)", query)
    return f"{request.method} {urlsplit(request.uri).path} {name.group(1) if name else 'request'} {variables!r}"


def replay_boards(config: Config, env_name: str, cassette: Path) -> list[BoardInfo]:
    """What ``get_boards([items, subitems])`` returns for the environment, answered only by ``cassette``."""
    env = config.environment(env_name)
    http = build_http_client(
        api_url=env.monday.api_url,
        token=None,
        api_version=env.monday.api_version,
        transport=CassetteTransport(cassette),
    )
    with http:
        client = MondayClient(http, retry=RetryPolicy(max_attempts=1), pacer=None)
        return client.get_boards([env.monday.board_id, env.monday.subitem_board_id])
