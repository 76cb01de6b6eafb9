"""Socket Mode: with SLACK_APP_TOKEN the fleet opens Slack's socket (apps.connections.open, then the
websocket) and the same deliveries take the same path; one socket across ingest replicas."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import INGEST_TOKEN, Fleet, fleet_env, running_fleet
from tests.harness.processes import start_ingest, wait_for
from tests.slack_app.conftest import APP_TOKEN, followup_requests, post_alert
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.slack_socket import block_actions, event_callback, mention


@pytest.fixture
def socket_fleet(redis_url: str, socket_slack: SlackStub, model_stub: ModelStub, tmp_path: Path) -> Iterator[Fleet]:
    env = fleet_env(
        redis_url, socket_slack, model_stub, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN, SLACK_APP_TOKEN=APP_TOKEN
    )
    with running_fleet(env, tmp_path) as running:
        yield running


def _socket(slack: SlackStub):  # type: ignore[no-untyped-def]
    assert slack.socket is not None
    return slack.socket


def test_a_mention_over_the_socket_is_acked_and_answered_in_the_thread(
    socket_fleet: Fleet, socket_slack: SlackStub, model_stub: ModelStub
) -> None:
    socket = _socket(socket_slack)
    assert wait_for(lambda: socket.open_count() == 1, 30), socket_fleet.logs()
    posted = post_alert(socket_fleet, socket_slack, "OverTheSocket")

    envelope = socket.send("events_api", event_callback(mention(posted.channel, posted.ts, "what changed at 10:02?")))
    assert wait_for(lambda: socket.acked(envelope), 30), socket_fleet.logs()
    assert wait_for(lambda: len(socket_slack.thread_replies(posted.ts)) == 1, 60), socket_fleet.logs()
    asked = followup_requests(model_stub, "what changed at 10:02?")
    assert asked and "OverTheSocket" in str(asked[0]["messages"][0]["content"])

    # A redelivered envelope (Slack's retry, same event_id) is acked but not answered again.
    payload = event_callback(mention(posted.channel, posted.ts, "again?"), event_id="EvSOCKET0001")
    first, retry = socket.send("events_api", payload), socket.send("events_api", payload, retry_attempt=1)
    assert wait_for(lambda: socket.acked(first) and socket.acked(retry), 30)
    assert wait_for(lambda: len(socket_slack.thread_replies(posted.ts)) == 2, 60), socket_fleet.logs()
    assert not wait_for(lambda: len(socket_slack.thread_replies(posted.ts)) > 2, 4)

    # The buttons arrive over the socket too.
    click = socket.send(
        "interactive", block_actions("alertfleet_helpful", posted.investigation_id, posted.channel, posted.ts)
    )
    assert wait_for(lambda: socket.acked(click), 30)
    # Slack closes the socket: the fleet reconnects, and deliveries flow again.
    socket.drop()
    assert wait_for(lambda: socket.connections == 2 and socket.open_count() == 1, 60), socket_fleet.logs()
    after = socket.send("events_api", event_callback(mention(posted.channel, posted.ts, "still there?")))
    assert wait_for(lambda: socket.acked(after), 30), socket_fleet.logs()
    assert wait_for(lambda: len(socket_slack.thread_replies(posted.ts)) == 3, 60), socket_fleet.logs()
    assert socket_slack.violations == []
    assert APP_TOKEN not in socket_fleet.logs() and "socket_mode_connected" in socket_fleet.logs()


def test_two_ingest_replicas_hold_one_socket_and_the_other_takes_over(
    socket_fleet: Fleet, socket_slack: SlackStub, tmp_path: Path
) -> None:
    socket = _socket(socket_slack)
    assert wait_for(lambda: socket.open_count() == 1, 30), socket_fleet.logs()
    (tmp_path / "second").mkdir()
    second, _url = start_ingest(socket_fleet.env, tmp_path / "second")
    try:
        # Give the second replica several lease rounds to (wrongly) open its own socket.
        assert not wait_for(lambda: socket.connections > 1 or socket.open_count() > 1, 8), second.output()
        assert socket_slack.connection_opens() == 1
        socket_fleet.ingest.stop()
        assert wait_for(lambda: socket.connections == 2 and socket.open_count() == 1, 60), second.output()
    finally:
        second.stop()
