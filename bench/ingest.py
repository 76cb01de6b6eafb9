"""Ingest throughput: real Alertmanager bodies through the real webhook, beside what Redis alone can do.

    .venv/bin/python -m bench.ingest [--seconds 10] [--connections 32] [--ingest-workers 1,2]

Scenarios, each against its own fresh redis-server on loopback, printed side by side:
  ingest wN        `alertfleet ingest --workers N` (uvicorn + the dispatcher thread, as deployed), driven
                   over keep-alive HTTP/1.1; every body a distinct Alertmanager v4 notification; only
                   202s that created work count as accepted.
  ingest wN aof    the same with appendonly everysec (what a durable deployment runs).
  outbox only      the same Lua outbox step (ingest.outbox.Outbox) from asyncio, no HTTP: the ceiling.
  celery send_task Celery's send_task from threads, no HTTP: what enqueuing inside the request costs.
After each scenario the stored work is counted in Redis and compared with what was accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

import redis
import redis.asyncio as aioredis

from alertfleet.keys import EVENTS_STREAM, PREFIX
from alertfleet.models import AlertmanagerWebhook
from alertfleet.queue import QUEUE_INVESTIGATE, TASK_INVESTIGATE, make_celery
from alertfleet.settings import Settings
from bench.bodies import RequestFactory
from bench.loadgen import LoadResult, drive, percentile_ms
from bench.procs import IngestServer, RedisServer, StartError, cpu_seconds, process_tree, rss_mb
from ingest.outbox import Outbox
from integrations.alertmanager.source import event_from_webhook

TOKEN = "bench-ingest-token"
TARGET_RATE = 3000
TARGET_P99_MS = 100.0
DEDUP_TTL = 7 * 24 * 3600
PROBLEM_WINDOW = 24 * 3600


@dataclass
class Row:
    scenario: str
    load: LoadResult
    cpu: dict[str, float] = field(default_factory=dict)  # share of one core over the window
    rss: dict[str, float] = field(default_factory=dict)  # MB at the end of the window
    checks: list[tuple[bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.load.accepted / self.load.seconds if self.load.seconds else 0.0

    @property
    def ok(self) -> bool:
        return all(passed for passed, _ in self.checks)


def _event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; stay runnable without it
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


class Probe:
    """CPU share and RSS of named process trees over the measured window."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots = roots
        self._start: dict[str, float] = {}
        self._t0 = 0.0
        self.cpu: dict[str, float] = {}
        self.rss: dict[str, float] = {}
        self.extra: dict[str, Callable[[], Any]] = {}
        self.extra_values: dict[str, Any] = {}

    def __call__(self, edge: str) -> None:
        trees = {name: process_tree(pid) for name, pid in self.roots.items()}
        now = time.monotonic()
        if edge == "start":
            self._t0 = now
            self._start = {name: cpu_seconds(pids) for name, pids in trees.items()}
            return
        elapsed = max(now - self._t0, 1e-9)
        for name, pids in trees.items():
            self.cpu[name] = 100 * (cpu_seconds(pids) - self._start.get(name, 0.0)) / elapsed
            self.rss[name] = rss_mb(pids)
        for name, read in self.extra.items():
            self.extra_values[name] = read()


def _count_keys(client: redis.Redis, pattern: str) -> int:
    return sum(1 for _ in client.scan_iter(match=pattern, count=10_000))


