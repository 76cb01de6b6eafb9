"""Real processes for tests: redis-server on a free port, alertfleet ingest and worker subprocesses."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import httpx
import redis

from alertfleet.embedded import redis_server_args, stop_process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def http_ok(url: str) -> bool:
    """True when `url` answers 200 now (a readiness probe for the servers tests start)."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


class RedisServer:
    """A private redis-server (real binary) for one test session."""

    def __init__(self, appendonly: bool = False) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="af-redis-"))
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)

    def start(self) -> RedisServer:
        # appendfsync always: the outage tests kill -9 Redis and expect every acknowledged write back.
        args = redis_server_args(self.dir, port=self.port, appendonly=self.appendonly, appendfsync="always")
        self.process = subprocess.Popen(args)
        if not wait_for(self._ping, 10):
            raise RuntimeError("redis-server did not start")
        return self

    def _ping(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        stop_process(self.process)


class AlertfleetProcess:
    """`alertfleet <args>` as a subprocess with its output kept in a file for assertions."""

    def __init__(self, args: list[str], env: dict[str, str], log_dir: Path, name: str) -> None:
        self.args = args
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> AlertfleetProcess:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "alertfleet.cli", *self.args],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def pid(self) -> int:
        """The alertfleet process itself (its leases name it as owner `<host>-<pid>`)."""
        assert self.process is not None, "not started"
        return self.process.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()


def base_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment: nothing of the developer's shell leaks into the fleet under test."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    env["PYTHONUNBUFFERED"] = "1"
    for key, value in overrides.items():
        if value is not None:
            env[key] = value
    return env


def start_ingest(env: dict[str, str], log_dir: Path) -> tuple[AlertfleetProcess, str]:
    port = free_port()
    proc = AlertfleetProcess(["ingest", "--host", "127.0.0.1", "--port", str(port)], env, log_dir, "ingest").start()
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_for(ready, 30, 0.1):
        proc.stop()
        raise RuntimeError("ingest did not start:\n" + proc.output())
    return proc, url


def worker_ready(output: str, name: str) -> bool:
    """Both Celery workers of `alertfleet worker --name NAME@%h` announced themselves: the investigation
    pool (NAME@host) and its write process (NAME-writes@host)."""
    return all(re.search(rf"(^|[\s\"]){re.escape(node)}@[^\s\"]+ ready\.", output, re.M) for node in (name, f"{name}-writes"))


def start_worker(env: dict[str, str], log_dir: Path, name: str = "worker", concurrency: int = 2) -> AlertfleetProcess:
    proc = AlertfleetProcess(
        ["worker", "--pool", "threads", "--concurrency", str(concurrency), "--name", f"{name}@%h"],
        env,
        log_dir,
        name,
    ).start()
    if not wait_for(lambda: worker_ready(proc.output(), name), 90, 0.1):
        proc.stop()
        raise RuntimeError("worker did not start:\n" + proc.output())
    return proc
