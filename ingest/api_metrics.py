"""HTTP metrics on /metrics: requests and latency by route and status, chat requests in flight, and
API sessions by state (fleet-wide, counted by ingest and workers in a Redis hash)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from typing import Any, cast

import redis.asyncio as aioredis
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alertfleet.keys import SESSION_METRICS
from ingest.scrape import FLEET_REGISTRY, REDIS_ERRORS

REQUESTS = Counter("alertfleet_http_requests", "HTTP requests answered", ["route", "method", "status"])
LATENCY = Histogram(
    "alertfleet_http_request_duration_seconds",
    "Time to the last byte of the answer (an SSE stream counts until it ends)",
    ["route", "method"],
    buckets=(0.005, 0.025, 0.1, 0.5, 1, 2.5, 10, 30, 60, 120, 300),
)
CHAT_IN_FLIGHT = Gauge(
    "alertfleet_chat_requests_in_flight",
    "API requests waiting for or streaming a session",
    multiprocess_mode="livesum",  # summed over the live uvicorn workers
)


class HttpMetrics:
    """ASGI middleware: labels by the matched route's template, so ids in paths do not explode series."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def _send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            LATENCY.labels(route, scope["method"]).observe(time.perf_counter() - started)


class SessionStates(Collector):
    """The last per-state counts read from Redis."""

    def __init__(self) -> None:
        self._counts: dict[str, float] = {}

    def update(self, raw: Mapping[Any, Any]) -> None:
        counts = {}
        for state, value in raw.items():
            try:
                counts[state.decode() if isinstance(state, bytes) else str(state)] = max(0.0, float(value))
            except (TypeError, ValueError):
                continue
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("alertfleet_api_sessions", "API sessions by state (fleet-wide)", labels=["state"])
        for state, value in sorted(self._counts.items()):
            family.add_metric([state], value)
        yield family


SESSION_STATES = SessionStates()
FLEET_REGISTRY.register(SESSION_STATES)  # fleet-wide (from Redis): once per scrape, not once per process


async def refresh(client: aioredis.Redis) -> None:
    """Read the per-state counts; on a Redis error keep the last ones."""
    with contextlib.suppress(*REDIS_ERRORS):
        SESSION_STATES.update(await cast(Any, client).hgetall(SESSION_METRICS))