def run_ingest(workers: int, args: argparse.Namespace, appendonly: bool = False) -> Row:
    name = f"ingest w{workers}" + (" aof" if appendonly else "")
    server = RedisServer(appendonly=appendonly).start()
    ingest: IngestServer | None = None
    try:
        ingest = IngestServer(server.url, workers, TOKEN).start()
        client = server.client()
        factory = RequestFactory("127.0.0.1", ingest.port, TOKEN, prefix=workers)
        probe = Probe({"ingest": ingest.pid, "redis": server.pid})
        probe.extra["queued"] = lambda: client.llen(QUEUE_INVESTIGATE)
        with _event_loop_runner() as runner:
            load = runner.run(
                drive("127.0.0.1", ingest.port, factory, connections=args.connections,
                      seconds=args.seconds, warmup=args.warmup, on_window=probe)
            )  # fmt: skip
        ingest.stop()  # graceful: the dispatcher acknowledges what it has sent before exiting
        row = Row(name, load, cpu=probe.cpu, rss=probe.rss)
        row.cpu["loadgen"] = 100 * load.client_cpu / max(load.seconds, 1e-9)
        stored = _count_keys(client, f"{PREFIX}:dedup:*")
        stream, queued = client.xlen(EVENTS_STREAM), client.llen(QUEUE_INVESTIGATE)
        accepted = load.accepted_total
        row.checks.append(
            (stored >= accepted, f"{stored} notifications stored in Redis for {accepted} answered 202")
        )
        row.checks.append(
            (stream + queued >= accepted,
             f"{stream} in the events stream + {queued} Celery messages = {stream + queued} (>= {accepted})")
        )  # fmt: skip
        dispatched = probe.extra_values.get("queued", 0)
        row.notes.append(f"dispatcher kept pace at ~{dispatched / max(args.seconds + args.warmup, 1e-9):,.0f}/s during the run")
        if load.duplicates:
            row.checks.append((False, f"{load.duplicates} bodies were answered as duplicates"))
        return row
    finally:
        if ingest is not None:
            ingest.stop()
        server.stop()


def _distinct_events(factory: RequestFactory) -> Callable[[], tuple[Any, str, str]]:
    """(event, dedup key, problem key) per call, distinct each time, cheap: one parsed event per template."""
    bases = [event_from_webhook(AlertmanagerWebhook.model_validate_json(factory.body())) for _ in range(48)]
    counter = iter(range(1 << 62))

    def make() -> tuple[Any, str, str]:
        n = next(counter)
        base = bases[n % len(bases)]
        group_key = f"{base.group_key}#{n}"
        event = base.model_copy(update={"group_key": group_key})
        return event, hashlib.sha256(group_key.encode()).hexdigest(), hashlib.sha256(b"p" + group_key.encode()).hexdigest()

    return make


async def _in_process_load(
    call: Callable[[], Coroutine[Any, Any, object]], concurrency: int, seconds: float, warmup: float,
    on_window: Callable[[str], None],
) -> LoadResult:  # fmt: skip
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
        probe = Probe({"redis": server.pid, "loadgen": os.getpid()})

        async def main() -> LoadResult:
            client = aioredis.Redis.from_url(server.url, max_connections=256)
            outbox = Outbox(client, DEDUP_TTL, PROBLEM_WINDOW)
            try:
                return await _in_process_load(
                    lambda: outbox.store(*make()), args.connections, args.seconds, args.warmup, probe
                )
            finally:
                await client.aclose()

        with _event_loop_runner() as runner:
            load = runner.run(main())
        row = Row("outbox only (no HTTP)", load, cpu=probe.cpu, rss=probe.rss)
        stream = server.client().xlen(EVENTS_STREAM)
        row.checks.append((stream == load.accepted_total, f"{stream} in the events stream for {load.accepted_total} stored"))
        return row
    finally:
        server.stop()


def run_celery(args: argparse.Namespace) -> Row:
    server = RedisServer().start()
    try:
        celery = make_celery(Settings(REDIS_URL=server.url))  # type: ignore[call-arg]
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

        probe = Probe({"redis": server.pid, "loadgen": os.getpid()})
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
        row.checks.append((queued == result.accepted_total + 1, f"{queued} Celery messages for {result.accepted_total + 1} sent"))
        return row
    finally:
        server.stop()


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"  # NaN -> "-"


