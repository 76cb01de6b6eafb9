"""`python -m alertfleet.healthcheck`: the container image's HEALTHCHECK, for every role of the one image.

The role is what PID 1 runs (`alertfleet ingest|worker|flower`, or the arguments given, e.g.
`python -m alertfleet.healthcheck worker`): ingest must answer /healthz on its `--port`,
flower /healthcheck, and a worker must reach its broker (a worker cut off from Redis does nothing).
Exit 0 healthy, 1 not; one line on stderr says why. No dependency beyond the standard library and
redis-py, so the check itself stays cheap (Docker runs it every 30 s).
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

TIMEOUT_SECONDS = 5.0


def role(cmdline: list[str]) -> str | None:
    """The alertfleet verb in a command line (`alertfleet ingest --workers 2` -> `ingest`)."""
    verbs = {"ingest", "worker", "flower", "dev"}
    return next((arg for arg in cmdline if arg in verbs), None)


def port(cmdline: list[str], default: str) -> str:
    """The `--port N` / `--port=N` the process was started with, else `default`."""
    for index, arg in enumerate(cmdline):
        if arg == "--port" and index + 1 < len(cmdline):
            return cmdline[index + 1]
        if arg.startswith("--port="):
            return arg.split("=", 1)[1]
    return default


def _pid1_cmdline() -> list[str]:
    try:
        return [part.decode() for part in Path("/proc/1/cmdline").read_bytes().split(b"\0") if part]
    except OSError:
        return []


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310 - loopback, fixed scheme
        return 200 <= int(answer.status) < 300


def _broker_ok() -> bool:
    import redis

    from alertfleet.settings import load_settings

    return bool(redis.Redis.from_url(load_settings().redis_client_url, socket_timeout=TIMEOUT_SECONDS).ping())


def check(cmdline: list[str]) -> str | None:
    """None when healthy, else the reason."""
    verb = role(cmdline)
    try:
        if verb in ("ingest", "dev"):
            listen = port(cmdline, os.environ.get("ALERTFLEET_PORT", "8080"))
            return None if _http_ok(f"http://127.0.0.1:{listen}/healthz") else "ingest /healthz failed"
        if verb == "flower":
            listen = port(cmdline, "5555")
            return None if _http_ok(f"http://127.0.0.1:{listen}/healthcheck") else "flower /healthcheck failed"
        if verb == "worker":
            return None if _broker_ok() else "broker unreachable"
    except Exception as exc:  # any failure is "unhealthy", never a traceback in `docker inspect`
        return f"{verb}: {type(exc).__name__}: {exc}"
    return None  # a one-shot verb (investigate, dlq, config): nothing long-running to check


def main() -> None:
    reason = check(sys.argv[1:] or _pid1_cmdline())
    if reason is not None:
        print(f"alertfleet healthcheck: {reason}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
