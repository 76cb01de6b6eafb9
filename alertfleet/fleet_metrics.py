"""Fleet-wide counters and histograms that workers record in Redis and ingest's /metrics exposes.

Workers serve no HTTP, and Celery pools are threads or short-lived processes: a per-process
registry would be lost or unscrapeable. One Redis hash (HINCRBYFLOAT, one field per series) is
shared by every worker on every host; each ingest replica reads it at scrape time, so every
replica shows the same fleet-wide totals (aggregate with max(), not sum(), as for
`alertfleet_investigations_total`). Recording never fails a task: metrics are best effort.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import redis
import structlog
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from alertfleet.keys import FLEET_METRICS

log = structlog.get_logger("metrics")


@dataclass(frozen=True)
class FleetMetric:
    """One series family: its exposition name (without `_total`), help, type and label names."""

    name: str
    help: str
    kind: Literal["counter", "histogram"]
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()


WRITES = FleetMetric(
    "alertfleet_writes",
    "Destination writes by vendor and outcome (the writer's action: created, updated, ...; retried, dead_lettered)",
    "counter",
    ("vendor", "outcome"),
)
THROTTLED = FleetMetric("alertfleet_vendor_throttled", "429 answers from a vendor", "counter", ("vendor",))
PAUSES = FleetMetric(
    "alertfleet_vendor_pauses", "Fleet-wide pauses of a vendor for its Retry-After", "counter", ("vendor",)
)
INVESTIGATIONS_FINISHED = FleetMetric(
    "alertfleet_investigations_finished",
    "Investigations that ended, by state (completed, skipped, degraded) and first matched route",
    "counter",
    ("state", "route"),
)
INVESTIGATION_SECONDS = FleetMetric(
    "alertfleet_investigation_duration_seconds",
    "Wall time of one investigation task run, by mode (llm, enrich)",
    "histogram",
    ("mode",),
    (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
LLM_CALLS = FleetMetric("alertfleet_llm_calls", "Model calls made by investigations", "counter", ("model",))
LLM_TOKENS = FleetMetric(
    "alertfleet_llm_tokens", "Model tokens used by investigations, by kind (prompt, completion)", "counter", ("model", "kind")
)
LLM_COST = FleetMetric(
    "alertfleet_llm_cost_usd",
    "Model cost in USD by litellm's local cost map (calls of a model it has no price for add nothing)",
    "counter",
    ("model",),
)
INVESTIGATIONS_SKIPPED = FleetMetric(
    "alertfleet_investigations_skipped",
    "Investigations never started, by reason (resolved-before-investigation)",
    "counter",
    ("reason",),
)
TOKEN_BUDGET_EXHAUSTED = FleetMetric(
    "alertfleet_token_budget_exhausted",
    "Problems given enrichment instead of a model because the hourly token budget was spent",
    "counter",
    (),
)
FEEDBACK = FleetMetric(
    "alertfleet_feedback",
    "Ratings of investigations by the people who read them, by first matched route and value (helpful, not_helpful)",
    "counter",
    ("route", "value"),
)
REDRIVEN = FleetMetric(
    "alertfleet_redriven",
    "Tasks sent again because their worker lost them, by reason (lease_lapsed: a running or reserved task's lease "
    "ran out; stranded_reservation: a reserved message no worker leased; lost_message: an unfinished investigation "
    "with no message, reservation or lease anywhere)",
    "counter",
    ("reason",),
)
FLEET_METRIC_FAMILIES = (
    WRITES,
    THROTTLED,
    PAUSES,
    INVESTIGATIONS_FINISHED,
    INVESTIGATION_SECONDS,
    LLM_CALLS,
    LLM_TOKENS,
    LLM_COST,
    FEEDBACK,
    INVESTIGATIONS_SKIPPED,
    TOKEN_BUDGET_EXHAUSTED,
    REDRIVEN,
)


def _field(metric: FleetMetric, labels: Mapping[str, str], suffix: str = "", le: str | None = None) -> str:
    values = [str(labels.get(name, "")) for name in metric.labels]
    return json.dumps([metric.name + suffix, values, le])


def record(client: redis.Redis, metric: FleetMetric, labels: Mapping[str, str], value: float = 1.0) -> None:
    """Add `value` to a counter series."""
    _apply(client, [(_field(metric, labels), value)])


def observe(client: redis.Redis, metric: FleetMetric, labels: Mapping[str, str], value: float) -> None:
    """One histogram observation: its cumulative buckets, `+Inf`, the sum and the count, in one round trip."""
    fields = [(_field(metric, labels, "_bucket", _le(bound)), 1.0) for bound in metric.buckets if value <= bound]
    fields += [
        (_field(metric, labels, "_bucket", "+Inf"), 1.0),
        (_field(metric, labels, "_sum"), value),
        (_field(metric, labels, "_count"), 1.0),
    ]
    _apply(client, fields)


def _le(bound: float) -> str:
    return repr(float(bound))


def _apply(client: redis.Redis, fields: list[tuple[str, float]]) -> None:
    try:
        pipe = cast(Any, client).pipeline(transaction=False)
        for field, value in fields:
            pipe.hincrbyfloat(FLEET_METRICS, field, value)
        pipe.execute()
    except (redis.RedisError, OSError) as exc:
        log.warning("metrics_not_recorded", error=type(exc).__name__)


class FleetCounts(Collector):
    """The last fleet-wide values read from Redis (kept when Redis cannot be read: counters never go back)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, tuple[str, ...], str | None], float] = {}

    def update(self, raw: Mapping[Any, Any]) -> None:
        values = {}
        for field, value in raw.items():
            try:
                name, labels, le = json.loads(field)
                values[(str(name), tuple(str(v) for v in labels), le)] = float(value)
            except (ValueError, TypeError):
                continue  # not ours: never fail a scrape over one odd field
        self._values = values

    def collect(self) -> Iterator[Metric]:
        for metric in FLEET_METRIC_FAMILIES:
            yield self._histogram(metric) if metric.kind == "histogram" else self._counter(metric)

    def _counter(self, metric: FleetMetric) -> Metric:
        family = CounterMetricFamily(metric.name, metric.help, labels=list(metric.labels))
        for (name, labels, _), value in sorted(self._values.items(), key=str):
            if name == metric.name:
                family.add_metric(list(labels), value)
        return family

    def _histogram(self, metric: FleetMetric) -> Metric:
        family = HistogramMetricFamily(metric.name, metric.help, labels=list(metric.labels))
        series = {labels for (name, labels, _) in self._values if name == metric.name + "_count"}
        for labels in sorted(series):
            buckets = [
                (_le(b), self._values.get((metric.name + "_bucket", labels, _le(b)), 0.0)) for b in metric.buckets
            ]
            buckets.append(("+Inf", self._values.get((metric.name + "_bucket", labels, "+Inf"), 0.0)))
            family.add_metric(list(labels), buckets, self._values.get((metric.name + "_sum", labels, None), 0.0))
        return family
