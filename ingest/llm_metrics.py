"""`alertfleet_llm_wait_seconds{model}` on ingest's /metrics: how long model calls waited for a turn.

Workers serve no HTTP, so each call's wait lands in a Redis hash (one field per model and bucket,
plus the sum); ingest/scrape.py reads it at scrape time into the fleet registry (aggregate with max()).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from alertfleet.model_limits import WAIT_BUCKETS

BUCKET_NAMES = [*(str(bound) for bound in WAIT_BUCKETS), "+Inf"]


class ModelWaits(Collector):
    """The last histogram read from Redis, per model (kept when Redis cannot be read)."""

    def __init__(self) -> None:
        self._counts: dict[str, dict[str, float]] = {}

    def update(self, raw: Mapping[Any, Any]) -> None:
        counts: dict[str, dict[str, float]] = {}
        for field, value in raw.items():
            text = field.decode() if isinstance(field, bytes) else str(field)
            model, _, bucket = text.rpartition("|")
            try:
                number = float(value)
            except (TypeError, ValueError):
                continue  # not ours: never fail a scrape over one odd field
            if model and (bucket in BUCKET_NAMES or bucket == "sum") and math.isfinite(number):
                counts.setdefault(model, {})[bucket] = number
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "alertfleet_llm_wait_seconds",
            "Seconds a model call waited for the fleet-wide model limits (slot, rpm/tpm, provider pause)",
            labels=["model"],
        )
        for model, counts in sorted(self._counts.items()):
            cumulative, buckets = 0.0, []
            for name in BUCKET_NAMES:
                cumulative += counts.get(name, 0.0)
                buckets.append((name, cumulative))
            family.add_metric([model], buckets, counts.get("sum", 0.0))
        yield family


MODEL_WAITS = ModelWaits()  # registered on the fleet registry by ingest/scrape.py
