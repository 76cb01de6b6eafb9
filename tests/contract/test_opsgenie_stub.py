"""The OpsGenie stub against the vendored alert-API spec, driven by the real opsgenie-sdk and raw HTTP."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import opsgenie_sdk
import pytest

from integrations.opsgenie.client import sdk_configuration
from tests.stubs.opsgenie import NOTE_LIMIT, OpsGenieStub
from tests.stubs.opsgenie_spec import SPEC_PATH, check_body, operations

SHARED_SPEC_SHA256 = "0ca0472bd8b95b32ec6e6a0e98cd8800bdd9b8cc9fc6d8ad05e3272bc11ccc1d"
KEY = "genie-contract-key"
AUTH = {"Authorization": f"GenieKey {KEY}"}


@pytest.fixture
def stub() -> Iterator[OpsGenieStub]:
    with OpsGenieStub(api_key=KEY) as running:
        yield running


@pytest.fixture
def api(stub: OpsGenieStub) -> Any:
    return opsgenie_sdk.AlertApi(opsgenie_sdk.ApiClient(sdk_configuration(KEY, stub.base_url)))


def test_spec_copy_is_byte_identical_to_the_shared_spec() -> None:
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == SHARED_SPEC_SHA256
    shared = Path("/work/shared/specs/opsgenie/alert-api.swagger.json")
    if shared.exists():
        assert shared.read_bytes() == SPEC_PATH.read_bytes()


def test_operations_come_from_the_spec_with_the_consumes_patch() -> None:
    ops = operations()
    assert {(op.method, op.path) for op in ops.values()} == {
        ("GET", "/v2/alerts"),
        ("GET", "/v2/alerts/{identifier}"),
        ("POST", "/v2/alerts/{identifier}/notes"),
        ("GET", "/v2/alerts/{identifier}/notes"),
        ("POST", "/v2/alerts/{identifier}/tags"),
        ("PUT", "/v2/alerts/{identifier}/priority"),
        ("GET", "/v2/alerts/requests/{requestId}"),
    }
    assert ops["addNote"].consumes == ("application/json",), "README defect: the spec declares no consumes"
    assert ops["listAlerts"].body_schema is None and ops["listAlerts"].query["limit"]["maximum"] == 100
    assert all(op.security == ("GenieKey",) for op in ops.values())
    assert "202" in ops["addNote"].responses and "202" in ops["updateAlertPriority"].responses


def test_body_schemas_carry_the_spec_requirements() -> None:
    ops = operations()
    assert check_body(ops["addNote"].body_schema or {}, {"note": "x", "user": "u", "source": "s"}) == []
    assert check_body(ops["addNote"].body_schema or {}, {"user": "u"}) == ["body: missing required 'note'"]
    assert check_body(ops["addTags"].body_schema or {}, {"tags": "one"}) == ["body.tags: expected array"]
    assert check_body(ops["updateAlertPriority"].body_schema or {}, {"priority": "P9"}) == [
        "body.priority: 'P9' not in ['P1', 'P2', 'P3', 'P4', 'P5']"
    ]


def test_sdk_note_is_accepted_then_confirmed_by_request_status(stub: OpsGenieStub, api: Any) -> None:
    alert_id = stub.add_alert("Disk full", priority="P1")
    payload = opsgenie_sdk.AddNoteToAlertPayload(user="alertfleet", source="alertfleet", note="findings")
    accepted = api.add_note(alert_id, payload, identifier_type="id")
    assert accepted.result == "Request will be processed" and accepted.request_id
    status = api.get_request_status(accepted.request_id).data
    assert (status.is_success, status.alert_id, status.action) == (True, alert_id, "Add Note")
    assert [n["note"] for n in stub.notes(alert_id)] == ["findings"]
    api.add_note(alert_id, opsgenie_sdk.AddNoteToAlertPayload(note="second"), identifier_type="id")
    listed = api.list_notes(alert_id, identifier_type="id", order="desc", limit=100).data
    assert [(n.note, n.owner) for n in listed] == [("second", ""), ("findings", "alertfleet")]
    write = stub.requests_to(f"/v2/alerts/{alert_id}/notes")[0]
    assert write.headers["authorization"] == f"GenieKey {KEY}" and write.content_type == "application/json"
    assert stub.violations == []


def test_sdk_tags_and_priority_change_the_alert(stub: OpsGenieStub, api: Any) -> None:
    alert_id = stub.add_alert("Latency", priority="P3", tags=["web"])
    api.add_tags(alert_id, opsgenie_sdk.AddTagsToAlertPayload(tags=["alertfleet:investigated"]), identifier_type="id")
    api.update_alert_priority(alert_id, opsgenie_sdk.UpdateAlertPriorityPayload(priority="P1"), identifier_type="id")
    alert = stub.alert(alert_id)
    assert alert["tags"] == ["web", "alertfleet:investigated"] and alert["priority"] == "P1"
    assert stub.violations == []


def test_write_to_unknown_alert_is_accepted_then_fails(stub: OpsGenieStub, api: Any) -> None:
    accepted = api.add_note("no-such-alert", opsgenie_sdk.AddNoteToAlertPayload(note="x"), identifier_type="id")
    status = api.get_request_status(accepted.request_id).data
    assert status.is_success is False and "does not exist" in status.status


def test_scripted_failure_and_pending_requests(stub: OpsGenieStub) -> None:
    alert_id = stub.add_alert("X")
    stub.fail_requests(1, "Note could not be added")
    stub.pending_polls = 1
    client = httpx.Client(base_url=stub.base_url, headers=AUTH)
    accepted = client.post(f"/v2/alerts/{alert_id}/notes", json={"note": "x"})
    assert accepted.status_code == 202 and set(accepted.json()) == {"result", "took", "requestId"}
    status_path = f"/v2/alerts/requests/{accepted.json()['requestId']}"
    assert client.get(status_path).status_code == 404, "not processed yet"
    status = client.get(status_path).json()["data"]
    assert (status["isSuccess"], status["status"]) == (False, "Note could not be added")
    assert stub.notes(alert_id) == []


def test_list_alerts_applies_the_query(stub: OpsGenieStub, api: Any) -> None:
    now = datetime.now(UTC)
    old = stub.add_alert("old", priority="P1", created_at=now - timedelta(days=2))
    p1 = stub.add_alert("p1", priority="P1", tags=["db"], teams=["sre"], created_at=now - timedelta(minutes=5))
    stub.add_alert("p3", priority="P3", created_at=now - timedelta(minutes=4))
    stub.add_alert("closed", priority="P1", status="closed", created_at=now - timedelta(minutes=3))
    since = int((now - timedelta(hours=1)).timestamp() * 1000)

    def ids(query: str) -> list[str]:
        return [a.id for a in api.list_alerts(query=query, sort="createdAt", order="asc", limit=100).data]

    assert ids(f"status: open AND createdAt >= {since} AND (priority: P1 OR priority: P2)") == [p1]
    assert ids("status: open AND priority: P1") == [old, p1]
    assert ids('status: open AND tag: db AND teams: "sre"') == [p1]
    assert stub.violations == []


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/v2/alerts/{id}/notes", {"json": {"user": "u"}}, 422),
        ("POST", "/v2/alerts/{id}/notes", {"data": {"note": "form"}}, 422),
        ("POST", "/v2/alerts/{id}/notes", {"json": {"note": "x" * (NOTE_LIMIT + 1)}}, 422),
        ("PUT", "/v2/alerts/{id}/priority", {"json": {"priority": "urgent"}}, 422),
        ("POST", "/v2/alerts/{id}/tags", {"json": {"tags": ["t"], "color": "red"}}, 422),
        ("GET", "/v2/alerts", {"params": {"limit": "500"}}, 400),
        ("GET", "/v2/alerts", {"params": {"since": "yesterday"}}, 400),
        ("GET", "/v2/alerts/{id}", {"params": {"identifierType": "uuid"}}, 400),
        ("DELETE", "/v2/alerts/{id}/notes", {}, 404),
    ],
)
def test_requests_the_spec_refuses_are_refused_and_recorded(
    stub: OpsGenieStub, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    alert_id = stub.add_alert("X")
    response = httpx.request(method, stub.base_url + path.format(id=alert_id), headers=AUTH, **kwargs)
    assert response.status_code == status
    assert "message" in response.json() and "requestId" in response.json()
    assert len(stub.violations) == 1
    assert stub.notes(alert_id) == []


@pytest.mark.parametrize("authorization", [None, "Bearer genie-contract-key", "GenieKey wrong"])
def test_auth_is_genie_key(stub: OpsGenieStub, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(f"{stub.base_url}/v2/alerts", headers=headers)
    assert response.status_code == 401
    assert stub.violations and "401" in stub.violations[0]


def test_unknown_alert_and_request_answer_404_without_violation(stub: OpsGenieStub) -> None:
    client = httpx.Client(base_url=stub.base_url, headers=AUTH)
    assert client.get("/v2/alerts/nope").status_code == 404
    assert client.get("/v2/alerts/requests/nope").json()["message"].startswith("Request not found")
    assert stub.violations == []
