"""Leases on running tasks, and the reaper that re-drives work whose worker died.

The Redis transport redelivers an unacknowledged task only after the visibility timeout (which must
exceed the longest task). A lease renewed by a heartbeat lapses within seconds of a kill -9, and any
live worker's reaper then sends the task again; idempotent tasks make the re-drive safe.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from typing import Any, cast

import redis
import structlog
from celery import Celery

from alertfleet.keys import LEASE_DEADLINES as DEADLINES
from alertfleet.keys import LEASES

log = structlog.get_logger("leases")



# KEYS: leases, deadlines. ARGV: task id, delivery tag ("" releases whatever holds the id).
_RELEASE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if raw and ARGV[2] ~= '' then
  local held = cjson.decode(raw).delivery
  if held and held ~= '' and held ~= ARGV[2] then return 0 end
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
"""


class LeaseKeeper:
    """One per worker process: registers running tasks, renews their leases, and reaps lapsed ones."""

    def __init__(self, client: redis.Redis, celery: Celery, lease_seconds: float) -> None:
        self.client = cast(Any, client)
        self.celery = celery
        self.lease_seconds = lease_seconds
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def _ensure_thread(self) -> None:
        # A forked child inherits no threads: start one per process.
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self.owner = f"{socket.gethostname()}-{self._pid}"
            self._running = set()
            self._thread = threading.Thread(target=self._heartbeat, name="lease-heartbeat", daemon=True)
            self._thread.start()

    def hold(
        self, task_id: str, name: str, args: list[Any], kwargs: dict[str, Any], queue: str, delivery: str = ""
    ) -> None:
        """`delivery` (the message's delivery tag) tells this message's lease from a retry's, which keeps the id."""
        self._ensure_thread()
        lease = {
            "name": name,
            "args": args,
            "kwargs": kwargs,
            "queue": queue,
            "owner": self.owner,
            "delivery": delivery,
        }
        payload = json.dumps(lease)
        pipe = self.client.pipeline()
        pipe.hset(LEASES, task_id, payload)
        pipe.zadd(DEADLINES, {task_id: time.time() + self.lease_seconds})
        pipe.execute()
        with self._lock:
            self._running.add(task_id)

    def release(self, task_id: str, delivery: str = "") -> None:
        """Drop the lease unless it now belongs to another delivery of the same id (a retry, already received).

        A release that fails (Redis away) stops the renewing all the same: the lease then lapses and the
        reaper re-drives the task, instead of a lease kept alive forever for work that never finishes."""
        try:
            released = self.client.eval(_RELEASE, 2, LEASES, DEADLINES, task_id, delivery)
        except Exception:
            with self._lock:
                self._running.discard(task_id)
            raise
        if not released:
            return
        with self._lock:
            self._running.discard(task_id)

    def renew(self) -> None:
        with self._lock:
            running = list(self._running)
        if running:
            deadline = time.time() + self.lease_seconds
            # XX: never resurrect a lease that was released or reaped meanwhile.
            self.client.zadd(DEADLINES, dict.fromkeys(running, deadline), xx=True)
            # A lease taken at receipt here may be released by a pool child that ran the task: forget it.
            scores = self.client.zmscore(DEADLINES, running)
            with self._lock:
                self._running.difference_update(t for t, score in zip(running, scores, strict=True) if score is None)

    def reap(self) -> int:
        """Re-drive every task whose lease lapsed; ZREM decides which reaper wins each one."""
        lapsed = self.client.zrangebyscore(DEADLINES, "-inf", time.time(), start=0, num=100)
        redriven = 0
        for raw_id in lapsed:
            task_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            if not self.client.zrem(DEADLINES, task_id):
                continue
            raw = self.client.hget(LEASES, task_id)
            self.client.hdel(LEASES, task_id)
            if not raw:
                continue
            lease = json.loads(raw)
            self.celery.send_task(
                lease["name"], args=lease["args"], kwargs=lease["kwargs"], queue=lease["queue"] or None, task_id=task_id
            )
            redriven += 1
            log.warning("lease_lapsed_redriven", task_id=task_id, task=lease["name"], owner=lease["owner"])
        return redriven

    def _heartbeat(self) -> None:
        interval = max(0.5, self.lease_seconds / 3)
        while True:
            try:
                self.renew()
                self.reap()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("lease_heartbeat_failed", error=type(exc).__name__)
            except Exception as exc:  # the heartbeat must outlive any single failure
                log.error("lease_heartbeat_error", error=repr(exc))
            time.sleep(interval)

    def start_reaper(self) -> None:
        """Reap even while this process runs no task (an idle worker rescues a dead one's work)."""
        self._ensure_thread()
