"""The Slack app's pure parts (what is ignored, what a click means, the signature) and the background
lease (one runner across replicas), against a real Redis."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import redis.asyncio as aioredis

from alertfleet.keys import background_lease_key
from ingest.background import BackgroundRunner
from integrations.slack.app_answer import question_text
from integrations.slack.app_intake import actions_of, ignored_event
from integrations.slack.app_settings import SlackAppSettings
from integrations.slack.app_tasks import channel_allowed
from integrations.slack.app_threads import ThreadLink
from integrations.slack.app_verify import signature_problem
from tests.stubs.slack_socket import block_actions, event_callback, mention, signed_headers

SECRET = "signing-secret-for-unit-tests"


def test_signature_good_bad_stale_missing() -> None:
    body = json.dumps({"type": "event_callback"}).encode()
    assert signature_problem(SECRET, body, signed_headers(SECRET, body)) is None
    assert "does not match" in str(signature_problem(SECRET, body + b" ", signed_headers(SECRET, body)))
    assert "does not match" in str(signature_problem(SECRET, body, signed_headers("other", body)))
    stale = signed_headers(SECRET, body, int(time.time()) - 301)
    assert "5 minutes" in str(signature_problem(SECRET, body, stale))
    assert "missing" in str(signature_problem(SECRET, body, {}))
    assert "unix time" in str(
        signature_problem(SECRET, body, {**signed_headers(SECRET, body), "X-Slack-Request-Timestamp": "x"})
    )


def test_what_is_ignored_before_anything_is_stored() -> None:
    question = mention("C0001", "1700000000.000100", "why?")
    assert ignored_event(event_callback(question)) is None
    assert ignored_event(event_callback({**question, "bot_id": "B1"})) == "bot message"
    assert ignored_event(event_callback({**question, "subtype": "bot_message"})) == "bot message"
    assert "message_changed" in str(ignored_event(event_callback({**question, "subtype": "message_changed"})))
    assert ignored_event(event_callback({**question, "thread_ts": None})) == "not in a thread"
    assert ignored_event(event_callback({**question, "thread_ts": question["ts"]})) == "not in a thread"
    assert "reaction_added" in str(ignored_event(event_callback({**question, "type": "reaction_added"})))


def test_a_click_names_the_investigation_and_who_clicked() -> None:
    clicks = actions_of(block_actions("alertfleet_helpful", "inv-1", "C0001", "1700000000.000100"))
    assert clicks == [
        {
            "action_id": "alertfleet_helpful",
            "investigation_id": "inv-1",
            "user": "U0000099",
            "user_name": "jane",
            "channel": "C0001",
            "message_ts": "1700000000.000100",
            "action_ts": clicks[0]["action_ts"],
        }
    ]
    assert actions_of(block_actions("someone_elses_button", "inv-1", "C0001", "1.2")) == []
    assert actions_of({"type": "view_submission"}) == []


def test_allowed_channels_by_id_or_name_default_all_of_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    thread = ThreadLink("inv-1", "C0001", "1.2", "#alerts")
    assert channel_allowed(SlackAppSettings(), thread)
    monkeypatch.setenv("SLACK_FOLLOWUP_ALLOWED_CHANNELS", "C0001")
    assert channel_allowed(SlackAppSettings(), thread)
    monkeypatch.setenv("SLACK_FOLLOWUP_ALLOWED_CHANNELS", "alerts, #x")
    assert channel_allowed(SlackAppSettings(), thread)
    monkeypatch.setenv("SLACK_FOLLOWUP_ALLOWED_CHANNELS", "#oncall,C0002")
    assert not channel_allowed(SlackAppSettings(), thread)


def test_settings_refuse_a_bot_token_as_app_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-not-an-app-token")
    with pytest.raises(ValueError, match="xapp-"):
        SlackAppSettings()
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-ok")
    monkeypatch.setenv("SLACK_FOLLOWUPS", "sometimes")
    with pytest.raises(ValueError, match="mention"):
        SlackAppSettings()


def test_question_text_drops_the_mention() -> None:
    assert question_text("<@U0000001> why did memory jump at 10:02?") == "why did memory jump at 10:02?"
    assert question_text("<@U0000001|alertfleet>   hi  <@U2>") == "hi"


class _Counting:
    name = "unit-socket"

    def __init__(self, state: dict[str, int]) -> None:
        self.state = state

    async def run(self) -> None:
        self.state["running"] += 1
        self.state["starts"] += 1
        self.state["max"] = max(self.state["max"], self.state["running"])
        try:
            await asyncio.Event().wait()
        finally:
            self.state["running"] -= 1


def test_background_task_runs_on_one_replica_and_moves_when_it_stops(redis_url: str) -> None:
    async def scenario() -> dict[str, int]:
        state = {"running": 0, "starts": 0, "max": 0}
        clients = [aioredis.Redis.from_url(redis_url) for _ in range(3)]
        runners = [BackgroundRunner(c, [_Counting(state)], lease_seconds=1.5, retry=0.2) for c in clients]
        for runner in runners:
            runner.start()
        await asyncio.sleep(3)  # several lease renewals: still one runner
        assert state == {"running": 1, "starts": 1, "max": 1}
        owner = await clients[0].get(background_lease_key("unit-socket"))
        holder = next(r for r in runners if r.owner.encode() == owner)
        await holder.stop()
        for _ in range(50):
            if state["running"] == 1 and state["starts"] == 2:
                break
            await asyncio.sleep(0.1)
        for runner in runners:
            await runner.stop()
        for client in clients:
            await client.aclose()
        return state

    state = asyncio.run(scenario())
    assert state["starts"] == 2 and state["max"] == 1 and state["running"] == 0
