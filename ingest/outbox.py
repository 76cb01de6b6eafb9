"""One atomic Redis step per notification: dedup, problem lookup, record, and append to the stream.

Doing this in a Lua script (not Celery's send_task inside the request) is what lets ingest answer
thousands of notifications per second; the dispatcher turns stream entries into tasks.

Under load, the steps of the requests that reach the outbox in the same event-loop turn are sent in
one pipeline (each is still its own atomic script, and each request still answers only after Redis
replied to its own): one round trip and one pooled connection instead of one each, which saves
~30-60 µs of redis-py CPU a request (bench/ingest.py). A lone request goes out at once, as before.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

from alertfleet.keys import (
    EVENTS_STREAM,
    INVESTIGATION_KEY_PREFIX,
    dedup_redis_key,
    investigation_redis_key,
    problem_redis_key,
)
from alertfleet.models import Event, utcnow
from alertfleet.state import new_record_args

Action = Literal["investigate", "attach", "resolve", "duplicate"]

# KEYS: dedup, problem, stream, new investigation hash.
# ARGV: new id, status, event json, dedup ttl, problem window, now, problem key, inv key prefix, then the
# new investigation record's field/value pairs (alertfleet.state.new_record: its shape lives there only).
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
    -- Marked now, in this step: a worker that has not started it yet sees it and never investigates.
    redis.call('HSET', ARGV[8] .. inv, 'resolved', '1')
  else
    action = 'attach'
  end
else
  inv = ARGV[1]
  action = 'investigate'
  redis.call('HSET', KEYS[4], unpack(ARGV, 9))
  redis.call('EXPIRE', KEYS[4], ARGV[4])
  if ARGV[2] ~= 'resolved' then
    redis.call('SET', KEYS[2], inv, 'EX', ARGV[5])
  end
end
redis.call('SET', KEYS[1], inv, 'EX', ARGV[4])
-- The record holds a new investigation's event: its stream entry names it, nothing more (one copy stored).
if action == 'investigate' then
  redis.call('XADD', KEYS[3], '*', 'inv', inv, 'action', action)
else
  redis.call('XADD', KEYS[3], '*', 'inv', inv, 'action', action, 'event', ARGV[3])
end
return {inv, action}
"""


@dataclass(frozen=True)
class Stored:
    investigation_id: str
    action: Action


_Call = tuple[list[Any], "asyncio.Future[Any]"]  # EVALSHA arguments after the sha, and who waits


class Outbox:
    """Appends events to the stream the dispatcher reads."""

    def __init__(self, client: aioredis.Redis, dedup_ttl: int, problem_window: int) -> None:
        self._client = client
        self._script = client.register_script(_STORE_SCRIPT)
        self._dedup_ttl = dedup_ttl
        self._problem_window = problem_window
        self._pending: list[_Call] = []
        self._sending: set[asyncio.Task[None]] = set()

    async def store(self, event: Event, dedup_key: str, problem_key: str) -> Stored:
        new_id = uuid.uuid4().hex
        event_json = event.model_dump_json()
        now = utcnow().isoformat()
        keys = [
            dedup_redis_key(dedup_key),
            problem_redis_key(problem_key),
            EVENTS_STREAM,
            investigation_redis_key(new_id),
        ]
        args: list[str | int] = [
            new_id,
            event.status,
            event_json,
            self._dedup_ttl,
            self._problem_window,
            now,
            problem_key,
            INVESTIGATION_KEY_PREFIX,
            *new_record_args(new_id, problem_key, event_json, now),
        ]
        investigation_id, action = await self._run([len(keys), *keys, *args])
        return Stored(_text(investigation_id), _text(action))  # type: ignore[arg-type]

    def _run(self, call: list[Any]) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((call, future))
        if len(self._pending) == 1:  # first of this turn: send after every ready request has joined
            loop.call_soon(self._flush)
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[_Call]) -> None:
        try:
            results = await self._execute([call for call, _ in batch])
        except asyncio.CancelledError:
            for _, future in batch:
                future.cancel()
            raise
        except Exception as exc:  # Redis down or slow: every waiting request gets the error (a 503)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # the request went away; its step is stored all the same
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def _execute(self, calls: list[list[Any]]) -> list[Any]:
        if len(calls) == 1:  # no pipeline for one: redis-py's Script loads the script if Redis lost it
            numkeys, *keys_and_args = calls[0]
            return [await self._script(keys=keys_and_args[:numkeys], args=keys_and_args[numkeys:])]
        results = await self._pipeline(calls)
        missing = [i for i, result in enumerate(results) if isinstance(result, NoScriptError)]
        if missing:  # Redis restarted or flushed its scripts: none of these ran; load and resend them
            await self._client.script_load(_STORE_SCRIPT)
            for i, result in zip(missing, await self._pipeline([calls[i] for i in missing]), strict=True):
                results[i] = result
        return results

    async def _pipeline(self, calls: list[list[Any]]) -> list[Any]:
        pipe = self._client.pipeline(transaction=False)
        for call in calls:
            pipe.evalsha(self._script.sha, *call)
        return await pipe.execute(raise_on_error=False)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
