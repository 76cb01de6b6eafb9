"""Which pull sources this ingest runs: whatever the registered integrations' settings turn on.

Every poller draws on the fleet's shared rate limiter (alertfleet.limits), the one the workers'
writers use, so a vendor's budget covers its poller and its writer together across every process.
"""

from __future__ import annotations

import threading

import redis

from alertfleet import registry
from alertfleet.integration import Poller
from alertfleet.limits import FleetRateLimiter, vendor_limits
from alertfleet.settings import FleetSettings
from alertfleet.writing import Throttle


def build_pollers(settings: FleetSettings) -> list[Poller]:
    limiter = _LazyLimiter(settings)
    return [
        poller
        for integration in registry.integrations()
        for poller in integration.pollers(settings, limiter.throttle(integration.name))
    ]


class _LazyLimiter:
    """Connects to Redis on the first request a poller makes, not when ingest builds its pollers.

    Pollers call their vendor from a worker thread (asyncio.to_thread), so the limiter is synchronous.
    """

    def __init__(self, settings: FleetSettings) -> None:
        self.settings = settings
        self._limiter: FleetRateLimiter | None = None
        self._lock = threading.Lock()

    def throttle(self, vendor: str) -> Throttle:
        return lambda: self.limiter().acquire(vendor, "")

    def limiter(self) -> FleetRateLimiter:
        with self._lock:
            if self._limiter is None:
                url = self.settings.redis_client_url
                client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
                self._limiter = FleetRateLimiter(client, url, vendor_limits(self.settings, registry.integrations()))
            return self._limiter
