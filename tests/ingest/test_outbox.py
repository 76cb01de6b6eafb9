"""The outbox sends concurrent steps in one pipeline: each request still gets its own atomic answer."""

from __future__ import annotations

import asyncio

import redis
import redis.asyncio as aioredis

from alertfleet.keys import EVENTS_STREAM
from alertfleet.models import Event
from ingest.outbox import Outbox, Stored


def _event(group: str) -> Event:
    return Event(source="alertmanager", title=group, group_key=group)


async def _store_all(redis_url: str, calls: list[tuple[Event, str, str]], flush_scripts: bool = False) -> list[Stored]:
    client = aioredis.Redis.from_url(redis_url)
    try:
        outbox = Outbox(client, dedup_ttl=3600, problem_window=3600)
        if flush_scripts:
            await client.script_flush()
        return await asyncio.gather(*(outbox.store(*call) for call in calls))
    finally:
        await client.aclose()


def test_concurrent_steps_each_get_their_own_answer(redis_url: str, redis_client: redis.Redis) -> None:
    calls = [(_event(f"g{i}"), f"dedup-{i}", f"problem-{i}") for i in range(20)]
    calls.append((_event("g0"), "dedup-0", "problem-0"))  # a re-send in the same batch as its original
    stored = asyncio.run(_store_all(redis_url, calls))
    assert [s.action for s in stored] == ["investigate"] * 20 + ["duplicate"]
    assert stored[20].investigation_id == stored[0].investigation_id
    assert len({s.investigation_id for s in stored[:20]}) == 20
    assert redis_client.xlen(EVENTS_STREAM) == 20


def test_batch_survives_redis_losing_its_scripts(redis_url: str, redis_client: redis.Redis) -> None:
    calls = [(_event(f"g{i}"), f"dedup-{i}", f"problem-{i}") for i in range(5)]
    stored = asyncio.run(_store_all(redis_url, calls, flush_scripts=True))
    assert [s.action for s in stored] == ["investigate"] * 5
    assert redis_client.xlen(EVENTS_STREAM) == 5


def test_redis_down_fails_every_waiting_step() -> None:
    calls = [(_event(f"g{i}"), f"dedup-{i}", f"problem-{i}") for i in range(3)]

    async def run() -> list[BaseException | Stored]:
        client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
        try:
            outbox = Outbox(client, dedup_ttl=3600, problem_window=3600)
            return await asyncio.gather(*(outbox.store(*call) for call in calls), return_exceptions=True)
        finally:
            await client.aclose()

    results = asyncio.run(run())
    assert all(isinstance(r, redis.ConnectionError | OSError) for r in results), results
