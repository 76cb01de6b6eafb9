"""End-to-end latency and throughput: webhook -> Redis -> worker -> (zero-latency) model -> Slack stub.

Runs the same workload against the threads and prefork pools side by side, which is how the
default pool is chosen. Figures, not assertions.

    python -m bench.pipeline [--sequential 40] [--burst 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import httpx

from bench.fleet import TOKEN, BenchFleet
from tests.harness.alerts import webhook
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
FAST_SLACK = {"ALERTFLEET_RATE_LIMITS": "slack=100000/second"}  # measure the pipeline, not Slack's quota


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def run(pool: str, sequential: int, burst: int, with_model: bool) -> dict[str, float | str]:
    slack = SlackStub(token=TOKEN, channels=("#alerts",)).start()
    model = ModelStub(api_key="sk-test").start() if with_model else None
    try:
        with BenchFleet(slack, model, workers=1, pool=pool, concurrency=4, extra_env=FAST_SLACK) as fleet, \
                httpx.Client(timeout=10) as client:  # fmt: skip
            fleet.post(client, webhook("Warmup"))
            slack.wait_until(lambda: slack.post_count() >= 1, 60)
            latencies = []
            for n in range(sequential):
                before = slack.post_count()
                started = time.perf_counter()
                assert fleet.post(client, webhook(f"Seq{n}")) == 202
                if not slack.wait_until(lambda b=before: slack.post_count() > b, 30):
                    raise RuntimeError("a message never arrived:\n" + fleet.processes[1].output()[-3000:])
                latencies.append((time.perf_counter() - started) * 1000)
            before = slack.post_count()
            started = time.perf_counter()
            for n in range(burst):
                fleet.post(client, webhook(f"Burst{n}"))
            slack.wait_until(lambda: slack.post_count() >= before + burst, 300)
            elapsed = time.perf_counter() - started
            return {
                "scenario": f"{pool}, {'stub model' if with_model else 'enrich (no model)'}",
                "p50 ms": statistics.median(latencies),
                "p99 ms": _percentile(latencies, 99),
                "burst/s": (slack.post_count() - before) / elapsed,
                "model calls": len(model.completions) if model else 0,
                "worker RSS MiB": fleet.worker_rss_mib(),
            }
    finally:
        slack.stop()
        if model:
            model.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=40, help="one-at-a-time notifications for latency")
    parser.add_argument("--burst", type=int, default=200, help="notifications posted at once for throughput")
    args = parser.parse_args()
    started = time.monotonic()
    rows = [
        run(pool, args.sequential, args.burst, with_model)
        for pool, with_model in (("threads", True), ("prefork", True), ("threads", False))
    ]
    headers = list(rows[0])
    widths = [max(len(h), *(len(_fmt(r[h])) for r in rows)) for h in headers]
    print(f"\nwebhook -> Slack post, 1 worker x 4, zero-latency model; {args.sequential} sequential, burst {args.burst}")
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(_fmt(row[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))
    print(f"bench took {time.monotonic() - started:.0f}s")


def _fmt(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:,.1f}"


if __name__ == "__main__":
    main()
