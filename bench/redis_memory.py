"""How much Redis memory a given alert rate needs: bytes per notification, per investigation, per write.

Drives the real pipeline (ingest -> stream -> dispatcher -> worker -> Slack stub, enrichment so the
result has a realistic size), then reads MEMORY USAGE of every key by kind, and Redis's used_memory
before and after. Figures, not assertions.

    python -m bench.redis_memory [--groups 200] [--alerts 5] [--resends 3]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from typing import Any

import httpx

from bench.fleet import BenchFleet
from tests.harness.alerts import webhook
from tests.stubs.slack import SlackStub

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
DAY = 86400


def _kind(key: str) -> str:
    parts = key.split(":")
    if parts[0] != "af":
        return "celery/kombu"
    return ":".join(parts[:2]) if parts[1] != "metrics" else "af:metrics"


def _usage(client: Any) -> dict[str, tuple[int, int]]:
    sizes: dict[str, list[int]] = defaultdict(list)
    for raw in client.scan_iter("*", count=1000):
        key = raw.decode()
        sizes[_kind(key)].append(int(client.memory_usage(key, samples=0) or 0))
    return {kind: (len(values), sum(values)) for kind, values in sorted(sizes.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=200, help="alert groups (investigations)")
    parser.add_argument("--alerts", type=int, default=5, help="alerts per group")
    parser.add_argument("--resends", type=int, default=3, help="notifications per group (the group grows)")
    args = parser.parse_args()
    fast = {"ALERTFLEET_RATE_LIMITS": "slack=100000/second"}
    with (
        SlackStub(token="xoxb-bench-token", channels=("#alerts",)) as slack,
        BenchFleet(slack, None, extra_env=fast) as fleet,
    ):
        client = fleet.redis.client()
        before = int(client.info("memory")["used_memory"])
        notifications = 0
        with httpx.Client(headers={}, timeout=30) as http:
            for step in range(args.resends):
                for group in range(args.groups):
                    body = webhook(f"Mem{group}", instances=args.alerts + step)
                    assert fleet.post(http, body) == 202
                    notifications += 1
        deadline = time.monotonic() + 300
        while slack.post_count() < args.groups and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)  # the attach tasks' updates
        usage = _usage(client)
        after = int(client.info("memory")["used_memory"])
    per = {
        "dedup": usage.get("af:dedup", (0, 0))[1] / max(1, notifications),
        "investigation": usage.get("af:inv", (0, 0))[1] / max(1, args.groups),
        "problem": usage.get("af:problem", (0, 0))[1] / max(1, args.groups),
        "write": usage.get("af:write", (0, 0))[1] / max(1, args.groups),
    }
    print(
        f"{args.groups} groups x {args.resends} notifications ({args.alerts}..{args.alerts + args.resends - 1} alerts each)"
    )
    print(f"{'kind':<16}{'keys':>8}{'bytes':>12}")
    for kind, (count, size) in usage.items():
        print(f"{kind:<16}{count:>8}{size:>12}")
    print(f"used_memory grew by {after - before} bytes ({(after - before) / notifications:.0f} per notification)")
    print("bytes each: " + ", ".join(f"{name} {value:.0f}" for name, value in per.items()))
    # What stays: dedup keys and records for ALERTFLEET_DEDUP_TTL (7 d), problem keys for the window (1 d),
    # write records for 30 d; the stream is trimmed and the queues drain.
    rate_notifications, rate_investigations = 1.0, 0.1
    steady = (
        rate_notifications * 7 * DAY * per["dedup"]
        + rate_investigations * 7 * DAY * per["investigation"]
        + rate_investigations * DAY * per["problem"]
        + rate_investigations * 30 * DAY * per["write"]
    )
    print(f"steady state at 1 notification/s and 0.1 new problems/s (default TTLs): {steady / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
