"""The embedded default: a reproducible order book in SQLite plus a config pointing at the emulator.

``ordersync demo init`` builds a work folder (never a tracked file) holding ``dev.db`` and
``prod.db`` (the same staging data, as both environments of a real cutover would see),
``ordersync.toml``: the shipped config with each environment's database switched to
its SQLite file and its monday transport switched to the local emulator, and the rest of
a project (:mod:`sync.scaffold`): suites, cassettes and load profiles.

The data is generated in chunks and inserted with ``executemany``, so memory stays flat
whatever ``--orders`` is. Customer names carry apostrophes and non-ASCII letters on
purpose (the origin system built SQL with f-strings and broke on them).
"""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import tomlkit

from sync.db import DEFAULT_SIZES, build_tables, create_schema, make_engine
from sync.scaffold import copy_project_files
from sync.shipped import CONFIG_NAME, shipped_path

__all__ = ["CUSTOMERS", "DemoResult", "generate_orders", "init_demo", "insert_orders", "shipped_config_path"]

#: (canonical name, source name, order-number prefix, customer season code)
CUSTOMERS: tuple[tuple[str, str, str, str], ...] = (
    ("GREYSON", "GREYSON CLOTHIERS", "GRE", "GRY"),
    ("PELOTON", "PELOTON INTERACTIVE", "PEL", "PEL"),
    ("ACTIVELY BLACK", "ACTIVELY BLACK LLC", "ACT", "AB"),
    ("AESCAPE", "AESCAPE INC", "AES", "AES"),
    ("TITLE NINE", "TITLE NINE SPORTS", "TIT", "T9"),
    ("WHITE FOX", "WHITE FOX BOUTIQUE", "WHI", "WF"),
    ("BORN PRIMITIVE", "BORN PRIMITIVE", "BOR", "BP"),
    ("SUMMERSALT", "SUMMERSALT", "SUM", "SS"),
    ("O'NEILL", "O'NEILL EUROPE", "ONE", "ON"),
    ("CAFÉ DU CYCLISTE", "CAFÉ DU CYCLISTE SAS", "CAF", "CDC"),
)
SEASONS = ("2025 FALL", "2025 HOLIDAY", "2026 SPRING", "2026 SUMMER")
COLOURS = ("BLACK", "NAVY", "HEATHER GREY", "SAGE", "CRÈME BRÛLÉE", "BORDEAUX", "SKY BLUE", "WHITE")
FABRICS = ("Performance", "Everyday", "Tech")
GARMENTS = ("Polo", "Tee", "Jogger", "Short")
CATEGORIES = ("MENS", "WOMENS", "KIDS", "ACCESSORIES")
SIZE_SCALES: tuple[tuple[str, ...], ...] = (
    ("XS", "S", "M", "L", "XL", "XXL", "2XL"),
    ("XS", "S", "M", "L", "XL", "XXL"),
    ("6", "8", "10", "12", "14", "16"),
    ("XXS", "XS", "S", "M", "L", "XL", "XXL"),
    ("28", "30", "32", "34", "36"),
    ("30/30", "32/32", "34/32"),
    ("S/M", "M/L"),
    ("2T", "4T"),
    ("OS",),
)
ORDER_TYPES = ("RECEIVED",) * 17 + ("CANCELLED", "PRE-BOOK", "REPLENISHMENT")
CHUNK = 2_000


@dataclass(frozen=True)
class DemoResult:
    """What ``demo init`` built, for the CLI to print."""

    directory: Path
    config_path: Path
    databases: dict[str, Path]
    orders: int
    lines: int


def shipped_config_path() -> Path:
    """The config ordersync ships (package data); the demo config is derived from it."""
    return shipped_path(CONFIG_NAME)


