"""The Slack app over the Events API: follow-up questions in an investigation's thread, against the
real ingest and worker, the Slack stub (signing as Slack does) and the stub model."""

from __future__ import annotations

import time

import httpx

from tests.conftest import Fleet
from tests.harness.processes import wait_for
from tests.slack_app.conftest import SIGNING_SECRET, followup_requests, post_alert, send_event, send_raw_event
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.slack_socket import event_callback, mention, signed_headers


def test_url_verification_challenge_is_answered(app_fleet: Fleet) -> None:
    response = send_raw_event(
        app_fleet, {"type": "url_verification", "token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV"}
    )
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}


def test_mention_in_thread_is_answered_in_that_thread_with_the_findings_then_the_first_qa(
    app_fleet: Fleet, app_slack: SlackStub, app_model: ModelStub
) -> None:
    posted = post_alert(app_fleet, app_slack, "MemoryJump")
    findings = next(m for m in app_slack.messages if m["ts"] == posted.ts)
    assert any(b["type"] == "actions" for b in findings["blocks"]), "the buttons are under the message"

    response = send_event(app_fleet, mention(posted.channel, posted.ts, "why did memory jump at 10:02?"))
    assert response.status_code == 200, response.text
    assert wait_for(lambda: len(app_slack.thread_replies(posted.ts)) == 1, 60), app_fleet.logs()
    reply = app_slack.thread_replies(posted.ts)[0]
    assert reply["channel_id"] == posted.channel
    asked = followup_requests(app_model, "why did memory jump at 10:02?")
    assert asked, "the model was asked the question"
    system = str(asked[0]["messages"][0]["content"])
    assert "MemoryJump" in system and "The investigation's findings" in system
    assert "is firing. This explanation comes from the alertfleet model stub" in system, "the original findings"
    assert "@" not in str(asked[0]["messages"][-1]["content"]), "the mention is stripped from the question"

    send_event(app_fleet, mention(posted.channel, posted.ts, "and what about the pods?"))
    assert wait_for(lambda: len(app_slack.thread_replies(posted.ts)) == 2, 60), app_fleet.logs()
    second = followup_requests(app_model, "and what about the pods?")[0]["messages"]
    contents = [str(m.get("content") or "") for m in second]
    first_q = next(i for i, c in enumerate(contents) if "why did memory jump at 10:02?" in c)
    assert second[first_q]["role"] == "user"
    assert second[first_q + 1]["role"] == "assistant" and second[first_q + 1]["content"], "the first answer"
    assert app_slack.violations == []


def test_a_retried_event_is_answered_once(app_fleet: Fleet, app_slack: SlackStub) -> None:
    posted = post_alert(app_fleet, app_slack, "RetriedQuestion")
    event = mention(posted.channel, posted.ts, "is it the deploy?")
    first = send_event(app_fleet, event, event_id="EvRETRY0001")
    again = [send_event(app_fleet, event, event_id="EvRETRY0001", retry=n) for n in (1, 2)]
    assert first.status_code == 200 and first.json()["stored"] is True
    assert all(r.status_code == 200 and r.json()["stored"] is False for r in again)
    assert wait_for(lambda: len(app_slack.thread_replies(posted.ts)) == 1, 60), app_fleet.logs()
    # Give the fleet time to (wrongly) answer the retries before asserting it did not.
    assert not wait_for(lambda: len(app_slack.thread_replies(posted.ts)) > 1, 4)


def test_bad_signature_stale_timestamp_and_missing_headers_are_refused(app_fleet: Fleet, app_slack: SlackStub) -> None:
    posted = post_alert(app_fleet, app_slack, "Unsigned")
    bad = send_event(app_fleet, mention(posted.channel, posted.ts, "bad signature"), secret="not-the-secret")
    stale = send_event(app_fleet, mention(posted.channel, posted.ts, "stale"), timestamp=int(time.time()) - 6 * 60)
    body = b'{"type": "event_callback"}'
    missing = httpx.post(f"{app_fleet.ingest_url}/api/webhooks/slack/events", content=body, timeout=10)
    form = httpx.post(f"{app_fleet.ingest_url}/api/webhooks/slack/interactions", content=b"payload=%7B%7D", timeout=10)
    for response in (bad, stale, missing, form):
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert "5 minutes" in stale.json()["detail"]
    assert SIGNING_SECRET not in app_fleet.logs()
    assert not wait_for(lambda: len(app_slack.thread_replies(posted.ts)) > 0, 3)


def test_bot_messages_edits_and_strangers_get_no_answer(
    app_fleet: Fleet, app_slack: SlackStub, app_model: ModelStub
) -> None:
    posted = post_alert(app_fleet, app_slack, "Ignored")
    bot = mention(posted.channel, posted.ts, "bot says hi", bot_id="B0000001")
    own = {**mention(posted.channel, posted.ts, "our own"), "type": "message", "subtype": "bot_message"}
    edit = {
        "type": "message",
        "subtype": "message_changed",
        "channel": posted.channel,
        "ts": f"{time.time():.6f}",
        "message": {"type": "message", "user": "U0000099", "text": "<@U0000001> edited", "thread_ts": posted.ts},
    }
    not_in_thread = {**mention(posted.channel, posted.ts, "top level"), "thread_ts": None}
    unknown_thread = mention(posted.channel, "1700000000.000100", "someone else's thread")
    plain = {**mention(posted.channel, posted.ts, "no mention, mention mode"), "type": "message"}
    for event in (bot, own, edit, not_in_thread):
        response = send_event(app_fleet, event)
        assert response.status_code == 200 and response.json()["stored"] is False, response.text
        assert response.json()["ignored"]
    for event in (unknown_thread, plain):
        assert send_event(app_fleet, event).status_code == 200
    assert not wait_for(lambda: len(app_slack.thread_replies(posted.ts)) > 0, 4)
    assert not followup_requests(app_model, "someone else's thread")
    assert not followup_requests(app_model, "no mention, mention mode")


def test_a_malformed_body_is_a_problem(app_fleet: Fleet) -> None:
    body = b"not json"
    response = httpx.post(
        f"{app_fleet.ingest_url}/api/webhooks/slack/events", content=body, headers=signed_headers("x", body), timeout=10
    )
    assert response.status_code == 401  # the signature is checked before the body is read as JSON

    good = httpx.post(
        f"{app_fleet.ingest_url}/api/webhooks/slack/events",
        content=body,
        headers=signed_headers(SIGNING_SECRET, body),
        timeout=10,
    )
    assert good.status_code == 400 and good.headers["content-type"].startswith("application/problem+json")
    assert event_callback({"type": "app_mention"})["type"] == "event_callback"
