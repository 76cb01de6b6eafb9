"""Slack's delivery is refused with 503 + Retry-After (so Slack sends it again) while Redis cannot store it."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from alertfleet.settings import Settings
from ingest.app import create_app
from tests.harness.processes import free_port
from tests.slack_app.conftest import SIGNING_SECRET
from tests.stubs.slack_socket import event_callback, mention, signed_headers


def test_a_delivery_redis_cannot_take_is_503_with_retry_after() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        SLACK_BOT_TOKEN="xoxb-unit",
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
    )
    app = create_app(settings, run_dispatcher=False, pollers=[])
    body = json.dumps(event_callback(mention("C0001", "1700000000.000100", "anyone?"))).encode()
    with TestClient(app) as client:
        response = client.post("/api/webhooks/slack/events", content=body, headers=signed_headers(SIGNING_SECRET, body))
        challenge = json.dumps({"type": "url_verification", "challenge": "c"}).encode()
        verified = client.post(
            "/api/webhooks/slack/events", content=challenge, headers=signed_headers(SIGNING_SECRET, challenge)
        )
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert verified.status_code == 200 and verified.json() == {"challenge": "c"}  # needs no Redis
