"""Worker memory while investigations wait on the model: RSS idle and at 8/32/64 in flight, per pool.

A gated model stub holds every call, so "64 in flight" is counted at the stub, not assumed. The
investigation worker and its write process are measured apart. Target: RSS <= 300 MB at 64 in flight.

    python -m bench.memory [--levels 8,32,64] [--pools threads,gevent,prefork]
"""

from __future__ import annotations

import argparse
from typing import Any

import httpx

from bench.fleet import TOKEN, BenchFleet
from bench.procs import process_tree, pss_mb, rss_mb
from bench.report import save
from tests.harness.alerts import webhook
from tests.stubs.model import GatedModelStub
from tests.stubs.slack import SlackStub

TARGET_MB = 300.0
FAST_SLACK = {"ALERTFLEET_RATE_LIMITS": "slack=100000/second"}


def measure(pool: str, levels: list[int]) -> list[dict[str, Any]]:
    slack = SlackStub(token=TOKEN, channels=("#alerts",)).start()
    model = GatedModelStub().start()
    rows: list[dict[str, Any]] = []
    try:
        with BenchFleet(slack, model, pool=pool, concurrency=max(levels), extra_env=FAST_SLACK) as fleet, \
                httpx.Client(timeout=10) as client:  # fmt: skip
            worker = fleet.processes[1].process
            assert worker is not None
            fleet.post(client, webhook("Warmup"))  # every import done, as in a worker that has run once
            slack.wait_until(lambda: slack.post_count() >= 1, 120)
            model.gate.clear()
            posted = 0
            for level in [0, *levels]:
                while posted < level:
                    fleet.post(client, webhook(f"Held{posted}"))
                    posted += 1
                if not model.wait_until(lambda lv=level: model.in_flight >= lv, 300):
                    raise RuntimeError(
                        f"only {model.in_flight} of {level} in flight:\n" + fleet.processes[1].output()[-2000:]
                    )
                tree = process_tree(worker.pid)
                writes = [pid for pid in tree if _is_write_worker(pid)]
                investigations = [pid for pid in tree if pid not in writes and not _under(pid, writes)]
                rss = rss_mb(investigations)
                rows.append({
                    "pool": pool,
                    "in flight": level,
                    "investigation worker RSS MB": rss,
                    "investigation worker PSS MB": pss_mb(investigations),
                    "processes": len(investigations),
                    "write worker RSS MB": rss_mb(writes),
                    "target": f"<= {TARGET_MB:.0f} MB at 64",
                    "met": rss <= TARGET_MB if level == 64 else "",
                })  # fmt: skip
            model.gate.set()
    finally:
        model.gate.set()
        slack.stop()
        model.stop()
    return rows


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_write_worker(pid: int) -> bool:
    return "--queues write." in _cmdline(pid)


def _under(pid: int, parents: list[int]) -> bool:
    return any(pid in process_tree(parent) for parent in parents)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="8,32,64")
    parser.add_argument("--pools", default="threads,gevent,prefork")
    parser.add_argument("--prefork-levels", default="8", help="prefork forks one process per slot: kept small")
    args = parser.parse_args()
    rows = []
    for pool in args.pools.split(","):
        levels = args.prefork_levels if pool == "prefork" else args.levels
        rows += measure(pool, [int(level) for level in levels.split(",")])
    save("memory", "Worker memory with investigations in flight (model stub holding every call)", rows)


if __name__ == "__main__":
    main()
