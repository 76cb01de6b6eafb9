"""Leases on running tasks, and the reaper that re-drives work whose worker died.

The Redis transport redelivers an unacknowledged task only after the visibility timeout (which must
exceed the longest task). A lease renewed by a heartbeat lapses within seconds of a kill -9, and any
live worker's reaper then puts the reserved message back on its queue (or sends the task again);
idempotent tasks make the re-drive safe. Each process renews only the deliveries it holds itself: a
retry (same task id) another worker took is that worker's to keep alive. Work no lease covers yet is
the sweep's (workers/sweep.py), which runs in the same heartbeat.
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

from alertfleet import fleet_metrics
from alertfleet.keys import LEASE_DEADLINES as DEADLINES
from alertfleet.keys import LEASES
from workers.reservations import restore
from workers.sweep import LostWorkSweep

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

# KEYS: leases, deadlines. ARGV: new deadline, then task id, delivery tag pairs. Extends only the leases
# still held for that delivery; returns the ids that are not (released, reaped, or now a retry's).
_RENEW = """
local lost = {}
for i = 2, #ARGV, 2 do
  local id, mine = ARGV[i], ARGV[i + 1]
  local raw = redis.call('HGET', KEYS[1], id)
  local held = ''
  if raw then held = cjson.decode(raw).delivery or '' end
  if raw and redis.call('ZSCORE', KEYS[2], id) and (mine == '' or held == '' or held == mine) then
    redis.call('ZADD', KEYS[2], 'XX', ARGV[1], id)
  else
    table.insert(lost, id)
  end
end
return lost
"""


class LeaseKeeper:
    """One per worker process: registers running tasks, renews their leases, and reaps lapsed ones."""

    def __init__(self, client: redis.Redis, celery: Celery, lease_seconds: float) -> None:
        self.client = cast(Any, client)
        self.celery = celery
        self.lease_seconds = lease_seconds
        self.owner = f"{socket.gethostname()}-{os.getpid()}"
        self._running: dict[str, str] = {}  # task id -> the delivery tag this process holds it for
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopped = threading.Event()
        self.sweep = LostWorkSweep(client, celery, grace=2 * lease_seconds)

    def _ensure_thread(self) -> None:
        # A forked child inherits no threads: start one per process.
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self.owner = f"{socket.gethostname()}-{self._pid}"
            self._running = {}
            self._thread = threading.Thread(target=self._heartbeat, name="lease-heartbeat", daemon=True)
            self._thread.start()

    def hold(
        self,
        task_id: str,
        name: str,
        args: list[Any],
        kwargs: dict[str, Any],
        queue: str,
        delivery: str = "",
        retries: int = 0,
    ) -> None:
        """`delivery` (the message's delivery tag) tells this message's lease from a retry's, which keeps the
        id, and lets the reaper put that very message back; `retries` keeps the count if it must be re-sent."""
        self._ensure_thread()
        lease = {
            "name": name,
            "args": args,
            "kwargs": kwargs,
            "queue": queue,
            "owner": self.owner,
            "delivery": delivery,
            "retries": retries,
        }
        payload = json.dumps(lease)
        pipe = self.client.pipeline()
        pipe.hset(LEASES, task_id, payload)
        pipe.zadd(DEADLINES, {task_id: time.time() + self.lease_seconds})
        pipe.execute()
        with self._lock:
            self._running[task_id] = delivery

    def release(self, task_id: str, delivery: str = "") -> None:
        """Drop the lease unless it now belongs to another delivery of the same id (a retry, already received).

        This process stops renewing the id unless it holds that other delivery itself: a retry taken by
        another worker is that worker's to renew, so if that worker dies its lease lapses and is re-driven.
        A release that fails (Redis away) stops the renewing all the same: the lease then lapses and the
        reaper re-drives the task, instead of a lease kept alive forever for work that never finishes."""
        try:
            self.client.eval(_RELEASE, 2, LEASES, DEADLINES, task_id, delivery)
        finally:
            with self._lock:
                if not delivery or self._running.get(task_id) == delivery:
                    self._running.pop(task_id, None)

    def renew(self) -> None:
        with self._lock:
            running = list(self._running.items())
        if running:
            deadline = time.time() + self.lease_seconds
            pairs = [part for task_id, delivery in running for part in (task_id, delivery)]
            # Never resurrect a lease that was released or reaped meanwhile, nor renew a retry's lease
            # another process holds (a lease taken at receipt here may also be released by a pool child).
            lost = {_text(raw) for raw in self.client.eval(_RENEW, 2, LEASES, DEADLINES, deadline, *pairs)}
            with self._lock:
                for task_id, delivery in running:
                    if task_id in lost and self._running.get(task_id) == delivery:
                        del self._running[task_id]

    def reap(self) -> int:
        """Re-drive every task whose lease lapsed; ZREM decides which reaper wins each one.

        The message the dead worker reserved is put back on its queue as it was (kombu would wait for
        the visibility timeout); one no longer reserved (a receipt lease, a hold that outlived its ack)
        is sent again with the same id, arguments and retry count."""
        lapsed = self.client.zrangebyscore(DEADLINES, "-inf", time.time(), start=0, num=100)
        redriven = 0
        for raw_id in lapsed:
            task_id = _text(raw_id)
            if not self.client.zrem(DEADLINES, task_id):
                continue
            raw = self.client.hget(LEASES, task_id)
            self.client.hdel(LEASES, task_id)
            if not raw:
                continue
            lease = json.loads(raw)
            how = "restored" if lease.get("delivery") and restore(self.client, lease["delivery"]) else "sent"
            if how == "sent":
                self.celery.send_task(
                    lease["name"],
                    args=lease["args"],
                    kwargs=lease["kwargs"],
                    queue=lease["queue"] or None,
                    task_id=task_id,
                    retries=int(lease.get("retries") or 0),
                )
            redriven += 1
            fleet_metrics.record(self.client, fleet_metrics.REDRIVEN, {"reason": "lease_lapsed"})
            log.warning("lease_lapsed_redriven", task_id=task_id, task=lease["name"], owner=lease["owner"], how=how)
        return redriven

    def _heartbeat(self) -> None:
        interval = max(0.5, self.lease_seconds / 3)
        while not self._stopped.is_set():
            try:
                self.renew()
                self.reap()
                self.sweep.maybe_sweep()
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                log.warning("lease_heartbeat_failed", error=type(exc).__name__)
            except Exception as exc:  # the heartbeat must outlive any single failure
                log.error("lease_heartbeat_error", error=repr(exc))
            self._stopped.wait(interval)

    def stop(self) -> None:
        """End this process's heartbeat (its leases then lapse): for a process that stops working here."""
        self._stopped.set()

    def start_reaper(self) -> None:
        """Reap even while this process runs no task (an idle worker rescues a dead one's work)."""
        self._ensure_thread()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
