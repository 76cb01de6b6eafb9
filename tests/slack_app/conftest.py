"""A fleet with the Slack app on (signing secret, or an app token for Socket Mode), an investigation
already posted to #alerts, and helpers to write in its thread as Slack would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis

from tests.conftest import INGEST_TOKEN, SLACK_TOKEN, Fleet, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import RedisServer, wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.slack_socket import event_callback, interaction_body, signed_headers

SIGNING_SECRET = "slack-signing-secret-0123456789abcdef"
APP_TOKEN = "xapp-1-A0000001-test-app-token-0123456789"
AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


@dataclass
class Posted:
    """The investigation message the thread hangs under."""

    investigation_id: str
    channel: str  # Slack's channel id
    ts: str


def post_alert(fleet: Fleet, slack: SlackStub, alertname: str = "KubePodCrashLooping") -> Posted:
    before = slack.post_count()
    response = httpx.post(
        f"{fleet.ingest_url}/api/webhooks/alertmanager", json=webhook(alertname, instances=2), headers=AUTH, timeout=10
    )
    assert response.status_code == 202, response.text
    investigation_id = response.json()["investigation_ids"][0]
    assert wait_for(lambda: slack.post_count() == before + 1, 60), fleet.logs()
    message = [m for m in slack.messages if m["thread_ts"] is None and alertname in m["text"]][-1]
    # The write task records the thread after the post: wait until the thread is known.
    assert wait_for(lambda: _linked(fleet, message["channel_id"], message["ts"]), 30), fleet.logs()
    return Posted(investigation_id, message["channel_id"], message["ts"])


def _linked(fleet: Fleet, channel: str, ts: str) -> bool:
    from alertfleet.keys import thread_key

    return bool(redis.Redis.from_url(fleet.env["REDIS_URL"]).exists(thread_key("slack", channel, ts)))


def send_event(
    fleet: Fleet,
    event: dict[str, Any],
    *,
    secret: str = SIGNING_SECRET,
    retry: int | None = None,
    event_id: str | None = None,
    timestamp: int | None = None,
) -> httpx.Response:
    body = json.dumps(event_callback(event, event_id)).encode()
    headers = signed_headers(secret, body, timestamp)
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return httpx.post(f"{fleet.ingest_url}/api/webhooks/slack/events", content=body, headers=headers, timeout=10)


def send_raw_event(fleet: Fleet, payload: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    body = json.dumps(payload).encode()
    return httpx.post(
        f"{fleet.ingest_url}/api/webhooks/slack/events",
        content=body,
        headers=signed_headers(SIGNING_SECRET, body) if headers is None else headers,
        timeout=10,
    )


def click(fleet: Fleet, payload: dict[str, Any]) -> httpx.Response:
    body = interaction_body(payload)
    headers = signed_headers(SIGNING_SECRET, body, content_type="application/x-www-form-urlencoded")
    return httpx.post(f"{fleet.ingest_url}/api/webhooks/slack/interactions", content=body, headers=headers, timeout=10)


def followup_requests(model: ModelStub, marker: str) -> list[dict[str, Any]]:
    """Model requests of the follow-up answering `marker` (the question text)."""
    return [
        c
        for c in model.completions
        if any(marker in str(m.get("content") or "") for m in c.get("messages", []) if m.get("role") == "user")
    ]


@pytest.fixture(scope="module")
def app_slack() -> Iterator[SlackStub]:
    with SlackStub(token=SLACK_TOKEN, channels=("#alerts", "#elsewhere")) as stub:
        yield stub


@pytest.fixture(scope="module")
def app_model() -> Iterator[ModelStub]:
    with ModelStub(api_key="sk-test") as stub:
        yield stub


@pytest.fixture(scope="module")
def app_fleet(
    redis_server: RedisServer, app_slack: SlackStub, app_model: ModelStub, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Fleet]:
    """Starting a worker costs seconds: one fleet per module (its own database); each test posts its own alert."""
    redis_url = redis_server.url.replace("/0", "/5")
    redis.Redis.from_url(redis_url).flushdb()
    env = fleet_env(
        redis_url, app_slack, app_model, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET
    )
    with running_fleet(env, tmp_path_factory.mktemp("slack-app")) as running:
        yield running


@pytest.fixture
def socket_slack() -> Iterator[SlackStub]:
    with SlackStub(token=SLACK_TOKEN, channels=("#alerts",), app_token=APP_TOKEN) as stub:
        yield stub
