"""Where a recorded boards cassette came from: the live monday API or the emulator, when, which boards.

The recorder (:mod:`validation.gates.cassettes`) stamps every answer it writes with
``x-ordersync-recorded-from`` (``monday`` or ``emulator``) and ``x-ordersync-recorded-at``
(UTC, seconds); monday's ``api-version`` response header is kept by the scrubber. The
board-contract gate reads them back with :func:`read_provenance` and refuses an emulator
recording as evidence of a real board. Cassettes recorded before the stamp existed: the
source is inferred from the recorded URL (loopback: the emulator), the time is unknown.

    prov = read_provenance(Path("cassettes/production/boards.yaml"))
    prov.source, prov.api_version, prov.recorded_at, prov.board_ids
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

__all__ = [
    "EMULATOR_SOURCE",
    "LIVE_SOURCE",
    "LOOPBACK",
    "RECORDED_AT_HEADER",
    "RECORDED_FROM_HEADER",
    "RERECORD",
    "CassetteProvenance",
    "judge_provenance",
    "read_provenance",
    "stamp",
]

RECORDED_FROM_HEADER = "x-ordersync-recorded-from"
RECORDED_AT_HEADER = "x-ordersync-recorded-at"
LIVE_SOURCE = "monday"
EMULATOR_SOURCE = "emulator"
UNKNOWN = "unknown"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: What an operator runs to replace a cassette that is not evidence (``{env}``: the environment).
RERECORD = "re-record it with `nox -s record-cassettes -- {env}`"


def stamp(response: dict[str, Any], source: str) -> dict[str, Any]:
    """Mark a recorded response with its source and the recording time (vcrpy ``before_record_response``)."""
    headers = response.setdefault("headers", {})
    headers[RECORDED_FROM_HEADER] = [source]
    headers[RECORDED_AT_HEADER] = [datetime.now(UTC).isoformat(timespec="seconds")]
    return response


@dataclass(frozen=True)
class CassetteProvenance:
    """Where a cassette's answers came from, when, with which API version, and which boards they hold."""

    path: Path
    interactions: int
    source: str  # "monday" (the live API), "emulator" or "unknown"
    source_inferred: bool  # no stamp: read from the recorded URL
    api_version: str | None
    recorded_at: str | None
    board_ids: tuple[int, ...]

    @property
    def empty(self) -> bool:
        """No interaction, or none that answered a boards query."""
        return not self.board_ids

    def describe(self) -> str:
        """``recorded from the live monday API (API version 2026-10) at 2026-11-30T09:00:00+00:00``."""
        where = {LIVE_SOURCE: "the live monday API", EMULATOR_SOURCE: "the emulator"}.get(
            self.source, "an unknown source"
        )
        version = f" (API version {self.api_version})" if self.api_version else ""
        when = f" at {self.recorded_at}" if self.recorded_at else " at an unrecorded time"
        how = ", inferred from the recorded URL" if self.source_inferred else ""
        return f"recorded from {where}{version}{when}{how}"


def read_provenance(path: Path) -> CassetteProvenance:
    """Read a cassette's stamps and the board ids its answers hold, without replaying it."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    interactions = list((document.get("interactions") if isinstance(document, dict) else None) or [])
    sources: list[str] = []
    versions: list[str | None] = []
    times: list[str | None] = []
    boards: list[int] = []
    inferred = False
    for interaction in interactions:
        response = interaction.get("response") or {}
        headers = {str(k).lower(): v for k, v in (response.get("headers") or {}).items()}
        source = _first(headers, RECORDED_FROM_HEADER)
        if source is None:
            inferred = True
            source = _source_of((interaction.get("request") or {}).get("uri") or "")
        sources.append(source)
        versions.append(_first(headers, "api-version"))
        times.append(_first(headers, RECORDED_AT_HEADER))
        boards += _board_ids((response.get("body") or {}).get("string"))
    distinct = sorted(set(sources))
    return CassetteProvenance(
        path=path,
        interactions=len(interactions),
        source=distinct[0] if len(distinct) == 1 else (UNKNOWN if not distinct else "+".join(distinct)),
        source_inferred=inferred,
        api_version=next((v for v in versions if v), None),
        recorded_at=max((t for t in times if t), default=None),
        board_ids=tuple(sorted(set(boards))),
    )


def _first(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def _source_of(uri: str) -> str:
    host = urlsplit(uri).hostname or ""
    if host in LOOPBACK:
        return EMULATOR_SOURCE
    return LIVE_SOURCE if host == "monday.com" or host.endswith(".monday.com") else UNKNOWN


def _board_ids(body: Any) -> list[int]:
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    try:
        payload = json.loads(text) if text else None
    except ValueError:
        return []
    data = payload.get("data") if isinstance(payload, dict) else None
    boards = (data or {}).get("boards") if isinstance(data, dict) else None
    return [int(b["id"]) for b in boards or [] if isinstance(b, dict) and str(b.get("id", "")).isdigit()]


def judge_provenance(
    prov: CassetteProvenance, env_name: str, transport: str, board_ids: tuple[int, int]
) -> list[tuple[str, bool, str]]:
    """``(check, ok, why)`` for one cassette: not empty, of the environment's boards, and from the live
    API when the environment talks to a real board (``transport = "http"``)."""
    rerecord = RERECORD.format(env=env_name)
    if prov.empty:
        what = "no interactions" if not prov.interactions else "no answer holding boards"
        return [("cassette provenance", False, f"empty cassette: {prov.path} has {what}; {rerecord}")]
    missing = [b for b in board_ids if b not in prov.board_ids]
    if missing:
        return [
            (
                "cassette provenance",
                False,
                f"cassette of another board: {prov.path} records board(s) {list(prov.board_ids)}, not "
                f"{env_name}'s board(s) {missing} (items {board_ids[0]}, subitems {board_ids[1]}); {rerecord}",
            )
        ]
    if transport == "http" and prov.source != LIVE_SOURCE:
        return [
            (
                "cassette provenance",
                False,
                f"{prov.path} was {prov.describe()}: environment {env_name} has transport 'http' (a real "
                f"monday board), so a recording not made against the live API is not evidence of that "
                f"board; {rerecord}",
            )
        ]
    return [("cassette provenance", True, f"{prov.path} was {prov.describe()}")]
