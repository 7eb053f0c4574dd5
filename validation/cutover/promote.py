"""Promotion: the one-word change of ``active_environment``, recorded, reversible byte for byte.

:func:`promote` keeps the file exactly as it was next to it (``ordersync.toml.bak-<cutover id>``),
rewrites only the value of ``active_environment`` with tomlkit (comments, order and
alignment survive), checks that the new file still loads, and records who, when and what
twice: one JSON line in ``<config stem>.promotions.jsonl`` next to the file, and one row in
``ordersync_cutovers`` of the target environment's database. :func:`revert_promotion`
writes the backup's bytes back; run twice, the second call changes nothing.

    promotion = promote(Path("ordersync.toml"), "production", cutover_id=cid, who="ana")
    revert_promotion(Path("ordersync.toml"), cid)
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tomlkit

from sync.config import Config, load_config
from sync.connect import open_db
from sync.errors import ConfigError, ConfigProblem
from sync.ledger import jsonable, utcnow

__all__ = [
    "Promotion",
    "backup_config",
    "backup_path",
    "current_user",
    "last_promotion",
    "new_cutover_id",
    "promote",
    "promotion_log_path",
    "read_cutover",
    "read_promotion_log",
    "record_cutover",
    "revert_promotion",
    "set_active_environment",
    "sha256_of",
]


@dataclass(frozen=True)
class Promotion:
    """One promotion as the log stores it: the file, its backup, both hashes, who and when."""

    cutover_id: str
    config_path: str
    backup_path: str
    from_env: str
    to_env: str
    who: str
    at: str
    sha256_before: str
    sha256_after: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the promotion log's ``promote`` line minus ``action``)."""
        return asdict(self)


def new_cutover_id(to_env: str, now: datetime | None = None) -> str:
    """``20261125T191500Z-production-1a2b3c``: sortable, unique, fits every 64-character id column."""
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{to_env[:32]}-{uuid.uuid4().hex[:6]}"


def current_user(who: str | None = None) -> str:
    """``--who``, else ``$USER``, else the login name; never empty."""
    return (who or os.environ.get("USER") or getpass.getuser() or "unknown").strip() or "unknown"


def sha256_of(data: bytes) -> str:
    """Hex digest, to prove a restored file is the original."""
    return hashlib.sha256(data).hexdigest()


def backup_path(config_path: Path, cutover_id: str) -> Path:
    """``<config>.bak-<cutover id>`` next to the config."""
    return config_path.with_name(f"{config_path.name}.bak-{cutover_id}")


def promotion_log_path(config_path: Path) -> Path:
    """``<config stem>.promotions.jsonl`` next to the config (``ordersync.promotions.jsonl``)."""
    return config_path.with_name(f"{config_path.stem}.promotions.jsonl")


def backup_config(config_path: Path, cutover_id: str) -> Path:
    """Copy the config's bytes to its backup once; an existing backup of other bytes is never overwritten."""
    data = config_path.read_bytes()
    target = backup_path(config_path, cutover_id)
    if target.exists():
        if target.read_bytes() != data:
            raise ConfigError(
                [
                    ConfigProblem(
                        str(target),
                        "<backup>",
                        "a different backup for this cutover already exists; not overwriting it",
                    )
                ]
            )
        return target
    _atomic_write(target, data)
    return target


def set_active_environment(text: str, env_name: str) -> str:
    """The same TOML text with only ``active_environment``'s value changed (its trailing comment kept)."""
    doc = tomlkit.parse(text)
    old = doc.get("active_environment")
    new = tomlkit.item(env_name)
    if old is not None and hasattr(old, "trivia"):
        new.trivia.comment_ws = old.trivia.comment_ws
        new.trivia.comment = old.trivia.comment
    doc["active_environment"] = new
    return tomlkit.dumps(doc)


