"""A model provider's error that quotes a key and an internal URL leaks neither, wherever it goes.

The stub model answers every call with an OpenAI-shaped error whose message carries a key-shaped
string and a basic-auth URL to an internal address (as provider and proxy errors do). The investigation
degrades to enrichment with the reason posted; the reason, redacted, is all that reaches Slack, the API,
the worker's and ingest's logs, the dead letters and a chat caller's error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from alertfleet.keys import investigation_redis_key
from tests.conftest import INGEST_TOKEN, Fleet, fleet_env, running_fleet
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from workers.dlq import DeadLetters

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}
API_TOKEN = "api-token-for-safety-0123456789"
KEY = "sk-live-abc123def456ghi789jkl"
INTERNAL = "http://admin:pw@10.0.0.5:8080/internal"
LEAKS = (KEY, "abc123def456", "admin:pw", "10.0.0.5", "/internal")


def _error_body(status: int) -> dict[str, object]:
    message = f"Incorrect API key provided: {KEY}. Upstream {INTERNAL} answered {status}"
    return {"error": {"message": message, "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}


@pytest.fixture
def api_fleet(redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, tmp_path: Path) -> Iterator[Fleet]:
    env = fleet_env(
        redis_url, slack_stub, model_stub, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, ALERTFLEET_API_TOKENS=API_TOKEN
    )
    with running_fleet(env, tmp_path) as running:
        yield running


def _leaked(text: str) -> list[str]:
    return [leak for leak in LEAKS if leak in text]


@pytest.mark.parametrize("status", [401, 500])
def test_provider_error_text_is_redacted_everywhere(
    api_fleet: Fleet, slack_stub: SlackStub, model_stub: ModelStub, redis_client: redis.Redis, status: int
) -> None:
    model_stub.fail_next(1000, status, body=_error_body(status))
    response = httpx.post(f"{api_fleet.ingest_url}/api/webhooks/alertmanager", json=webhook("DiskFull"), headers=AUTH, timeout=10)
    assert response.status_code == 202
    investigation_id = response.json()["investigation_ids"][0]

    assert wait_for(lambda: slack_stub.post_count() == 1, 90), api_fleet.logs()
    assert len(model_stub.requests_to("/v1/chat/completions")) >= 2, "the model was called and failed (then retried)"
    posted = json.dumps(slack_stub.messages)
    assert "Model unavailable (" in posted, "the degraded reason is posted"
    assert _leaked(posted) == []

    view = httpx.get(f"{api_fleet.ingest_url}/api/v1/investigations/{investigation_id}", headers=AUTH, timeout=5)
    assert view.status_code == 200 and view.json()["result"]["degraded_reason"]
    assert "Incorrect API key provided" in view.json()["result"]["degraded_reason"], "the reason stays readable"
    assert _leaked(view.text) == []

    chat = httpx.post(
        f"{api_fleet.ingest_url}/api/chat",
        json={"ask": "why is the disk full?"},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
        timeout=60,
    )
    assert chat.status_code == 502 and chat.headers["content-type"].startswith("application/problem+json")
    assert "model call failed" in chat.json()["detail"] and _leaked(chat.text) == []

    letters = json.dumps([letter.__dict__ for letter in DeadLetters(redis_client).list()])
    assert _leaked(letters) == []
    record = redis_client.hgetall(investigation_redis_key(investigation_id))
    assert record and _leaked(json.dumps({k.decode(): v.decode() for k, v in record.items()})) == []
    assert _leaked(api_fleet.logs()) == []
