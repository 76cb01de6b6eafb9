"""Fleet-wide model limits: calls in flight, requests and tokens per minute, and provider pauses.

An investigation is almost all waiting on the model, so what bounds a fleet is the provider's limit,
not a thread count. The slots live in Redis (a sorted set per model, each holder with a lease so a
killed worker's slot frees itself); a released slot is announced on a list that waiting calls block
on (BLPOP), so a waiting call sleeps instead of polling. Requests and tokens per minute use the
`limits` library's moving window, like the vendor limits; a provider 429 pauses the model for every
worker until its Retry-After has passed. Without Redis (the one-shot CLI) the same rules run in-process.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, cast

import redis
from limits import RateLimitItem, parse
from limits.storage import Storage
from limits.strategies import MovingWindowRateLimiter

from alertfleet.keys import LLM_WAIT_METRICS, llm_freed_key, llm_inflight_key, llm_pause_key

DEFAULT_CONCURRENCY = 64
# Upper bounds (seconds) of the alertfleet_llm_wait_seconds histogram.
WAIT_BUCKETS = (0.005, 0.05, 0.25, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
# A waiting call re-checks at least this often, so a lapsed lease (killed worker) frees its slot.
RECHECK_SECONDS = 2.0


@dataclass(frozen=True)
class ModelLimit:
    """What one model allows the whole fleet: calls in flight, and optional requests/tokens windows."""

    concurrency: int = DEFAULT_CONCURRENCY
    requests: RateLimitItem | None = None
    tokens: RateLimitItem | None = None

    @classmethod
    def of(cls, concurrency: int, rpm: str | int | None = None, tpm: str | int | None = None) -> ModelLimit:
        """`rpm`/`tpm` as a count per minute or a `limits` string such as `500/minute`."""
        return cls(concurrency, _item(rpm), _item(tpm))


def _item(value: str | int | None) -> RateLimitItem | None:
    if value is None or value == "":
        return None
    return parse(f"{value}/minute" if isinstance(value, int) else value)


class ModelWaitTooLong(Exception):
    """The model stayed saturated or paused for longer than the caller may wait."""


class SlotStore(Protocol):
    """Where slots and pauses live: Redis for the fleet, this process for the one-shot CLI."""

    def try_acquire(self, model: str, holder: str, limit: int, lease_seconds: float) -> bool: ...
    def release(self, model: str, holder: str) -> None: ...
    def wait_released(self, model: str, timeout: float) -> None: ...
    def pause(self, model: str, seconds: float) -> None: ...
    def paused_seconds(self, model: str) -> float: ...
    def record_wait(self, model: str, seconds: float) -> None: ...


_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + 60000)
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('LPUSH', KEYS[2], '1')
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
  redis.call('PEXPIRE', KEYS[2], 60000)
end
return 1
"""


class RedisSlots:
    """Slots shared by every worker process and host, kept in Redis (Redis' clock decides leases)."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = cast(Any, client)
        self._acquire = self.client.register_script(_ACQUIRE)
        self._release = self.client.register_script(_RELEASE)
        self._limits: dict[str, int] = {}

    def try_acquire(self, model: str, holder: str, limit: int, lease_seconds: float) -> bool:
        self._limits[model] = limit
        lease_ms = max(1000, int(lease_seconds * 1000))
        return bool(self._acquire(keys=[llm_inflight_key(model)], args=[holder, limit, lease_ms]))

    def release(self, model: str, holder: str) -> None:
        keys = [llm_inflight_key(model), llm_freed_key(model)]
        self._release(keys=keys, args=[holder, self._limits.get(model, DEFAULT_CONCURRENCY)])

    def wait_released(self, model: str, timeout: float) -> None:
        self.client.blpop([llm_freed_key(model)], timeout=max(0.01, timeout))

    def pause(self, model: str, seconds: float) -> None:
        """A longer pause already set is kept (SET ... GT needs Redis 7: compare first)."""
        milliseconds = max(1, int(seconds * 1000))
        key = llm_pause_key(model)
        if int(self.client.pttl(key)) < milliseconds:
            self.client.set(key, "1", px=milliseconds)

    def paused_seconds(self, model: str) -> float:
        return max(0, int(self.client.pttl(llm_pause_key(model)))) / 1000

    def record_wait(self, model: str, seconds: float) -> None:
        bucket = next((str(b) for b in WAIT_BUCKETS if seconds <= b), "+Inf")
        pipe = self.client.pipeline(transaction=False)
        pipe.hincrby(LLM_WAIT_METRICS, f"{model}|{bucket}", 1)
        pipe.hincrbyfloat(LLM_WAIT_METRICS, f"{model}|sum", seconds)
        pipe.execute()


class LocalSlots:
    """The same rules inside one process (the CLI without REDIS_URL)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holders: dict[str, set[str]] = {}
        self._paused_until: dict[str, float] = {}

    def try_acquire(self, model: str, holder: str, limit: int, lease_seconds: float) -> bool:
        with self._changed:
            holders = self._holders.setdefault(model, set())
            if len(holders) >= limit:
                return False
            holders.add(holder)
            return True

    def release(self, model: str, holder: str) -> None:
        with self._changed:
            self._holders.get(model, set()).discard(holder)
            self._changed.notify_all()

    def wait_released(self, model: str, timeout: float) -> None:
        with self._changed:
            self._changed.wait(timeout)

    def pause(self, model: str, seconds: float) -> None:
        with self._changed:
            until = time.monotonic() + seconds
            self._paused_until[model] = max(until, self._paused_until.get(model, 0.0))

    def paused_seconds(self, model: str) -> float:
        with self._changed:
            return max(0.0, self._paused_until.get(model, 0.0) - time.monotonic())

    def record_wait(self, model: str, seconds: float) -> None:
        """Nothing scrapes a one-shot process; the CLI's waits are not exported."""


