"""A worker killed between taking a task message and leasing it: the sweep finds the work and re-drives it once.

The two windows no lease covers are made true by hand, deterministically: with no worker running,
the dispatched message of one investigation is popped from its queue (a BRPOP whose worker died
before kombu recorded the reservation: the message is gone) and another's is moved into kombu's
reservations (recorded, but its worker died before leasing it). Then a worker starts: its sweep
must re-drive both, each ending `completed` with exactly one Slack message.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import httpx
import pytest
import redis

from alertfleet.keys import BROKER_UNACKED, BROKER_UNACKED_INDEX
from alertfleet.queue import QUEUE_INVESTIGATE
from alertfleet.state import InvestigationStore
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

LEASE_SECONDS = 2  # the sweep's grace is two lease periods


def _redriven(metrics: str, reason: str) -> float:
    found = re.search(rf'^alertfleet_redriven_total{{reason="{reason}"}} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


def _investigation_of(raw: bytes) -> str:
    """The investigation a queued `investigate` message is for (protocol 2: base64 JSON [args, kwargs, embed])."""
    import base64

    payload = json.loads(raw)
    return str(json.loads(base64.b64decode(payload["body"]))[0][0])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_messages_lost_before_any_lease_are_redriven_once(
    fleet_factory: FleetFactory,
    redis_url: str,
    redis_client: redis.Redis,
    slack_stub: SlackStub,
    model_stub: ModelStub,
) -> None:
    fleet_factory.configure(redis_url, slack_stub, model_stub, ALERTFLEET_LEASE_SECONDS=str(LEASE_SECONDS))
    fleet_factory.ingest()
    for name in ("LostInPop", "LostInReservation"):
        assert fleet_factory.post(webhook(name)).status_code == 202
    assert wait_for(lambda: redis_client.llen(QUEUE_INVESTIGATE) == 2, 60), fleet_factory.logs()

    store = InvestigationStore(redis_client)
    popped: Any = redis_client.rpop(QUEUE_INVESTIGATE)  # BRPOP, then kill -9: the message is nowhere now
    lost = _investigation_of(popped)
    raw: Any = redis_client.rpop(QUEUE_INVESTIGATE)  # BRPOP, reservation recorded, then kill -9 before the lease
    payload = json.loads(raw)
    tag = payload["properties"]["delivery_tag"]
    redis_client.hset(BROKER_UNACKED, tag, json.dumps([payload, QUEUE_INVESTIGATE, QUEUE_INVESTIGATE]))
    redis_client.zadd(BROKER_UNACKED_INDEX, {tag: time.time()})
    stranded = _investigation_of(raw)
    assert {lost, stranded} == {i.id for i in map(store.load, (lost, stranded)) if i and i.status == "queued"}
    assert redis_client.llen(QUEUE_INVESTIGATE) == 0

    fleet_factory.worker("w0")

    def finished() -> bool:
        return all((i := store.load(inv)) is not None and i.status == "completed" for inv in (lost, stranded))

    assert wait_for(finished, 180, 0.5), fleet_factory.logs()
    assert wait_for(lambda: slack_stub.post_count() >= 2, 60), fleet_factory.logs()
    time.sleep(4 * LEASE_SECONDS)  # a few more sweeps: nothing is re-driven twice, nothing posted twice
    titles = sorted(m["text"].split("*Alert:* ")[1].split("\n")[0] for m in slack_stub.messages_in("#alerts"))
    assert titles == ["LostInPop", "LostInReservation"]
    assert slack_stub.post_count() == 2
    assert redis_client.hlen(BROKER_UNACKED) == 0, "the stranded reservation was put back, not copied"
    metrics = httpx.get(f"{fleet_factory.ingest_url}/metrics", timeout=10).text
    assert _redriven(metrics, "lost_message") == 1.0
    assert _redriven(metrics, "stranded_reservation") == 1.0