def promote(
    config_path: Path,
    to_env: str,
    *,
    cutover_id: str | None = None,
    who: str | None = None,
    record_in_db: bool = True,
) -> Promotion:
    """Back up, switch ``active_environment`` to ``to_env``, verify the new file loads, log it."""
    config = load_config(config_path)
    config.environment(to_env)  # unknown name -> ConfigError listing the known ones
    cutover_id = cutover_id or new_cutover_id(to_env)
    before = config_path.read_bytes()
    backup = backup_config(config_path, cutover_id)
    after = set_active_environment(before.decode("utf-8"), to_env).encode("utf-8")
    _atomic_write(config_path, after)
    try:
        load_config(config_path)
    except ConfigError:
        _atomic_write(config_path, before)
        raise
    promotion = Promotion(
        cutover_id=cutover_id,
        config_path=str(config_path.resolve()),
        backup_path=str(backup.resolve()),
        from_env=config.active_environment,
        to_env=to_env,
        who=current_user(who),
        at=datetime.now(UTC).isoformat(timespec="microseconds"),
        sha256_before=sha256_of(before),
        sha256_after=sha256_of(after),
    )
    if record_in_db:
        try:
            record_cutover(
                config,
                to_env,
                cutover_id,
                from_env=promotion.from_env,
                status="PROMOTED",
                who=promotion.who,
                details={"promotion": promotion.as_dict()},
            )
        except Exception:  # an unrecorded promotion must not stay in force
            _atomic_write(config_path, before)
            raise
    _append_log(config_path, {"action": "promote", **promotion.as_dict()})
    return promotion


def revert_promotion(config_path: Path, cutover_id: str, *, who: str | None = None) -> bool:
    """Put the backup's bytes back; True when the file changed, False when it already was the backup."""
    backup = backup_path(config_path, cutover_id)
    if not backup.exists():
        raise ConfigError([ConfigProblem(str(backup), "<backup>", "no backup for this cutover; cannot revert")])
    original = backup.read_bytes()
    if config_path.exists() and config_path.read_bytes() == original:
        return False
    _atomic_write(config_path, original)
    _append_log(
        config_path,
        {
            "action": "revert",
            "cutover_id": cutover_id,
            "who": current_user(who),
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "sha256_restored": sha256_of(original),
        },
    )
    return True


def read_promotion_log(config_path: Path) -> list[dict[str, Any]]:
    """Every entry of the promotion log, oldest first (a torn last line is skipped)."""
    path = promotion_log_path(config_path)
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue
    return entries


def last_promotion(config_path: Path, cutover_id: str | None = None) -> Promotion | None:
    """The newest ``promote`` entry (of ``cutover_id`` when given), or None."""
    for entry in reversed(read_promotion_log(config_path)):
        if entry.get("action") == "promote" and cutover_id in (None, entry.get("cutover_id")):
            return Promotion(**{k: entry[k] for k in Promotion.__dataclass_fields__})
    return None


def record_cutover(
    config: Config,
    env_name: str,
    cutover_id: str,
    *,
    status: str,
    from_env: str | None = None,
    who: str | None = None,
    details: dict[str, Any] | None = None,
    finished: bool = False,
) -> None:
    """Insert or update the cutover's row in ``ordersync_cutovers``; ``details`` are merged into the JSON."""
    engine, tables = open_db(config, env_name)
    table = tables.cutovers
    try:
        with engine.begin() as conn:
            row = conn.execute(sa.select(table).where(table.c.cutover_id == cutover_id)).mappings().first()
            merged = {**(json.loads(row["details"]) if row and row["details"] else {}), **(details or {})}
            values: dict[str, Any] = {
                "status": status,
                "details": json.dumps(jsonable(merged), ensure_ascii=False),
            }
            if finished:
                values["finished_at"] = utcnow()
            if row is None:
                conn.execute(
                    table.insert().values(
                        cutover_id=cutover_id,
                        from_env=from_env or config.active_environment,
                        to_env=env_name,
                        who=current_user(who),
                        started_at=utcnow(),
                        **values,
                    )
                )
            else:
                conn.execute(table.update().where(table.c.cutover_id == cutover_id).values(**values))
    finally:
        engine.dispose()


def read_cutover(config: Config, env_name: str, cutover_id: str) -> dict[str, Any] | None:
    """The cutover's row with ``details`` decoded, or None."""
    engine, tables = open_db(config, env_name)
    table = tables.cutovers
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.cutover_id == cutover_id)).mappings().first()
    finally:
        engine.dispose()
    if row is None:
        return None
    out = dict(row)
    out["details"] = json.loads(row["details"]) if row["details"] else {}
    return out


def _append_log(config_path: Path, entry: dict[str, Any]) -> None:
    with promotion_log_path(config_path).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.write_bytes(data)
    if path.exists():
        with contextlib.suppress(OSError):  # permissions are best effort; the bytes are what matter
            os.chmod(tmp, path.stat().st_mode)
    tmp.replace(path)
