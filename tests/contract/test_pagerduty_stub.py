"""The PagerDuty stub against the vendored spec: what it accepts from the real client, what it refuses."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrations.pagerduty.client import PagerDutyApi
from tests.conftest import PAGERDUTY_FROM, PAGERDUTY_KEY
from tests.stubs.pagerduty import NOTE_LIMIT, PagerDutyStub
from tests.stubs.pagerduty_spec import SPEC_PATH, find_operation, operations, pointer, schema_validator

SHARED_SPEC_SHA256 = "b2e80f8b83b170f29702e96a69adf230702b4ec43dddab7e348a2985c707ef35"
ACCEPT = "application/vnd.pagerduty+json;version=2"
GOOD = {"Authorization": f"Token token={PAGERDUTY_KEY}", "Accept": ACCEPT}
WRITE = {**GOOD, "From": PAGERDUTY_FROM}


def _schema_errors(template: str, method: str, body: Any) -> list[str]:
    """Schema errors other than nulls: PagerDuty sends nulls the spec does not mark nullable (its own
    examples do too: `resolve_reason`, `alert_grouping.ended_at`)."""
    where = pointer("paths", template, method, "responses", "200", "content", "application/json", "schema")
    errors = schema_validator(where).iter_errors(body)
    return [f"{list(e.path)}: {e.message}" for e in errors if e.instance is not None]


@pytest.fixture
def api(pagerduty_stub: PagerDutyStub) -> PagerDutyApi:
    return PagerDutyApi(PAGERDUTY_KEY, pagerduty_stub.base_url, PAGERDUTY_FROM, page_size=2)


def test_spec_copy_is_byte_identical_to_the_shared_spec() -> None:
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == SHARED_SPEC_SHA256
    shared = Path("/work/shared/specs/pagerduty/openapiv3.json")
    if shared.exists():
        assert shared.read_bytes() == SPEC_PATH.read_bytes()


def test_rules_come_from_the_spec_with_the_known_defects_patched() -> None:
    rules = {(op.method, op.template): op for op in operations()}
    listing = rules[("GET", "/incidents")]
    assert set(listing.headers) == {"accept"}, "Content-Type is required only where there is a body"
    assert listing.query["limit"].maximum == 100
    assert {"statuses[]", "service_ids[]", "urgencies[]", "since", "until"} <= set(listing.query)
    assert set(rules[("POST", "/incidents/{id}/notes")].headers) == {"accept", "content-type", "from"}
    assert set(rules[("PUT", "/incidents/{id}")].headers) == {"accept", "content-type", "from"}
    assert {op.scope for op in operations()} == {"incidents.read", "incidents.write"}


def test_real_client_calls_pass_and_answers_match_the_spec(pagerduty_stub: PagerDutyStub, api: PagerDutyApi) -> None:
    for n in range(5):
        pagerduty_stub.add_incident(f"incident {n}", priority="P2" if n % 2 else None)

    incidents = api.list_incidents(since=None, until=None)
    note = api.create_note("PINC001", "Firefighters are on the scene.")
    updated = api.update_incident("PINC001", {"urgency": "low", "priority": "P1"})

    assert [i["id"] for i in incidents] == [f"PINC00{n}" for n in range(1, 6)]
    assert [r.query.get("offset") for r in pagerduty_stub.requests_to("/incidents")] == ["0", "2", "4"]
    assert api.get_incident("PINC001")["urgency"] == "low"
    assert (updated["priority"]["summary"], note["content"]) == ("P1", "Firefighters are on the scene.")
    assert [n["id"] for n in api.list_notes("PINC001")] == [note["id"]]
    assert api.first_alert_key("PINC002") == "key-pinc002"
    assert pagerduty_stub.violations == []
    page = httpx.get(f"{pagerduty_stub.base_url}/incidents", params={"date_range": "all"}, headers=GOOD).json()
    assert _schema_errors("/incidents", "get", page) == []
    assert _schema_errors("/incidents/{id}", "get", {"incident": incidents[1]}) == []
    assert _schema_errors("/incidents/{id}/notes", "post", {"note": note}) == []


def test_note_post_answers_201_as_pagerduty_does(pagerduty_stub: PagerDutyStub) -> None:
    incident = pagerduty_stub.add_incident()
    url = f"{pagerduty_stub.base_url}/incidents/{incident['id']}/notes"
    response = httpx.post(url, json={"note": {"content": "x"}}, headers=WRITE)
    assert response.status_code == 201
    assert response.json()["note"]["user"]["summary"] == PAGERDUTY_FROM


@pytest.mark.parametrize(
    ("method", "path", "headers", "kwargs", "violation"),
    [
        # httpx sends `Accept: */*` when none is given: the version is missing either way.
        ("GET", "/incidents", {"Authorization": GOOD["Authorization"]}, {}, "header Accept: '*/*' lacks"),
        ("GET", "/incidents", {**GOOD, "Accept": "application/json"}, {}, "lacks"),
        ("GET", "/incidents", GOOD, {"params": {"statuses[]": "open"}}, "statuses[]='open' is not one of"),
        ("GET", "/incidents", GOOD, {"params": {"urgencies[]": "medium"}}, "urgencies[]='medium'"),
        ("GET", "/incidents", GOOD, {"params": {"limit": 500}}, "exceeds the maximum 100"),
        ("GET", "/incidents", GOOD, {"params": {"offset": "x"}}, "is not an integer"),
        ("GET", "/incidents", GOOD, {"params": {"status": "triggered"}}, "unknown query parameter status"),
        (
            "POST",
            "/incidents/PINC001/notes",
            GOOD,
            {"json": {"note": {"content": "x"}}},
            "missing required header from",
        ),
        ("POST", "/incidents/PINC001/notes", {**WRITE, "From": "nobody"}, {"json": {"note": {}}}, "not an email"),
        ("POST", "/incidents/PINC001/notes", WRITE, {"json": {"content": "x"}}, "'note' is a required property"),
        ("POST", "/incidents/PINC001/notes", WRITE, {"json": {"note": {}}}, "'content' is a required property"),
        ("POST", "/incidents/PINC001/notes", WRITE, {"content": b"note=x"}, "missing required header content-type"),
        ("PUT", "/incidents/PINC001", WRITE, {"json": {"incident": {"urgency": "high"}}}, "'type' is a required"),
        ("PUT", "/incidents/PINC001", WRITE, {"json": {"incident": {"type": "incident", "urgency": "x"}}}, "'x'"),
    ],
)
def test_requests_the_spec_rejects_are_refused_and_recorded(
    pagerduty_stub: PagerDutyStub, method: str, path: str, headers: dict[str, str], kwargs: Any, violation: str
) -> None:
    pagerduty_stub.add_incident()
    response = httpx.request(method, pagerduty_stub.base_url + path, headers=headers, **kwargs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 2001
    assert any(violation in v for v in pagerduty_stub.violations), pagerduty_stub.violations
    assert pagerduty_stub.note_count() == 0 and pagerduty_stub.updates == []


def test_auth_scheme_other_than_token_is_a_violation(pagerduty_stub: PagerDutyStub) -> None:
    headers = {"Authorization": f"Bearer {PAGERDUTY_KEY}", "Accept": ACCEPT}
    assert httpx.get(f"{pagerduty_stub.base_url}/incidents", headers=headers).status_code == 401
    assert "Token token=<API_KEY>" in pagerduty_stub.violations[0]


def test_refusals_a_correct_client_can_meet_are_not_violations(pagerduty_stub: PagerDutyStub) -> None:
    incident = pagerduty_stub.add_incident()
    notes = f"/incidents/{incident['id']}/notes"
    wrong_key = httpx.get(pagerduty_stub.base_url + "/incidents", headers={**GOOD, "Authorization": "Token token=no"})
    unknown = httpx.get(pagerduty_stub.base_url + "/incidents/PNOPE", headers=GOOD)
    stranger = httpx.post(
        pagerduty_stub.base_url + notes, json={"note": {"content": "x"}}, headers={**WRITE, "From": "x@example.org"}
    )
    assert [r.status_code for r in (wrong_key, unknown, stranger)] == [401, 404, 400]
    assert stranger.json()["error"]["message"] == "Requester User Not Found"
    assert pagerduty_stub.violations == []


def test_note_over_25000_characters_is_refused(pagerduty_stub: PagerDutyStub) -> None:
    incident = pagerduty_stub.add_incident()
    url = f"{pagerduty_stub.base_url}/incidents/{incident['id']}/notes"
    response = httpx.post(url, json={"note": {"content": "x" * (NOTE_LIMIT + 1)}}, headers=WRITE)
    assert response.status_code == 400
    assert "25000" in pagerduty_stub.violations[0]


def test_unemulated_operation_is_a_violation(pagerduty_stub: PagerDutyStub) -> None:
    assert httpx.delete(f"{pagerduty_stub.base_url}/incidents/PINC001", headers=GOOD).status_code == 404
    assert "not an emulated PagerDuty operation" in pagerduty_stub.violations[0]
    assert find_operation("GET", "/incidents/P1/notes") is not None


def test_listing_filters_and_paginates(pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident("a", service_id="PSVCA")
    pagerduty_stub.add_incident("b", service_id="PSVCB", urgency="low")
    pagerduty_stub.add_incident("c", service_id="PSVCA", status="resolved")
    url = f"{pagerduty_stub.base_url}/incidents"

    def titles(**params: Any) -> list[str]:
        body = httpx.get(url, params={"date_range": "all", **params}, headers=GOOD).json()
        return [i["title"] for i in body["incidents"]]

    assert titles(**{"statuses[]": ["triggered", "acknowledged"]}) == ["a", "b"]
    assert titles(**{"service_ids[]": ["PSVCA"]}) == ["a", "c"]
    assert titles(**{"urgencies[]": ["low"]}) == ["b"]
    first = httpx.get(url, params={"date_range": "all", "limit": 2, "total": "true"}, headers=GOOD).json()
    assert (first["more"], first["total"], first["limit"], first["offset"]) == (True, 3, 2, 0)
    assert pagerduty_stub.violations == []


def test_injected_faults_use_pagerduty_error_bodies(pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.rate_limit(retry_after=3, for_seconds=5)
    response = httpx.get(f"{pagerduty_stub.base_url}/incidents", headers=GOOD)
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    assert response.json() == {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
