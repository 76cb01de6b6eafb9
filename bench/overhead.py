"""The fleet's own overhead, and a 2 s model with 64 alerts at once, webhook -> Slack post.

1. 0-latency model, one alert at a time: webhook sent -> chat.postMessage received, p50/p99 over
   1,000 alerts (Slack's limit lifted: this measures alertfleet). Targets: p50 < 50 ms, p99 < 150 ms.
2. The model holds each call 2 s; 64 alerts at once, Slack at its real 1 message/s per channel, the stub
   answering 429 to any post less than 1 s after the previous one. Target: every message posted within
   64 s of the first answer, >= 0.9 msg/s to the channel, 0 self-caused 429s.

    python -m bench.overhead [--alerts 1000] [--burst 64]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import httpx

from bench.fleet import TOKEN, BenchFleet
from bench.report import save
from bench.vs_holmesgpt import TimedModel
from tests.harness.alerts import webhook
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub
from tests.stubs.slack_quota import QuotaSlackStub

FAST_SLACK = {"ALERTFLEET_RATE_LIMITS": "slack=100000/second"}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def zero_latency(alerts: int) -> dict[str, Any]:
    slack = SlackStub(token=TOKEN, channels=("#alerts",)).start()
    model = ModelStub(api_key="sk-test").start()
    try:
        with BenchFleet(slack, model, extra_env=FAST_SLACK) as fleet, httpx.Client(timeout=10) as client:
            for n in range(3):  # warm-up: connections, the first investigation's imports
                fleet.post(client, webhook(f"Warmup{n}"))
            slack.wait_until(lambda: slack.post_count() >= 3, 120)
            latencies = []
            for n in range(alerts):
                before = slack.post_count()
                started = time.perf_counter()
                if fleet.post(client, webhook(f"Overhead{n}")) != 202:
                    raise RuntimeError("ingest refused an alert")
                if not slack.wait_until(lambda b=before: slack.post_count() > b, 60):
                    raise RuntimeError("a message never arrived:\n" + fleet.processes[1].output()[-3000:])
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        slack.stop()
        model.stop()
    p50, p99 = statistics.median(latencies), percentile(latencies, 99)
    return {
        "scenario": f"0-latency model, {alerts} alerts one at a time",
        "p50 ms": p50,
        "p99 ms": p99,
        "target": "p50 < 50 ms, p99 < 150 ms",
        "met": p50 < 50 and p99 < 150,
    }


def slow_model_burst(burst: int, seconds: float) -> dict[str, Any]:
    slack = QuotaSlackStub(limit=1, per_seconds=1.0, tolerance=0.0, token=TOKEN, channels=("#alerts",)).start()
    model = TimedModel(seconds, api_key="sk-test").start()
    try:
        with BenchFleet(slack, model, concurrency=burst) as fleet, httpx.Client(timeout=10) as client:
            fleet.post(client, webhook("Warmup"))
            slack.wait_until(lambda: slack.post_count() >= 1, 120)
            time.sleep(1.1)  # the warm-up's post is not part of the burst's pacing
            model.restart_count()
            before_429 = slack.over_quota
            first_post_index = slack.post_count()
            for n in range(burst):
                fleet.post(client, webhook(f"Burst{n}"))
            if not slack.wait_until(lambda: slack.post_count() >= first_post_index + burst, 600):
                raise RuntimeError("not every message arrived:\n" + fleet.processes[1].output()[-3000:])
            done = time.monotonic()
    finally:
        slack.stop()
        model.stop()
    posts = [r.received_at for r in slack.requests_to("/api/chat.postMessage")][-burst:]
    first_answer = min(model.answers)
    within = done - first_answer
    rate = (burst - 1) / (posts[-1] - posts[0]) if len(posts) > 1 else 0.0
    self_429 = slack.over_quota - before_429
    return {
        "scenario": f"{seconds:g} s/call model, {burst} alerts at once, Slack 1 msg/s per channel",
        "posted after first answer s": within,
        "msg/s to the channel": rate,
        "self-caused 429s": self_429,
        "target": f"<= {burst} s after the first answer; >= 0.9 msg/s; 0 429s",
        "met": within <= burst and rate >= 0.9 and self_429 == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=64)
    parser.add_argument("--model-seconds", type=float, default=2.0)
    args = parser.parse_args()
    rows = [zero_latency(args.alerts), slow_model_burst(args.burst, args.model_seconds)]
    save("overhead", "webhook -> Slack post: alertfleet's overhead, and a slow model's burst", rows)


if __name__ == "__main__":
    main()
