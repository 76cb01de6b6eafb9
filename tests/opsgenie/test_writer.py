"""The OpsGenie writer through the real SDK against the spec-checking stub: modes, confirmation, errors."""

from __future__ import annotations

import time

import pytest
import redis

from alertfleet.keys import write_key
from alertfleet.limits import local_throttle
from alertfleet.models import Event, Investigation, WriteRecord, WriteTarget
from alertfleet.writing import RateLimited, WriteError, WriteResult
from integrations.opsgenie.client import OpsGenieClient
from integrations.opsgenie.writer import Mode, OpsGenieWriter
from tests.conftest import OPSGENIE_KEY
from tests.stubs.opsgenie import OpsGenieStub
from workers.investigator.enrich import enrich
from workers.writes import perform_write


def _investigation(alert_id: str = "a1", resolved: bool = False, inv_id: str = "inv-1") -> Investigation:
    event = Event(
        source="opsgenie",
        title="Disk full on db-1",
        labels={"alertname": "Disk full on db-1", "priority": "P1"},
        writeback=[WriteTarget(type="opsgenie", target=alert_id)],
    )
    return Investigation(
        id=inv_id, problem_key="p", event=event, result=enrich(event), resolved=resolved, status="completed"
    )


def _client(stub: OpsGenieStub, key: str = OPSGENIE_KEY) -> OpsGenieClient:
    return OpsGenieClient(key, stub.base_url)


def _writer(stub: OpsGenieStub, mode: Mode = "notes", **kwargs: object) -> OpsGenieWriter:
    return OpsGenieWriter(_client(stub), mode=mode, sleep=lambda _s: None, **kwargs)  # type: ignore[arg-type]


def _record(result: WriteResult, target: str) -> WriteRecord:
    return WriteRecord(
        destination="opsgenie",
        target=target,
        external_id=result.external_id,
        content_hash=result.content_hash,
        details=result.details,
    )


