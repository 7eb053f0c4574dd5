"""The defaults ordersync ships as package data, found through ``importlib.resources``.

``sync/data/`` holds the shipped config (``ordersync.toml``), the expectation suites
(``expectations/``), the board cassettes (``cassettes/<env>/boards.yaml``) and the load
profiles (``profiles.toml``). In the checkout these are symlinks to the top-level files, which
stay the single source; a wheel carries real copies. Nothing here reads the source tree by
path: an installed ordersync works from any directory.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["CONFIG_NAME", "PROFILES_NAME", "shipped_path"]

CONFIG_NAME = "ordersync.toml"
PROFILES_NAME = "profiles.toml"
_DATA_DIR = "data"


def shipped_path(*parts: str) -> Path:
    """A file or folder of the package data as a filesystem path (wheels install unpacked)."""
    return Path(str(resources.files("sync").joinpath(_DATA_DIR, *parts)))
