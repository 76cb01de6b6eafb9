"""Pacing for per-target vendor limits (a Slack channel: 1 message a second): reserved send times.

A moving window answers "may I send now?"; writers that were told "not yet" come back on a timer and
race for the next opening, so a backlog flowed below the limit, and at exactly the limit the few
milliseconds between taking a token and the request reaching the vendor made one post arrive 0.994 s
after the previous one (a 429). Here each send reserves its own time, `gap` after the previous
reservation of that target (Redis' clock, one Lua step, shared by every worker), where `gap` is the
limit's period / amount plus `PACING_HEADROOM`. A writer whose slot is near sleeps until it; one whose
slot is further off is told to come back later and reserves nothing, so no slot is ever left unused
by a task that is late.
"""

from __future__ import annotations

import time
from typing import Any, cast

import redis
from limits import RateLimitItem

from alertfleet.keys import pace_key

# 1/second per channel becomes one send each 1.015 s (0.985/s), tolerating 15 ms of send-time skew.
PACING_HEADROOM = 0.015
# A writer waits in its thread for a reserved slot at most this long; later slots are not reserved.
NEAR_SECONDS = 2.0

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local delay = at - now
if delay > tonumber(ARGV[2]) then
  return -delay
end
redis.call('SET', KEYS[1], at + tonumber(ARGV[1]), 'PX', tonumber(ARGV[1]) + delay + 1000)
return delay
"""


def gap_seconds(item: RateLimitItem) -> float:
    return float(item.get_expiry()) / item.amount * (1 + PACING_HEADROOM)


class Pacer:
    """`wait_turn` sleeps until this send's reserved time and answers 0, or answers when to ask again."""

    def __init__(self, client: redis.Redis) -> None:
        self._reserve = cast(Any, client).register_script(_RESERVE)

    def wait_turn(self, vendor: str, target: str, item: RateLimitItem) -> float:
        gap_ms = max(1, int(gap_seconds(item) * 1000))
        delay_ms = int(self._reserve(keys=[pace_key(vendor, target)], args=[gap_ms, int(NEAR_SECONDS * 1000)]))
        if delay_ms < 0:  # not reserved: come back when the slot ahead of it is near
            return max(0.05, (-delay_ms) / 1000 - NEAR_SECONDS / 2)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)
        return 0.0
