"""Four worker processes against a Slack stub that allows 60 calls a minute and answers 429 beyond.

With the shared limiter the vendor should see no 429 and close to 60 calls a minute; without it
(limit lifted) it sees bursts. Figures, not assertions.

    python -m bench.ratelimit [--seconds 120] [--workers 4]
"""

from __future__ import annotations

import argparse
import os
import time

import httpx

from bench.fleet import TOKEN, BenchFleet
from bench.report import save
from tests.harness.alerts import webhook
from tests.stubs.slack_quota import QuotaSlackStub

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
QUOTA_PER_MINUTE = 60


def run(label: str, limits: str, seconds: float, workers: int) -> dict[str, object]:
    stub = QuotaSlackStub(limit=QUOTA_PER_MINUTE, per_seconds=60.0, token=TOKEN, channels=("#alerts",)).start()
    messages = int(QUOTA_PER_MINUTE * max(seconds, 60.0) / 60 * 1.5)  # more work than the quota allows
    try:
        env = {"ALERTFLEET_RATE_LIMITS": limits}
        with BenchFleet(stub, None, workers=workers, concurrency=2, extra_env=env) as fleet, \
                httpx.Client(timeout=10) as client:  # fmt: skip
            for n in range(messages):
                fleet.post(client, webhook(f"Quota{n}"))
            stub.wait_until(lambda: bool(stub.served_times()), 60)
            started = stub.served_times()[0]  # the window opens with the first call the vendor sees
            time.sleep(max(0.0, started + seconds - time.monotonic()) + 1)
            window_end = started + seconds
            served = [t for t in stub.served_times() if started <= t <= window_end]
            ok_calls = len(served) - stub.over_quota
            return {
                "scenario": label,
                "calls": len(served),
                "429s": stub.over_quota,
                "delivered/min": ok_calls / seconds * 60,
                "utilisation %": 100 * ok_calls / (QUOTA_PER_MINUTE * seconds / 60),
            }
    finally:
        stub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window (default 1 minute)")
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    rows = [
        run("shared limiter slack=60/minute", "slack=60/minute", args.seconds, args.workers),
        run("no limiter (limit lifted)", "slack=100000/second", min(args.seconds, 30.0), args.workers),
    ]
    for row in rows:
        shared = row["scenario"].startswith("shared")
        row["target"] = "0 429s, utilisation >= 90 %" if shared else "(shows why the limiter exists)"
        row["met"] = (row["429s"] == 0 and float(row["utilisation %"]) >= 90) if shared else ""
    save("ratelimit", f"{args.workers} worker processes, Slack stub quota {QUOTA_PER_MINUTE}/min (429 beyond)", rows)

if __name__ == "__main__":
    main()
