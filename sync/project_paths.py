"""Where a project keeps its suites, cassettes, load profiles and reports (``[paths]`` in the config).

Every path is relative to the config file, never to the current directory, so a command
gives the same answer from any cwd. A path the project does not have falls back to the
copy ordersync ships (:mod:`sync.shipped`); :func:`project_file` says which one it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from sync.shipped import PROFILES_NAME, shipped_path

__all__ = ["ProjectFile", "ProjectPaths", "project_file"]


class ProjectPaths(BaseModel):
    """``[paths]``: folders and files of a project, relative to the config file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    expectations: str = "expectations"
    cassettes: str = "cassettes"
    load_profiles: str = f"loadtests/{PROFILES_NAME}"
    reports: str = "reports"


#: ``[paths]`` key -> the shipped default it falls back to.
_SHIPPED = {"expectations": ("expectations",), "cassettes": ("cassettes",), "load_profiles": (PROFILES_NAME,)}


@dataclass(frozen=True)
class ProjectFile:
    """A resolved project path; ``shipped`` is True when the project lacked it and the default was used."""

    path: Path
    shipped: bool

    def describe(self) -> str:
        """``PATH`` or ``PATH (shipped default)`` for messages and evidence."""
        return f"{self.path} (shipped default)" if self.shipped else str(self.path)


def project_file(base_dir: Path, paths: ProjectPaths, key: str, *parts: str) -> ProjectFile:
    """``[paths].key`` (+ ``parts``) under ``base_dir``; the shipped copy when the project has none."""
    own = (base_dir / getattr(paths, key)).joinpath(*parts)
    if own.exists() or key not in _SHIPPED:
        return ProjectFile(own.resolve(), shipped=False)
    default = shipped_path(*_SHIPPED[key], *parts)
    if default.exists():
        return ProjectFile(default, shipped=True)
    return ProjectFile(own.resolve(), shipped=False)
