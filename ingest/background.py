"""Integrations' long-lived tasks (`Integration.background()`), each on exactly one ingest replica.

A replica runs a task only while it holds the task's Redis lease (SET NX PX, renewed at a third of its
life by compare-and-set). A replica that cannot renew (Redis away, or another took it after a pause)
cancels its task at once, so two replicas never run it together for longer than one renewal step; a
task that ends or fails is started again after a short pause, by whichever replica wins the lease.
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

from alertfleet.integration import Background
from alertfleet.keys import background_lease_key

log = structlog.get_logger("background")

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
# Renew only our own lease; give it up only when it is ours.
_RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class BackgroundRunner:
    def __init__(
        self, client: aioredis.Redis, tasks: Sequence[Background], lease_seconds: float = 15.0, retry: float = 2.0
    ) -> None:
        self.client = cast(Any, client)
        self.tasks = list(tasks)
        self.lease_ms = int(lease_seconds * 1000)
        self.retry = retry
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._loops: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._loop(task), name=f"background-{task.name}") for task in self.tasks]

    async def stop(self) -> None:
        for loop in self._loops:
            loop.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)

    async def _acquire(self, key: str) -> bool:
        try:
            return bool(await self.client.set(key, self.owner, nx=True, px=self.lease_ms))
        except REDIS_ERRORS:
            return False

    async def _renew(self, key: str) -> bool:
        try:
            return bool(await self.client.eval(_RENEW, 1, key, self.owner, self.lease_ms))
        except REDIS_ERRORS:
            return False

    async def _loop(self, task: Background) -> None:
        key = background_lease_key(task.name)
        while True:
            if await self._acquire(key):
                try:
                    await self._hold(task, key)
                finally:
                    with contextlib.suppress(*REDIS_ERRORS):
                        await asyncio.shield(self.client.eval(_RELEASE, 1, key, self.owner))
            await asyncio.sleep(self.retry)

    async def _hold(self, task: Background, key: str) -> None:
        """Run `task` while the lease stays ours."""
        log.info("background_started", task=task.name)
        running = asyncio.create_task(task.run(), name=f"run-{task.name}")
        try:
            while not running.done():
                await asyncio.wait({running}, timeout=self.lease_ms / 3000)
                if not running.done() and not await self._renew(key):
                    log.warning("background_lease_lost", task=task.name)
                    break
        finally:
            if not running.done():
                running.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await running
        if running.done() and not running.cancelled() and running.exception() is not None:
            error = running.exception()
            log.warning("background_failed", task=task.name, error=f"{type(error).__name__}: {str(error)[:200]}")
        log.info("background_stopped", task=task.name)
