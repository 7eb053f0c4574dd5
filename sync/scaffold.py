"""``ordersync init DIR``: a project folder the way dbt and GX make one.

The project gets the shipped ``ordersync.toml`` (comments kept), the expectation suites,
one cassettes folder per environment of the config and the load profiles, laid out as the
config's ``[paths]`` say. ``demo init`` uses the same scaffold, so a demo folder is a
complete project too. Existing files are never overwritten unless asked.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sync.errors import ConfigError, ConfigProblem
from sync.project_paths import ProjectPaths
from sync.shipped import CONFIG_NAME, PROFILES_NAME, shipped_path

__all__ = ["ScaffoldResult", "copy_project_files", "scaffold_project"]


@dataclass(frozen=True)
class ScaffoldResult:
    """What a scaffold wrote and what it left alone because it was already there."""

    directory: Path
    config_path: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def scaffold_project(directory: Path, *, force: bool = False) -> ScaffoldResult:
    """Write ``ordersync.toml`` and the project folders into ``directory``; refuse to replace a config."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / CONFIG_NAME
    if config_path.exists() and not force:
        raise ConfigError(
            [ConfigProblem(str(config_path), "<file>", "already exists; keep it, or re-run with --force to replace it")]
        )
    shutil.copyfile(shipped_path(CONFIG_NAME), config_path)
    written, kept = copy_project_files(directory, config_path, overwrite=force)
    return ScaffoldResult(directory, config_path, [config_path, *written], kept)


def copy_project_files(directory: Path, config_path: Path, *, overwrite: bool) -> tuple[list[Path], list[Path]]:
    """Copy suites, cassettes (one folder per configured environment) and profiles where ``[paths]`` says."""
    raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    paths = ProjectPaths.model_validate(raw.get("paths", {}))
    environments = sorted(raw.get("environments", {}))
    copies: list[tuple[Path, Path]] = []
    suites = shipped_path("expectations")
    copies += [(suite, directory / paths.expectations / suite.name) for suite in sorted(suites.glob("*.json"))]
    for env in environments:
        cassette = shipped_path("cassettes", env, "boards.yaml")
        target = directory / paths.cassettes / env / "boards.yaml"
        if cassette.is_file():
            copies.append((cassette, target))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)  # recorded later: ordersync cassettes record ENV
    copies.append((shipped_path(PROFILES_NAME), directory / paths.load_profiles))
    (directory / paths.reports).mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    kept: list[Path] = []
    for source, target in copies:
        if target.exists() and not overwrite:
            kept.append(target)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written, kept
