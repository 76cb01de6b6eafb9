"""SLACK_FOLLOWUPS=all: any message in a thread alertfleet started is a question; a mention, which
Slack delivers twice (`app_mention` and `message`), is still answered once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import INGEST_TOKEN, Fleet, fleet_env, running_fleet
from tests.harness.processes import wait_for
from tests.slack_app.conftest import SIGNING_SECRET, followup_requests, post_alert, send_event
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.slack_socket import mention


@pytest.fixture
def all_fleet(redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, tmp_path: Path) -> Iterator[Fleet]:
    env = fleet_env(
        redis_url,
        slack_stub,
        model_stub,
        ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_FOLLOWUPS="all",
    )
    with running_fleet(env, tmp_path) as running:
        yield running


def test_any_message_in_our_thread_is_answered_and_a_double_delivered_mention_once(
    all_fleet: Fleet, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    posted = post_alert(all_fleet, slack_stub, "EveryMessage")
    plain = {**mention(posted.channel, posted.ts, "no mention here"), "type": "message", "text": "no mention here"}
    assert send_event(all_fleet, plain).json()["stored"] is True
    assert wait_for(lambda: len(slack_stub.thread_replies(posted.ts)) == 1, 60), all_fleet.logs()
    assert followup_requests(model_stub, "no mention here")

    both = mention(posted.channel, posted.ts, "asked with a mention")
    send_event(all_fleet, both)
    send_event(all_fleet, {**both, "type": "message"})  # the same message (same ts) as a message event
    assert wait_for(lambda: len(slack_stub.thread_replies(posted.ts)) == 2, 60), all_fleet.logs()
    assert not wait_for(lambda: len(slack_stub.thread_replies(posted.ts)) > 2, 4)
