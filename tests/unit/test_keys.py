from __future__ import annotations

from alertfleet.keys import notification_dedup_key, problem_key, write_key
from alertfleet.models import AlertmanagerWebhook
from tests.harness.alerts import webhook


def test_dedup_key_ignores_alert_order_but_not_status_or_membership() -> None:
    body = webhook(instances=3)
    reordered = webhook(instances=3)
    reordered["alerts"].reverse()
    key = notification_dedup_key(AlertmanagerWebhook.model_validate(body))
    assert key == notification_dedup_key(AlertmanagerWebhook.model_validate(reordered))
    resolved = AlertmanagerWebhook.model_validate(webhook(instances=3, status="resolved"))
    assert key != notification_dedup_key(resolved)
    assert key != notification_dedup_key(AlertmanagerWebhook.model_validate(webhook(instances=2)))


def test_problem_key_is_sha256_of_group_key() -> None:
    import hashlib

    assert problem_key('{}:{alertname="X"}') == hashlib.sha256(b'{}:{alertname="X"}').hexdigest()


def test_write_key_separates_destinations_and_targets() -> None:
    keys = {write_key("i1", "slack", "#a"), write_key("i1", "slack", "#b"), write_key("i1", "webhook", "#a")}
    assert len(keys) == 3
