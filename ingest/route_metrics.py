"""`alertfleet_investigations_total{route, investigate}` on ingest's /metrics.

Workers route investigations but serve no HTTP, so they count in a Redis hash (fleet-wide, one
HINCRBY per matched route); /metrics reads it at scrape time. Every ingest replica shows the same
fleet-wide totals: aggregate with max(), not sum().
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class RouteCounts(Collector):
    """The last counts read from Redis (kept when Redis cannot be read: counters never go back)."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], float] = {}

    def update(self, raw: Mapping[Any, Any]) -> None:
        counts = {}
        for field, value in raw.items():
            try:
                route, mode = json.loads(field)
                counts[(str(route), str(mode))] = float(value)
            except (ValueError, TypeError):
                continue  # not ours: never fail a scrape over one odd field
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "alertfleet_investigations",
            "Investigations routed, by matched route and investigate mode (fleet-wide)",
            labels=["route", "investigate"],
        )
        for (route, mode), value in sorted(self._counts.items()):
            family.add_metric([route, mode], value)
        yield family


ROUTE_COUNTS = RouteCounts()  # registered on the fleet registry by ingest/scrape.py
