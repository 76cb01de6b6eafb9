"""HTTP API on the fleet: /api/chat answered by a worker through Redis (zero-latency stub model).

What the session round trip costs — store, enqueue on `chat`, worker tool loop, event stream, the
ingest's blocking read — sequentially and under concurrent clients; and the SSE time to first event.
Figures, not assertions.

    python -m bench.api [--sequential 30] [--burst 60] [--clients 12]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.fleet import TOKEN, BenchFleet
from bench.pipeline import _percentile
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
CHAT = {"ask": "What is the status of my cluster?", "conversation_history": [{"role": "system", "content": "Be brief."}]}


def _chat(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    response = client.post(f"{url}/api/chat", json=CHAT)
    if response.status_code != 200:
        raise RuntimeError(f"chat answered {response.status_code}: {response.text[:300]}")
    return (time.perf_counter() - started) * 1000


def _first_event_ms(client: httpx.Client, url: str) -> float:
    started = time.perf_counter()
    first = float("nan")
    with client.stream("POST", f"{url}/api/chat", json=CHAT | {"stream": True}) as response:
        for line in response.iter_lines():
            if line.startswith("event:") and first != first:  # NaN until the first event
                first = (time.perf_counter() - started) * 1000
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=30)
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument("--clients", type=int, default=12)
    args = parser.parse_args()
    with SlackStub(token=TOKEN, channels=("#alerts",)) as slack, ModelStub(api_key="sk-test") as model, \
            BenchFleet(slack, model, workers=1, concurrency=8) as fleet, httpx.Client(timeout=60) as client:  # fmt: skip
        _chat(client, fleet.ingest_url)  # warm-up: the worker's first litellm call
        sequential = [_chat(client, fleet.ingest_url) for _ in range(args.sequential)]
        first_events = [_first_event_ms(client, fleet.ingest_url) for _ in range(10)]
        calls_per_chat = len(model.completions) / (1 + args.sequential + 10)
        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            burst = list(pool.map(lambda _n: _chat(client, fleet.ingest_url), range(args.burst)))
        elapsed = time.perf_counter() - started
    print(f"\n/api/chat on 1 worker x 8 threads, zero-latency stub model ({calls_per_chat:.1f} model calls per chat)")
    print(f"sequential {args.sequential}: p50 {statistics.median(sequential):.0f} ms, p99 {_percentile(sequential, 99):.0f} ms")
    print(f"SSE first event: p50 {statistics.median(first_events):.0f} ms")
    print(
        f"{args.clients} concurrent clients, {args.burst} chats: {args.burst / elapsed:.1f} chats/s, "
        f"p50 {statistics.median(burst):.0f} ms, p99 {_percentile(burst, 99):.0f} ms"
    )


if __name__ == "__main__":
    main()
