"""Ingest's part of routing: a route's group_by decides the problem key; /metrics counts investigations by route."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from alertfleet.models import RouteDecision
from ingest.app import create_app
from tests.harness.alerts import webhook
from tests.routing.conftest import settings
from workers.route_config import count_routed

URL = "/api/webhooks/alertmanager"


def _body(name: str, **labels: str) -> dict[str, Any]:
    body = webhook(name)
    body["commonLabels"].update(labels)
    for alert in body["alerts"]:
        alert["labels"].update(labels)
    return body


@pytest.fixture
def client(redis_url: str, tmp_path: Path) -> Iterator[TestClient]:
    path = tmp_path / "alertfleet.yaml"
    path.write_text("route:\n  routes:\n    - matchers: ['team=~\"a|b\"']\n      group_by: [team]\n")
    app = create_app(settings(REDIS_URL=redis_url, ALERTFLEET_CONFIG=str(path)), run_dispatcher=False, pollers=[])
    with TestClient(app) as test_client:
        yield test_client


def _investigation_id(client: TestClient, body: dict[str, Any]) -> tuple[str, str]:
    response = client.post(URL, json=body)
    assert response.status_code == 202, response.text
    return response.json()["investigation_ids"][0], response.json()["action"]


def test_group_by_makes_one_problem_of_a_teams_alert_groups(client: TestClient) -> None:
    first, action = _investigation_id(client, _body("PaymentsLatency", team="a"))
    assert action == "investigate"
    # Another Alertmanager group (other groupKey) of the same team joins the same investigation.
    assert _investigation_id(client, _body("PaymentsErrors", team="a")) == (first, "attach")
    other, action = _investigation_id(client, _body("PaymentsErrors", team="b"))
    assert (other != first, action) == (True, "investigate")
    # Alerts no group_by route matches keep Alertmanager's groupKey: one problem per group.
    lone, _ = _investigation_id(client, _body("DiskFull"))
    assert _investigation_id(client, _body("DiskFull"))[0] == lone
    assert _investigation_id(client, _body("DiskAlmostFull"))[0] != lone


def test_metrics_count_investigations_by_route(client: TestClient, redis_client: redis.Redis) -> None:
    skipped = RouteDecision(routes=["silenced"], investigate="skip")
    both = RouteDecision(routes=["payments", "audit"], investigate="llm")
    for decision in (skipped, skipped, both):
        count_routed(redis_client, decision)
    lines = client.get("/metrics").text.splitlines()
    assert 'alertfleet_investigations_total{investigate="skip",route="silenced"} 2.0' in lines
    assert 'alertfleet_investigations_total{investigate="llm",route="payments"} 1.0' in lines
    assert 'alertfleet_investigations_total{investigate="llm",route="audit"} 1.0' in lines