def _order(rng: random.Random, n: int) -> dict[str, Any]:
    name, source, prefix, season_code = CUSTOMERS[n % len(CUSTOMERS)]
    season = SEASONS[rng.randrange(len(SEASONS))]
    year, term = season.split()
    customer_season = None if rng.random() < 0.15 else f"{term[:2]}{year[2:]} {season_code}"
    scale = SIZE_SCALES[rng.randrange(len(SIZE_SCALES))]
    picked = scale[rng.randint(0, 1) if len(scale) > 4 else 0 :]
    quantities = {size: rng.randrange(12, 600, 6) for size in picked}
    received = date(2025, 1, 1) + timedelta(days=rng.randrange(300))
    colour = COLOURS[rng.randrange(len(COLOURS))]
    style = f"{prefix}{rng.randrange(100, 160)}"
    price = Decimal(rng.randrange(800, 9000)) / 100
    order_type = ORDER_TYPES[rng.randrange(len(ORDER_TYPES))]
    row: dict[str, Any] = {
        "record_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "AAG ORDER NUMBER": f"{prefix}-{n:06d}",
        "CUSTOMER NAME": name,
        "SOURCE_CUSTOMER_NAME": source,
        "ORDER DATE PO RECEIVED": received,
        "PO NUMBER": str(4000 + n // 7),
        "CUSTOMER ALT PO": f"ALT-{n:06d}" if rng.random() < 0.3 else None,
        "AAG SEASON": season,
        "CUSTOMER SEASON": customer_season,
        "DROP": f"DROP {rng.randint(1, 4)}",
        "MONTH": received.strftime("%B").upper(),
        "RANGE / COLLECTION": rng.choice(("CORE", "CAPSULE", "LIMITED EDITION")),
        "CATEGORY": CATEGORIES[rng.randrange(len(CATEGORIES))],
        "PATTERN ID": f"P{rng.randrange(1000, 9999)}",
        "PLANNER": rng.choice(("Zoë Martin", "Sam O'Brien", "Lee Chen")),
        "ALIAS/RELATED ITEM": None,
        "CUSTOMER STYLE": style,
        "STYLE DESCRIPTION": f"{rng.choice(FABRICS)} {rng.choice(GARMENTS)}",
        "CUSTOMER'S COLOUR CODE (CUSTOM FIELD) CUSTOMER PROVIDES THIS": f"C{COLOURS.index(colour):03d}",
        "CUSTOMER COLOUR DESCRIPTION": colour,
        "UNIT OF MEASURE": "EACH" if rng.random() < 0.9 else "PACK",
        **quantities,
        "TOTAL QTY": sum(quantities.values()),
        "DESTINATION": rng.choice(("USA", "CANADA", "UK", "AUSTRALIA")),
        "DESTINATION WAREHOUSE": rng.choice(("LA DC", "NJ DC", "TORONTO 3PL", "MELBOURNE")),
        "ETA CUSTOMER WAREHOUSE DATE": received + timedelta(days=rng.randrange(60, 150)),
        "EX FACTORY DATE": received + timedelta(days=rng.randrange(30, 90)),
        "DELIVERY TERMS": rng.choice(("FOB", "DDP", "EXW")),
        "PLANNED DELIVERY METHOD": rng.choice(("SEA", "AIR", "COURIER")),
        "NOTES": rng.choice((None, "Customer's rush order", "Split shipment — see PO", None)),
        "ORDER TYPE": order_type,
        "CUSTOMER PRICE": price,
        "EX WORKS (USD)": (price * Decimal("0.55")).quantize(Decimal("0.0001")),
        "ADMINISTRATION FEE": Decimal("1.5000"),
        "DESIGN FEE": rng.choice((None, "25", "12.50")),
        "FX CHARGE": Decimal("0.2500"),
        "HANDLING": Decimal("0.7500"),
        "SURCHARGE FEE": rng.choice((None, "3")),
        "DISCOUNT": rng.choice((None, "5", "0")),
        "FINAL FOB (USD)": (price * Decimal("0.6")).quantize(Decimal("0.0001")),
        "HS CODE": rng.choice(("6110.20.2079", "6104.63.2006", "6203.42.4011")),
        "US DUTY RATE": Decimal("0.165000"),
        "US DUTY": (price * Decimal("0.165")).quantize(Decimal("0.0001")),
        "FREIGHT": Decimal("0.4200"),
        "US TARIFF RATE": Decimal("0.100000"),
        "US TARIFF": (price * Decimal("0.1")).quantize(Decimal("0.0001")),
        "DDP US (USD)": (price * Decimal("0.9")).quantize(Decimal("0.0001")),
        "UK FREIGHT": None,
        "SMS PRICE USD": price,
        "FINAL PRICES Y/N": rng.choice(("Y", "N")),
        "NOTES FOR PRICE": None,
        "Warehouse": None,
    }
    return row


def generate_orders(count: int, seed: int = 42, *, start: int = 1) -> Iterator[list[dict[str, Any]]]:
    """Yield staging rows in chunks; the same (count, seed) always gives the same rows."""
    rng = random.Random(seed)
    chunk: list[dict[str, Any]] = []
    for n in range(start, start + count):
        chunk.append(_order(rng, n))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def bad_rows(seed: int = 7) -> list[dict[str, Any]]:
    """Rows a real staging table eventually contains; each must be reported, none may sink a run."""
    rng = random.Random(f"bad-rows-{seed}")  # its own stream: record_uuids must not repeat the orders' ones
    rows = [_order(rng, 900_000 + i) for i in range(5)]
    rows[0]["DESIGN FEE"] = "TBC"  # text in a numbers column
    rows[1]["CUSTOMER NAME"] = "UNLISTED CUSTOMER"  # a label the CUSTOMER dropdown forbids creating
    rows[2]["AAG ORDER NUMBER"] = None  # no business key
    rows[3]["CUSTOMER STYLE"] = "X" * 100  # item name over 255 characters
    rows[3]["CUSTOMER COLOUR DESCRIPTION"] = "Y" * 100
    rows[3]["AAG ORDER NUMBER"] = "LNG-" + "9" * 96
    rows[4]["AAG ORDER NUMBER"] = rows[0]["AAG ORDER NUMBER"].replace("-9", "-8")
    twin = dict(rows[4], record_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    return [*rows, twin]  # rows[4] and its twin share an order number


def insert_orders(engine: sa.Engine, table: sa.Table, chunks: Iterator[list[dict[str, Any]]]) -> tuple[int, int]:
    """Insert chunks of rows; return (orders, lines with qty > 0)."""
    sizes = [c.name for c in table.columns if c.name in DEFAULT_SIZES]
    orders = lines = 0
    for chunk in chunks:
        full = [{**dict.fromkeys(sizes), **row} for row in chunk]
        with engine.begin() as conn:
            conn.execute(table.insert(), full)
        orders += len(full)
        lines += sum(1 for row in full for s in sizes if (row.get(s) or 0) > 0)
    return orders, lines


def _demo_config(directory: Path, databases: dict[str, Path]) -> Path:
    doc = tomlkit.parse(shipped_config_path().read_text(encoding="utf-8"))
    doc["active_environment"] = "development"
    envs = doc["environments"]
    for name, db_path in databases.items():
        env = envs[name]
        database = tomlkit.table()
        database.add(tomlkit.comment("Embedded default: a SQLite file next to this config."))
        database["url"] = f"sqlite:///{db_path.name}"
        env["database"] = database
        monday = env["monday"]
        monday["transport"] = "emulator"
        monday["emulator_state"] = "monday-emulator.json"
    path = directory / CONFIG_NAME
    path.write_text(tomlkit.dumps(doc), encoding="utf-8")
    copy_project_files(directory, path, overwrite=True)  # suites, cassettes, load profiles: a whole project
    return path


def init_demo(directory: Path, *, orders: int = 300, seed: int = 42, with_bad_rows: bool = False) -> DemoResult:
    """Build (or rebuild) the demo work folder; existing demo files in it are replaced."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in ("dev.db", "prod.db", "monday-emulator.json"):
        for path in directory.glob(stale + "*"):
            path.unlink()
    dev = directory / "dev.db"
    tables = build_tables()
    engine = make_engine(f"sqlite:///{dev}")
    try:
        create_schema(engine, tables)
        count, lines = insert_orders(engine, tables.staging, generate_orders(orders, seed))
        if with_bad_rows:
            extra, extra_lines = insert_orders(engine, tables.staging, iter([bad_rows(seed)]))
            count, lines = count + extra, lines + extra_lines
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    prod = directory / "prod.db"
    shutil.copyfile(dev, prod)
    databases = {"development": dev, "production": prod}
    config_path = _demo_config(directory, databases)
    return DemoResult(directory, config_path, databases, count, lines)
