"""PagerDuty stub incident -> poller or signed webhook -> investigation (stub model) -> note + Slack.

Real processes throughout: redis-server, `alertfleet ingest` polling the PagerDuty stub every second,
and a Celery worker writing to the PagerDuty and Slack stubs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from integrations.pagerduty.source import sign
from tests.conftest import INGEST_TOKEN, PAGERDUTY_FROM, PAGERDUTY_KEY, Fleet, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.pagerduty import PagerDutyStub
from tests.stubs.slack import SlackStub
from workers.dlq import DeadLetters

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
SECRET = "whsec-e2e-pagerduty"
PUBLIC_URL = "https://alertfleet.example"


@pytest.fixture
def pd_fleet(
    redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, pagerduty_stub: PagerDutyStub, tmp_path: Path
) -> Iterator[Fleet]:
    """Ingest (polling PagerDuty, taking its webhooks) + one worker writing to PagerDuty and Slack."""
    env = fleet_env(
        redis_url,
        slack_stub,
        model_stub,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        ALERTFLEET_PUBLIC_URL=PUBLIC_URL,
        PAGERDUTY_API_KEY=PAGERDUTY_KEY,
        PAGERDUTY_API_URL=pagerduty_stub.base_url,
        PAGERDUTY_USER_EMAIL=PAGERDUTY_FROM,
        PAGERDUTY_POLL_INTERVAL="1",
        PAGERDUTY_WEBHOOK_SECRET=SECRET,
    )
    with running_fleet(env, tmp_path) as running:
        yield running


def _send_webhook(fleet: Fleet, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-PagerDuty-Signature": sign(SECRET, raw)}
    return httpx.post(f"{fleet.ingest_url}/api/webhooks/pagerduty", content=raw, headers=headers, timeout=10)


def _polls(stub: PagerDutyStub) -> int:
    return len(stub.requests_to("/incidents"))


def _old() -> datetime:
    """Created before PAGERDUTY_LOOKBACK: the poller leaves it alone, only a webhook brings it in."""
    return datetime.now(UTC) - timedelta(days=2)


def test_polled_incident_ends_as_one_note_and_one_slack_message(
    pd_fleet: Fleet, pagerduty_stub: PagerDutyStub, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    incident = pagerduty_stub.add_incident("Checkout API 5xx rate above 5%", service_name="checkout")

    assert wait_for(lambda: len(pagerduty_stub.notes_for(incident["id"])) == 1, 45), pd_fleet.logs()
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), pd_fleet.logs()

    [note] = pagerduty_stub.notes_for(incident["id"])
    assert note["content"].startswith("alertfleet investigation: Checkout API 5xx rate above 5%")
    assert "KEY FINDINGS" in note["content"] and "tool result(s) reached the model" in note["content"]
    assert "Model: openai/stub-model" in note["content"]
    assert f"Full result: {PUBLIC_URL}/api/v1/investigations/" in note["content"]
    assert "*Alert:* Checkout API 5xx rate above 5%" in slack_stub.messages_in("#alerts")[0]["text"]
    assert len(model_stub.completions) >= 1
    # Later polls see the same incident again; none of them investigates or notes it twice.
    polls = _polls(pagerduty_stub)
    assert wait_for(lambda: _polls(pagerduty_stub) >= polls + 2, 15), pd_fleet.logs()
    assert len(pagerduty_stub.notes_for(incident["id"])) == 1
    assert slack_stub.post_count() == 1
    assert pagerduty_stub.violations == [] and slack_stub.violations == []
    assert PAGERDUTY_KEY not in pd_fleet.logs()


def test_signed_webhook_is_investigated_once_however_often_it_is_replayed(
    pd_fleet: Fleet, pagerduty_stub: PagerDutyStub, slack_stub: SlackStub
) -> None:
    incident = pagerduty_stub.add_incident("Payments queue backlog", created_at=_old())
    body = pagerduty_stub.webhook_body(incident["id"])

    first = _send_webhook(pd_fleet, body)
    assert first.status_code == 202 and first.json()["action"] == "investigate"
    assert wait_for(lambda: len(pagerduty_stub.notes_for(incident["id"])) == 1, 45), pd_fleet.logs()
    replays = [_send_webhook(pd_fleet, body) for _ in range(3)]

    assert {r.json()["action"] for r in replays} == {"duplicate"}
    polls = _polls(pagerduty_stub)
    assert wait_for(lambda: _polls(pagerduty_stub) >= polls + 2, 15), pd_fleet.logs()
    assert len(pagerduty_stub.notes_for(incident["id"])) == 1
    assert slack_stub.post_count() == 1
    bad = httpx.post(f"{pd_fleet.ingest_url}/api/webhooks/pagerduty", json=body, timeout=10)
    assert bad.status_code == 401


def test_incident_of_an_investigated_alert_group_gets_the_existing_findings(
    pd_fleet: Fleet, pagerduty_stub: PagerDutyStub, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    body = webhook("KubePodCrashLooping", instances=2)
    response = httpx.post(f"{pd_fleet.ingest_url}/api/webhooks/alertmanager", json=body, headers=AUTH, timeout=10)
    investigation_id = response.json()["investigation_ids"][0]
    assert wait_for(lambda: slack_stub.post_count() == 1, 45), pd_fleet.logs()
    completions = len(model_stub.completions)

    # Alertmanager's PagerDuty receiver opened an incident with dedup_key = sha256(groupKey).
    key = hashlib.sha256(body["groupKey"].encode()).hexdigest()
    incident = pagerduty_stub.add_incident("[FIRING:2] KubePodCrashLooping", incident_key=key)

    assert wait_for(lambda: len(pagerduty_stub.notes_for(incident["id"])) == 1, 45), pd_fleet.logs()
    [note] = pagerduty_stub.notes_for(incident["id"])
    assert note["content"].startswith("alertfleet investigation: KubePodCrashLooping")
    assert f"[alertfleet:{investigation_id}:" in note["content"]
    assert len(model_stub.completions) == completions, "linked, not investigated again"
    assert slack_stub.post_count() == 1
    assert pagerduty_stub.violations == []


def test_missing_incident_is_dead_lettered_with_pagerdutys_reason_and_5xx_retried(
    pd_fleet: Fleet, pagerduty_stub: PagerDutyStub, redis_url: str
) -> None:
    gone = pagerduty_stub.add_incident("Deleted before the note", created_at=_old())
    flaky = pagerduty_stub.add_incident("PagerDuty hiccups", created_at=_old())
    pagerduty_stub.fail_next(1, 404, path=f"/incidents/{gone['id']}/notes")
    pagerduty_stub.fail_next(2, 503, path=f"/incidents/{flaky['id']}/notes")

    _send_webhook(pd_fleet, pagerduty_stub.webhook_body(gone["id"]))
    _send_webhook(pd_fleet, pagerduty_stub.webhook_body(flaky["id"]))

    letters = DeadLetters(redis.Redis.from_url(redis_url))
    assert wait_for(lambda: letters.count() == 1, 45), pd_fleet.logs()
    [letter] = letters.list()
    assert letter.reason.startswith(f"pagerduty: HTTP 404: POST /incidents/{gone['id']}/notes: Not Found")
    assert "no such incident" in letter.reason
    assert wait_for(lambda: len(pagerduty_stub.notes_for(flaky["id"])) == 1, 45), pd_fleet.logs()
    assert pagerduty_stub.notes_for(gone["id"]) == []
