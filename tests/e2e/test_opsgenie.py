"""OpsGenie stub alert -> poller in ingest -> investigation (stub model) -> OpsGenie note, Slack, webhook.

Real processes throughout: redis-server, `alertfleet ingest` polling the OpsGenie stub every half
second, and a Celery worker writing to the OpsGenie, Slack and webhook stubs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import redis

from alertfleet.keys import problem_key
from tests.conftest import INGEST_TOKEN, OPSGENIE_KEY, Fleet, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.opsgenie import OpsGenieStub
from tests.stubs.slack import SlackStub
from tests.stubs.webhook import WebhookStub
from workers.dlq import DeadLetters

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


@pytest.fixture
def fleet_env_extra() -> dict[str, str]:
    return {}


@pytest.fixture
def og_fleet(
    redis_url: str,
    slack_stub: SlackStub,
    model_stub: ModelStub,
    opsgenie_stub: OpsGenieStub,
    webhook_stub: WebhookStub,
    tmp_path: Path,
    fleet_env_extra: dict[str, str],
) -> Iterator[Fleet]:
    """Ingest (polling OpsGenie) + one worker, writing to OpsGenie, Slack and the webhook receiver."""
    env = fleet_env(
        redis_url,
        slack_stub,
        model_stub,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        OPSGENIE_API_KEY=OPSGENIE_KEY,
        OPSGENIE_API_URL=opsgenie_stub.base_url,
        OPSGENIE_POLL_INTERVAL="0.5",
        OPSGENIE_PRIORITIES="P1,P2",
        WEBHOOK_URL=webhook_stub.url,
        **fleet_env_extra,
    )
    with running_fleet(env, tmp_path) as running:
        yield running


def _list_calls(stub: OpsGenieStub) -> int:
    return len(stub.requests_to("/v2/alerts"))


def test_alert_ends_as_one_note_one_slack_message_and_one_webhook(
    og_fleet: Fleet,
    opsgenie_stub: OpsGenieStub,
    slack_stub: SlackStub,
    webhook_stub: WebhookStub,
    model_stub: ModelStub,
) -> None:
    alert_id = opsgenie_stub.add_alert(
        "Payment API 5xx above 5%", priority="P1", tags=["payments"], created_at=datetime.now(UTC)
    )
    ignored = opsgenie_stub.add_alert("Disk 70%", priority="P4", created_at=datetime.now(UTC))

    assert wait_for(lambda: len(opsgenie_stub.notes(alert_id)) == 1, 60), og_fleet.logs()
    assert wait_for(lambda: slack_stub.post_count() == 1 and len(webhook_stub.deliveries) == 1, 30), og_fleet.logs()
    note = opsgenie_stub.notes(alert_id)[0]["note"]
    assert "Alert: Payment API 5xx above 5%" in note and "\n\nKey Findings\n" in note
    assert "model openai/stub-model" in note
    assert "*Alert:* Payment API 5xx above 5%" in slack_stub.messages_in("#alerts")[0]["text"]
    payload = webhook_stub.deliveries[0].json
    assert (payload["source"], payload["data"]["query"]) == ("alertfleet", "Payment API 5xx above 5%")
    assert payload["data"]["model"] == "openai/stub-model"

    investigation = httpx.get(
        f"{og_fleet.ingest_url}/api/v1/investigations/{payload['investigation_id']}", headers=AUTH, timeout=5
    ).json()
    assert (investigation["source"], investigation["status"]) == ("opsgenie", "completed")

    # Later polls list the alert again (or skip it by cursor): nothing is investigated or written twice.
    completions = len(model_stub.completions)
    polls = _list_calls(opsgenie_stub)
    assert wait_for(lambda: _list_calls(opsgenie_stub) >= polls + 3, 30), og_fleet.logs()
    assert len(opsgenie_stub.notes(alert_id)) == 1 and opsgenie_stub.notes(ignored) == []
    assert (slack_stub.post_count(), len(webhook_stub.deliveries)) == (1, 1)
    assert len(model_stub.completions) == completions
    assert opsgenie_stub.violations == [] and webhook_stub.violations == []
    assert OPSGENIE_KEY not in og_fleet.logs()


def test_alertmanager_group_and_its_opsgenie_alert_share_one_investigation(
    og_fleet: Fleet, opsgenie_stub: OpsGenieStub, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    body = webhook("KubePodCrashLooping", instances=2)
    response = httpx.post(f"{og_fleet.ingest_url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=10)
    investigation_id = response.json()["investigation_ids"][0]
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), og_fleet.logs()
    completions = len(model_stub.completions)

    # Alertmanager's OpsGenie receiver created this alert with alias sha256(groupKey).
    alias = problem_key(body["groupKey"])
    alert_id = opsgenie_stub.add_alert("KubePodCrashLooping", priority="P1", alias=alias, created_at=datetime.now(UTC))

    assert wait_for(lambda: len(opsgenie_stub.notes(alert_id)) == 1, 60), og_fleet.logs()
    assert f"investigation {investigation_id}" in opsgenie_stub.notes(alert_id)[0]["note"]
    assert len(model_stub.completions) == completions, "the linked alert is not investigated again"
    assert not wait_for(lambda: slack_stub.post_count() > 1 or slack_stub.update_count() > 0, 2)


@pytest.mark.parametrize("fleet_env_extra", [{"OPSGENIE_MODE": "read-only"}])
def test_read_only_mode_investigates_but_never_writes_to_opsgenie(
    og_fleet: Fleet, opsgenie_stub: OpsGenieStub, slack_stub: SlackStub
) -> None:
    alert_id = opsgenie_stub.add_alert("Queue backlog", priority="P2", created_at=datetime.now(UTC))
    assert wait_for(lambda: slack_stub.post_count() == 1, 60), og_fleet.logs()
    assert not wait_for(lambda: any(r.method != "GET" for r in opsgenie_stub.requests), 2)
    assert opsgenie_stub.notes(alert_id) == []


def test_rejected_writes_are_dead_lettered_with_the_vendor_reason(
    og_fleet: Fleet,
    opsgenie_stub: OpsGenieStub,
    slack_stub: SlackStub,
    webhook_stub: WebhookStub,
    redis_client: redis.Redis,
) -> None:
    opsgenie_stub.fail_requests(1, "Alert is being deleted")
    webhook_stub.fail_next(1, 410, body={"error": "hook removed"})
    opsgenie_stub.add_alert("Cache miss storm", priority="P1", created_at=datetime.now(UTC))

    letters = DeadLetters(redis_client)
    assert wait_for(lambda: letters.count() == 2, 60), og_fleet.logs()
    reasons = sorted(letter.reason for letter in letters.list())
    assert reasons[0].startswith("opsgenie: opsgenie addNote request") and "Alert is being deleted" in reasons[0]
    assert reasons[1].startswith("webhook: webhook answered 410")
    assert slack_stub.post_count() == 1, "one destination's failure does not stop the others"
