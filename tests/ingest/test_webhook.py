"""Ingest against a real Redis: what is accepted, what is refused, and what is stored."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from alertfleet.keys import session_redis_key
from alertfleet.sessions import parse_session
from alertfleet.settings import Settings
from ingest.app import create_app
from tests.harness.alerts import webhook
from tests.harness.processes import free_port
from tests.harness.stream import stream_entries

TOKEN = "s3cret-ingest-token"
URL = "/api/webhooks/alertmanager"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _settings(redis_url: str, **extra: object) -> Settings:
    # The API token equals the ingest token so one header serves both kinds of /api/investigate body.
    api = {"ALERTFLEET_API_TOKENS": TOKEN, "MODEL": "gpt-4o", "ALERTFLEET_API_WAIT": "0.5"}
    return Settings(REDIS_URL=redis_url, ALERTFLEET_INGEST_TOKEN=TOKEN, **(api | extra))  # type: ignore[arg-type]


@pytest.fixture
def client(redis_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(redis_url), run_dispatcher=False)) as test_client:
        yield test_client


def _stream(redis_client: redis.Redis) -> list[dict[str, str]]:
    return stream_entries(redis_client)


def _assert_problem(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def test_accepted_notification_is_in_redis_before_the_answer(client: TestClient, redis_client: redis.Redis) -> None:
    response = client.post(URL, json=webhook(instances=2), headers=AUTH)
    assert response.status_code == 202
    investigation_id = response.json()["investigation_ids"][0]
    entries = _stream(redis_client)
    assert [(e["inv"], e["action"]) for e in entries] == [(investigation_id, "investigate")]
    assert json.loads(entries[0]["event"])["title"] == "KubePodCrashLooping (2 alerts)"
    view = client.get(f"/api/v1/investigations/{investigation_id}", headers=AUTH).json()
    assert view["status"] == "queued"
    assert view["result"] is None


def test_resend_is_deduplicated_and_appends_nothing(client: TestClient, redis_client: redis.Redis) -> None:
    body = webhook(instances=3)
    first = client.post(URL, json=body, headers=AUTH).json()
    body["alerts"].reverse()  # Alertmanager may order alerts differently on a re-send
    second = client.post(URL, json=body, headers=AUTH).json()
    assert second["duplicate"] is True
    assert second["investigation_ids"] == first["investigation_ids"]
    assert len(_stream(redis_client)) == 1


def test_new_alerts_in_a_known_group_attach_and_resolution_resolves(
    client: TestClient, redis_client: redis.Redis
) -> None:
    first = client.post(URL, json=webhook(instances=1), headers=AUTH).json()
    grown = client.post(URL, json=webhook(instances=2), headers=AUTH).json()
    resolved = client.post(URL, json=webhook(instances=2, status="resolved"), headers=AUTH).json()
    assert first["investigation_ids"] == grown["investigation_ids"] == resolved["investigation_ids"]
    assert [e["action"] for e in _stream(redis_client)] == ["investigate", "attach", "resolve"]
    refired = client.post(URL, json=webhook(instances=1) | {"truncatedAlerts": 1}, headers=AUTH).json()
    assert refired["action"] == "investigate", "after resolution a new firing is a new problem"
    assert refired["investigation_ids"] != first["investigation_ids"]


def test_holmes_investigate_body_is_a_session_on_queue_chat(client: TestClient, redis_client: redis.Redis) -> None:
    """HolmesGPT's body now answers 200 with the result (tests/api); with no worker here, the wait runs
    out: 504 naming the session, which holds the request and waits on queue `chat`."""
    body = {
        "source": "prometheus",
        "title": "Pod CrashLoopBackOff",
        "description": "Pod is crashing repeatedly",
        "subject": {"namespace": "default", "pod": "my-pod"},
        "context": {},
        "include_tool_calls": True,
        "model": "gpt-4o",
    }
    response = client.post("/api/investigate", json=body, headers=AUTH)
    assert response.status_code == 504
    session = parse_session(redis_client.hgetall(session_redis_key(response.json()["session_id"])))
    assert session is not None and (session.kind, session.model) == ("investigate", "gpt-4o")
    assert (session.request["title"], session.request["subject"]["pod"]) == ("Pod CrashLoopBackOff", "my-pod")
    assert redis_client.llen("chat") == 1
    assert _stream(redis_client) == [], "not an alert: nothing goes to the events stream or to Slack"


def test_alertmanager_body_on_api_investigate(client: TestClient, redis_client: redis.Redis) -> None:
    response = client.post("/api/investigate", json=webhook(), headers=AUTH)
    assert response.status_code == 202
    assert json.loads(_stream(redis_client)[0]["event"])["source"] == "alertmanager"


def test_unknown_fields_are_accepted(client: TestClient) -> None:
    body = webhook() | {"someFutureField": {"x": 1}}
    body["alerts"][0]["newAlertField"] = True
    assert client.post(URL, json=body, headers=AUTH).status_code == 202


@pytest.mark.parametrize(
    ("payload", "status", "kind"),
    [
        (b'{"alerts": [', 400, "malformed-json"),
        (b"not json", 400, "malformed-json"),
        (json.dumps({"status": "firing"}).encode(), 422, "invalid-payload"),
        (json.dumps(webhook() | {"alerts": "nope"}).encode(), 422, "invalid-payload"),
        (json.dumps(webhook() | {"alerts": []}).encode(), 422, "invalid-payload"),
        (json.dumps(webhook() | {"status": "exploded"}).encode(), 422, "invalid-payload"),
        (json.dumps([1, 2]).encode(), 422, "invalid-payload"),
    ],
)
def test_bad_payloads_get_problem_json_and_store_nothing(
    client: TestClient, redis_client: redis.Redis, payload: bytes, status: int, kind: str
) -> None:
    headers = AUTH | {"Content-Type": "application/json"}
    for route in (URL, "/api/investigate"):
        body = _assert_problem(client.post(route, content=payload, headers=headers), status)
        assert str(body["type"]).endswith(kind)
    assert _stream(redis_client) == []


def test_missing_alerts_names_the_field(client: TestClient) -> None:
    body = _assert_problem(client.post(URL, json={"status": "firing", "groupKey": "x"}, headers=AUTH), 422)
    assert "alerts" in str(body["detail"])


def test_body_over_one_mebibyte_is_refused(client: TestClient, redis_client: redis.Redis) -> None:
    big = webhook()
    big["commonAnnotations"]["description"] = "x" * (1024 * 1024)
    _assert_problem(client.post(URL, json=big, headers=AUTH), 413)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap must hold for streamed bodies too
        yield b'{"alerts": [], "pad": "'
        for _ in range(300):
            yield b"y" * 4096
        yield b'"}'

    _assert_problem(client.post(URL, content=chunks(), headers=AUTH), 413)
    assert _stream(redis_client) == []


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", "Basic " + base64.b64encode(b"am:wrong").decode(), "Basic %%%"],
)
def test_bad_credentials_are_401(client: TestClient, redis_client: redis.Redis, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = _assert_problem(client.post(URL, json=webhook(), headers=headers), 401)
    assert TOKEN not in json.dumps(body)
    assert _stream(redis_client) == []


def test_basic_auth_password_is_accepted(client: TestClient) -> None:
    basic = "Basic " + base64.b64encode(f"alertmanager:{TOKEN}".encode()).decode()
    assert client.post(URL, json=webhook(), headers={"Authorization": basic}).status_code == 202


def test_redis_unreachable_is_503_with_retry_after() -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    with TestClient(create_app(_settings(dead), run_dispatcher=False)) as client:
        response = client.post(URL, json=webhook(), headers=AUTH)
        body = _assert_problem(response, 503)
        assert int(response.headers["Retry-After"]) > 0
        assert "Traceback" not in str(body)
        _assert_problem(client.get("/readyz"), 503)
        assert client.get("/healthz").status_code == 200


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    body = webhook("MetricsProbe")
    client.post(URL, json=body, headers=AUTH)
    client.post(URL, json=body, headers=AUTH)
    client.post(URL, content=b"{", headers=AUTH)
    metrics = client.get("/metrics").text
    for name in ("received", "accepted", "deduplicated", "rejected"):
        assert f"alertfleet_notifications_{name}_total" in metrics
    assert 'alertfleet_notifications_rejected_total{reason="malformed-json",source="alertmanager"}' in metrics


def test_unknown_investigation_is_404_problem(client: TestClient) -> None:
    _assert_problem(client.get("/api/v1/investigations/nope", headers=AUTH), 404)