class ModelLimiter:
    """`turn(model, tokens)` waits until the model may be called, and holds a slot for the call."""

    def __init__(self, slots: SlotStore, windows: Storage, limits_for: Callable[[str], ModelLimit]) -> None:
        self.slots = slots
        self.windows = MovingWindowRateLimiter(windows)
        self.limits_for = limits_for

    @contextmanager
    def turn(self, model: str, tokens: int, lease_seconds: float, max_wait: float) -> Iterator[float]:
        """Yields the seconds waited; raises ModelWaitTooLong after `max_wait` without a turn."""
        holder = uuid.uuid4().hex
        waited = self._wait_for_turn(model, max(1, tokens), holder, lease_seconds, max_wait)
        try:
            yield waited
        finally:
            self.slots.release(model, holder)

    def _wait_for_turn(self, model: str, tokens: int, holder: str, lease: float, max_wait: float) -> float:
        started = time.monotonic()
        deadline = started + max_wait
        while True:
            remaining = deadline - time.monotonic()
            limit = self.limits_for(model)
            paused = self.slots.paused_seconds(model)
            if paused > 0:
                self._sleep(paused, remaining, model)
                continue
            if not self.slots.try_acquire(model, holder, limit.concurrency, lease):
                if remaining <= 0:
                    raise ModelWaitTooLong(f"no free slot for {model} within {max_wait:.0f}s")
                self.slots.wait_released(model, min(remaining, RECHECK_SECONDS))
                continue
            window_wait = self._spend_window(model, limit, tokens)
            if window_wait <= 0:
                waited = time.monotonic() - started
                self.slots.record_wait(model, waited)
                return waited
            self.slots.release(model, holder)  # never sit on a slot while waiting for the minute to roll
            self._sleep(window_wait, remaining, model)

    def _sleep(self, seconds: float, remaining: float, model: str) -> None:
        if seconds > remaining:
            raise ModelWaitTooLong(f"{model} is limited for {seconds:.1f}s more; waited as long as allowed")
        time.sleep(seconds)

    def _spend_window(self, model: str, limit: ModelLimit, tokens: int) -> float:
        """0 when the request (and its estimated tokens) fit the windows, else seconds until they may."""
        for item, kind, cost in ((limit.requests, "llm", 1), (limit.tokens, "llm-tokens", tokens)):
            if item is None:
                continue
            cost = min(cost, item.amount)
            if not self.windows.hit(item, kind, model, cost=cost):
                stats = self.windows.get_window_stats(item, kind, model)
                return max(0.05, stats.reset_time - time.time())
        return 0.0

    def spend_tokens(self, model: str, tokens: int) -> None:
        """Count tokens the estimate missed (the answer's), so the next callers see the true spend."""
        item = self.limits_for(model).tokens
        if item is not None and tokens > 0:
            self.windows.hit(item, "llm-tokens", model, cost=min(tokens, item.amount))

    def pause(self, model: str, seconds: float) -> None:
        """A provider's Retry-After: no call to this model from anyone until it has passed."""
        self.slots.pause(model, seconds)


class ModelLimitSpec(Protocol):
    """A YAML `models:` entry's limits; a field left out takes the fleet default."""

    @property
    def concurrency(self) -> int | None: ...
    @property
    def rpm(self) -> int | None: ...
    @property
    def tpm(self) -> int | None: ...


def limits_table(
    concurrency: int, requests: str | None, per_model: Callable[[], Mapping[str, ModelLimitSpec]]
) -> Callable[[str], ModelLimit]:
    """The fleet default (ALERTFLEET_LLM_CONCURRENCY, `llm=` of ALERTFLEET_RATE_LIMITS), field by field
    overridden by the YAML `models:` entry of that litellm model id (read on each call: reloads apply)."""
    default = ModelLimit.of(concurrency, requests)

    def limits_for(model: str) -> ModelLimit:
        spec = per_model().get(model)
        if spec is None:
            return default
        return ModelLimit(
            spec.concurrency or default.concurrency,
            _item(spec.rpm) if spec.rpm else default.requests,
            _item(spec.tpm) if spec.tpm else default.tokens,
        )

    return limits_for
