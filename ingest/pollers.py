"""Pull sources (each integration's `pollers()`) run inside ingest, once across all replicas.

Each poller runs under a Redis lock with expiry, so N ingest replicas poll once; its cursor lives in
Redis, so a restart resumes where the last poll stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Sequence
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
import structlog

from alertfleet.integration import Poller
from alertfleet.keys import poller_cursor_key, poller_lease_key, poller_lock_key
from ingest.intake import Intake

log = structlog.get_logger("pollers")


class PollCursor:
    """A poller's position, persisted in Redis (alertfleet.integration.Cursor)."""

    def __init__(self, client: aioredis.Redis, name: str) -> None:
        self._client = cast(Any, client)
        self._key = poller_cursor_key(name)

    async def get(self) -> str | None:
        raw = await self._client.get(self._key)
        return raw.decode() if isinstance(raw, bytes) else raw

    async def set(self, value: str) -> None:
        await self._client.set(self._key, value)


class PollerRunner:
    """Runs each poller on its interval while holding that poller's lock."""

    def __init__(self, client: aioredis.Redis, intake: Intake, pollers: Sequence[Poller]) -> None:
        self.client = client
        self.intake = intake
        self.pollers = list(pollers)
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(poller), name=f"poll-{poller.name}") for poller in self.pollers]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _loop(self, poller: Poller) -> None:
        while True:
            try:
                await self.run_once(poller)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a vendor outage or bug must not kill the loop
                log.warning("poll_failed", poller=poller.name, error=f"{type(exc).__name__}: {str(exc)[:200]}")
            await asyncio.sleep(poller.interval)

    async def run_once(self, poller: Poller) -> int | None:
        """One poll if this replica wins this interval's lease; None when another replica has it.

        The lease (SET NX EX interval) makes the fleet poll once per interval, not once per replica;
        the lock keeps a poll that outlives its interval from overlapping the next one.
        """
        client = cast(Any, self.client)
        lease = poller_lease_key(poller.name)
        lock = self.client.lock(poller_lock_key(poller.name), timeout=max(60.0, poller.interval * 5))
        try:
            if not await client.set(lease, self.owner, nx=True, ex=max(1, int(poller.interval * 0.9))):
                return None
            if not await lock.acquire(blocking=False):
                return None
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            log.warning("poll_lock_unavailable", poller=poller.name)
            return None
        try:
            stored = await poller.poll_once(self.intake, PollCursor(self.client, poller.name))
            if stored:
                log.info("polled", poller=poller.name, stored=stored)
            return stored
        finally:
            with contextlib.suppress(redis.exceptions.LockError):
                await lock.release()  # expired while polling: the next poll takes it again
