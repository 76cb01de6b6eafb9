"""The global rate limiter: one moving window per vendor (and target, where the vendor limits per
target), kept in Redis so every worker process on every host shares it.

A vendor's 429 pauses that vendor for everyone until its Retry-After has passed. A per-target limit
(a Slack channel) is paced instead: one send at a time, each a period after the previous one was
answered (workers/pacing.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, cast

import redis
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from alertfleet.keys import PREFIX
from workers.pacing import Pacer

# Defaults from the HolmesGPT rate-limit table; `per_target` where the vendor limits per channel.
DEFAULT_LIMITS: dict[str, tuple[str, bool]] = {
    "slack": ("1/second", True),
    "pagerduty": ("60/minute", False),
    "opsgenie": ("100/minute", False),
    "github": ("5000/hour", False),
    "jira": ("100/minute", False),
    "webhook": ("10/second", True),
}


def limits_storage_uri(redis_url: str) -> str:
    """limits spells a unix socket `redis+unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url.removeprefix("unix://")
    return redis_url


@dataclass(frozen=True)
class VendorLimit:
    item: RateLimitItem
    per_target: bool


class GlobalRateLimiter:
    """`acquire` answers 0 when a write may go now (after at most a short wait for its paced slot),
    else the seconds to wait before asking again."""

    def __init__(self, client: redis.Redis, redis_url: str, overrides: dict[str, str] | None = None) -> None:
        self.client = cast(Any, client)
        self.limiter = MovingWindowRateLimiter(storage_from_string(limits_storage_uri(redis_url)))
        self.pacer = Pacer(client)
        self.limits = {vendor: VendorLimit(parse(text), per_target) for vendor, (text, per_target) in DEFAULT_LIMITS.items()}
        for vendor, text in (overrides or {}).items():
            per_target = DEFAULT_LIMITS.get(vendor, ("", False))[1]
            self.limits[vendor] = VendorLimit(parse(text), per_target)

    def _pause_key(self, vendor: str) -> str:
        return f"{PREFIX}:pause:{vendor}"

    def acquire(self, vendor: str, target: str) -> float:
        paused_ms = int(self.client.pttl(self._pause_key(vendor)))
        if paused_ms > 0:
            return paused_ms / 1000
        limit = self.limits.get(vendor)
        if limit is None:
            return 0.0
        if limit.per_target:
            return self.pacer.take(vendor, target)
        identifiers = (vendor,)
        if self.limiter.hit(limit.item, *identifiers):
            return 0.0
        stats = self.limiter.get_window_stats(limit.item, *identifiers)
        return max(0.05, stats.reset_time - time.time())

    def sent(self, vendor: str, target: str) -> None:
        """A write's requests are done: a per-target limit paces the next send from now."""
        limit = self.limits.get(vendor)
        if limit is not None and limit.per_target:
            self.pacer.done(vendor, target, limit.item)

    def pause(self, vendor: str, seconds: float) -> None:
        """Honour a vendor's Retry-After for every worker; a longer pause already set is kept."""
        milliseconds = max(1, int(seconds * 1000))
        key = self._pause_key(vendor)
        current = int(self.client.pttl(key))
        if current < milliseconds:
            self.client.set(key, "1", px=milliseconds)
