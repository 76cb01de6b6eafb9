"""POST /api/webhooks/github: signed `issues` events in, against a real Redis."""

from __future__ import annotations

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
from integrations.github.webhook import sign
from tests.github.helpers import REPO

SECRET = "gh-webhook-secret-0123456789"
URL = "/api/webhooks/github"


def _app(redis_url: str, **env: str) -> TestClient:
    settings = Settings(REDIS_URL=redis_url, ALERTFLEET_INGEST_TOKEN="ingest-token-abc", **env)  # type: ignore[arg-type]
    return TestClient(create_app(settings, run_dispatcher=False, pollers=[]))


@pytest.fixture
def client(redis_url: str) -> Iterator[TestClient]:
    with _app(redis_url, GITHUB_WEBHOOK_SECRET=SECRET, GITHUB_LABELS="bug") as test_client:
        yield test_client


def _issue(number: int = 7, labels: tuple[str, ...] = ("bug",), **extra: Any) -> dict[str, Any]:
    return {
        "id": 9000 + number,
        "number": number,
        "title": "Checkout errors",
        "body": "5xx since the deploy",
        "state": "open",
        "labels": [{"name": name} for name in labels],
        "user": {"login": "alice"},
        "created_at": "2026-12-02T06:00:00Z",
        "updated_at": extra.pop("updated_at", "2026-12-02T06:00:00Z"),
        "html_url": f"https://github.com/{REPO}/issues/{number}",
        "repository_url": f"https://api.github.com/repos/{REPO}",
        **extra,
    }


def _body(action: str = "opened", **issue: Any) -> dict[str, Any]:
    return {"action": action, "issue": _issue(**issue), "repository": {"full_name": REPO}, "sender": {"login": "alice"}}


def _send(client: TestClient, body: dict[str, Any], event: str = "issues", signature: str | None = None) -> Response:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    if signature != "":
        headers["X-Hub-Signature-256"] = signature or sign(SECRET, raw)
    return client.post(URL, content=raw, headers=headers)


def _stream(redis_client: redis.Redis) -> list[tuple[str, str]]:
    return [(f[b"inv"].decode(), f[b"action"].decode()) for _id, f in redis_client.xrange(EVENTS_STREAM)]


def test_signed_opened_issue_is_stored_for_investigation(client: TestClient, redis_client: redis.Redis) -> None:
    response = _send(client, _body())

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["event_type"], body["action"]) == ("accepted", "issues.opened", "investigate")
    assert _stream(redis_client) == [(body["investigation_ids"][0], "investigate")]
    investigation_id = body["investigation_ids"][0]
    view = client.get(
        f"/api/v1/investigations/{investigation_id}", headers={"Authorization": "Bearer ingest-token-abc"}
    )
    assert (view.json()["title"], view.json()["source"]) == (f"{REPO}#7: Checkout errors", "github")


@pytest.mark.parametrize("signature", ["sha256=" + "0" * 64, "sha1=abc", "garbage", ""])
def test_bad_or_missing_signature_is_401_problem_and_stores_nothing(
    client: TestClient, redis_client: redis.Redis, signature: str
) -> None:
    response = _send(client, _body(), signature=signature)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert "X-Hub-Signature-256" in response.json()["detail"]
    assert _stream(redis_client) == []


def test_body_changed_after_signing_is_refused(client: TestClient) -> None:
    signature = sign(SECRET, json.dumps(_body()).encode())
    assert _send(client, _body(number=8), signature=signature).status_code == 401


def test_replayed_and_redelivered_deliveries_are_duplicates(client: TestClient, redis_client: redis.Redis) -> None:
    first = _send(client, _body())
    replays = [_send(client, _body()) for _ in range(3)]
    labeled = _send(client, _body("labeled", labels=("bug", "p1")))

    assert first.json()["action"] == "investigate"
    assert {r.json()["action"] for r in replays} == {"duplicate"}
    assert labeled.json()["action"] == "duplicate"  # the same issue: one investigation
    assert len(_stream(redis_client)) == 1


def test_reopened_issue_is_another_event_of_the_same_problem(client: TestClient, redis_client: redis.Redis) -> None:
    _send(client, _body())
    reopened = _send(client, _body("reopened", updated_at="2026-12-02T09:00:00Z"))
    assert reopened.json()["action"] == "attach"
    assert len(_stream(redis_client)) == 2


def test_ping_is_answered_and_other_events_ignored(client: TestClient, redis_client: redis.Redis) -> None:
    ping = _send(client, {"zen": "Keep it logically awesome.", "hook_id": 42, "hook": {"type": "Repository"}}, "ping")
    closed = _send(client, _body("closed"))
    unlabeled = _send(client, _body(labels=("question",)))
    pull = _send(client, _body(pull_request={"url": "https://api.github.com/x"}))
    comment = _send(client, {**_body("created"), "comment": {"id": 1, "body": "hi"}}, "issue_comment")

    assert ping.status_code == 200 and ping.json() == {"status": "ignored", "event_type": "ping"}
    assert [r.json()["status"] for r in (closed, unlabeled, pull, comment)] == ["ignored"] * 4
    assert _stream(redis_client) == []


def test_route_is_404_until_the_secret_is_set(redis_url: str) -> None:
    with _app(redis_url) as unconfigured:
        response = _send(unconfigured, _body())
    assert response.status_code == 404
    assert "GITHUB_WEBHOOK_SECRET" in response.json()["detail"]


def test_issue_of_another_repository_is_ignored(redis_url: str, redis_client: redis.Redis) -> None:
    with _app(redis_url, GITHUB_WEBHOOK_SECRET=SECRET, GITHUB_TOKEN="ghp-x", GITHUB_REPOSITORY="acme/other") as app:
        response = _send(app, _body())
    assert response.json()["status"] == "ignored" and _stream(redis_client) == []
