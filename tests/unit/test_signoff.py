"""The sign-off page: items ticked or crossed from gate evidence, open without it, person items left blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from validation.cutover.checklists import CHECKLISTS, LOAD_BASELINE, LOAD_MEMORY, LOAD_THROUGHPUT, Check, evaluate
from validation.cutover.signoff import write_signoff


def _gate(name: str, status: str = "passed", /, **metrics: Any) -> dict[str, Any]:
    return {
        "name": name,
        "status": status,
        "summary": f"{name} {status}",
        "metrics": {"checked": 1, **metrics},
        "evidence": [f"{name}/evidence.json"],
    }


def _data(*gates: dict[str, Any], ok: bool = True, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cutover_id": "c1",
        "config_path": "/x/ordersync.toml",
        "from_env": "development",
        "to_env": "production",
        "who": "ana",
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:05:00+00:00",
        "status": "SUCCEEDED" if ok else "ROLLED_BACK",
        "ok": ok,
        "reason": None if ok else "verify found mismatches",
        "steps": [{"name": "promote", "phase": "deployment", "ok": True, "summary": "dev -> prod", "duration_s": 0.1}],
        "gates": {"results": list(gates)},
        "canary": None,
        "rollback": None,
        "monitoring": {},
        "artifacts": {},
    }
    data.update(extra)
    return data


def test_a_passed_gate_ticks_its_items_with_a_link_and_names_the_metric() -> None:
    """Column mappings map to the board-contract gate, are ticked from its ``checked`` count and link to it."""
    mark = evaluate(Check("Column mappings", gates=("board-contract",)), _data(_gate("board-contract", checked=12)))
    assert mark.state == "ticked" and ("gates: board-contract", "index.html#board-contract") in mark.links
    assert "metric checked = 12 >= 1: met" in mark.why


def test_a_passed_gate_without_the_metric_is_never_a_tick() -> None:
    """A gate that passed but reports no metric to tick from crosses the item, naming the metric."""
    gate = _gate("board-contract")
    gate["metrics"] = {}
    mark = evaluate(Check("Column mappings", gates=("board-contract",)), _data(gate))
    assert mark.state == "crossed" and "metric checked missing" in mark.why


LOAD_OK: dict[str, Any] = {
    "checked": 8,
    "records_per_s": 231.0,
    "min_records_per_s": 200,
    "baseline_records_per_s": 6.5,
    "engine_over_baseline": 35.5,
    "peak_rss_mb": 150.0,
    "max_rss_mb": 600,
}


def test_load_items_are_ticked_only_from_their_metrics_meeting_thresholds() -> None:
    """≥200/s, the legacy comparison and memory each need their metric present and within its limit."""
    throughput = Check("≥200", gates=("load",), metrics=LOAD_THROUGHPUT)
    legacy = Check("legacy", gates=("load",), metrics=LOAD_BASELINE)
    memory = Check("memory", gates=("load",), metrics=LOAD_MEMORY)
    ok = _data(_gate("load-test", **LOAD_OK))
    for check in (throughput, legacy, memory):
        assert evaluate(check, ok).state == "ticked", evaluate(check, ok).why
    assert "metric records_per_s = 231 >= 200: met" in evaluate(throughput, ok).why
    assert "metric peak_rss_mb = 150 <= 600 (max_rss_mb): met" in evaluate(memory, ok).why
    lowered = _data(_gate("load-test", **{**LOAD_OK, "min_records_per_s": 50}))
    assert evaluate(throughput, lowered).state == "crossed"  # a gate run at a lowered threshold proves nothing
    slow = _data(_gate("load-test", **{**LOAD_OK, "records_per_s": 150.0}))
    assert evaluate(throughput, slow).state == "crossed"
    no_baseline = {k: v for k, v in LOAD_OK.items() if k not in ("baseline_records_per_s", "engine_over_baseline")}
    mark = evaluate(legacy, _data(_gate("load-test", **no_baseline)))
    assert mark.state == "crossed" and "baseline_records_per_s missing" in mark.why  # fails the item, never ticks
    zero = _data(_gate("load-test", **{**LOAD_OK, "baseline_records_per_s": 0.0}))
    assert evaluate(legacy, zero).state == "crossed"
    no_limit = {k: v for k, v in LOAD_OK.items() if k != "max_rss_mb"}
    assert evaluate(memory, _data(_gate("load-test", **no_limit))).state == "crossed"


def test_a_failed_gate_crosses_and_a_missing_gate_leaves_the_item_open() -> None:
    """Fail-closed: no evidence is never a tick; a failure anywhere crosses the item."""
    check = Check("Phase 5", gates=("ordering", "dropdown"))
    assert evaluate(check, _data(_gate("ordering"))).state == "open"
    assert evaluate(check, _data(_gate("ordering"), _gate("dropdown-population", "error"))).state == "crossed"
    assert evaluate(check, _data(_gate("ordering"), _gate("dropdown-population"))).state == "ticked"


def test_steps_and_monitoring_decide_their_items() -> None:
    """A step not reached is open; monitoring without a webhook is an open item naming it."""
    data = _data(monitoring={"run_metrics": True, "alert_webhook": False})
    assert evaluate(Check("switch", steps=("promote",)), data).state == "ticked"
    assert evaluate(Check("canary", steps=("canary",)), data).state == "open"
    mark = evaluate(Check("alerts", monitor=("run_metrics", "alert_webhook")), data)
    assert mark.state == "open" and "monitoring.alert_webhook" in mark.why and "not configured" in mark.why


def test_a_promotion_with_open_technical_items_is_never_a_plain_promoted(tmp_path: Path) -> None:
    """ok=True but the alert webhook (and other evidence) missing: the banner says PROMOTED WITH OPEN ITEMS."""
    html_path, md_path = write_signoff(_data(monitoring={"run_metrics": True, "alert_webhook": False}), tmp_path)
    page, md = html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8")
    assert "PROMOTED WITH OPEN ITEMS" in page and "PROMOTED WITH OPEN ITEMS" in md
    assert "Error logging and notification setup" in page.split('id="open-items"')[1].split("</ul>")[0]
    assert "PROMOTED:" not in page


def test_every_seed_checklist_item_is_rendered_and_person_items_have_blanks(tmp_path: Path) -> None:
    """All checks appear in both files; stakeholder approval, training, go-live and communication stay open."""
    html_path, md_path = write_signoff(_data(ok=False), tmp_path)
    page, md = html_path.read_text(encoding="utf-8"), md_path.read_text(encoding="utf-8")
    texts = [c.text for _, subs in CHECKLISTS for _, checks in subs for c in checks]
    assert len(texts) > 40
    for text in texts:
        assert text in md
    for person in (
        "Stakeholder approval obtained",
        "Team training completed",
        "Go-live date scheduled",
        "Communication plan executed",
    ):
        assert f"- [ ] ☐ {person} — name: ____________ date: ________" in md
    assert "NOT PROMOTED" in page and "verify found mismatches" in page
    assert "<script" not in page and "<link" not in page  # self-contained


def test_the_page_escapes_what_it_shows(tmp_path: Path) -> None:
    """Autoescaping: a summary with markup is shown as text."""
    page = write_signoff(_data(who="<script>alert(1)</script>"), tmp_path)[0].read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page


def test_load_figures_and_chart_come_from_the_load_gate_evidence(tmp_path: Path) -> None:
    """With a load-test gate and Locust history in its folder, the page shows its metrics and an SVG chart."""
    folder = tmp_path / "load-test"
    folder.mkdir()
    rows = ["Timestamp,User Count,Type,Name,Requests/s,Failures/s,Total Request Count,Total Average Content Size"]
    rows += [f"{1000 + t},4,records,batch,0,0,{t * 10},25" for t in range(1, 30)]
    rows += [f"{1000 + t},4,mutation,create,0,0,{t * 2},0" for t in range(1, 30)]
    (folder / "locust_stats_history.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    gate = _gate("load-test", **{**LOAD_OK, "records_per_s": 250.0, "peak_rss_mb": 120.0})
    gate["evidence"] = ["load-test/loadtest.html"]
    html_path, md_path = write_signoff(_data(gate), tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert "records_per_s" in page and "250.0" in page and "<polyline" in page and "enforced 200 records/s" in page
    assert "- [x] ✔ Validate ≥200 records/second throughput" in md_path.read_text(encoding="utf-8")
