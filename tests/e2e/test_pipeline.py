"""Webhook -> Redis -> Celery investigation (stub model) -> Slack stub, with real processes throughout."""

from __future__ import annotations

import httpx

from tests.conftest import INGEST_TOKEN, SLACK_TOKEN, Fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


def _post(fleet: Fleet, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{fleet.ingest_url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=10)


def _investigation(fleet: Fleet, investigation_id: str) -> dict[str, object]:
    response = httpx.get(f"{fleet.ingest_url}/api/v1/investigations/{investigation_id}", headers=AUTH, timeout=5)
    assert response.status_code == 200
    data: dict[str, object] = response.json()
    return data


def test_firing_group_ends_as_one_slack_message_with_model_sections(
    fleet: Fleet, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    response = _post(fleet, webhook("KubePodCrashLooping", instances=3))
    assert response.status_code == 202
    investigation_id = response.json()["investigation_ids"][0]

    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet.logs()
    message = slack_stub.messages_in("#alerts")[0]
    assert message["text"].startswith(":mag: *alertfleet Investigation*")
    assert "*Alert:* KubePodCrashLooping" in message["text"]
    assert "*Key Findings:*\n•" in message["text"]
    assert "*Recommended Actions:*\n1." in message["text"]
    assert message["blocks"], "Block Kit blocks are sent alongside the text fallback"
    # The model called the alert-group tool, and its result reached the model.
    tool_messages = [m for c in model_stub.completions for m in c.get("messages", []) if m.get("role") == "tool"]
    assert tool_messages and "KubePodCrashLooping" in tool_messages[0]["content"]

    data = _investigation(fleet, investigation_id)
    assert data["status"] == "completed"
    result = data["result"]
    assert isinstance(result, dict)
    assert set(result["sections"]) >= {
        "Alert Explanation",
        "Key Findings",
        "Conclusions and Possible Root Causes",
        "Next Steps",
    }
    assert result["tool_calls"][0]["tool_name"] == "get_alert_group"
    assert slack_stub.violations == []


def test_resend_of_same_notification_posts_nothing(fleet: Fleet, slack_stub: SlackStub) -> None:
    body = webhook("TargetDown", instances=2)
    first = _post(fleet, body)
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet.logs()
    again = [_post(fleet, body) for _ in range(3)]
    assert {r.status_code for r in again} == {202}
    assert {r.json()["investigation_ids"][0] for r in again} == {first.json()["investigation_ids"][0]}
    assert all(r.json()["duplicate"] for r in again)
    # Give the fleet time to (wrongly) act on the re-sends before asserting nothing happened.
    assert not wait_for(lambda: slack_stub.post_count() > 1 or slack_stub.update_count() > 0, 3)
    assert len(slack_stub.messages_in("#alerts")) == 1


def test_resolution_updates_the_original_message(fleet: Fleet, slack_stub: SlackStub, model_stub: ModelStub) -> None:
    firing = _post(fleet, webhook("HighLatency", instances=2))
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet.logs()
    completions_before = len(model_stub.completions)
    resolved = _post(fleet, webhook("HighLatency", instances=2, status="resolved"))
    assert resolved.status_code == 202
    assert resolved.json()["investigation_ids"] == firing.json()["investigation_ids"]
    assert wait_for(lambda: slack_stub.update_count() == 1, 30), fleet.logs()
    message = slack_stub.messages_in("#alerts")[0]
    assert "Resolved" in message["text"]
    assert slack_stub.post_count() == 1
    assert len(model_stub.completions) == completions_before, "resolution must not start a new investigation"


def test_token_never_appears_in_logs(fleet: Fleet, slack_stub: SlackStub) -> None:
    _post(fleet, webhook("DiskFull"))
    httpx.post(
        f"{fleet.ingest_url}/api/webhooks/alertmanager",
        json=webhook("X"),
        headers={"Authorization": "Bearer wrong"},
        timeout=5,
    )
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet.logs()
    logs = fleet.logs()
    assert "alertfleet.investigate" in logs, "logs were captured"
    assert SLACK_TOKEN not in logs
    assert INGEST_TOKEN not in logs
