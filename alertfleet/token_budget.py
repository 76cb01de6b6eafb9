"""The fleet's hourly token budget (ALERTFLEET_TOKEN_BUDGET_PER_HOUR): tokens spent in any sliding hour.

Why not the `limits` library's moving window, which the model and vendor limits use: it stores one
entry per unit of cost, and a token budget is counted in millions. Instead one Redis hash holds a
counter per minute (field = unix minute); the hour is the last 60 of them, so the window slides a
minute at a time and costs 60 fields whatever the spend. Spending is one HINCRBY from every worker on
every host; reading sums the live minutes and drops the older ones, both in one atomic script.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import redis

from alertfleet.keys import TOKEN_BUDGET
from alertfleet.usage import budget_spent_note

WINDOW_MINUTES = 60

_SPEND = """
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
"""

# ARGV: the first live minute. Returns the tokens of the live minutes; older fields are removed.
_SPENT = """
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if tonumber(fields[i]) < tonumber(ARGV[1]) then
    redis.call('HDEL', KEYS[1], fields[i])
  else
    total = total + tonumber(fields[i + 1])
  end
end
return total
"""


def minute(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 60)


def live_tokens(raw: dict[Any, Any], now: float | None = None) -> int:
    """The sliding hour's spend from the hash as HGETALL returns it (ingest's scrape reads it so)."""
    first = minute(now) - WINDOW_MINUTES + 1
    total = 0
    for field, value in raw.items():
        try:
            if int(field) >= first:
                total += int(value)
        except (TypeError, ValueError):
            continue
    return total


@dataclass(frozen=True)
class BudgetState:
    spent: int
    limit: int

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.spent)


class TokenBudget:
    """Spend and read the fleet's hourly token budget; `limit` None means no limit (nothing is kept)."""

    def __init__(self, client: redis.Redis, limit: int | None) -> None:
        self.client = client
        self.limit = limit
        self._spend = cast(Any, client).register_script(_SPEND)
        self._spent = cast(Any, client).register_script(_SPENT)

    def spend(self, tokens: int, now: float | None = None) -> None:
        if self.limit is None or tokens <= 0:
            return
        self._spend(keys=[TOKEN_BUDGET], args=[minute(now), int(tokens), (WINDOW_MINUTES + 1) * 60])

    def state(self, now: float | None = None) -> BudgetState | None:
        """The sliding hour's spend against the limit; None without a limit."""
        if self.limit is None:
            return None
        spent = int(self._spent(keys=[TOKEN_BUDGET], args=[minute(now) - WINDOW_MINUTES + 1]))
        return BudgetState(spent, self.limit)

    def spent_note(self) -> str | None:
        """The visible note when the hour's budget is spent, else None (also when Redis cannot say:
        an unreadable budget does not stop investigations)."""
        try:
            state = self.state()
        except (redis.RedisError, OSError):
            return None
        return budget_spent_note(state.spent, state.limit) if state is not None and state.exhausted else None
