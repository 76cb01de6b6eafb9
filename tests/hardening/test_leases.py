"""Leases against a real Redis and Celery's real Redis transport layout (no worker: the keepers are driven here).

A lapsed lease must put back the very message the dead worker reserved (not leave it stranded in
kombu's reservations until the visibility timeout), and a process must stop renewing a lease that
now belongs to a retry another worker took — or that worker's death would never be noticed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery

from alertfleet.keys import BROKER_UNACKED, BROKER_UNACKED_INDEX, LEASE_DEADLINES, LEASES
from alertfleet.queue import QUEUE_INVESTIGATE, TASK_INVESTIGATE, TASK_WRITE, make_celery, write_queue
from alertfleet.settings import FleetSettings
from tests.faults.conftest import FleetFactory
from tests.harness.alerts import webhook
from tests.harness.processes import wait_for
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from workers.leases import LeaseKeeper

LEASE_SECONDS = 1.0


@pytest.fixture
def celery(redis_url: str) -> Celery:
    return make_celery(FleetSettings(REDIS_URL=redis_url))  # type: ignore[call-arg]


@pytest.fixture
def keepers(redis_client: redis.Redis, celery: Celery) -> Iterator[list[LeaseKeeper]]:
    made: list[LeaseKeeper] = []
    yield made
    for keeper in made:
        keeper.stop()


def _keeper(keepers: list[LeaseKeeper], client: redis.Redis, celery: Celery) -> LeaseKeeper:
    keeper = LeaseKeeper(client, celery, LEASE_SECONDS)
    keepers.append(keeper)
    return keeper


def _reserve(client: redis.Redis, queue: str) -> dict[str, Any]:
    """What a worker's BRPOP and kombu's QoS.append do: pop the message, record it as reserved."""
    raw: Any = client.rpop(queue)
    payload: dict[str, Any] = json.loads(raw)
    tag = payload["properties"]["delivery_tag"]
    client.hset(BROKER_UNACKED, tag, json.dumps([payload, queue, queue]))
    client.zadd(BROKER_UNACKED_INDEX, {tag: time.time()})
    return payload


def _queued(client: redis.Redis, queue: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in client.lrange(queue, 0, -1)]


def test_a_lapsed_lease_puts_back_the_reserved_message_itself(
    redis_client: redis.Redis, celery: Celery, keepers: list[LeaseKeeper]
) -> None:
    celery.send_task(TASK_INVESTIGATE, args=["inv-1"], queue=QUEUE_INVESTIGATE, task_id="t-1", retries=2)
    reserved = _reserve(redis_client, QUEUE_INVESTIGATE)
    tag = reserved["properties"]["delivery_tag"]
    victim = _keeper(keepers, redis_client, celery)
    victim.hold("t-1", TASK_INVESTIGATE, ["inv-1"], {}, QUEUE_INVESTIGATE, tag, retries=2)
    lease = json.loads(redis_client.hget(LEASES, "t-1") or "{}")
    assert (lease["delivery"], lease["retries"]) == (tag, 2)  # enough to find the message and to re-send it
    victim.stop()  # kill -9: nothing renews its lease any more

    _keeper(keepers, redis_client, celery).start_reaper()  # another worker's reaper
    assert wait_for(lambda: redis_client.llen(QUEUE_INVESTIGATE) == 1, 20)
    [back] = _queued(redis_client, QUEUE_INVESTIGATE)
    assert back["properties"]["delivery_tag"] == tag, "the reserved message itself, not a copy"
    assert (back["headers"]["id"], back["headers"]["retries"], back["headers"]["redelivered"]) == ("t-1", 2, True)
    assert redis_client.hlen(BROKER_UNACKED) == 0 and redis_client.zcard(BROKER_UNACKED_INDEX) == 0
    assert redis_client.hlen(LEASES) == 0


def test_a_lease_no_longer_reserved_is_sent_again_with_its_retry_count(
    redis_client: redis.Redis, celery: Celery, keepers: list[LeaseKeeper]
) -> None:
    victim = _keeper(keepers, redis_client, celery)
    victim.hold("t-2", TASK_WRITE, ["inv-2", "slack", "#alerts"], {"failures": 1}, write_queue("slack"), "gone", 3)
    victim.stop()
    _keeper(keepers, redis_client, celery).start_reaper()
    assert wait_for(lambda: redis_client.llen(write_queue("slack")) == 1, 20)
    [sent] = _queued(redis_client, write_queue("slack"))
    assert (sent["headers"]["id"], sent["headers"]["task"], sent["headers"]["retries"]) == ("t-2", TASK_WRITE, 3)


def test_a_retry_taken_by_a_worker_that_died_is_not_kept_alive_by_the_first_delivery(
    redis_client: redis.Redis, celery: Celery, keepers: list[LeaseKeeper]
) -> None:
    first = _keeper(keepers, redis_client, celery)
    first.hold("t-3", TASK_WRITE, ["inv-3", "slack", "#alerts"], {}, write_queue("slack"), "delivery-1")
    # The task retried: its new message (same id) was received by another worker, which leased it and died.
    other = _keeper(keepers, redis_client, celery)
    other.hold("t-3", TASK_WRITE, ["inv-3", "slack", "#alerts"], {}, write_queue("slack"), "delivery-2", 1)
    other.stop()
    first.release("t-3", "delivery-1")  # the first delivery ends; the lease is the retry's
    assert json.loads(redis_client.hget(LEASES, "t-3") or "{}")["delivery"] == "delivery-2"

    # The first process's own heartbeat must let the retry's lease lapse, and its reaper re-drives it.
    assert wait_for(lambda: redis_client.llen(write_queue("slack")) == 1, 20), "the dead retry's lease is renewed"
    [sent] = _queued(redis_client, write_queue("slack"))
    assert (sent["headers"]["id"], sent["headers"]["retries"]) == ("t-3", 1)


def test_a_retry_this_process_took_itself_stays_leased(
    redis_client: redis.Redis, celery: Celery, keepers: list[LeaseKeeper]
) -> None:
    keeper = _keeper(keepers, redis_client, celery)
    keeper.hold("t-4", TASK_WRITE, ["inv-4", "slack", "#alerts"], {}, write_queue("slack"), "delivery-1")
    keeper.hold("t-4", TASK_WRITE, ["inv-4", "slack", "#alerts"], {}, write_queue("slack"), "delivery-2", 1)
    keeper.release("t-4", "delivery-1")
    deadline = float(redis_client.zscore(LEASE_DEADLINES, "t-4") or 0)
    assert wait_for(lambda: float(redis_client.zscore(LEASE_DEADLINES, "t-4") or 0) > deadline + LEASE_SECONDS, 20)
    assert redis_client.llen(write_queue("slack")) == 0, "a lease that is renewed is never re-driven"
    keeper.release("t-4", "delivery-2")
    assert redis_client.hlen(LEASES) == 0


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_real_worker_leases_its_task_under_the_delivery_tag_of_the_message_it_reserved(
    fleet_factory: FleetFactory, redis_url: str, redis_client: redis.Redis, slack_stub: SlackStub
) -> None:
    """Celery's delivery_info carries no delivery tag: the lease must take it from the message properties."""
    with ModelStub(api_key="sk-test", delay_seconds=2.0) as slow_model:  # the investigation runs a while
        fleet_factory.configure(redis_url, slack_stub, slow_model)
        fleet_factory.ingest()
        fleet_factory.worker("w0")
        assert fleet_factory.post(webhook("Tagged")).status_code == 202
        seen: list[tuple[str, set[str]]] = []

        def leased_under_its_tag() -> bool:
            reservations = {tag.decode() for tag in redis_client.hkeys(BROKER_UNACKED)}
            for raw in redis_client.hvals(LEASES):
                lease = json.loads(raw)
                if lease["name"] == TASK_INVESTIGATE:
                    seen.append((lease["delivery"], reservations))
                    return bool(lease["delivery"]) and lease["delivery"] in reservations
            return False

        assert wait_for(leased_under_its_tag, 120, 0.05), (seen[-3:], fleet_factory.logs())
        assert wait_for(lambda: slack_stub.post_count() == 1, 120), fleet_factory.logs()
        assert wait_for(lambda: redis_client.hlen(LEASES) == 0, 30), "the finished task released its lease"
