"""Slack answering 429 + Retry-After for a while: nothing lost, nothing early, updates in order."""

from __future__ import annotations

import redis

from alertfleet.keys import INVESTIGATION_KEY_PREFIX
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

GROUPS = 6


def test_retry_after_is_honoured_for_every_worker(
    fleet_factory: FleetFactory, redis_url: str, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    fleet_factory.configure(redis_url, slack_stub, model_stub, ALERTFLEET_RATE_LIMITS="slack=20/second")
    fleet_factory.ingest()
    fleet_factory.worker("w1")
    fleet_factory.worker("w2")
    slack_stub.rate_limit(retry_after=2, for_seconds=5, from_first_request=True)  # 429s whenever the first write comes

    for group in range(GROUPS):
        assert fleet_factory.post(webhook(f"Storm{group}", instances=2)).status_code == 202
    # A resolution that arrives before its investigation starts skips it (issue 13: nothing is posted), so
    # the firing investigations are made to have finished first: every group then has a message to update.
    client = redis.Redis.from_url(redis_url)

    def all_investigated() -> bool:
        keys = [key for key in client.scan_iter(INVESTIGATION_KEY_PREFIX + "*", count=1000) if client.type(key) == b"hash"]
        statuses = [client.hget(key, "status") for key in keys]
        return statuses.count(b"completed") >= GROUPS

    assert wait_for(all_investigated, 120), fleet_factory.logs()
    for group in range(GROUPS):
        assert fleet_factory.post(webhook(f"Storm{group}", instances=2, status="resolved")).status_code == 202

    def all_resolved() -> bool:
        messages = slack_stub.messages_in("#alerts")
        return len(messages) == GROUPS and all("Resolved" in m["text"] for m in messages)

    assert wait_for(all_resolved, 90), fleet_factory.logs()
    assert slack_stub.post_count() == GROUPS, "no message lost, none posted twice"
    limited = [r for r in slack_stub.requests if r.path.startswith("/api/chat.")]
    assert len(limited) > slack_stub.post_count() + slack_stub.update_count(), "the stub did answer 429s"
    assert slack_stub.early_retries == [], "no request before the announced retry time"
    for message in slack_stub.messages_in("#alerts"):
        versions = [("Resolved" in version["text"]) for version in message["history"]]
        assert versions == sorted(versions), f"resolution never precedes firing: {versions}"
    assert slack_stub.violations == []
