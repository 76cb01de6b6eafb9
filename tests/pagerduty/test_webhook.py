"""POST /api/webhooks/pagerduty: signed v3 events in, against a real Redis."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from httpx import Response

from alertfleet.keys import EVENTS_STREAM
from alertfleet.settings import Settings
from ingest.app import create_app
from integrations.pagerduty.source import sign
from tests.harness.alerts import webhook
from tests.stubs.pagerduty import PagerDutyStub

SECRET = "whsec-pagerduty-test-0123"
URL = "/api/webhooks/pagerduty"
INGEST_TOKEN = "ingest-token-for-alertmanager"


def _app(redis_url: str, **env: str) -> TestClient:
    settings = Settings(REDIS_URL=redis_url, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, **env)  # type: ignore[arg-type]
    return TestClient(create_app(settings, run_dispatcher=False, pollers=[]))


@pytest.fixture
def client(redis_url: str) -> Iterator[TestClient]:
    with _app(redis_url, PAGERDUTY_WEBHOOK_SECRET=SECRET) as test_client:
        yield test_client


def _send(client: TestClient, body: dict[str, Any], signature: str | None = None) -> Response:
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-PagerDuty-Signature": signature or sign(SECRET, raw)}
    return client.post(URL, content=raw, headers=headers)


def _stream(redis_client: redis.Redis) -> list[tuple[str, str]]:
    return [(f[b"inv"].decode(), f[b"action"].decode()) for _id, f in redis_client.xrange(EVENTS_STREAM)]


def test_signed_trigger_is_stored_for_investigation(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident("Checkout 5xx")
    response = _send(client, pagerduty_stub.webhook_body("PINC001"))

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["action"], body["duplicate"]) == ("accepted", "investigate", False)
    [(investigation_id, action)] = _stream(redis_client)
    assert (investigation_id, action) == (body["investigation_ids"][0], "investigate")
    view = client.get(f"/api/v1/investigations/{investigation_id}", headers={"Authorization": f"Bearer {INGEST_TOKEN}"})
    assert (view.json()["title"], view.json()["source"]) == ("Checkout 5xx", "pagerduty")


@pytest.mark.parametrize("signature", ["v1=" + "0" * 64, "v0=abc", "garbage", ""])
def test_bad_or_missing_signature_is_401_and_stores_nothing(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis, signature: str
) -> None:
    pagerduty_stub.add_incident()
    raw = json.dumps(pagerduty_stub.webhook_body("PINC001")).encode()
    headers = {"X-PagerDuty-Signature": signature} if signature else {}
    response = client.post(URL, content=raw, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/bad-signature")
    assert _stream(redis_client) == []


def test_body_changed_after_signing_is_refused(client: TestClient, pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident()
    body = pagerduty_stub.webhook_body("PINC001")
    signature = sign(SECRET, json.dumps(body).encode())
    body["event"]["data"]["title"] = "tampered"
    assert _send(client, body, signature).status_code == 401


def test_rotating_secrets_any_matching_signature_is_accepted(client: TestClient, pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident()
    raw = json.dumps(pagerduty_stub.webhook_body("PINC001")).encode()
    headers = {"X-PagerDuty-Signature": f"{sign('old-secret', raw)},{sign(SECRET, raw)}"}
    assert client.post(URL, content=raw, headers=headers).status_code == 202


def test_replayed_event_and_acknowledgement_start_no_second_investigation(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident()
    first = _send(client, pagerduty_stub.webhook_body("PINC001"))
    replays = [_send(client, pagerduty_stub.webhook_body("PINC001")) for _ in range(2)]
    acknowledged = _send(client, pagerduty_stub.webhook_body("PINC001", "incident.acknowledged"))

    investigation_id = first.json()["investigation_ids"][0]
    for response in [*replays, acknowledged]:
        assert response.status_code == 202
        assert (response.json()["action"], response.json()["investigation_ids"]) == ("duplicate", [investigation_id])
    assert _stream(redis_client) == [(investigation_id, "investigate")]


def test_resolution_resolves_the_incidents_investigation_once(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident()
    investigation_id = _send(client, pagerduty_stub.webhook_body("PINC001")).json()["investigation_ids"][0]
    pagerduty_stub.set_status("PINC001", "resolved")
    resolved = _send(client, pagerduty_stub.webhook_body("PINC001", "incident.resolved"))
    replay = _send(client, pagerduty_stub.webhook_body("PINC001", "incident.resolved"))

    assert (resolved.json()["action"], replay.json()["status"]) == ("resolve", "ignored")
    assert _stream(redis_client) == [(investigation_id, "investigate"), (investigation_id, "resolve")]


def test_resolution_of_an_unknown_incident_starts_nothing(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident(status="resolved")
    response = _send(client, pagerduty_stub.webhook_body("PINC001", "incident.resolved"))
    assert (response.status_code, response.json()["status"]) == (202, "ignored")
    assert _stream(redis_client) == []


def test_incident_of_an_investigated_alert_group_is_linked_not_reinvestigated(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    body = webhook("KubePodCrashLooping")
    am = client.post("/api/webhooks/alertmanager", json=body, headers={"Authorization": f"Bearer {INGEST_TOKEN}"})
    investigation_id = am.json()["investigation_ids"][0]
    pagerduty_stub.add_incident(incident_key=hashlib.sha256(body["groupKey"].encode()).hexdigest())

    linked = _send(client, pagerduty_stub.webhook_body("PINC001"))
    pagerduty_stub.set_status("PINC001", "resolved")
    resolved = _send(client, pagerduty_stub.webhook_body("PINC001", "incident.resolved"))

    assert (linked.json()["action"], linked.json()["investigation_ids"]) == ("attach", [investigation_id])
    assert resolved.json()["status"] == "ignored", "Alertmanager, not PagerDuty, resolves its own group"
    assert _stream(redis_client) == [(investigation_id, "investigate"), (investigation_id, "attach")]


def test_other_event_types_are_acknowledged_and_ignored(
    client: TestClient, pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    pagerduty_stub.add_incident()
    ping = {"event": {"id": "01PING", "event_type": "pagey.ping", "resource_type": "pagey", "data": {}}}
    annotated = pagerduty_stub.webhook_body("PINC001", "incident.annotated")
    assert [_send(client, b).json()["status"] for b in (ping, annotated)] == ["ignored", "ignored"]
    assert _stream(redis_client) == []


def test_malformed_signed_body_is_a_problem(client: TestClient) -> None:
    raw = b'{"event": {"data": {}}}'
    response = client.post(URL, content=raw, headers={"X-PagerDuty-Signature": sign(SECRET, raw)})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_without_a_secret_the_route_is_off(redis_url: str, pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident()
    with _app(redis_url) as unconfigured:
        response = _send(unconfigured, pagerduty_stub.webhook_body("PINC001"))
    assert response.status_code == 404
    assert "PAGERDUTY_WEBHOOK_SECRET" in response.json()["detail"]
