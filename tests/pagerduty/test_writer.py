"""The PagerDuty writer through the real `pagerduty` client against the spec-checking stub."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import redis

from alertfleet.integration import NotConfigured as UnknownDestination
from alertfleet.keys import write_key
from alertfleet.models import Event, Investigation, InvestigationResult, Sections, WriteRecord
from alertfleet.settings import Settings
from alertfleet.writing import RateLimited, WriteError, WriteResult
from integrations.pagerduty.client import PagerDutyApi
from integrations.pagerduty.render import NOTE_LIMIT
from integrations.pagerduty.source import event_from_incident
from integrations.pagerduty.writer import PagerDutyWriter, WriterOptions
from tests.conftest import PAGERDUTY_FROM, PAGERDUTY_KEY
from tests.stubs.pagerduty import PagerDutyStub
from workers.destinations import build_writer, destinations_for
from workers.investigator.enrich import enrich
from workers.writes import perform_write

PUBLIC_URL = "https://alertfleet.example"


def _writer(
    stub: PagerDutyStub,
    *,
    key: str = PAGERDUTY_KEY,
    throttle: Callable[[], float] | None = None,
    **options: object,
) -> PagerDutyWriter:
    api = PagerDutyApi(key, stub.base_url, PAGERDUTY_FROM, timeout=5)
    opts = WriterOptions(public_url=PUBLIC_URL, **options)  # type: ignore[arg-type]
    return PagerDutyWriter(api, opts, throttle=throttle)


def _first_incident(stub: PagerDutyStub) -> dict[str, object]:
    try:
        return stub.incident("PINC001")
    except KeyError:
        return stub.add_incident("Checkout 5xx")


def _investigation(stub: PagerDutyStub, analysis: str = "", resolved: bool = False, **labels: str) -> Investigation:
    event = event_from_incident(_first_incident(stub))
    event = event.model_copy(update={"labels": {**event.labels, **labels}})
    result = enrich(event)
    if analysis:
        result = InvestigationResult(analysis=analysis, sections=Sections(key_findings=analysis), model="m")
    return Investigation(id="inv1", problem_key="p", event=event, result=result, status="completed", resolved=resolved)


def _record(result: WriteResult) -> WriteRecord:
    return WriteRecord(
        destination="pagerduty",
        target="PINC001",
        external_id=result.external_id,
        content_hash=result.content_hash,
        details=result.details,
    )


def test_notes_mode_adds_the_findings_as_one_note(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub)
    result = _writer(pagerduty_stub).write(investigation, "PINC001", None)

    [note] = pagerduty_stub.notes_for("PINC001")
    assert (result.action, result.external_id) == ("created", note["id"])
    assert note["content"].startswith("alertfleet investigation: Checkout 5xx\nService: checkout")
    assert "KEY FINDINGS" in note["content"] and "NEXT STEPS" in note["content"]
    assert f"Full result: {PUBLIC_URL}/api/v1/investigations/inv1" in note["content"]
    assert note["content"].rstrip().endswith("]") and "[alertfleet:inv1:" in note["content"]
    post = next(r for r in pagerduty_stub.requests if r.method == "POST")
    assert post.headers["from"] == PAGERDUTY_FROM
    assert pagerduty_stub.updates == [], "notes mode changes no incident field"
    assert pagerduty_stub.violations == []


def test_redelivered_write_adds_no_second_note(pagerduty_stub: PagerDutyStub, redis_client: redis.Redis) -> None:
    investigation = _investigation(pagerduty_stub)
    writer = _writer(pagerduty_stub)
    first = perform_write(redis_client, writer, "inv1", "PINC001", lambda _: investigation)
    again = perform_write(redis_client, writer, "inv1", "PINC001", lambda _: investigation)
    assert first is not None and again is not None
    assert (first.action, again.action) == ("created", "unchanged")
    assert len(pagerduty_stub.notes_for("PINC001")) == 1


def test_retry_after_a_lost_answer_finds_its_note_instead_of_adding_one(
    pagerduty_stub: PagerDutyStub, redis_client: redis.Redis
) -> None:
    # The note reached PagerDuty, but the worker died before recording it: only the intent marker is left.
    investigation = _investigation(pagerduty_stub)
    writer = _writer(pagerduty_stub)
    lost = writer.write(investigation, "PINC001", None)
    redis_client.set(write_key("inv1", "pagerduty", "PINC001") + ":intent", f"{time.time() - 5:.6f}")

    retried = perform_write(redis_client, writer, "inv1", "PINC001", lambda _: investigation)

    assert retried is not None and (retried.action, retried.external_id) == ("unchanged", lost.external_id)
    assert len(pagerduty_stub.notes_for("PINC001")) == 1
    assert len(pagerduty_stub.requests_to("/incidents/PINC001/notes")) == 2, "one note, one look-up"


def test_first_write_is_one_request_and_looks_nothing_up(pagerduty_stub: PagerDutyStub) -> None:
    _writer(pagerduty_stub).write(_investigation(pagerduty_stub), "PINC001", None)
    assert [r.method for r in pagerduty_stub.requests] == ["POST"]


def test_lost_update_is_completed_not_taken_for_done(pagerduty_stub: PagerDutyStub) -> None:
    # In update mode the note arrived but the field change did not: the next write only updates.
    pagerduty_stub.add_incident("Checkout 5xx", urgency="high")
    investigation = _investigation(pagerduty_stub, severity="warning")
    writer = _writer(pagerduty_stub, mode="update", update_fields=("urgency",))
    pagerduty_stub.fail_next(1, 503, path="/incidents/PINC001")
    with pytest.raises(WriteError):
        writer.write(investigation, "PINC001", None)
    found = writer.find_previous(investigation, "PINC001", time.time() - 60)

    assert found is not None
    done = writer.write(investigation, "PINC001", _record(found))

    assert done.action == "updated" and len(pagerduty_stub.notes_for("PINC001")) == 1
    assert [fields["urgency"] for _, fields in pagerduty_stub.updates] == ["low"]


def test_look_up_that_pagerduty_refuses_does_not_block_the_note(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub)
    pagerduty_stub.fail_next(1, 404, path="/incidents/PINC001/notes")
    assert _writer(pagerduty_stub).find_previous(investigation, "PINC001", 0.0) is None
    pagerduty_stub.fail_next(1, 503, path="/incidents/PINC001/notes")
    with pytest.raises(WriteError) as caught:
        _writer(pagerduty_stub).find_previous(investigation, "PINC001", 0.0)
    assert caught.value.recoverable


def test_resolution_adds_nothing_but_changed_findings_add_one_follow_up(pagerduty_stub: PagerDutyStub) -> None:
    writer = _writer(pagerduty_stub)
    record = _record(writer.write(_investigation(pagerduty_stub), "PINC001", None))
    assert writer.write(_investigation(pagerduty_stub, resolved=True), "PINC001", record).action == "unchanged"
    changed = writer.write(_investigation(pagerduty_stub, analysis="- disk full on db-1"), "PINC001", record)
    notes = pagerduty_stub.notes_for("PINC001")
    assert (changed.action, len(notes)) == ("updated", 2)
    assert notes[1]["content"].startswith("Updated findings — ") and "disk full on db-1" in notes[1]["content"]


def test_long_result_is_truncated_with_a_link_to_the_full_result(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub, analysis="- finding\n" * 5000)
    _writer(pagerduty_stub).write(investigation, "PINC001", None)
    [note] = pagerduty_stub.notes_for("PINC001")
    assert len(note["content"]) <= NOTE_LIMIT
    assert f"… (truncated; full result: {PUBLIC_URL}/api/v1/investigations/inv1)" in note["content"]
    assert "[alertfleet:inv1:" in note["content"][-40:], "the marker survives truncation"
    assert pagerduty_stub.violations == []


def test_update_mode_changes_only_the_fields_config_allows(pagerduty_stub: PagerDutyStub) -> None:
    pagerduty_stub.add_incident("Checkout 5xx", urgency="high")
    investigation = _investigation(pagerduty_stub, severity="warning")
    options = {"mode": "update", "update_fields": ("urgency", "priority", "title"), "priority_map": {"warning": "P3"}}
    _writer(pagerduty_stub, **options).write(investigation, "PINC001", None)

    [(incident_id, fields)] = pagerduty_stub.updates
    assert incident_id == "PINC001"
    assert (fields["type"], fields["urgency"], fields["priority"]) == ("incident_reference", "low", "P3")
    assert fields["title"].startswith("Checkout 5xx — alertfleet: ")
    assert pagerduty_stub.incident("PINC001")["priority"]["summary"] == "P3"
    assert len(pagerduty_stub.notes_for("PINC001")) == 1
    assert pagerduty_stub.violations == []


def test_update_mode_without_update_fields_only_adds_the_note(pagerduty_stub: PagerDutyStub) -> None:
    _writer(pagerduty_stub, mode="update").write(_investigation(pagerduty_stub, severity="critical"), "PINC001", None)
    assert pagerduty_stub.updates == [] and len(pagerduty_stub.notes_for("PINC001")) == 1


@pytest.mark.parametrize(
    ("status", "hint"),
    [(401, "check PAGERDUTY_API_KEY"), (403, "read/write key"), (404, "no such incident")],
)
def test_auth_and_missing_incident_are_unrecoverable_with_pagerdutys_reason(
    pagerduty_stub: PagerDutyStub, status: int, hint: str
) -> None:
    investigation = _investigation(pagerduty_stub)
    pagerduty_stub.fail_next(1, status)
    with pytest.raises(WriteError) as caught:
        _writer(pagerduty_stub).write(investigation, "PINC001", None)
    assert not caught.value.recoverable
    assert caught.value.reason.startswith(f"HTTP {status}: POST /incidents/PINC001/notes: ")
    assert hint in caught.value.reason
    assert pagerduty_stub.note_count() == 0


def test_wrong_key_and_unknown_incident_from_the_vendor(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub)
    with pytest.raises(WriteError) as wrong_key:
        _writer(pagerduty_stub, key="pd-revoked-key").write(investigation, "PINC001", None)
    with pytest.raises(WriteError) as gone:
        _writer(pagerduty_stub).write(investigation, "PGONE01", None)
    assert "Unauthorized" in wrong_key.value.reason and not wrong_key.value.recoverable
    assert "Incident Not Found" in gone.value.reason and not gone.value.recoverable
    assert pagerduty_stub.note_count() == 0


def test_rate_limit_is_retried_with_retry_after_and_never_by_the_library(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub)
    pagerduty_stub.rate_limit(retry_after=7, for_seconds=30)
    with pytest.raises(RateLimited) as caught:
        _writer(pagerduty_stub).write(investigation, "PINC001", None)
    assert caught.value.recoverable and caught.value.retry_after == 7
    assert len(pagerduty_stub.requests) == 1, "the client's own endless 429 loop is disabled"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_recoverable(pagerduty_stub: PagerDutyStub, status: int) -> None:
    investigation = _investigation(pagerduty_stub)
    pagerduty_stub.fail_next(1, status, path="/incidents/PINC001/notes")
    with pytest.raises(WriteError) as caught:
        _writer(pagerduty_stub).write(investigation, "PINC001", None)
    assert caught.value.recoverable and not isinstance(caught.value, RateLimited)


def test_unreachable_pagerduty_is_recoverable() -> None:
    event = Event(source="pagerduty", title="x")
    investigation = Investigation(id="i", problem_key="p", event=event, result=enrich(event), status="completed")
    api = PagerDutyApi(PAGERDUTY_KEY, "http://127.0.0.1:9", PAGERDUTY_FROM, timeout=2)
    with pytest.raises(WriteError) as caught:
        PagerDutyWriter(api, WriterOptions()).write(investigation, "PINC001", None)
    assert caught.value.recoverable and "unreachable" in caught.value.reason


def test_spent_request_budget_is_rate_limited_before_any_request(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub)
    with pytest.raises(RateLimited) as caught:
        _writer(pagerduty_stub, throttle=lambda: 12.5).write(investigation, "PINC001", None)
    assert caught.value.retry_after == 12.5 and pagerduty_stub.requests == []


def test_prepaid_request_is_not_charged_twice(pagerduty_stub: PagerDutyStub) -> None:
    charged: list[int] = []
    api = PagerDutyApi(PAGERDUTY_KEY, pagerduty_stub.base_url, PAGERDUTY_FROM)
    options = WriterOptions(mode="update", update_fields=("urgency",))
    writer = PagerDutyWriter(api, options, throttle=lambda: charged.append(1) or 0.0, prepaid_requests=1)
    writer.write(_investigation(pagerduty_stub, severity="warning"), "PINC001", None)
    assert [r.method for r in pagerduty_stub.requests] == ["POST", "PUT"]
    assert len(charged) == 1, "the write task paid for the first request; the update pays for itself"


def _settings(**env: str) -> Settings:
    base = {"PAGERDUTY_API_KEY": PAGERDUTY_KEY, "PAGERDUTY_USER_EMAIL": PAGERDUTY_FROM}
    return Settings(**{**base, **env})  # type: ignore[arg-type]


def test_read_only_mode_fans_out_nothing_to_pagerduty(pagerduty_stub: PagerDutyStub) -> None:
    investigation = _investigation(pagerduty_stub)
    assert [t.type for t in destinations_for(investigation, _settings())] == ["pagerduty"]
    assert destinations_for(investigation, _settings(PAGERDUTY_MODE="read-only")) == []
    with pytest.raises(UnknownDestination, match="read-only"):
        build_writer("pagerduty", _settings(PAGERDUTY_MODE="read-only"))
    assert isinstance(build_writer("pagerduty", _settings()), PagerDutyWriter)
