"""One vendor client's requests against the fleet's budget, for SDKs that make requests of their own.

An SDK call may make several requests (Jira's serverInfo, GitHub's pages), so the budget is taken
where the SDK's transport sends (a requests adapter, an httpx event hook), not once per call. Before
each request: wait out a pause the vendor asked for, then take a token of the shared limit. After:
the integration reads the vendor's own rate-limit answer and `hold`s — locally at once, and for every
process through `pause` (the fleet limiter's vendor pause), so no one asks again before the time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from alertfleet.writing import Throttle

if TYPE_CHECKING:
    from alertfleet.limits import FleetRateLimiter

Pause = Callable[[float], None]  # seconds: stop every process calling the vendor for that long


class Throttled(Exception):
    """The shared budget (or a pause the vendor asked for) says: no request for `wait` seconds."""

    def __init__(self, vendor: str, wait: float) -> None:
        super().__init__(f"{vendor} request budget spent; next slot in {wait:.1f}s")
        self.vendor = vendor
        self.wait = wait


class RequestGate:
    """`before()` each request, `hold(seconds)` when the vendor says wait; `blocking` (one-shot CLI
    runs) sleeps instead of raising Throttled."""

    def __init__(
        self, vendor: str, throttle: Throttle | None, pause: Pause | None = None, *, blocking: bool = False
    ) -> None:
        self.vendor = vendor
        self.throttle = throttle
        self.pause = pause
        self.blocking = blocking
        self._not_before = 0.0
        self._lock = threading.Lock()
        self._credit = threading.local()

    def prepaid(self, requests: int) -> None:
        """The next `requests` of this thread were paid for already (the write task took a token)."""
        self._credit.requests = requests

    def before(self) -> None:
        credit = getattr(self._credit, "requests", 0)
        if credit > 0 and self.paused() <= 0:
            self._credit.requests = credit - 1
            return
        while (wait := self._wait()) > 0:
            if not self.blocking:
                raise Throttled(self.vendor, wait)
            time.sleep(wait)

    def paused(self) -> float:
        """Seconds this process still holds off (0 or less: not paused here)."""
        with self._lock:
            return self._not_before - time.monotonic()

    def _wait(self) -> float:
        paused = self.paused()
        if paused > 0:
            return paused
        return self.throttle() if self.throttle is not None else 0.0

    def hold(self, seconds: float) -> None:
        """The vendor said: nothing for `seconds` (here at once, fleet-wide through `pause`)."""
        if seconds <= 0:
            return
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)
        if self.pause is not None:
            self.pause(seconds)


def fleet_pause(redis_url: str, vendor: str) -> Pause:
    """`pause` for a gate: the fleet limiter's vendor pause, which every writer and poller obeys."""

    def pause(seconds: float) -> None:
        _limiter(redis_url).pause(vendor, seconds)

    return pause


@lru_cache(maxsize=4)
def _limiter(redis_url: str) -> FleetRateLimiter:
    """One client per Redis URL and process, made on the first pause (most processes never pause)."""
    import redis

    from alertfleet.limits import FleetRateLimiter

    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
    return FleetRateLimiter(client, redis_url, {})
