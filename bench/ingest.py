"""Ingest throughput: real Alertmanager bodies through the real webhook, beside what Redis alone can do.

    .venv/bin/python -m bench.ingest [--seconds 10] [--connections 32] [--ingest-workers 1,2]

Scenarios, each against its own fresh redis-server on loopback, printed side by side:
  ingest wN        `alertfleet ingest --workers N` as deployed (uvicorn workers, each with its outbox
                   dispatcher turning stream entries into Celery messages), driven over keep-alive
                   HTTP/1.1 with every body a distinct Alertmanager v4 notification; only 202s that
                   created work count as accepted.
  ingest wN aof    the same with appendonly everysec (what a durable deployment runs).
  outbox only      the same Lua outbox step (ingest.outbox.Outbox) from asyncio, no HTTP: the ceiling.
  celery send_task Celery's send_task from threads, no HTTP: what enqueuing inside the request costs.
After each scenario the stored work is counted in Redis and compared with what was accepted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import signal
import sys
import time
from collections.abc import Callable
from types import FrameType

import redis

from alertfleet.keys import EVENTS_STREAM, PREFIX
from alertfleet.queue import QUEUE_INVESTIGATE
from bench.bodies import RequestFactory
from bench.ingest_baselines import run_celery, run_outbox
from bench.loadgen import drive, percentile_ms
from bench.measure import Probe, Row, event_loop_runner, print_table
from bench.procs import DISPATCHER_COMM, IngestServer, RedisServer, StartError, comm, process_tree
from bench.report import save

TOKEN = "bench-ingest-token"
TARGET_RATE = 3000
TARGET_P99_MS = 100.0
OTHER_CPU_WARNING = 25.0  # % of one core used by processes outside the benchmark


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
        pid = ingest.pid
        probe = Probe(
            {
                "ingest": lambda: [p for p in process_tree(pid) if comm(p) != DISPATCHER_COMM],
                "dispatcher": lambda: [p for p in process_tree(pid) if comm(p) == DISPATCHER_COMM],
                "redis": lambda: [server.pid],
                "loadgen": lambda: [os.getpid()],  # this process: only the load generator runs in it
            }
        )
        probe.extra["queued"] = lambda: client.llen(QUEUE_INVESTIGATE)
        with event_loop_runner() as runner:
            load = runner.run(
                drive(
                    "127.0.0.1",
                    ingest.port,
                    factory,
                    connections=args.connections,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    on_window=probe,
                )
            )
        ingest.stop()  # graceful: the dispatcher acknowledges what it has sent before exiting
        row = Row(name, load, cpu=probe.cpu, rss=probe.rss)
        stored = _count_keys(client, f"{PREFIX}:dedup:*")
        stream, queued = client.xlen(EVENTS_STREAM), client.llen(QUEUE_INVESTIGATE)
        accepted = load.accepted_total
        row.checks.append((stored >= accepted, f"{stored} notifications stored in Redis for {accepted} answered 202"))
        row.checks.append(
            (
                stream + queued >= accepted,
                f"{stream} in the events stream + {queued} Celery messages = {stream + queued} (>= {accepted})",
            )
        )
        dispatched = probe.extra_values.get("queued", 0)
        row.notes.append(
            f"dispatcher: {dispatched:,} entries turned into Celery messages by the end of the load "
            f"(~{dispatched / (args.seconds + args.warmup):,.0f}/s); the stream held the rest"
        )
        if load.duplicates:
            row.checks.append((False, f"{load.duplicates} bodies were answered as duplicates"))
        return row
    finally:
        if ingest is not None:
            ingest.stop()
        server.stop()


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
    parser.add_argument(
        "--ingest-workers", type=_parse_workers, default=[1, 2], help="uvicorn workers; a list runs each (default 1,2)"
    )
    parser.add_argument(
        "--aof",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the last worker count with appendonly everysec (default on)",
    )
    parser.add_argument(
        "--baselines",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run the outbox-only and celery send_task baselines (default on)",
    )
    parser.add_argument(
        "--require-target",
        action="store_true",
        help=f"exit 1 unless an ingest row reaches >= {TARGET_RATE}/s with p99 < {TARGET_P99_MS:.0f} ms",
    )
    return parser.parse_args(argv)


def _hard_deadline(seconds: float) -> None:
    def _expired(_signum: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"benchmark exceeded its {seconds:.0f}s budget")

    signal.signal(signal.SIGALRM, _expired)
    signal.alarm(int(seconds))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    scenarios: list[Callable[[], Row]] = [functools.partial(run_ingest, w, args) for w in args.ingest_workers]
    if args.aof:
        scenarios.append(functools.partial(run_ingest, args.ingest_workers[-1], args, appendonly=True))
    if args.baselines:
        scenarios += [functools.partial(run_outbox, args), functools.partial(run_celery, args)]
    _hard_deadline(len(scenarios) * (args.seconds + args.warmup + 60) + 30)
    started = time.monotonic()
    rows: list[Row] = []
    try:
        for scenario in scenarios:
            rows.append(scenario())
            row = rows[-1]
            print(
                f"  {row.scenario}: {row.rate:,.0f}/s accepted, p99 {percentile_ms(row.load.latencies_ns, 99):.1f} ms",
                file=sys.stderr,
                flush=True,
            )
    except (StartError, TimeoutError) as exc:
        print(f"bench.ingest: {exc}", file=sys.stderr)
        return 2
    finally:
        signal.alarm(0)
    sizes = sorted(RequestFactory("127.0.0.1", 0, TOKEN, prefix=0).body_sizes)
    print(
        f"\nbodies: distinct Alertmanager v4 notifications, {sizes[0]:,}-{sizes[-1]:,} bytes "
        f"(median {sizes[len(sizes) // 2]:,}); {args.seconds:g}s measured per scenario after {args.warmup:g}s warm-up"
    )
    print_table(rows, args.connections)
    ingest_rows = [row for row in rows if row.scenario.startswith("ingest")]
    best = max(ingest_rows, key=lambda row: row.rate)
    reached = any(
        row.rate >= TARGET_RATE and percentile_ms(row.load.latencies_ns, 99) < TARGET_P99_MS for row in ingest_rows
    )
    print(
        f"target >= {TARGET_RATE:,}/s with p99 < {TARGET_P99_MS:.0f} ms at {args.connections} connections: "
        f"{'reached' if reached else 'NOT reached'} (best: {best.scenario}, {best.rate:,.0f}/s)"
    )
    busy = [row for row in rows if row.cpu.get("other", 0.0) > OTHER_CPU_WARNING]
    if busy:
        print(
            f"WARNING: other processes used > {OTHER_CPU_WARNING:.0f}% CPU during "
            f"{', '.join(row.scenario for row in busy)}: those figures understate this machine"
        )
    print(f"bench took {time.monotonic() - started:.0f}s")
    summary = [
        {
            "scenario": row.scenario,
            "accepted/s": row.rate,
            "p99 ms": percentile_ms(row.load.latencies_ns, 99),
            "target": f">= {TARGET_RATE:,}/s, p99 < {TARGET_P99_MS:.0f} ms" if row.scenario.startswith("ingest") else "",
            "met": (row.rate >= TARGET_RATE and percentile_ms(row.load.latencies_ns, 99) < TARGET_P99_MS)
            if row.scenario.startswith("ingest")
            else "",
        }
        for row in rows
    ]
    save("ingest", f"Ingest: Alertmanager webhooks at {args.connections} connections", summary)
    if not all(row.ok for row in rows):
        return 1
    return 1 if args.require_target and not reached else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
    sys.exit(130)
