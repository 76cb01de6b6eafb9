"""Dead letters are bounded by count and age; the oldest go first and are counted on /metrics as they go."""

from __future__ import annotations

import re

import httpx
import redis

from alertfleet.keys import DLQ_DROPPED
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.slack import SlackStub
from workers.dlq import DeadLetter, DeadLetters


def _dropped(metrics: str, reason: str) -> float:
    found = re.search(rf'^alertfleet_dead_letters_dropped_total{{reason="{reason}"}} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else -1.0


def test_over_max_entries_the_oldest_are_dropped_and_counted(
    fleet_factory: FleetFactory, redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub
) -> None:
    fleet_factory.configure(redis_url, slack_stub, None, SLACK_CHANNEL="#missing", ALERTFLEET_DLQ_MAX_ENTRIES="2")
    fleet_factory.ingest()
    fleet_factory.worker("w1")
    letters = DeadLetters(redis_client, max_entries=1000, max_age=86400)  # reads only

    def seen() -> int:
        return int(redis_client.hget(DLQ_DROPPED, "count") or 0) + letters.count()  # type: ignore[arg-type]

    for index in range(4):
        assert fleet_factory.post(webhook(f"Lost{index}")).status_code == 202
        # one at a time, so that "oldest" is well defined
        assert wait_for(lambda expected=index + 1: seen() == expected, 30), fleet_factory.logs()
    assert letters.count() == 2
    metrics = httpx.get(f"{fleet_factory.ingest_url}/metrics", timeout=5).text
    assert _dropped(metrics, "count") == 2.0 and _dropped(metrics, "age") == 0.0
    assert "alertfleet_dead_letters 2.0" in metrics
    kept = sorted(letter.args[0] for letter in letters.list())
    newest = sorted(key.decode().rsplit(":", 1)[1] for key in redis_client.scan_iter("af:inv:*"))
    assert len(newest) == 4 and set(kept) <= set(newest)
    titles = {redis_client.hget(f"af:inv:{i}", "event").decode().split('"title":"')[1].split('"')[0] for i in kept}  # type: ignore[union-attr]
    assert titles == {"Lost2", "Lost3"}


def test_older_than_max_age_is_dropped_and_counted(redis_client: redis.Redis) -> None:
    letters = DeadLetters(redis_client, max_entries=100, max_age=1)
    letters.add(DeadLetter(task="alertfleet.write", args=["inv-1"], reason="slack: invalid_auth", attempts=1, queue=""))
    assert letters.count() == 1
    assert wait_for(lambda: letters.trim() == 0, 10)
    assert int(redis_client.hget(DLQ_DROPPED, "age") or 0) == 1
    assert letters.list() == []
