"""The sweep for work no lease covers: an unfinished investigation whose task message is nowhere.

Leases cover a task from the moment a worker receives it. Two windows are before that: a worker
killed after its BRPOP took the message from the queue but before kombu recorded the reservation
(the message is gone), or after the record but before the worker leased it (kombu would wait for the
visibility timeout). Either leaves an investigation `queued` or `running` forever.

The sweep takes turns across the fleet (one process per interval) and accounts for every unfinished
investigation: its event still in the outbox stream (not yet dispatched), its task on the queue, in
some worker's reservations, or leased. A reservation nobody leased, and an investigation nothing
accounts for, become suspects; a suspect still unaccounted for `grace` seconds after it was first
seen is re-driven: the reservation put back on its queue, the investigation sent a new task. Reading
the upstream places first (status, stream, queue, reservations, leases) means a message moving along
meanwhile is seen further down, never missed; a message caught between two places is cleared by the
next sweep. A re-drive of work that was not lost after all is safe: the tasks are idempotent and each
write has its record.
"""

from __future__ import annotations

import json
import os
import socket
import time
from typing import Any, cast

import redis
import structlog
from celery import Celery

from alertfleet import fleet_metrics
from alertfleet.keys import DISPATCH_GROUP, EVENTS_STREAM, INVESTIGATION_KEY_PREFIX, LEASES, SWEEP_SUSPECTS, SWEEP_TURN
from alertfleet.queue import QUEUE_INVESTIGATE, TASK_INVESTIGATE
from workers.reservations import queued, reserved, restore

log = structlog.get_logger("sweep")

UNFINISHED = ("queued", "running")
STREAM_LIMIT = 10_000  # more undispatched entries than this: the stream cannot account for all, skip this turn


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class LostWorkSweep:
    """Runs in every worker's heartbeat thread; `maybe_sweep` does the work when it is this process's turn."""

    def __init__(self, client: redis.Redis, celery: Celery, grace: float) -> None:
        self.client = cast(Any, client)
        self.celery = celery
        self.grace = grace
        self.interval = max(1.0, grace / 3)

    def maybe_sweep(self) -> int:
        owner = f"{socket.gethostname()}-{os.getpid()}"
        if not self.client.set(SWEEP_TURN, owner, nx=True, px=int(self.interval * 1000)):
            return 0
        return self.sweep()

    def sweep(self) -> int:
        """One pass: note new suspects, forget cleared ones, re-drive those unaccounted for over `grace`."""
        unfinished = self._unfinished()
        undispatched = self._undispatched()
        waiting = queued(self.client, QUEUE_INVESTIGATE)
        reservations = reserved(self.client)
        leased = self._leases()
        accounted = {m.args[0] for m in [*waiting, *reservations] if m.task == TASK_INVESTIGATE and m.args}
        accounted |= {str(args[0]) for name, args in leased.values() if name == TASK_INVESTIGATE and args}
        suspects = {f"inv:{inv}" for inv in unfinished - accounted} if undispatched is not None else set()
        if undispatched is not None:
            suspects -= {f"inv:{inv}" for inv in undispatched}
        # Reserved and leased by no one: its worker died before leasing it (or has just received it: cleared next turn).
        suspects |= {f"tag:{m.tag}" for m in reservations if m.tag and m.task_id not in leased}
        due = self._due(suspects, time.time())
        redriven = 0
        for suspect in due:
            kind, _, ident = suspect.partition(":")
            if kind == "tag" and restore(self.client, ident):
                self._count("stranded_reservation", tag=ident)
                redriven += 1
            elif kind == "inv":
                self.celery.send_task(TASK_INVESTIGATE, args=[ident], queue=QUEUE_INVESTIGATE)
                self._count("lost_message", investigation_id=ident)
                redriven += 1
        return redriven

    def _due(self, suspects: set[str], now: float) -> list[str]:
        """Record when each suspect was first seen; forget the cleared; return those seen over `grace` ago."""
        seen = {_text(k): float(v) for k, v in self.client.hgetall(SWEEP_SUSPECTS).items()}
        pipe = self.client.pipeline(transaction=False)
        cleared = [s for s in seen if s not in suspects]
        if cleared:
            pipe.hdel(SWEEP_SUSPECTS, *cleared)
        due = [s for s in suspects if s in seen and now - seen[s] >= self.grace]
        if due:
            pipe.hdel(SWEEP_SUSPECTS, *due)
        for suspect in suspects - seen.keys():
            pipe.hset(SWEEP_SUSPECTS, suspect, f"{now:.3f}")
        pipe.execute()
        return due

    def _count(self, reason: str, **context: str) -> None:
        fleet_metrics.record(self.client, fleet_metrics.REDRIVEN, {"reason": reason})
        log.warning("lost_work_redriven", reason=reason, **context)

    def _unfinished(self) -> set[str]:
        keys = [_text(k) for k in self.client.scan_iter(f"{INVESTIGATION_KEY_PREFIX}*", count=1000)]
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.hget(key, "status")
        statuses = pipe.execute(raise_on_error=False)
        return {
            key.removeprefix(INVESTIGATION_KEY_PREFIX)
            for key, status in zip(keys, statuses, strict=True)
            if isinstance(status, bytes | str) and _text(status) in UNFINISHED
        }

    def _leases(self) -> dict[str, tuple[str, list[Any]]]:
        leases = {}
        for task_id, raw in self.client.hgetall(LEASES).items():
            try:
                lease = json.loads(raw)
                leases[_text(task_id)] = (str(lease["name"]), list(lease["args"]))
            except (ValueError, KeyError, TypeError):
                continue
        return leases

    def _undispatched(self) -> set[str] | None:
        """Investigations whose `investigate` event the dispatchers have not acknowledged (unread, or pending);
        other consumer groups (an audit reader) do not send tasks and are not asked.
        None when there are too many to tell (a backlog): no investigation is suspected this turn."""
        try:
            groups = [g for g in self.client.xinfo_groups(EVENTS_STREAM) if _text(g["name"]) == DISPATCH_GROUP]
        except redis.ResponseError:
            return set()  # no stream yet: nothing was ever accepted
        entries: list[Any] = []
        if not groups:  # no dispatcher has started: every entry waits for one
            entries = self.client.xrange(EVENTS_STREAM, count=STREAM_LIMIT + 1)
        for group in groups:
            unread = self.client.xrange(EVENTS_STREAM, min=_text(group["last-delivered-id"]), count=STREAM_LIMIT + 1)
            pending = self.client.xpending_range(EVENTS_STREAM, group["name"], "-", "+", STREAM_LIMIT + 1)
            if len(unread) > STREAM_LIMIT or len(pending) > STREAM_LIMIT:
                return None
            entries += unread
            for item in pending:
                entries += self.client.xrange(EVENTS_STREAM, min=item["message_id"], max=item["message_id"])
        if len(entries) > STREAM_LIMIT:
            return None
        investigations = set()
        for _entry_id, fields in entries:
            data = {_text(k): _text(v) for k, v in fields.items()}
            if data.get("action") == "investigate" and data.get("inv"):
                investigations.add(data["inv"])
        return investigations
