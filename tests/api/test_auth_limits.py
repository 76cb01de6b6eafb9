"""API authentication, body limits, 504 past ALERTFLEET_API_WAIT and metrics — the app on a real Redis, no worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from alertfleet.keys import session_redis_key
from alertfleet.sessions import parse_session
from alertfleet.settings import Settings
from ingest.api_auth import startup_warning
from ingest.app import create_app
from tests.api import seed_examples as seeds
from tests.harness.alerts import webhook

INGEST = "webhook-token-0123456789"


def _client(redis_url: str, listen_host: str, **env: object) -> TestClient:
    settings = Settings(REDIS_URL=redis_url, MODEL="openai/stub-model", ALERTFLEET_INGEST_TOKEN=INGEST, **env)  # type: ignore[call-arg]
    return TestClient(create_app(settings, run_dispatcher=False, pollers=[], listen_host=listen_host))


@pytest.fixture
def exposed(redis_url: str) -> Iterator[TestClient]:
    """Listening on every interface with no API tokens: the API must refuse."""
    with _client(redis_url, "0.0.0.0") as client:
        yield client


@pytest.fixture
def tokens(redis_url: str) -> Iterator[TestClient]:
    with _client(
        redis_url,
        "0.0.0.0",
        ALERTFLEET_API_TOKENS="key-one, key-two",
        ALERTFLEET_API_WAIT="0.5",
        CLUSTER_NAME="prod",
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/model"),
        ("POST", "/api/chat"),
        ("POST", "/api/v1/incident/analyze"),
        ("GET", "/api/v1/incident/session/x"),
        ("POST", "/api/holmes/acc/chat"),
        ("POST", "/api/investigate"),
    ],
)
def test_exposed_api_without_tokens_answers_401(exposed: TestClient, method: str, path: str) -> None:
    response = exposed.request(method, path, json={"ask": "x", "source": "s"})
    assert response.status_code == 401, "refused before the body is even validated"
    assert response.headers["content-type"] == "application/problem+json"
    assert "ALERTFLEET_API_TOKENS" in response.json()["detail"]


def test_webhooks_keep_the_ingest_token(exposed: TestClient) -> None:
    response = exposed.post("/api/webhooks/alertmanager", json=webhook(), headers={"Authorization": f"Bearer {INGEST}"})
    assert response.status_code == 202


def test_loopback_or_explicit_opt_in_opens_the_api(redis_url: str) -> None:
    with _client(redis_url, "127.0.0.1") as client:
        assert client.get("/api/model").json() == {"model_name": ["openai/stub-model"]}
    with _client(redis_url, "0.0.0.0", ALERTFLEET_API_ALLOW_UNAUTHENTICATED="true") as client:
        assert client.get("/api/model").status_code == 200


def test_startup_warns_once_about_an_open_or_closed_api() -> None:
    assert "answers 401" in str(startup_warning(Settings(), "0.0.0.0"))
    opened = Settings(ALERTFLEET_API_ALLOW_UNAUTHENTICATED="true")  # type: ignore[call-arg]
    assert "ALERTFLEET_API_ALLOW_UNAUTHENTICATED" in str(startup_warning(opened, "0.0.0.0"))
    assert startup_warning(Settings(), "127.0.0.1") is None
    assert startup_warning(Settings(), "::1") is None
    assert startup_warning(Settings(ALERTFLEET_API_TOKENS="k1234"), "0.0.0.0") is None  # type: ignore[call-arg]


def test_bearer_or_x_api_key_any_configured_token(tokens: TestClient) -> None:
    assert tokens.get("/api/model", headers={"Authorization": "Bearer key-two"}).status_code == 200
    assert tokens.get("/api/model", headers={"X-API-Key": "key-one"}).status_code == 200
    assert tokens.get("/api/model", headers={"X-API-Key": "key-three"}).status_code == 401
    assert tokens.get("/api/model", headers={"Authorization": f"Bearer {INGEST}"}).status_code == 401


def test_robusta_403_for_a_webhook_key_and_404_for_another_cluster(tokens: TestClient) -> None:
    path = "/api/holmes/ACCOUNT_ID/chat"
    forbidden = tokens.post(path, json=seeds.ROBUSTA_CHAT, headers={"Authorization": f"Bearer {INGEST}"})
    assert forbidden.status_code == 403
    other = tokens.post(path, json=seeds.ROBUSTA_CHAT, headers={"Authorization": "Bearer key-one"})
    assert other.status_code == 404
    assert "prod" in other.json()["detail"]


def test_past_api_wait_is_504_with_the_session_id(tokens: TestClient, redis_client: redis.Redis) -> None:
    response = tokens.post("/api/chat", json=seeds.CHAT, headers={"X-API-Key": "key-one"})
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    session_id = response.json()["session_id"]
    session = parse_session(redis_client.hgetall(session_redis_key(session_id)))
    assert session is not None and session.status == "pending" and session.request["ask"] == seeds.CHAT["ask"]
    assert redis_client.ttl(session_redis_key(session_id)) > 6 * 24 * 3600, "kept ALERTFLEET_SESSION_TTL (7 days)"
    assert redis_client.llen("chat") == 1, "enqueued on queue chat"
    polled = tokens.get(f"/api/v1/incident/session/{session_id}", headers={"X-API-Key": "key-one"})
    assert polled.json() == {"status": "pending", "progress": "Queued for the fleet"}


def test_holmes_investigate_body_needs_an_api_key(tokens: TestClient) -> None:
    ingest_only = tokens.post("/api/investigate", json=seeds.INVESTIGATE, headers={"Authorization": f"Bearer {INGEST}"})
    assert ingest_only.status_code == 401
    unknown = tokens.post("/api/investigate", json=seeds.INVESTIGATE, headers={"X-API-Key": "key-one"})
    assert unknown.status_code == 400, "gpt-4o is not configured here"


def test_body_over_the_limit_is_413(tokens: TestClient) -> None:
    big = {"ask": "x" * (1024 * 1024 + 10)}
    response = tokens.post("/api/chat", json=big, headers={"X-API-Key": "key-one"})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_bad_history_is_422(tokens: TestClient) -> None:
    body = {"ask": "x", "conversation_history": [{"role": "user", "content": "hi"}]}
    response = tokens.post("/api/chat", json=body, headers={"X-API-Key": "key-one"})
    assert response.status_code == 422
    assert "system" in response.json()["detail"]
    bad_schema = tokens.post(
        "/api/chat", json={"ask": "x", "response_format": {"type": 5}}, headers={"X-API-Key": "key-one"}
    )
    assert bad_schema.status_code == 422


def test_metrics_count_requests_by_route_and_status(tokens: TestClient) -> None:
    tokens.get("/api/model", headers={"X-API-Key": "key-one"})
    tokens.get("/api/v1/incident/session/abc", headers={"X-API-Key": "key-one"})
    tokens.post("/api/chat", json=seeds.CHAT, headers={"X-API-Key": "key-one"})
    text = tokens.get("/metrics").text
    assert 'alertfleet_http_requests_total{method="GET",route="/api/model",status="200"}' in text
    assert 'route="/api/v1/incident/session/{session_id}",status="404"' in text
    assert "alertfleet_http_request_duration_seconds_bucket" in text
    assert "alertfleet_chat_requests_in_flight 0.0" in text
    assert 'alertfleet_api_sessions{state="pending"}' in text
