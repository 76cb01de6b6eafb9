"""One atomic Redis step per notification: dedup, problem lookup, record, and append to the stream.

Doing this in a Lua script (not Celery's send_task inside the request) is what lets ingest answer
thousands of notifications per second; the dispatcher turns stream entries into tasks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

import redis.asyncio as aioredis

from alertfleet.keys import (
    EVENTS_STREAM,
    PREFIX,
    dedup_redis_key,
    investigation_redis_key,
    problem_redis_key,
)
from alertfleet.models import Event, utcnow

Action = Literal["investigate", "attach", "resolve", "duplicate"]

# KEYS: dedup, problem, stream, new investigation hash.
# ARGV: new id, status, event json, dedup ttl, problem window, now, problem key, inv key prefix.
_STORE_SCRIPT = """
local existing = redis.call('GET', KEYS[1])
local inv = redis.call('GET', KEYS[2])
-- A re-send is a duplicate; the same alerts firing again after their problem resolved are not.
if existing and (ARGV[2] == 'resolved' or existing == inv) then return {existing, 'duplicate'} end
local action
if inv and redis.call('EXISTS', ARGV[8] .. inv) == 1 then
  if ARGV[2] == 'resolved' then
    action = 'resolve'
    redis.call('DEL', KEYS[2])
  else
    action = 'attach'
  end
else
  inv = ARGV[1]
  action = 'investigate'
  redis.call('HSET', KEYS[4], 'id', inv, 'problem_key', ARGV[7], 'status', 'queued', 'event', ARGV[3],
    'resolved', '0', 'notifications', '1', 'created_at', ARGV[6], 'updated_at', ARGV[6])
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  if ARGV[2] ~= 'resolved' then
    redis.call('SET', KEYS[2], inv, 'EX', ARGV[5])
  end
end
redis.call('SET', KEYS[1], inv, 'EX', ARGV[4])
redis.call('XADD', KEYS[3], '*', 'inv', inv, 'action', action, 'event', ARGV[3])
return {inv, action}
"""


@dataclass(frozen=True)
class Stored:
    investigation_id: str
    action: Action


class Outbox:
    """Appends events to the stream the dispatcher reads."""

    def __init__(self, client: aioredis.Redis, dedup_ttl: int, problem_window: int) -> None:
        self._script = client.register_script(_STORE_SCRIPT)
        self._dedup_ttl = dedup_ttl
        self._problem_window = problem_window

    async def store(self, event: Event, dedup_key: str, problem_key: str) -> Stored:
        new_id = uuid.uuid4().hex
        keys = [
            dedup_redis_key(dedup_key),
            problem_redis_key(problem_key),
            EVENTS_STREAM,
            investigation_redis_key(new_id),
        ]
        args: list[str | int] = [
            new_id,
            event.status,
            event.model_dump_json(),
            self._dedup_ttl,
            self._problem_window,
            utcnow().isoformat(),
            problem_key,
            f"{PREFIX}:inv:",
        ]
        investigation_id, action = await self._script(keys=keys, args=args)
        return Stored(_text(investigation_id), _text(action))  # type: ignore[arg-type]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
