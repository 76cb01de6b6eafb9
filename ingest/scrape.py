"""What `/metrics` answers: this host's ingest processes added up, plus the fleet's shared series.

Process counters (notifications, dispatches) live in each process; with PROMETHEUS_MULTIPROC_DIR
set (`alertfleet ingest` always sets one) every uvicorn worker and dispatcher writes its own file
there and a scrape adds them up, whichever worker answers. Fleet-wide series (the workers' counters,
queue and stream depth, dead letters) are read from Redis at scrape time into a registry of their own,
so they appear once however many processes there are.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any, cast

import redis.asyncio as aioredis
import redis.exceptions
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alertfleet.fleet_metrics import FleetCounts
from alertfleet.keys import (
    DISPATCH_GROUP,
    DLQ,
    DLQ_DROPPED,
    EVENTS_STREAM,
    FLEET_METRICS,
    LLM_WAIT_METRICS,
    ROUTE_METRICS,
    TOKEN_BUDGET,
)
from alertfleet.metrics_dir import MULTIPROC_ENV
from alertfleet.queue import ALL_QUEUES
from ingest.budget_metrics import TOKEN_BUDGET_GAUGES
from ingest.llm_metrics import MODEL_WAITS
from ingest.route_metrics import ROUTE_COUNTS

REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


class FleetGauges(Collector):
    """Depths read from Redis at the last scrape: dead letters, the events stream, each Celery queue."""

    def __init__(self) -> None:
        self.dead_letters = 0.0
        self.stream_length = 0.0
        self.stream_pending = 0.0
        self.queues: dict[str, float] = dict.fromkeys(ALL_QUEUES, 0.0)
        self.dead_letters_dropped: dict[str, float] = {"age": 0.0, "count": 0.0}

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "alertfleet_dead_letters",
            "Failed tasks waiting in the dead letters (alertfleet dlq list)",
            self.dead_letters,
        )
        # Counted by the workers in the same atomic step that drops them (workers/dlq.py).
        dropped = CounterMetricFamily(
            "alertfleet_dead_letters_dropped", "Dead letters dropped by their bounds (fleet-wide)", labels=["reason"]
        )
        for reason, value in sorted(self.dead_letters_dropped.items()):
            dropped.add_metric([reason], value)
        yield dropped
        yield GaugeMetricFamily(
            "alertfleet_stream_length", "Stored events not yet turned into tasks (events stream)", self.stream_length
        )
        yield GaugeMetricFamily(
            "alertfleet_stream_pending", "Events a dispatcher holds but has not enqueued yet", self.stream_pending
        )
        queues = GaugeMetricFamily("alertfleet_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        for queue, depth in sorted(self.queues.items()):
            queues.add_metric([queue], depth)
        yield queues


FLEET_COUNTS = FleetCounts()
FLEET_GAUGES = FleetGauges()
FLEET_REGISTRY = CollectorRegistry(auto_describe=False)
for _collector in (ROUTE_COUNTS, FLEET_COUNTS, FLEET_GAUGES, MODEL_WAITS, TOKEN_BUDGET_GAUGES):
    FLEET_REGISTRY.register(_collector)


async def refresh(client: aioredis.Redis) -> None:
    """Read the fleet's values in one round trip; on a Redis error keep the last ones."""
    pipe = cast(Any, client).pipeline(transaction=False)
    pipe.hlen(DLQ)
    pipe.xlen(EVENTS_STREAM)
    pipe.hgetall(ROUTE_METRICS)
    pipe.hgetall(FLEET_METRICS)
    pipe.hgetall(DLQ_DROPPED)
    pipe.hgetall(LLM_WAIT_METRICS)
    pipe.hgetall(TOKEN_BUDGET)
    for queue in ALL_QUEUES:
        pipe.llen(queue)
    try:
        dead, length, routes, fleet, dropped, waits, budget, *queues = await pipe.execute()
    except REDIS_ERRORS:
        return
    FLEET_GAUGES.dead_letters, FLEET_GAUGES.stream_length = float(dead), float(length)
    FLEET_GAUGES.queues = {queue: float(depth) for queue, depth in zip(ALL_QUEUES, queues, strict=True)}
    ROUTE_COUNTS.update(routes)
    FLEET_COUNTS.update(fleet)
    FLEET_GAUGES.dead_letters_dropped = {"age": 0.0, "count": 0.0} | {_text(k): float(v) for k, v in dropped.items()}
    MODEL_WAITS.update(waits)
    TOKEN_BUDGET_GAUGES.update(budget)
    FLEET_GAUGES.stream_pending = await _pending(client)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


async def _pending(client: aioredis.Redis) -> float:
    try:
        summary: Mapping[str, Any] = await cast(Any, client).xpending(EVENTS_STREAM, DISPATCH_GROUP)
    except (redis.exceptions.ResponseError, *REDIS_ERRORS):
        return FLEET_GAUGES.stream_pending  # no group yet, or Redis gone: keep the last value
    return float(summary.get("pending", 0) or 0)


def process_registry() -> CollectorRegistry:
    """Every ingest process of this host in multiprocess mode; this process alone otherwise."""
    if not os.environ.get(MULTIPROC_ENV):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def exposition() -> bytes:
    return generate_latest(process_registry()) + generate_latest(FLEET_REGISTRY)
