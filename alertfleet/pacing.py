"""Pacing for per-target vendor limits (a chat channel: 1 message a second), without self-caused 429s.

A moving window answers "may I send now?" at the moment a token is taken; the request reaches the
vendor a little later, and that skew varies. At exactly 1/second one post arrived 0.994 s after the
previous one and got a 429. So a paced target sends one request at a time, and the next may start
only `gap` after the previous one *completed* (its answer came back, so it had certainly arrived):
`gap` = the limit's period / amount, plus `PACING_HEADROOM`. Two requests to one target can then never
arrive closer than the limit allows, whatever the skew, and a backlog flows at 1 / (gap + round trip).
The headroom only covers clock granularity (Redis' TIME in milliseconds): the gap is already counted
from the previous answer, which came back after the vendor had received that request, so a percentage of
headroom would only slow a backlog (64 posts at 1/s would take a second longer).

State lives in Redis (Redis' clock, one Lua step each), shared by every worker: `busy` (who is
sending; expires if that worker dies) and `next` (earliest start of the next send). A writer whose
turn is near waits in its thread (a released target wakes it through BLPOP); one whose turn is
further off is told when to come back and holds nothing.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any, cast

import redis
from limits import RateLimitItem

from alertfleet.keys import pace_key

# 1/second per channel: the next post starts 1.002 s after the previous one was answered.
PACING_HEADROOM = 0.002
# A writer waits in its thread for its turn at most this long; beyond it, it is told to come back.
NEAR_SECONDS = 2.0
# A sender that died mid-request frees its target after this long.
BUSY_MS = 15_000

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[1]) == 1 then
  return -1
end
local delay = tonumber(redis.call('GET', KEYS[2]) or '0') - now
if delay > 0 then
  return delay
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 0
"""

_DONE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
redis.call('SET', KEYS[2], now + tonumber(ARGV[2]), 'PX', tonumber(ARGV[2]) + 1000)
redis.call('LPUSH', KEYS[3], '1')
redis.call('LTRIM', KEYS[3], 0, 0)
redis.call('PEXPIRE', KEYS[3], 10000)
return 1
"""


def gap_ms(item: RateLimitItem) -> int:
    return max(1, int(float(item.get_expiry()) * 1000 / item.amount * (1 + PACING_HEADROOM)))


def _keys(vendor: str, target: str) -> list[str]:
    base = pace_key(vendor, target)
    return [f"{base}:busy", f"{base}:next", f"{base}:freed"]


class Pacer:
    """`take` waits (briefly) for the target's turn and answers 0, or the seconds until it may ask again;
    `done` after the send ends, whatever its outcome."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = cast(Any, client)
        self._take = self.client.register_script(_TAKE)
        self._done = self.client.register_script(_DONE)
        self._local = threading.local()

    def _held(self) -> dict[tuple[str, str], str]:
        """The targets this thread is sending to, and its holder id for each."""
        if not hasattr(self._local, "held"):
            self._local.held = {}
        held: dict[tuple[str, str], str] = self._local.held
        return held

    def take(self, vendor: str, target: str) -> float:
        holder = uuid.uuid4().hex
        keys = _keys(vendor, target)
        deadline = time.monotonic() + NEAR_SECONDS
        while True:
            answer = int(self._take(keys=keys[:2], args=[holder, BUSY_MS]))
            if answer == 0:
                self._held()[(vendor, target)] = holder
                return 0.0
            remaining = deadline - time.monotonic()
            if answer > 0 and answer / 1000 > remaining:
                return answer / 1000 - NEAR_SECONDS / 2 if answer / 1000 > NEAR_SECONDS else answer / 1000
            if remaining <= 0:
                return 0.25  # another writer holds the target for long: come back shortly
            if answer > 0:
                time.sleep(answer / 1000)
            else:
                self.client.blpop([keys[2]], timeout=max(0.01, min(remaining, 0.5)))

    def done(self, vendor: str, target: str, item: RateLimitItem) -> None:
        holder = self._held().pop((vendor, target), None)
        if holder is not None:
            self._done(keys=_keys(vendor, target), args=[holder, gap_ms(item)])
