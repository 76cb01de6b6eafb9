"""`alertfleet_token_budget_remaining` and `_spent` on ingest's /metrics: the fleet's sliding-hour budget.

The workers spend it (alertfleet/token_budget.py); ingest reads the same Redis hash at scrape time,
so every replica shows the same fleet-wide numbers. Without ALERTFLEET_TOKEN_BUDGET_PER_HOUR there is
no budget and no series. Problems degraded for it are `alertfleet_token_budget_exhausted_total`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from alertfleet.settings import get_settings
from alertfleet.token_budget import live_tokens


class TokenBudgetGauges(Collector):
    """The last spend read from Redis (kept when Redis cannot be read)."""

    def __init__(self) -> None:
        self.spent = 0

    def update(self, raw: Mapping[Any, Any]) -> None:
        self.spent = live_tokens(dict(raw))

    def collect(self) -> Iterator[Metric]:
        limit = get_settings().token_budget_per_hour
        if limit is None:
            return
        yield GaugeMetricFamily(
            "alertfleet_token_budget_spent", "Model tokens the fleet spent in the last hour (sliding)", self.spent
        )
        yield GaugeMetricFamily(
            "alertfleet_token_budget_remaining",
            "Tokens left of ALERTFLEET_TOKEN_BUDGET_PER_HOUR in the sliding hour (0: new problems get enrichment)",
            max(0, limit - self.spent),
        )


TOKEN_BUDGET_GAUGES = TokenBudgetGauges()  # registered on the fleet registry by ingest/scrape.py
