"""kombu's Redis transport read from outside: queued messages, workers' reservations, and putting one back.

A message a worker takes is popped from its queue list (BRPOP) and then recorded in the `unacked` hash
until acknowledged; kombu itself restores a reservation only after the visibility timeout (longer
than the longest task). The reaper and the sweep use this module to see which task messages exist
and to put a dead worker's reservation back on its queue as it was (same id, headers, retries, eta).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, cast

import redis

from alertfleet.keys import BROKER_UNACKED, BROKER_UNACKED_INDEX


@dataclass(frozen=True)
class TaskMessage:
    """What the fleet needs of one Celery (protocol 2) message."""

    task_id: str
    task: str
    args: list[Any]
    tag: str = ""  # kombu's delivery tag (set at publish, kept by a restore)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_message(payload: dict[str, Any]) -> TaskMessage | None:
    """The task id, name and positional args of a kombu message; None for anything that is not a task."""
    headers = payload.get("headers") or {}
    properties = payload.get("properties") or {}
    if not isinstance(headers, dict) or "task" not in headers or "id" not in headers:
        return None
    try:
        body: Any = payload.get("body", "")
        if properties.get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = json.loads(body)
        args = decoded[0] if isinstance(decoded, list) and decoded and isinstance(decoded[0], list) else []
    except (ValueError, TypeError):
        args = []
    return TaskMessage(str(headers["id"]), str(headers["task"]), args, str(properties.get("delivery_tag", "")))


def queued(client: redis.Redis, queue: str) -> list[TaskMessage]:
    """Every task message waiting on `queue` (the fleet sends no priorities: one list per queue)."""
    found = []
    for raw in cast(Any, client).lrange(queue, 0, -1):
        try:
            message = parse_message(json.loads(raw))
        except (ValueError, TypeError):
            continue
        if message is not None:
            found.append(message)
    return found


def reserved(client: redis.Redis) -> list[TaskMessage]:
    """Every message some worker reserved and has not acknowledged (the `unacked` hash, keyed by tag)."""
    found = []
    for tag, raw in cast(Any, client).hgetall(BROKER_UNACKED).items():
        try:
            message = parse_message(json.loads(raw)[0])
        except (ValueError, TypeError, IndexError, KeyError):
            continue
        if message is not None:
            found.append(TaskMessage(message.task_id, message.task, message.args, _text(tag)))
    return found


def restore(client: redis.Redis, tag: str) -> bool:
    """Move one reservation back onto its queue, as kombu's own restore does; False if it is not there
    (acknowledged, or restored by someone else). WATCH makes two restorers of one tag put it back once."""
    restored = False

    def _move(pipe: Any) -> None:
        nonlocal restored
        raw = pipe.hget(BROKER_UNACKED, tag)
        restored = False
        if not raw:
            return
        payload, _exchange, routing_key = json.loads(raw)
        payload.setdefault("headers", {})["redelivered"] = True
        payload.setdefault("properties", {}).setdefault("delivery_info", {})["redelivered"] = True
        pipe.multi()
        pipe.zrem(BROKER_UNACKED_INDEX, tag)
        pipe.hdel(BROKER_UNACKED, tag)
        pipe.rpush(routing_key, json.dumps(payload))  # the BRPOP end: taken next, as kombu restores
        restored = True

    cast(Any, client).transaction(_move, BROKER_UNACKED)
    return restored
