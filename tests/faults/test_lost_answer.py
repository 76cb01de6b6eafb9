"""A worker killed after Slack stored its message but before the answer arrived: no second post."""

from __future__ import annotations

import pytest

from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.slack import SlackStub


@pytest.mark.slow
def test_redriven_write_finds_the_message_instead_of_posting_again(
    fleet_factory: FleetFactory, redis_url: str, slack_stub: SlackStub
) -> None:
    fleet_factory.configure(redis_url, slack_stub, None)
    fleet_factory.ingest()
    victim = fleet_factory.worker("victim")
    slack_stub.post_answer_delay = 30.0  # Slack has the message; the worker never hears back

    assert fleet_factory.post(webhook("LostAnswer")).status_code == 202
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), fleet_factory.logs()
    victim.kill()
    slack_stub.post_answer_delay = 0.0
    fleet_factory.worker("rescuer")

    # The lease lapses, the rescuer re-drives the write, finds the message by its metadata and updates it.
    assert wait_for(lambda: slack_stub.update_count() >= 1, 60, 0.2), fleet_factory.logs()
    assert slack_stub.post_count() == 1
    assert len(slack_stub.messages_in("#alerts")) == 1
    history = [r for r in slack_stub.requests if r.path == "/api/conversations.history"]
    assert history, "the rescuer looked the message up"
