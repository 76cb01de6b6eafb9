"""Fleet metrics: what workers record in Redis is what ingest's /metrics exposes, histograms cumulative."""

from __future__ import annotations

import redis
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from alertfleet import fleet_metrics
from alertfleet.keys import FLEET_METRICS
from tests.harness.processes import free_port


def exposed(client: redis.Redis) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    counts = fleet_metrics.FleetCounts()
    counts.update(client.hgetall(FLEET_METRICS))
    registry = CollectorRegistry()
    registry.register(counts)
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_counters_from_several_workers_add_up(redis_url: str) -> None:
    first, second = redis.Redis.from_url(redis_url), redis.Redis.from_url(redis_url)
    labels = {"vendor": "slack", "outcome": "created"}
    fleet_metrics.record(first, fleet_metrics.WRITES, labels)
    fleet_metrics.record(second, fleet_metrics.WRITES, labels)
    fleet_metrics.record(second, fleet_metrics.LLM_COST, {"model": "openai/gpt-4.1-mini"}, 0.25)
    samples = exposed(first)
    assert samples[("alertfleet_writes_total", (("outcome", "created"), ("vendor", "slack")))] == 2
    assert samples[("alertfleet_llm_cost_usd_total", (("model", "openai/gpt-4.1-mini"),))] == 0.25


def test_histogram_buckets_are_cumulative(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    for seconds in (0.7, 3.0, 700.0):
        fleet_metrics.observe(client, fleet_metrics.INVESTIGATION_SECONDS, {"mode": "llm"}, seconds)
    samples = exposed(client)

    def bucket(le: str) -> float:
        return samples[("alertfleet_investigation_duration_seconds_bucket", (("le", le), ("mode", "llm")))]

    assert (bucket("0.5"), bucket("1.0"), bucket("5.0"), bucket("600.0"), bucket("+Inf")) == (0, 1, 2, 2, 3)
    assert samples[("alertfleet_investigation_duration_seconds_count", (("mode", "llm"),))] == 3
    assert samples[("alertfleet_investigation_duration_seconds_sum", (("mode", "llm"),))] == 703.7


def test_recording_never_fails_a_task_when_redis_is_down() -> None:
    down = redis.Redis(port=free_port(), socket_connect_timeout=1)
    fleet_metrics.record(down, fleet_metrics.WRITES, {"vendor": "slack", "outcome": "created"})  # no exception
    fleet_metrics.observe(down, fleet_metrics.INVESTIGATION_SECONDS, {"mode": "llm"}, 1.0)


def test_odd_fields_do_not_break_a_scrape(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.hset(FLEET_METRICS, "not json", 1)
    fleet_metrics.record(client, fleet_metrics.THROTTLED, {"vendor": "pagerduty"})
    assert exposed(client)[("alertfleet_vendor_throttled_total", (("vendor", "pagerduty"),))] == 1
