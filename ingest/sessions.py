"""Ingest's side of API sessions: store the request, hand it to the fleet, follow its event stream.

The request is in Redis (with ALERTFLEET_SESSION_TTL) before the task is sent, so a session id the
client holds always names something; the worker's events are read with a blocking XREAD, in order,
from wherever the client left off (SSE `Last-Event-ID`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from celery import Celery

from alertfleet.keys import SESSION_METRICS, session_events_key, session_redis_key
from alertfleet.queue import QUEUE_CHAT, TASK_CHAT, make_celery
from alertfleet.sessions import TERMINAL_EVENTS, Session, SessionKind, parse_session, session_fields, state_fields
from alertfleet.settings import Settings
from ingest.problems import unavailable

log = structlog.get_logger("ingest")

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
BLOCK_MS = 2_000  # below the client's socket timeout (5 s): a quiet stream is not a dead Redis


@dataclass(frozen=True)
class StreamEvent:
    id: str
    name: str
    data: dict[str, Any]


class SessionTimeout(Exception):
    """The fleet had not finished within ALERTFLEET_API_WAIT; the session goes on."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class SessionGateway:
    def __init__(self, client: aioredis.Redis, settings: Settings, celery: Celery | None = None) -> None:
        self.client = cast(Any, client)
        self.settings = settings
        self.celery = celery or make_celery(settings)

    async def submit(
        self, kind: SessionKind, request: dict[str, Any], model: str | None, model_name: str | None
    ) -> Session:
        """Store the session, then enqueue it on `chat`; 503 when either cannot be done."""
        session = Session(id=str(uuid.uuid4()), kind=kind, request=request, model=model, model_name=model_name)
        key = session_redis_key(session.id)
        try:
            pipe = self.client.pipeline()
            pipe.hset(key, mapping=session_fields(session))
            pipe.expire(key, self.settings.session_ttl)
            pipe.hincrby(SESSION_METRICS, "pending", 1)
            await pipe.execute()
        except REDIS_ERRORS:
            raise unavailable("the session store is unreachable; retry later") from None
        try:
            await asyncio.to_thread(
                self.celery.send_task,
                TASK_CHAT,
                args=[session.id],
                queue=QUEUE_CHAT,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception as exc:  # kombu's connection errors vary by transport
            log.warning("session_enqueue_failed", session_id=session.id, error=type(exc).__name__)
            await self._mark_unsent(session)
            raise unavailable("the fleet's queue cannot take work right now; retry later") from None
        return session

    async def _mark_unsent(self, session: Session) -> None:
        error = {"description": "not enqueued", "error_code": 1, "msg": "not enqueued", "success": False}
        with contextlib.suppress(*REDIS_ERRORS):  # nothing stored to correct; the client was told 503
            await self.client.hset(
                session_redis_key(session.id), mapping=state_fields("failed", "not enqueued", error=error)
            )

    async def load(self, session_id: str) -> Session | None:
        try:
            raw = await self.client.hgetall(session_redis_key(session_id))
        except REDIS_ERRORS:
            raise unavailable("the session store is unreachable; retry later") from None
        return parse_session(raw) if raw else None

    async def follow(
        self, session_id: str, after: str = "0-0", wait: float | None = None
    ) -> AsyncIterator[StreamEvent]:
        """The session's events after `after`, as they come, up to its terminal event.
        Raises SessionTimeout when `wait` (default ALERTFLEET_API_WAIT) runs out first."""
        deadline = time.monotonic() + (self.settings.api_wait if wait is None else wait)
        key = session_events_key(session_id)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SessionTimeout(session_id)
            try:
                reply = await self.client.xread(
                    {key: after}, block=max(1, int(min(BLOCK_MS, remaining * 1000))), count=100
                )
            except REDIS_ERRORS:
                raise unavailable("the session store is unreachable; retry later") from None
            for _stream, entries in reply or []:
                for entry_id, fields in entries:
                    after = _text(entry_id)
                    values = {_text(k): _text(v) for k, v in fields.items()}
                    event = StreamEvent(after, values.get("event", "message"), json.loads(values.get("data", "{}")))
                    yield event
                    if event.name in TERMINAL_EVENTS:
                        return

    async def wait(self, session_id: str) -> Session:
        """The session once the fleet finished it (SessionTimeout past ALERTFLEET_API_WAIT)."""
        async for _event in self.follow(session_id):
            pass
        session = await self.load(session_id)
        if session is None:  # expired between the last event and now: treat as not finished in time
            raise SessionTimeout(session_id)
        return session
