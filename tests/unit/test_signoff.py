"""The sign-off page: items ticked or crossed from gate evidence, open without it, person items left blank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from validation.cutover.checklists import CHECKLISTS, Check, evaluate
from validation.cutover.signoff import write_signoff


def _gate(name: str, status: str = "passed", **metrics: Any) -> dict[str, Any]:
    return {
        "name": name,
        "status": status,
        "summary": f"{name} {status}",
        "metrics": metrics,
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


def test_a_passed_gate_ticks_its_items_with_a_link() -> None:
    """Column mappings map to the board-contract gate and link to its section of the gate report."""
    mark = evaluate(Check("Column mappings", gates=("board-contract",)), _data(_gate("board-contract")))
    assert mark.state == "ticked" and ("gates: board-contract", "index.html#board-contract") in mark.links


def test_a_failed_gate_crosses_and_a_missing_gate_leaves_the_item_open() -> None:
    """Fail-closed: no evidence is never a tick; a failure anywhere crosses the item."""
    check = Check("Phase 5", gates=("ordering", "dropdown"))
    assert evaluate(check, _data(_gate("ordering"))).state == "open"
    assert evaluate(check, _data(_gate("ordering"), _gate("dropdown-population", "error"))).state == "crossed"
    assert evaluate(check, _data(_gate("ordering"), _gate("dropdown-population"))).state == "ticked"


def test_steps_and_monitoring_decide_their_items() -> None:
    """A step not reached is open; monitoring without a webhook is crossed."""
    data = _data(monitoring={"run_metrics": True, "alert_webhook": False})
    assert evaluate(Check("switch", steps=("promote",)), data).state == "ticked"
    assert evaluate(Check("canary", steps=("canary",)), data).state == "open"
    assert evaluate(Check("alerts", monitor=("run_metrics", "alert_webhook")), data).state == "crossed"


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


def test_load_figures_and_chart_come_from_the_load_gate_evidence(tmp_path: Path) -> None:
    """With a load-test gate and Locust history in its folder, the page shows its metrics and an SVG chart."""
    folder = tmp_path / "load-test"
    folder.mkdir()
    rows = ["Timestamp,User Count,Type,Name,Requests/s,Failures/s,Total Request Count,Total Average Content Size"]
    rows += [f"{1000 + t},4,records,batch,0,0,{t * 10},25" for t in range(1, 30)]
    rows += [f"{1000 + t},4,mutation,create,0,0,{t * 2},0" for t in range(1, 30)]
    (folder / "locust_stats_history.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    gate = _gate("load-test", records_per_s=250.0, peak_rss_mb=120.0)
    gate["evidence"] = ["load-test/loadtest.html"]
    html_path, md_path = write_signoff(_data(gate), tmp_path)
    page = html_path.read_text(encoding="utf-8")
    assert "records_per_s" in page and "250.0" in page and "<polyline" in page and "target 200" in page
    assert "- [x] ✔ Validate ≥200 records/second throughput" in md_path.read_text(encoding="utf-8")
