"""Baselines beside the real ingest: the outbox step alone, and Celery's send_task alone (no HTTP in either)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

import redis
import redis.asyncio as aioredis

from alertfleet.keys import EVENTS_STREAM
from alertfleet.models import AlertmanagerWebhook
from alertfleet.queue import QUEUE_INVESTIGATE, TASK_INVESTIGATE, make_celery
from alertfleet.settings import Settings
from bench.bodies import RequestFactory
from bench.loadgen import LoadResult
from bench.measure import Probe, Row, event_loop_runner
from bench.procs import RedisServer
from ingest.outbox import Outbox
from integrations.alertmanager.source import event_from_webhook

DEDUP_TTL = 7 * 24 * 3600
PROBLEM_WINDOW = 24 * 3600


def _distinct_events(factory: RequestFactory) -> Callable[[], tuple[Any, str, str]]:
    """(event, dedup key, problem key) per call, distinct each time, cheap: one parsed event per template."""
    bases = [event_from_webhook(AlertmanagerWebhook.model_validate_json(factory.body())) for _ in range(48)]
    counter = iter(range(1 << 62))

    def make() -> tuple[Any, str, str]:
        n = next(counter)
        base = bases[n % len(bases)]
        group_key = f"{base.group_key}#{n}"
        event = base.model_copy(update={"group_key": group_key})
        return (
            event,
            hashlib.sha256(group_key.encode()).hexdigest(),
            hashlib.sha256(b"p" + group_key.encode()).hexdigest(),
        )

    return make


async def _in_process_load(
    call: Callable[[], Coroutine[Any, Any, object]],
    concurrency: int,
    seconds: float,
    warmup: float,
    on_window: Callable[[str], None],
) -> LoadResult:
    result = LoadResult()
    perf = time.perf_counter_ns
    start_ns = perf() + int(warmup * 1e9)
    stop_ns = start_ns + int(seconds * 1e9)

    async def worker() -> None:
        while perf() < stop_ns:
            sent = perf()
            try:
                await call()
            except (redis.RedisError, OSError) as exc:
                result.errors[type(exc).__name__] += 1
                continue
            result.accepted_total += 1
            if sent >= start_ns:
                result.accepted += 1
                result.statuses[202] += 1
                result.latencies_ns.append(perf() - sent)

    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await asyncio.sleep(max(0.0, (start_ns - perf()) / 1e9))
    on_window("start")
    await asyncio.wait(tasks, timeout=max(0.0, (stop_ns - perf()) / 1e9))
    on_window("stop")
    _done, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
        result.errors["timeout"] += 1
    result.seconds = (perf() - start_ns) / 1e9
    return result


def run_outbox(args: argparse.Namespace) -> Row:
    server = RedisServer().start()
    try:
        factory = RequestFactory("127.0.0.1", 0, None, prefix=0xB0)
        make = _distinct_events(factory)
        probe = Probe({"redis": lambda: [server.pid], "loadgen": lambda: [os.getpid()]})

        async def main() -> LoadResult:
            client = aioredis.Redis.from_url(server.url, max_connections=256)
            outbox = Outbox(client, DEDUP_TTL, PROBLEM_WINDOW)
            try:
                return await _in_process_load(
                    lambda: outbox.store(*make()), args.connections, args.seconds, args.warmup, probe
                )
            finally:
                await client.aclose()

        with event_loop_runner() as runner:
            load = runner.run(main())
        row = Row("outbox only (no HTTP)", load, cpu=probe.cpu, rss=probe.rss)
        stream = server.client().xlen(EVENTS_STREAM)
        row.checks.append(
            (stream == load.accepted_total, f"{stream} in the events stream for {load.accepted_total} stored")
        )
        return row
    finally:
        server.stop()


def run_celery(args: argparse.Namespace) -> Row:
    server = RedisServer().start()
    try:
        celery = make_celery(Settings(REDIS_URL=server.url))
        factory = RequestFactory("127.0.0.1", 0, None, prefix=0xCE)
        lock = threading.Lock()
        result = LoadResult()
        perf = time.perf_counter_ns
        celery.send_task(TASK_INVESTIGATE, args=["warm"])  # connect before the clock starts
        start_ns = perf() + int(args.warmup * 1e9)
        stop_ns = start_ns + int(args.seconds * 1e9)

        def worker() -> None:
            while perf() < stop_ns:
                with lock:
                    body = factory.body().decode()
                sent = perf()
                try:
                    celery.send_task(TASK_INVESTIGATE, args=[uuid.uuid4().hex, body])
                except Exception as exc:
                    with lock:
                        result.errors[type(exc).__name__] += 1
                    continue
                done = perf()
                with lock:
                    result.accepted_total += 1
                    if sent >= start_ns:
                        result.accepted += 1
                        result.statuses[202] += 1
                        result.latencies_ns.append(done - sent)

        probe = Probe({"redis": lambda: [server.pid], "loadgen": lambda: [os.getpid()]})
        threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, (start_ns - perf()) / 1e9))
        probe("start")
        time.sleep(max(0.0, (stop_ns - perf()) / 1e9))
        probe("stop")
        for thread in threads:
            thread.join(timeout=10)
        result.errors["timeout"] += sum(thread.is_alive() for thread in threads)
        if not result.errors["timeout"]:
            del result.errors["timeout"]
        result.seconds = (perf() - start_ns) / 1e9
        row = Row("celery send_task (no HTTP)", result, cpu=probe.cpu, rss=probe.rss)
        queued = server.client().llen(QUEUE_INVESTIGATE)
        row.checks.append(
            (queued == result.accepted_total + 1, f"{queued} Celery messages for {result.accepted_total + 1} sent")
        )
        return row
    finally:
        server.stop()