def print_table(rows: list[Row], connections: int) -> None:
    header = ["scenario", "requests", "accepted/s", "p50 ms", "p99 ms", "errors", "ingest RSS MB",
              "redis RSS MB", "CPU% ingest", "CPU% redis", "CPU% loadgen"]  # fmt: skip
    lines = [header]
    for row in rows:
        lat = row.load.latencies_ns
        lines.append([
            row.scenario, f"{row.load.requests:,}", _fmt(row.rate, 0), _fmt(percentile_ms(lat, 50), 2),
            _fmt(percentile_ms(lat, 99), 2), f"{row.load.error_count:,}", _fmt(row.rss.get("ingest", float("nan"))),
            _fmt(row.rss.get("redis", float("nan"))), _fmt(row.cpu.get("ingest", float("nan")), 0),
            _fmt(row.cpu.get("redis", float("nan")), 0), _fmt(row.cpu.get("loadgen", float("nan")), 0),
        ])  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print()
    print(f"{connections} concurrent connections/tasks/threads; 2 cores shared by everything (CPU% of one core)")
    for i, line in enumerate(lines):
        print("  ".join(cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    for row in rows:
        for passed, text in row.checks:
            print(f"[{'ok' if passed else 'FAIL'}] {row.scenario}: durability: {text}")
        for note in row.notes:
            print(f"      {row.scenario}: {note}")
        if row.load.errors or any(s != 202 for s in row.load.statuses):
            detail = {**{str(k): v for k, v in row.load.statuses.items() if k != 202}, **row.load.errors}
            print(f"      {row.scenario}: errors by kind: {detail}")


def _parse_workers(text: str) -> list[int]:
    try:
        workers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError("a number or a comma-separated list, e.g. 1,2") from None
    if not workers or min(workers) < 1:
        raise argparse.ArgumentTypeError("at least one worker")
    return workers


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per scenario (default 10)")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured warm-up per scenario (default 1)")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections (default 32)")
    parser.add_argument("--ingest-workers", type=_parse_workers, default=[1, 2],
                        help="uvicorn workers; a list runs each (default 1,2)")  # fmt: skip
    parser.add_argument("--aof", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the last worker count with appendonly everysec (default on)")  # fmt: skip
    parser.add_argument("--baselines", action=argparse.BooleanOptionalAction, default=True,
                        help="also run the outbox-only and celery send_task baselines (default on)")  # fmt: skip
    parser.add_argument("--require-target", action="store_true",
                        help=f"exit 1 unless an ingest row reaches >= {TARGET_RATE}/s with p99 < {TARGET_P99_MS:.0f} ms")  # fmt: skip
    return parser.parse_args(argv)


def _hard_deadline(seconds: float) -> None:
    def _expired(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"benchmark exceeded its {seconds:.0f}s budget")

    signal.signal(signal.SIGALRM, _expired)
    signal.alarm(int(seconds))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    scenarios: list[Callable[[], Row]] = [lambda w=w: run_ingest(w, args) for w in args.ingest_workers]
    if args.aof:
        scenarios.append(lambda: run_ingest(args.ingest_workers[-1], args, appendonly=True))
    if args.baselines:
        scenarios += [lambda: run_outbox(args), lambda: run_celery(args)]
    _hard_deadline(len(scenarios) * (args.seconds + args.warmup + 60) + 30)
    started = time.monotonic()
    rows: list[Row] = []
    try:
        for scenario in scenarios:
            rows.append(scenario())
            row = rows[-1]
            print(f"  {row.scenario}: {row.rate:,.0f}/s accepted, p99 {percentile_ms(row.load.latencies_ns, 99):.1f} ms",
                  file=sys.stderr, flush=True)  # fmt: skip
    except (StartError, TimeoutError) as exc:
        print(f"bench.ingest: {exc}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    print_table(rows, args.connections)
    ingest_rows = [row for row in rows if row.scenario.startswith("ingest")]
    best = max(ingest_rows, key=lambda row: row.rate)
    reached = any(
        row.rate >= TARGET_RATE and percentile_ms(row.load.latencies_ns, 99) < TARGET_P99_MS for row in ingest_rows
    )
    print(f"target >= {TARGET_RATE:,}/s with p99 < {TARGET_P99_MS:.0f} ms at {args.connections} connections: "
          f"{'reached' if reached else 'NOT reached'} (best: {best.scenario}, {best.rate:,.0f}/s)")  # fmt: skip
    print(f"bench took {time.monotonic() - started:.0f}s")
    if not all(row.ok for row in rows):
        return 1
    return 1 if args.require_target and not reached else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
