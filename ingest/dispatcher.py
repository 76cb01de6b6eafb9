"""Outbox dispatcher: stream entries -> Celery tasks, acknowledged only after the task is enqueued.

A consumer group lets every ingest replica run one; entries held by a dead dispatcher are reclaimed
with XAUTOCLAIM. Sending the same task twice is safe: the tasks are idempotent.
"""

from __future__ import annotations

import os
import socket
import threading
from typing import Any, cast

import redis
import structlog

from alertfleet.keys import DISPATCH_GROUP, EVENTS_STREAM
from alertfleet.queue import TASK_ATTACH, TASK_INVESTIGATE, TASK_RESOLVE, make_celery
from alertfleet.settings import FleetSettings
from ingest import metrics

log = structlog.get_logger("dispatcher")

TASK_FOR_ACTION = {"investigate": TASK_INVESTIGATE, "attach": TASK_ATTACH, "resolve": TASK_RESOLVE}
RECLAIM_IDLE_MS = 30_000
BATCH = 100


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _next_id(entry_id: str) -> str:
    millis, _, sequence = entry_id.partition("-")
    return f"{millis}-{int(sequence or 0) + 1}"


def _id_order(entry_id: str) -> tuple[int, int]:
    millis, _, sequence = entry_id.partition("-")
    return int(millis), int(sequence or 0)


def trim_acknowledged(client: redis.Redis) -> int:
    """XTRIM MINID: drop the entries every consumer group has read and acknowledged, keep the pending ones.

    Each group's floor is its oldest pending entry, or the one after its last delivered; the last
    delivered id is read first, so an entry delivered meanwhile (pending, newer) is never below it.
    """
    redis_any = cast(Any, client)
    floors = []
    for group in redis_any.xinfo_groups(EVENTS_STREAM):
        floor = _next_id(_text(group["last-delivered-id"]))
        pending = redis_any.xpending(EVENTS_STREAM, group["name"])
        if pending and pending.get("pending"):
            floor = min(floor, _text(pending["min"]), key=_id_order)
        floors.append(floor)
    if not floors:
        return 0
    return int(redis_any.xtrim(EVENTS_STREAM, minid=min(floors, key=_id_order), approximate=False))


class Dispatcher:
    """Runs a consumer loop in a thread of the dispatcher child process (ingest/dispatcher_process.py)."""

    def __init__(self, settings: FleetSettings, consumer: str | None = None) -> None:
        self.settings = settings
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.celery = make_celery(settings)
        self.client = redis.Redis.from_url(settings.redis_client_url, socket_timeout=10, socket_connect_timeout=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.client.close()

    def _ensure_group(self) -> None:
        try:
            self.client.xgroup_create(EVENTS_STREAM, DISPATCH_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._ensure_group()
                self.run_until_stopped()
                backoff = 0.5
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("dispatcher_redis_unavailable", error=type(exc).__name__, retry_in=backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # a bug must not kill the thread silently
                log.error("dispatcher_error", error=repr(exc))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def run_until_stopped(self) -> None:
        self.reclaim()
        while not self._stop.is_set():
            response: list[Any] = cast(Any, self.client).xreadgroup(
                DISPATCH_GROUP, self.consumer, {EVENTS_STREAM: ">"}, count=BATCH, block=1000
            )
            for _stream, entries in response or []:
                self.dispatch(entries)
            if not response:
                self.reclaim()

    def reclaim(self) -> None:
        """Take over entries another dispatcher read but never acknowledged (it died)."""
        claimed: list[Any] = cast(Any, self.client).xautoclaim(
            EVENTS_STREAM, DISPATCH_GROUP, self.consumer, min_idle_time=RECLAIM_IDLE_MS, count=BATCH
        )
        entries = claimed[1]
        if entries:
            log.info("dispatcher_reclaimed", count=len(entries))
            self.dispatch(entries)

    def dispatch(self, entries: list[tuple[Any, dict[Any, Any]]]) -> None:
        for entry_id, fields in entries:
            data = {_text(k): _text(v) for k, v in fields.items()}
            action = data.get("action", "")
            task = TASK_FOR_ACTION.get(action)
            if task is not None:
                args = [data["inv"]] if action == "investigate" else [data["inv"], data["event"]]
                # ALERTFLEET_DEBOUNCE: a new problem's investigation starts that much later (the broker
                # keeps the countdown across restarts); a flap resolved meanwhile is never investigated.
                countdown = self.settings.debounce if action == "investigate" and self.settings.debounce else None
                self.celery.send_task(
                    task, args=args, countdown=countdown, retry=True, retry_policy={"max_retries": 5}
                )
                metrics.DISPATCHED.labels(action).inc()
            else:
                log.info("dispatcher_skipped", action=action, investigation_id=data.get("inv"))
            self.client.xack(EVENTS_STREAM, DISPATCH_GROUP, entry_id)
        if entries:
            trim_acknowledged(self.client)
