"""The events stream is trimmed to what every consumer group still needs, and stores no event twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import redis

from alertfleet.keys import DISPATCH_GROUP, EVENTS_STREAM
from alertfleet.queue import QUEUE_INVESTIGATE
from tests.conftest import INGEST_TOKEN, fleet_env
from tests.harness.alerts import webhook
from tests.harness.processes import start_ingest, wait_for
from tests.stubs.slack import SlackStub

AUTH = {"Authorization": f"Bearer {INGEST_TOKEN}"}


def _dispatched(client: redis.Redis, count: int) -> bool:
    """Every entry turned into a task (no worker runs: they wait in Celery's queue) and acknowledged."""
    groups: Any = client.xinfo_groups(EVENTS_STREAM) if client.exists(EVENTS_STREAM) else []
    ours = [g for g in groups if g["name"].decode() == DISPATCH_GROUP]
    return bool(ours) and int(ours[0]["pending"]) == 0 and int(client.llen(QUEUE_INVESTIGATE)) >= count


def test_trim_keeps_what_another_group_has_not_acknowledged(
    redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub, tmp_path: Path
) -> None:
    redis_client.xgroup_create(EVENTS_STREAM, "audit", id="0", mkstream=True)
    ingest, url = start_ingest(fleet_env(redis_url, slack_stub, None, ALERTFLEET_INGEST_TOKEN=INGEST_TOKEN), tmp_path)
    try:

        def post(name: str) -> None:
            response = httpx.post(f"{url}/api/webhooks/alertmanager", json=webhook(name), headers=AUTH, timeout=10)
            assert response.status_code == 202

        for index in range(5):
            post(f"Trim{index}")
        assert wait_for(lambda: _dispatched(redis_client, 5), 30), ingest.output()
        assert redis_client.xlen(EVENTS_STREAM) == 5  # the audit group has read none of them
        entries: Any = redis_client.xreadgroup("audit", "a1", {EVENTS_STREAM: ">"}, count=5)
        ids = [entry_id for entry_id, _fields in entries[0][1]]
        assert all(b"event" not in fields for _id, fields in entries[0][1])  # the record holds the event
        redis_client.xack(EVENTS_STREAM, "audit", *ids[:3])

        post("Trim5")
        assert wait_for(lambda: _dispatched(redis_client, 6), 30), ingest.output()
        assert wait_for(lambda: redis_client.xlen(EVENTS_STREAM) == 3, 10)  # 2 pending for audit + 1 unread
        assert [entry_id for entry_id, _ in redis_client.xrange(EVENTS_STREAM)][:2] == ids[3:]

        redis_client.xack(EVENTS_STREAM, "audit", *ids[3:])
        redis_client.xgroup_destroy(EVENTS_STREAM, "audit")
        post("Trim6")
        assert wait_for(lambda: _dispatched(redis_client, 7), 30), ingest.output()
        assert wait_for(lambda: redis_client.xlen(EVENTS_STREAM) == 0, 10)
    finally:
        ingest.stop()
