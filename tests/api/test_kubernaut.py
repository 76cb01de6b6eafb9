"""Kubernaut's session API against its published OpenAPI (tests/contract/specs/kubernaut/openapi.json):
requests and answers validate against its schemas; sessions live in Redis and survive restarts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import redis

from alertfleet.kubernaut_models import INCIDENT_EXAMPLE
from tests.api.conftest import API_AUTH, api_env
from tests.conftest import Fleet
from tests.harness.alerts import webhook
from tests.harness.processes import RedisServer, start_ingest, start_worker, wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

SPEC = json.loads((Path(__file__).parents[1] / "contract/specs/kubernaut/openapi.json").read_text())


def _check(instance: Any, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": SPEC["components"]}
    jsonschema.validate(instance, schema)


def _analyze(url: str, body: dict[str, Any] | None = None) -> str:
    response = httpx.post(f"{url}/api/v1/incident/analyze", json=body or INCIDENT_EXAMPLE, headers=API_AUTH, timeout=10)
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == "application/json"
    session_id: str = response.json()["session_id"]
    return session_id


def _status(url: str, session_id: str) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/v1/incident/session/{session_id}", headers=API_AUTH, timeout=10)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] in ("pending", "investigating", "completed", "failed")
    assert isinstance(body["progress"], str)
    return body


def _result(url: str, session_id: str) -> httpx.Response:
    return httpx.get(f"{url}/api/v1/incident/session/{session_id}/result", headers=API_AUTH, timeout=10)


def test_the_request_example_is_valid_against_kubernauts_schema() -> None:
    _check(INCIDENT_EXAMPLE, "IncidentRequest")
    assert set(SPEC["components"]["schemas"]["IncidentRequest"]["required"]) <= set(INCIDENT_EXAMPLE)


def test_analyze_poll_result_round_trip(api_fleet: Fleet, api_model: ModelStub) -> None:
    session_id = _analyze(api_fleet.ingest_url)
    assert wait_for(lambda: _status(api_fleet.ingest_url, session_id)["status"] == "completed", 30), api_fleet.logs()
    response = _result(api_fleet.ingest_url, session_id)
    assert response.status_code == 200
    result = response.json()
    _check(result, "IncidentResponse")
    assert result["incident_id"] == INCIDENT_EXAMPLE["incident_id"]
    assert result["selected_workflow"] is None
    assert result["confidence"] == 0.8, "the stub model's verdict"
    assert result["investigation_outcome"] == "actionable" and result["actionable"] is True
    assert {"root_cause", "detected_labels", "root_cause_analysis"} <= set(result)
    verdict_calls = [c for c in api_model.completions if (c.get("response_format") or {}).get("json_schema")]
    assert len(verdict_calls) == 1, "one extra small call for the verdict"
    first_user = api_model.completions[0]["messages"][1]["content"]
    assert "OOMKilled" in first_user and "api-server-7d4b9c-x2k4p" in first_user


def test_unknown_session_is_404_problem(api_fleet: Fleet) -> None:
    for path in ("/api/v1/incident/session/nope", "/api/v1/incident/session/nope/result"):
        response = httpx.get(api_fleet.ingest_url + path, headers=API_AUTH, timeout=10)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        _check(response.json(), "HTTPError")


@pytest.mark.parametrize("missing", ["remediation_id", "cluster_name", "severity"])
def test_missing_required_field_is_refused(api_fleet: Fleet, missing: str) -> None:
    body = {k: v for k, v in INCIDENT_EXAMPLE.items() if k != missing}
    response = httpx.post(f"{api_fleet.ingest_url}/api/v1/incident/analyze", json=body, headers=API_AUTH, timeout=10)
    assert response.status_code == 422
    assert missing in response.json()["detail"]
    _check(response.json(), "HTTPError")


def test_bad_severity_is_refused(api_fleet: Fleet) -> None:
    body = INCIDENT_EXAMPLE | {"severity": "warning"}
    response = httpx.post(f"{api_fleet.ingest_url}/api/v1/incident/analyze", json=body, headers=API_AUTH, timeout=10)
    assert response.status_code == 422


def test_health_and_ready_aliases(api_fleet: Fleet) -> None:
    assert httpx.get(api_fleet.ingest_url + "/health", timeout=5).json() == {"status": "ok"}
    assert httpx.get(api_fleet.ingest_url + "/ready", timeout=5).json() == {"status": "ready"}


def test_session_is_409_until_done_and_survives_restarts(
    redis_server: RedisServer, slack_stub: SlackStub, model_stub: ModelStub, tmp_path: Path
) -> None:
    database = redis_server.url.replace("/0", "/5")  # its own: the module's fleet keeps running on /3
    redis.Redis.from_url(database).flushdb()
    env = api_env(database, slack_stub, model_stub, tmp_path)
    ingest, url = start_ingest(env, tmp_path)
    try:
        session_id = _analyze(url)  # no worker yet: the session waits on queue chat
        assert _status(url, session_id)["status"] == "pending"
        early = _result(url, session_id)
        assert early.status_code == 409
        assert early.headers["content-type"] == "application/problem+json"
        _check(early.json(), "HTTPError")
    finally:
        ingest.stop()
    ingest, url = start_ingest(env, tmp_path)
    worker = start_worker(env, tmp_path)
    try:
        assert wait_for(lambda: _status(url, session_id)["status"] == "completed", 30), (
            ingest.output() + worker.output()
        )
        assert _result(url, session_id).status_code == 200
        worker.stop()
        ingest.stop()
        ingest, url = start_ingest(env, tmp_path)  # and again: the answer is still there
        _check(_result(url, session_id).json(), "IncidentResponse")
    finally:
        worker.stop()
        ingest.stop()


def test_alertfleets_own_investigations_skip_the_verdict_call_by_default(
    api_fleet: Fleet, api_model: ModelStub
) -> None:
    response = httpx.post(f"{api_fleet.ingest_url}/api/webhooks/alertmanager", json=webhook(), timeout=10)
    assert response.status_code == 202
    url = f"{api_fleet.ingest_url}/api/v1/investigations/{response.json()['investigation_ids'][0]}"
    assert wait_for(lambda: httpx.get(url, timeout=5).json()["status"] == "completed", 30), api_fleet.logs()
    result = httpx.get(url, timeout=5).json()["result"]
    assert result["analysis"] and result["confidence"] is None and result["investigation_outcome"] is None
    assert not [body for body in api_model.completions if body.get("response_format")], "no verdict call was made"


def test_our_openapi_describes_kubernauts_request_as_kubernaut_does(api_fleet: Fleet) -> None:
    ours = httpx.get(api_fleet.ingest_url + "/openapi.json", timeout=10).json()["components"]["schemas"]
    theirs = SPEC["components"]["schemas"]
    assert set(ours["IncidentRequest"]["required"]) == set(theirs["IncidentRequest"]["required"])
    assert set(ours["IncidentRequest"]["properties"]) == set(theirs["IncidentRequest"]["properties"])
    assert set(theirs["IncidentResponse"]["required"]) <= set(ours["IncidentResponse"]["required"])
    severity = ours["IncidentRequest"]["properties"]["severity"]
    assert severity["enum"] == theirs["Severity"]["enum"]
