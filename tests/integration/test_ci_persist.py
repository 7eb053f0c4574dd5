"""`.ci/persist-config`: the workflow's hand-over of a promotion, on real git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "persist-config"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_promotion_is_pushed_on_a_branch_with_its_log_and_backup(tmp_path: Path) -> None:
    """Changed config + promotion log + backup land in one commit on a pushed branch; unchanged = no-op."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    _git(tmp_path, "clone", "-q", str(origin), str(work))
    config = work / "ops" / "ordersync.toml"
    config.parent.mkdir()
    config.write_text('active_environment = "development"\n', encoding="utf-8")
    _git(work, "add", ".")
    _git(work, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "config")
    _git(work, "push", "-q", "origin", "HEAD:main")
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_REF_NAME"}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not (Path(p) / "gh").exists())

    unchanged = subprocess.run(
        [str(SCRIPT), "cutover", "ops/ordersync.toml"], cwd=work, env=env, capture_output=True, text=True
    )
    assert unchanged.returncode == 0 and "nothing to persist" in unchanged.stdout

    (config.parent / "ordersync.toml.bak-c1").write_bytes(config.read_bytes())
    config.write_text('active_environment = "production"\n', encoding="utf-8")
    (config.parent / "ordersync.promotions.jsonl").write_text('{"cutover_id": "c1"}\n', encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), "cutover", "ops/ordersync.toml", "alice"], cwd=work, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    branch = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("pushed "))
    assert branch.startswith("ordersync/cutover-")
    files = _git(origin, "show", "--name-only", "--format=%s", branch).split("\n")
    assert files[0] == "ordersync cutover: active_environment = production (alice)"
    assert {"ops/ordersync.toml", "ops/ordersync.promotions.jsonl", "ops/ordersync.toml.bak-c1"} <= set(files)
    assert _git(origin, "show", f"{branch}:ops/ordersync.toml") == 'active_environment = "production"\n'
