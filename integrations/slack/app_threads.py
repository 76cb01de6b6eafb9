"""Which Slack thread belongs to which investigation, and each thread's questions and answers so far.

Written when a post succeeds (`SlackIntegration.written`), read when someone writes in the thread.
Everything here expires with the investigation record, and a conversation keeps only its last
MAX_MESSAGES messages (each bounded), so a long thread cannot grow the model's context or Redis.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import redis

from alertfleet.keys import (
    followup_done_key,
    investigation_redis_key,
    thread_conversation_key,
    thread_key,
)

VENDOR = "slack"
DEFAULT_TTL = 7 * 24 * 3600  # an investigation record without an expiry (a CLI run): a week
MAX_MESSAGES = 20  # ten questions and their answers
MAX_MESSAGE_CHARS = 4000
CLAIM_TTL = 24 * 3600


@dataclass(frozen=True)
class ThreadLink:
    investigation_id: str
    channel: str  # Slack's channel id
    thread_ts: str  # our post's ts: the thread's parent
    target: str  # the channel as the route names it ("#alerts"): the rate limiter's key


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def investigation_ttl(client: redis.Redis, investigation_id: str) -> int:
    """Seconds the investigation record has left (what everything about its threads lives for)."""
    remaining = int(cast(Any, client).ttl(investigation_redis_key(investigation_id)))
    return remaining if remaining > 0 else DEFAULT_TTL


def link(client: redis.Redis, thread: ThreadLink) -> None:
    """Remember our post as the parent of a thread about `thread.investigation_id`."""
    ttl = investigation_ttl(client, thread.investigation_id)
    value = json.dumps(thread.__dict__)
    cast(Any, client).set(thread_key(VENDOR, thread.channel, thread.thread_ts), value, ex=ttl)


def lookup(client: redis.Redis, channel: str, thread_ts: str) -> ThreadLink | None:
    raw = cast(Any, client).get(thread_key(VENDOR, channel, thread_ts))
    return ThreadLink(**json.loads(_text(raw))) if raw else None


def claim(client: redis.Redis, channel: str, message_ts: str) -> bool:
    """True for the first taker of a message (a mention also arrives as a message event, a task may be
    redelivered): every message is answered once."""
    return bool(cast(Any, client).set(followup_done_key(VENDOR, f"{channel}:{message_ts}"), "1", nx=True, ex=CLAIM_TTL))


def unclaim(client: redis.Redis, channel: str, message_ts: str) -> None:
    """Give a message back (its answer failed before anything was posted), so a retry may answer it."""
    cast(Any, client).delete(followup_done_key(VENDOR, f"{channel}:{message_ts}"))


def conversation(client: redis.Redis, thread: ThreadLink) -> list[dict[str, str]]:
    """The thread's earlier questions and answers, oldest first, as chat messages."""
    raw = cast(Any, client).lrange(thread_conversation_key(VENDOR, thread.channel, thread.thread_ts), 0, -1)
    return [json.loads(_text(item)) for item in raw]


def remember(client: redis.Redis, thread: ThreadLink, question: str, answer: str) -> None:
    key = thread_conversation_key(VENDOR, thread.channel, thread.thread_ts)
    messages = [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    pipe = cast(Any, client).pipeline()
    pipe.rpush(key, *(json.dumps({**m, "content": m["content"][:MAX_MESSAGE_CHARS]}) for m in messages))
    pipe.ltrim(key, -MAX_MESSAGES, -1)
    pipe.expire(key, investigation_ttl(client, thread.investigation_id))
    pipe.execute()
