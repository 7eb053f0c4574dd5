"""The report pages as a reviewer sees them: opened in headless Chromium (Debian's ``chromium``).

A real cutover (fast gates) writes ``index.html`` and ``signoff.html``; the load-test page is
rendered by the real ``write_report`` into the same run folder and linked from the sign-off's
load section. Each page is loaded with ``chromium --headless --dump-dom`` (the DOM after
scripts) and ``--screenshot``; the test checks that every local link resolves (file, and the
``#fragment`` id in the target page), that every inline SVG chart has drawn elements, and
that the screenshot is not blank. Screenshots are kept under ``$ORDERSYNC_ARTIFACTS`` (CI sets
it to ``reports/ci-artifacts`` in the clone) or the test's tmp folder.

Chromium missing: a clear failure under ``CI=true``, a skip with the reason elsewhere.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from cutover_support import FAST_GATES, PROD, build_demo

from validation.cutover.runner import run_cutover
from validation.load.outcome import LoadTestResult
from validation.load.reconcile import Reconciliation
from validation.load.report import write_report
from validation.load.rules import Measured, evaluate, load_profile

ARTIFACTS_ENV = "ORDERSYNC_ARTIFACTS"
SVG_CHILDREN = ("polyline", "rect", "text", "line", "path", "circle")


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: CI must `apt-get install -y chromium` (see .ci/run)")
    pytest.skip("chromium is not installed (apt-get install -y chromium); under CI=true this test fails instead")


class _Page(HTMLParser):
    """Links, ids and, per <svg>, how many drawn child elements it has."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.svgs: list[int] = []
        self._in_svg = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if tag == "svg":
            self.svgs.append(0)
            self._in_svg = True
        elif self._in_svg and tag in SVG_CHILDREN:
            self.svgs[-1] += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._in_svg = False


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _run(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def _distinct_pixels(png: bytes) -> int:
    """Distinct byte values in the decompressed image data (a blank page has only a handful)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, data = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(data)))


def _load_page(folder: Path) -> Path:
    """The load-test page of a 'ci' run, rendered by the real report writer from Locust-shaped files."""
    evidence = folder / "load-test"
    evidence.mkdir(parents=True, exist_ok=True)
    header = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,Total Request Count,Total Average Content Size"
    rows = [header]
    rows += [f"{1000 + t},4,records,batch,0,0,{t * 5},45" for t in range(1, 25)]
    rows += [f"{1000 + t},4,mutation,create_item x50,0,0,{t * 5},0" for t in range(1, 25)]
    (evidence / "locust_stats_history.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    profile = load_profile("ci")
    measured = Measured(5_400, 24.0, 130, 0, 0, 150.0, 0, Reconciliation(1_100, 4_300), 9, {"p50": 300.0}, 120, 5_400)
    measured = Measured(**{**measured.__dict__, "baseline_records": 30})
    files = {
        "locust_history": evidence / "locust_stats_history.csv",
        "locust_stats": evidence / "locust_stats.csv",
        "locust_log": evidence / "locust.log",
        "json": evidence / "loadtest.json",
        "html": evidence / "loadtest.html",
    }
    baseline = {"method": "one request per record", "records": 30, "records_per_s": 7.5, "errors": []}
    result = LoadTestResult(
        profile, measured, evaluate(profile, measured), baseline, 0, evidence, files, {}, "development", 50
    )
    write_report(result)
    return files["html"]


def test_index_signoff_and_load_pages_render_in_chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every local link resolves, every chart draws, every screenshot has content.

    The pages are what is checked here, so the cutover's required set is narrowed to two real gates (as in
    test_cutover); the load-test page is rendered by the real report writer."""
    monkeypatch.setattr("validation.cutover.runner.required_gates", lambda env_name: FAST_GATES)
    chromium = _chromium()
    config = build_demo(tmp_path / "demo")
    result = run_cutover(config, to_env=PROD, canary=4, who="ana", report_root=tmp_path / "reports")
    assert result.ok, result.reason
    folder = result.report_dir
    pages = [folder / "index.html", folder / "signoff.html", _load_page(folder)]
    artifacts = Path(os.environ.get(ARTIFACTS_ENV) or tmp_path / "ci-artifacts")
    artifacts.mkdir(parents=True, exist_ok=True)
    for page in pages:
        assert page.is_file(), page
        dumped = _run(chromium, tmp_path / "profile", "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
        assert dumped.returncode == 0 and "<body" in dumped.stdout, f"{page.name}: chromium: {dumped.stderr[-500:]}"
        dom = _parse(dumped.stdout)
        for href in dom.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.exists(), f"{page.name}: link {href!r} does not resolve ({target})"
            if parts.fragment and target.suffix == ".html":
                ids = dom.ids if target == page else _parse(target.read_text(encoding="utf-8")).ids
                assert unquote(parts.fragment) in ids, f"{page.name}: link {href!r}: no id {parts.fragment!r}"
        if page.name != "index.html":  # the sign-off (canary, load) and load pages carry charts
            assert dom.svgs, f"{page.name}: no chart in the rendered DOM"
        assert all(n > 0 for n in dom.svgs), f"{page.name}: an SVG chart rendered empty: {dom.svgs}"
        shot = artifacts / f"{folder.name}-{page.stem}.png"
        taken = _run(
            chromium,
            tmp_path / "profile",
            "--hide-scrollbars",
            "--window-size=1200,2000",
            f"--screenshot={shot}",
            page.as_uri(),
        )
        assert taken.returncode == 0 and shot.is_file(), f"{page.name}: no screenshot: {taken.stderr[-500:]}"
        assert _distinct_pixels(shot.read_bytes()) > 16, f"{page.name}: the screenshot {shot} is blank"
