"""Ingest counters exposed on /metrics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

RECEIVED = Counter("alertfleet_notifications_received", "Notifications received by ingest", ["source"])
ACCEPTED = Counter("alertfleet_notifications_accepted", "Notifications durably stored", ["source"])
DEDUPLICATED = Counter(
    "alertfleet_notifications_deduplicated", "Re-sent notifications absorbed without new work", ["source"]
)
REJECTED = Counter("alertfleet_notifications_rejected", "Notifications refused", ["source", "reason"])
DISPATCHED = Counter("alertfleet_events_dispatched", "Stream events turned into tasks", ["action"])
DEAD_LETTERS = Gauge("alertfleet_dead_letters", "Failed tasks waiting in the dead letters (alertfleet dlq list)")


class DroppedDeadLetters(Collector):
    """Dead letters dropped over ALERTFLEET_DLQ_MAX_ENTRIES / _MAX_AGE, counted by workers in Redis (fleet-wide)."""

    def __init__(self) -> None:
        self._counts: dict[str, float] = {}

    def update(self, raw: Mapping[Any, Any]) -> None:
        counts = {}
        for reason, value in raw.items():
            try:
                counts[reason.decode() if isinstance(reason, bytes) else str(reason)] = float(value)
            except (TypeError, ValueError):
                continue
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "alertfleet_dead_letters_dropped", "Dead letters dropped by their bounds (fleet-wide)", labels=["reason"]
        )
        for reason in ("age", "count"):
            family.add_metric([reason], self._counts.get(reason, 0.0))
        yield family


DEAD_LETTERS_DROPPED = DroppedDeadLetters()
REGISTRY.register(DEAD_LETTERS_DROPPED)
