"""What ingest does with a Slack delivery, whether it came over HTTP (Events API, interactivity) or
over the Socket Mode socket: drop what can never need an answer, store the rest durably as a task on
the fleet's `chat` queue, and remember the delivery id so Slack's retries are answered as duplicates.

Ingest only stores; the worker (integrations/slack/app_tasks.py) does the answering.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
import structlog
from celery import Celery

from alertfleet.keys import delivery_seen_key
from alertfleet.queue import QUEUE_CHAT
from integrations.slack.app_blocks import ACTIONS

log = structlog.get_logger("slack_app")

TASK_EVENT = "alertfleet.slack.event"
TASK_ACTION = "alertfleet.slack.action"
TASK_REPLY = "alertfleet.slack.reply"
SEEN_TTL = 24 * 3600  # Slack retries for about an hour; a day covers a replayed delivery too
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
EVENT_TYPES = frozenset({"app_mention", "message"})


class StoreUnavailable(Exception):
    """Redis or the queue cannot take the delivery now: Slack should send it again (503 / no ack)."""


def ignored_event(payload: dict[str, Any]) -> str | None:
    """Why an `event_callback` needs no answer (None: it may). What needs Redis (is the thread ours, is
    the channel allowed) is decided by the worker."""
    event = payload.get("event")
    if not isinstance(event, dict):
        return "no event"
    if event.get("type") not in EVENT_TYPES:
        return f"event type {event.get('type')!r}"
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return "bot message"
    if event.get("subtype") not in (None, "thread_broadcast"):
        return f"message subtype {event.get('subtype')!r}"  # message_changed (an edit), deletions, joins...
    if not event.get("user") or not event.get("channel") or not event.get("ts"):
        return "no user, channel or ts"
    thread = event.get("thread_ts")
    if not thread or thread == event.get("ts"):
        return "not in a thread"
    return None


def actions_of(payload: dict[str, Any]) -> list[dict[str, str]]:
    """A `block_actions` payload's clicks on our buttons, as the action task takes them."""
    if payload.get("type") != "block_actions":
        return []
    container = payload.get("container") or {}
    message = payload.get("message") or {}
    user = payload.get("user") or {}
    channel = (payload.get("channel") or {}).get("id") or container.get("channel_id") or ""
    clicks = []
    for action in payload.get("actions") or []:
        if action.get("action_id") not in ACTIONS or not action.get("value"):
            continue
        clicks.append(
            {
                "action_id": str(action["action_id"]),
                "investigation_id": str(action["value"]),
                "user": str(user.get("id") or ""),
                "user_name": str(user.get("username") or user.get("name") or ""),
                "channel": str(channel),
                "message_ts": str(container.get("message_ts") or message.get("ts") or ""),
                "action_ts": str(action.get("action_ts") or ""),
            }
        )
    return clicks


class SlackIntake:
    """Durable, deduplicated hand-over of deliveries to the fleet."""

    def __init__(self, client: aioredis.Redis, celery: Celery) -> None:
        self.client = cast(Any, client)
        self.celery = celery

    async def event(self, payload: dict[str, Any]) -> tuple[bool, str | None]:
        """(stored, why ignored) for an Events API payload; raises StoreUnavailable."""
        if (reason := ignored_event(payload)) is not None:
            return False, reason
        event_id = str(payload.get("event_id") or f"{payload['event']['channel']}:{payload['event']['ts']}")
        stored = await self._store(event_id, TASK_EVENT, {"event": payload["event"], "event_id": event_id})
        return stored, None if stored else "duplicate"

    async def actions(self, payload: dict[str, Any]) -> int:
        """How many clicks were stored (retried ones are not stored again); raises StoreUnavailable."""
        stored = 0
        for click in actions_of(payload):
            delivery = f"action:{click['user']}:{click['message_ts']}:{click['action_ts']}:{click['action_id']}"
            stored += await self._store(delivery, TASK_ACTION, click)
        return stored

    async def _store(self, delivery_id: str, task: str, argument: dict[str, Any]) -> bool:
        key = delivery_seen_key("slack", delivery_id)
        try:
            if not await self.client.set(key, "1", nx=True, ex=SEEN_TTL):
                return False
        except REDIS_ERRORS:
            raise StoreUnavailable("the event store is unreachable") from None
        try:
            await asyncio.to_thread(
                self.celery.send_task,
                task,
                args=[argument],
                queue=QUEUE_CHAT,
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
            )
        except Exception as exc:  # kombu's connection errors vary by transport
            log.warning("slack_enqueue_failed", task=task, error=type(exc).__name__)
            with contextlib.suppress(*REDIS_ERRORS):
                await self.client.delete(key)  # not stored: Slack's retry must be taken, not dropped
            raise StoreUnavailable("the fleet's queue cannot take work right now") from None
        log.info("slack_delivery_stored", task=task)
        return True
