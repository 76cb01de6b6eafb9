"""Dead letters: failed work with its reason, kept in Redis until replayed or dropped."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, cast

import redis

from alertfleet.keys import DLQ, DLQ_DROPPED, DLQ_INDEX
from alertfleet.models import utcnow
from alertfleet.redaction import redact_error, redact_value


@dataclass
class DeadLetter:
    task: str
    args: list[Any]
    reason: str
    attempts: int
    queue: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    failed_at: str = field(default_factory=lambda: utcnow().isoformat())


# KEYS: letters hash, index (id -> failed at, unix seconds), dropped counts hash.
# ARGV: new id ("" to only trim), its JSON, now, max entries, max age in seconds.
# Counting and dropping happen in one atomic step: a dropped letter is always on /metrics.
_ADD_AND_TRIM = """
if redis.call('HLEN', KEYS[1]) ~= redis.call('ZCARD', KEYS[2]) then
  -- letters stored before the index existed: their age counts from now
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if not redis.call('ZSCORE', KEYS[2], all[i]) then
      redis.call('ZADD', KEYS[2], ARGV[3], all[i])
    end
  end
end
if ARGV[1] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
local function drop(ids, reason)
  if #ids == 0 then return end
  redis.call('HINCRBY', KEYS[3], reason, #ids)
  redis.call('HDEL', KEYS[1], unpack(ids))
  redis.call('ZREM', KEYS[2], unpack(ids))
end
drop(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. (ARGV[3] - ARGV[5]), 'LIMIT', 0, 1000), 'age')
local extra = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
if extra > 0 then drop(redis.call('ZRANGE', KEYS[2], 0, math.min(extra, 1000) - 1), 'count') end
return redis.call('HLEN', KEYS[1])
"""


class DeadLetters:
    """Kept until replayed or dropped, bounded by ALERTFLEET_DLQ_MAX_ENTRIES and ALERTFLEET_DLQ_MAX_AGE:
    the oldest go first, counted in `alertfleet_dead_letters_dropped_total{reason}` as they go."""

    def __init__(self, client: redis.Redis, max_entries: int | None = None, max_age: float | None = None) -> None:
        self.client = client
        if max_entries is None or max_age is None:
            from alertfleet.settings import get_settings

            settings = get_settings()
            max_entries = settings.dlq_max_entries if max_entries is None else max_entries
            max_age = settings.dlq_max_age if max_age is None else max_age
        self.max_entries = max_entries
        self.max_age = max_age

    def _run(self, letter_id: str = "", payload: str = "") -> int:
        keys = [DLQ, DLQ_INDEX, DLQ_DROPPED]
        args = [letter_id, payload, f"{time.time():.3f}", self.max_entries, self.max_age]
        return int(cast(Any, self.client).eval(_ADD_AND_TRIM, len(keys), *keys, *args))

    def add(self, letter: DeadLetter) -> None:
        """Every way into the dead letters comes here, so this is where their text is redacted: the reason
        as error text (secrets and internal URLs), the task's arguments for secrets."""
        letter.reason = redact_error(letter.reason)
        letter.args = redact_value(letter.args)
        self._run(letter.id, json.dumps(asdict(letter)))

    def trim(self) -> int:
        """Drop what is over the bounds now (also done by every add); the letters left."""
        return self._run()

    def list(self) -> list[DeadLetter]:
        raw: dict[Any, Any] = cast(Any, self.client).hgetall(DLQ)
        letters = [DeadLetter(**json.loads(value)) for value in raw.values()]
        return sorted(letters, key=lambda letter: letter.failed_at)

    def get(self, letter_id: str) -> DeadLetter | None:
        raw = cast(Any, self.client).hget(DLQ, letter_id)
        return DeadLetter(**json.loads(raw)) if raw else None

    def drop(self, letter_id: str) -> bool:
        pipe = cast(Any, self.client).pipeline()
        pipe.hdel(DLQ, letter_id)
        pipe.zrem(DLQ_INDEX, letter_id)
        return bool(pipe.execute()[0])

    def count(self) -> int:
        return int(cast(Any, self.client).hlen(DLQ))
