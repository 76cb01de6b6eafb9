"""The one rate limiter: a moving window per vendor (and target, where the vendor limits per target),
kept in Redis so every process on every host — ingest's pollers and the workers' writers alike —
draws on the same budget. A vendor's 429 pauses that vendor for everyone until its Retry-After. A
per-target limit (a chat channel) is paced instead: one send at a time, each a period after the
previous one was answered (alertfleet/pacing.py), so send-time skew never causes a 429.

Each integration declares its default limit (alertfleet.integration.RateLimit); ALERTFLEET_RATE_LIMITS
overrides any of them. `local_throttle` is the per-process fallback for one-shot CLI runs, which may
have no fleet Redis to share.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import redis
from limits import RateLimitItem, RateLimitItemPerMinute, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from alertfleet.keys import RATE_LIMIT_PREFIX, vendor_pause_key
from alertfleet.pacing import Pacer
from alertfleet.writing import Throttle

if TYPE_CHECKING:
    from alertfleet.integration import Integration
    from alertfleet.settings import FleetSettings


def limits_storage_uri(redis_url: str) -> str:
    """limits spells a unix socket `redis+unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


@dataclass(frozen=True)
class VendorLimit:
    item: RateLimitItem
    per_target: bool


def vendor_limits(settings: FleetSettings, integrations: Iterable[Integration[Any]]) -> dict[str, VendorLimit]:
    """Each integration's limit in force (its own default or setting), ALERTFLEET_RATE_LIMITS winning."""
    found: dict[str, VendorLimit] = {}
    for integration in integrations:
        declared = integration.limit(settings)
        if declared is not None:
            found[integration.name] = VendorLimit(parse(declared.limit), declared.per_target)
    for vendor, text in settings.rate_limit_overrides().items():
        per_target = found[vendor].per_target if vendor in found else False
        found[vendor] = VendorLimit(parse(text), per_target)
    return found


class NoTurn(Exception):
    """The limiter has no turn for this request yet: come back in `retry_after` seconds (not a failure)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"no turn yet; retry in {retry_after:.2f}s")
        self.retry_after = retry_after


class FleetRateLimiter:
    """`acquire` answers 0 when a request may go now (after at most a short wait for its paced slot),
    else the seconds to wait before asking again."""

    def __init__(self, client: redis.Redis, redis_url: str, limits: Mapping[str, VendorLimit]) -> None:
        self.client = cast(Any, client)
        storage = storage_from_string(limits_storage_uri(redis_url), key_prefix=RATE_LIMIT_PREFIX)
        self.limiter = MovingWindowRateLimiter(storage)
        self.limits = dict(limits)
        self.pacer = Pacer(client)

    def acquire(self, vendor: str, target: str) -> float:
        paused_ms = int(self.client.pttl(vendor_pause_key(vendor)))
        if paused_ms > 0:
            return paused_ms / 1000
        limit = self.limits.get(vendor)
        if limit is None:
            return 0.0
        if limit.per_target:
            return self.pacer.take(vendor, target)
        if self.limiter.hit(limit.item, vendor):
            return 0.0
        stats = self.limiter.get_window_stats(limit.item, vendor)
        return max(0.05, stats.reset_time - time.time())

    def sent(self, vendor: str, target: str) -> None:
        """A write's requests are done: a per-target limit paces the next send from now."""
        limit = self.limits.get(vendor)
        if limit is not None and limit.per_target:
            self.pacer.done(vendor, target, limit.item)

    @contextlib.contextmanager
    def turn(self, vendor: str, target: str = "") -> Iterator[None]:
        """`acquire` (NoTurn when it says wait) around a send, and `sent` after it, whatever its outcome."""
        wait = self.acquire(vendor, target)
        if wait > 0:
            raise NoTurn(wait)
        try:
            yield
        finally:
            self.sent(vendor, target)

    def throttle(self, vendor: str, target: str = "") -> Throttle:
        """`acquire` bound to one vendor (and target): what writers and pollers are handed."""
        return lambda: self.acquire(vendor, target)

    def pause(self, vendor: str, seconds: float) -> None:
        """Honour a vendor's Retry-After for every process; a longer pause already set is kept."""
        milliseconds = max(1, int(seconds * 1000))
        key = vendor_pause_key(vendor)
        current = int(self.client.pttl(key))
        if current < milliseconds:
            self.client.set(key, "1", px=milliseconds)


class _LocalBudget:
    """Requests per minute for one process, over a moving window."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def take(self) -> float:
        if self._limiter.hit(self.item, "local"):
            return 0.0
        stats = self._limiter.get_window_stats(self.item, "local")
        return max(0.05, stats.reset_time - time.time())


_budgets: dict[tuple[str, int], _LocalBudget] = {}
_budgets_lock = threading.Lock()


def local_throttle(name: str, per_minute: int, *, blocking: bool = False) -> Throttle:
    """A per-process budget named `name` (a vendor, or its API host: shared by every client of it in
    the process); `blocking` waits for a slot instead of answering how long to wait (one-shot CLI runs)."""
    with _budgets_lock:
        budget = _budgets.setdefault((name.rstrip("/"), per_minute), _LocalBudget(per_minute))

    def acquire() -> float:
        wait = budget.take()
        while blocking and wait > 0:
            time.sleep(wait)
            wait = budget.take()
        return wait

    return acquire
