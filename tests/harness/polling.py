"""One poll of a poller against a real Redis, through ingest's own intake and cursor."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from alertfleet.integration import Poller
from ingest.intake import Intake
from ingest.outbox import Outbox
from ingest.pollers import PollCursor


def poll_once(redis_url: str, poller: Poller) -> int:
    """Store what `poller` finds now (as ingest would, without the lease); how many events were new."""

    async def main() -> int:
        client = aioredis.Redis.from_url(redis_url)
        try:
            intake = Intake(Outbox(client, dedup_ttl=3600, problem_window=3600))
            return await poller.poll_once(intake, PollCursor(client, poller.name))
        finally:
            await client.aclose()

    return asyncio.run(main())