def test_notes_mode_adds_one_confirmed_note(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("Disk full on db-1", priority="P1", tags=["db"])
    result = _writer(opsgenie_stub).write(_investigation(alert_id), alert_id, None)
    assert result.action == "created"
    [note] = opsgenie_stub.notes(alert_id)
    assert note["note"].startswith("alertfleet investigation\n\nAlert: Disk full on db-1")
    assert "investigation inv-1" in note["note"] and note["owner"] == "alertfleet"
    assert result.external_id == result.details["note_request_id"]
    assert opsgenie_stub.request_statuses()[result.external_id]["isSuccess"] is True
    assert opsgenie_stub.alert(alert_id)["tags"] == ["db"], "notes mode touches nothing else"
    statuses = [r for r in opsgenie_stub.requests if "/requests/" in r.path]
    assert [r.path for r in statuses] == [f"/v2/alerts/requests/{result.external_id}"]
    assert opsgenie_stub.violations == []


def test_redelivery_of_an_unchanged_investigation_writes_nothing(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    writer = _writer(opsgenie_stub)
    first = writer.write(_investigation(alert_id), alert_id, None)
    requests_before = len(opsgenie_stub.requests)
    again = writer.write(_investigation(alert_id), alert_id, _record(first, alert_id))
    assert (again.action, again.external_id) == ("unchanged", first.external_id)
    assert len(opsgenie_stub.requests) == requests_before
    resolved = writer.write(_investigation(alert_id, resolved=True), alert_id, _record(first, alert_id))
    assert resolved.action == "updated"
    assert [n["note"].splitlines()[0] for n in opsgenie_stub.notes(alert_id)] == [
        "alertfleet investigation",
        "alertfleet investigation — resolved",
    ]


def test_redelivered_write_task_is_deduplicated_by_the_write_record(
    opsgenie_stub: OpsGenieStub, redis_client: redis.Redis
) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    investigation = _investigation(alert_id)
    writer = _writer(opsgenie_stub)
    outcomes = [perform_write(redis_client, writer, investigation.id, alert_id, lambda _i: investigation) for _ in "ab"]
    assert [o.action for o in outcomes if o] == ["created", "unchanged"]
    assert len(opsgenie_stub.notes(alert_id)) == 1
    assert redis_client.exists(write_key(investigation.id, "opsgenie", alert_id))


def test_update_mode_adds_tags_and_priority_before_the_note(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X", priority="P3", tags=["web"])
    writer = _writer(opsgenie_stub, "update", update_tags=["alertfleet:investigated"], update_priority="P2")
    result = writer.write(_investigation(alert_id), alert_id, None)
    alert = opsgenie_stub.alert(alert_id)
    assert alert["tags"] == ["web", "alertfleet:investigated"] and alert["priority"] == "P2"
    assert len(opsgenie_stub.notes(alert_id)) == 1
    assert {"tags_request_id", "priority_request_id", "note_request_id"} <= set(result.details)
    writes = [r.path.rsplit("/", 1)[-1] for r in opsgenie_stub.requests if r.method in ("POST", "PUT")]
    assert writes == ["tags", "priority", "notes"]
    assert opsgenie_stub.violations == []


def test_read_only_mode_never_writes(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    with pytest.raises(WriteError) as caught:
        _writer(opsgenie_stub, "read-only").write(_investigation(alert_id), alert_id, None)
    assert not caught.value.recoverable and "read-only" in caught.value.reason
    assert opsgenie_stub.requests == []


def test_failed_request_is_a_failed_write(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    opsgenie_stub.fail_requests(1, "Note could not be added")
    with pytest.raises(WriteError) as caught:
        _writer(opsgenie_stub).write(_investigation(alert_id), alert_id, None)
    assert not caught.value.recoverable
    assert "failed: Note could not be added" in caught.value.reason
    assert opsgenie_stub.notes(alert_id) == []


def test_note_on_a_deleted_alert_fails_with_opsgenie_status(opsgenie_stub: OpsGenieStub) -> None:
    with pytest.raises(WriteError) as caught:
        _writer(opsgenie_stub).write(_investigation("gone"), "gone", None)
    assert not caught.value.recoverable and "Alert does not exist" in caught.value.reason


def test_unconfirmed_note_is_retried_by_confirming_not_by_posting_again(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    opsgenie_stub.pending_polls = 3
    writer = _writer(opsgenie_stub, confirm_timeout=0.5, confirm_interval=0.2)
    with pytest.raises(WriteError) as caught:
        writer.write(_investigation(alert_id), alert_id, None)
    assert caught.value.recoverable and "has not processed addNote" in caught.value.reason
    result = writer.write(_investigation(alert_id), alert_id, None)  # the task's retry
    assert result.action == "created"
    posts = [r for r in opsgenie_stub.requests if r.method == "POST"]
    assert len(posts) == 1 and len(opsgenie_stub.notes(alert_id)) == 1


def test_bounded_confirmation_polls_with_backoff(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    opsgenie_stub.pending_polls = 2
    slept: list[float] = []
    writer = OpsGenieWriter(_client(opsgenie_stub), sleep=slept.append, confirm_interval=0.2)
    assert writer.write(_investigation(alert_id), alert_id, None).action == "created"
    assert slept == [0.2, 0.4]


@pytest.mark.parametrize(
    ("key", "alert_exists", "status", "fragment"),
    [
        ("wrong-key", True, 401, "opsgenie 401: Could not authenticate"),
        (OPSGENIE_KEY, False, 404, "does not exist"),
    ],
)
def test_auth_and_missing_alert_are_unrecoverable(
    opsgenie_stub: OpsGenieStub, key: str, alert_exists: bool, status: int, fragment: str
) -> None:
    alert_id = opsgenie_stub.add_alert("X") if alert_exists else "missing"
    client = _client(opsgenie_stub, key=key)
    call = client.add_note if alert_exists else lambda target, _note: client.get_alert(target)
    with pytest.raises(WriteError) as caught:
        call(alert_id, "note")
    assert not caught.value.recoverable and fragment in caught.value.reason
    assert getattr(caught.value, "status", None) == status


def test_unprocessable_and_forbidden_carry_opsgenie_message(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    for status, message in ((422, "Note is too long"), (403, "Key lacks permission")):
        opsgenie_stub.fail_next(1, status, body={"message": message, "took": 0.0, "requestId": "r"})
        with pytest.raises(WriteError) as caught:
            _writer(opsgenie_stub).write(_investigation(alert_id), alert_id, None)
        assert (caught.value.recoverable, caught.value.reason) == (False, f"opsgenie {status}: {message}")


def test_rate_limit_is_recoverable_with_retry_after_and_not_retried_inside(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    opsgenie_stub.rate_limit(retry_after=7, for_seconds=5)
    with pytest.raises(RateLimited) as caught:
        _writer(opsgenie_stub).write(_investigation(alert_id), alert_id, None)
    assert caught.value.retry_after == 7
    assert len(opsgenie_stub.requests) == 1, "the SDK's own retry is off"


def test_server_errors_and_unreachable_are_recoverable(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    opsgenie_stub.fail_next(1, 502)
    with pytest.raises(WriteError) as caught:
        _writer(opsgenie_stub).write(_investigation(alert_id), alert_id, None)
    assert caught.value.recoverable and len(opsgenie_stub.requests) == 1
    unreachable = OpsGenieWriter(OpsGenieClient(OPSGENIE_KEY, "http://127.0.0.1:9"))
    with pytest.raises(WriteError) as down:
        unreachable.write(_investigation(alert_id), alert_id, None)
    assert down.value.recoverable and "unreachable" in down.value.reason


def test_every_request_but_the_prepaid_one_is_charged_to_the_shared_limiter(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    charged: list[int] = []

    def throttle() -> float:
        charged.append(len(opsgenie_stub.requests))
        return 0.0

    writer = OpsGenieWriter(_client(opsgenie_stub), mode="update", throttle=throttle, prepaid_requests=1)
    writer.write(_investigation(alert_id), alert_id, None)  # tags, status, note, status
    assert len(opsgenie_stub.requests) == 4 and len(charged) == 3


def test_spent_budget_raises_rate_limited_before_calling(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    writer = OpsGenieWriter(_client(opsgenie_stub), throttle=lambda: 12.5)
    with pytest.raises(RateLimited) as caught:
        writer.write(_investigation(alert_id), alert_id, None)
    assert caught.value.retry_after == 12.5 and opsgenie_stub.requests == []


def test_local_throttle_is_a_per_process_moving_window(opsgenie_stub: OpsGenieStub) -> None:
    first = local_throttle(opsgenie_stub.base_url, 2)
    same_host = local_throttle(opsgenie_stub.base_url + "/", 2)
    assert [first(), same_host()] == [0.0, 0.0]
    assert 0 < first() <= 60, "the budget is shared by every client of the host in this process"
    client = OpsGenieClient(OPSGENIE_KEY, opsgenie_stub.base_url, throttle=first)
    with pytest.raises(RateLimited):
        client.list_alerts("status: open")
    assert opsgenie_stub.requests == []


def test_note_whose_record_was_lost_is_found_not_posted_again(
    opsgenie_stub: OpsGenieStub, redis_client: redis.Redis
) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    investigation = _investigation(alert_id)
    writer = _writer(opsgenie_stub)
    key = write_key(investigation.id, "opsgenie", alert_id)
    # A worker set its intent, OpsGenie took the note, and the worker died before recording it.
    redis_client.set(key + ":intent", f"{time.time() - 5:.6f}")
    writer.write(investigation, alert_id, None)
    other = _investigation(alert_id, inv_id="inv-other")
    writer.write(other, alert_id, None)  # another investigation's note on the same alert

    result = perform_write(redis_client, writer, investigation.id, alert_id, lambda _i: investigation)
    assert result is not None and result.action == "updated"
    assert len(opsgenie_stub.notes(alert_id)) == 2, "found by its investigation id, not posted twice"
    assert redis_client.get(key) and not redis_client.exists(key + ":intent")
    again = perform_write(redis_client, writer, investigation.id, alert_id, lambda _i: investigation)
    assert again is not None and again.action == "unchanged"


def test_older_notes_and_changed_findings_are_not_taken_for_the_lost_write(opsgenie_stub: OpsGenieStub) -> None:
    alert_id = opsgenie_stub.add_alert("X")
    writer = _writer(opsgenie_stub)
    writer.write(_investigation(alert_id), alert_id, None)
    assert writer.find_previous(_investigation(alert_id), alert_id, time.time() + 3600) is None, "too old"
    found = writer.find_previous(_investigation(alert_id), alert_id, time.time() - 5)
    assert found is not None
    record = _record(found, alert_id)
    assert writer.write(_investigation(alert_id, resolved=True), alert_id, record).action == "updated"
    assert len(opsgenie_stub.notes(alert_id)) == 2, "changed findings are a new note"
