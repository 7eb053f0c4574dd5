"""The alert hook against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import pytest
from cutover_support import webhook_receiver

from sync.config import load_config
from sync.demo import shipped_config_path
from sync.monitoring import send_alert


def test_send_alert_posts_json_to_the_configured_webhook(monkeypatch: pytest.MonkeyPatch) -> None:
    """The body carries event, a chat-ready text, a timestamp and the caller's fields."""
    config = load_config(shipped_config_path()).model_copy(update={"alerts": {"webhook_url_env": "ORDERSYNC_HOOK_T"}})
    with webhook_receiver() as receiver:
        monkeypatch.setenv("ORDERSYNC_HOOK_T", receiver.url)
        assert send_alert(config, "run_failed", "run r1 failed", run_id="r1") is True
    [body] = receiver.received
    assert body["event"] == "run_failed" and body["text"] == "ordersync: run r1 failed" and body["run_id"] == "r1"
    assert body["at"].endswith("+00:00")


def test_a_refusing_receiver_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    """A webhook answering 500 gets the alert but the call returns False."""
    config = load_config(shipped_config_path()).model_copy(update={"alerts": {"webhook_url_env": "ORDERSYNC_HOOK_T"}})
    with webhook_receiver(status=500) as receiver:
        monkeypatch.setenv("ORDERSYNC_HOOK_T", receiver.url)
        assert send_alert(config, "rollback", "x") is False
    assert receiver.events() == ["rollback"]
