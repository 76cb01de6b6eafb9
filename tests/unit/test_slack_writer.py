"""The Slack writer driven through slack-sdk against the spec-checking stub."""

from __future__ import annotations

import pytest

from alertfleet.models import Event, Investigation
from alertfleet.writing import RateLimited, WriteError
from integrations.slack.writer import SlackWriter
from tests.conftest import SLACK_TOKEN
from tests.stubs.slack import SlackStub
from workers.investigator.enrich import enrich


def _investigation(resolved: bool = False) -> Investigation:
    event = Event(source="alertmanager", title="X", labels={"alertname": "X"})
    return Investigation(
        id="i1", problem_key="p", event=event, result=enrich(event), resolved=resolved, status="completed"
    )


def test_post_then_update_then_unchanged(slack_stub: SlackStub) -> None:
    writer = SlackWriter(SLACK_TOKEN, slack_stub.api_url)
    created = writer.write(_investigation(), "#alerts", None)
    assert created.action == "created" and slack_stub.post_count() == 1
    from alertfleet.models import WriteRecord

    record = WriteRecord(
        destination="slack",
        target="#alerts",
        external_id=created.external_id,
        content_hash=created.content_hash,
        details=created.details,
    )
    assert writer.write(_investigation(), "#alerts", record).action == "unchanged"
    updated = writer.write(_investigation(resolved=True), "#alerts", record)
    assert (updated.action, updated.external_id) == ("updated", created.external_id)
    assert slack_stub.post_count() == 1 and slack_stub.update_count() == 1
    assert slack_stub.violations == []


@pytest.mark.parametrize(
    ("token", "channel", "reason"),
    [
        ("xoxb-wrong", "#alerts", "invalid_auth"),
        (SLACK_TOKEN, "#nowhere", "channel_not_found"),
    ],
)
def test_unrecoverable_errors_carry_slack_reason(slack_stub: SlackStub, token: str, channel: str, reason: str) -> None:
    with pytest.raises(WriteError) as caught:
        SlackWriter(token, slack_stub.api_url).write(_investigation(), channel, None)
    assert (caught.value.reason, caught.value.recoverable) == (reason, False)


def test_rate_limit_is_recoverable_with_retry_after(slack_stub: SlackStub) -> None:
    slack_stub.rate_limit(retry_after=7, for_seconds=5)
    with pytest.raises(RateLimited) as caught:
        SlackWriter(SLACK_TOKEN, slack_stub.api_url).write(_investigation(), "#alerts", None)
    assert caught.value.recoverable and caught.value.retry_after == 7


def test_server_errors_and_unreachable_are_recoverable(slack_stub: SlackStub) -> None:
    slack_stub.fail_next(1, 503)
    with pytest.raises(WriteError) as caught:
        SlackWriter(SLACK_TOKEN, slack_stub.api_url).write(_investigation(), "#alerts", None)
    assert caught.value.recoverable
    with pytest.raises(WriteError) as unreachable:
        SlackWriter(SLACK_TOKEN, "http://127.0.0.1:9/api/", timeout=2).write(_investigation(), "#alerts", None)
    assert unreachable.value.recoverable
