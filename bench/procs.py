"""The processes a benchmark runs against (a private redis-server, the real ingest) and their /proc figures."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import redis

from alertfleet.embedded import die_with_parent, redis_server_args, stop_process

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
DISPATCHER_COMM = "af-dispatcher"  # the name ingest's dispatcher child process gives itself


class StartError(RuntimeError):
    """A process the benchmark needs did not come up."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def process_tree(pid: int) -> list[int]:
    """pid and every descendant (uvicorn's worker processes)."""
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(_children(current))
    return tree


def comm(pid: int) -> str:
    """The process name ps shows (the dispatcher child names itself af-dispatcher)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def rss_mb(pids: list[int]) -> float:
    """Sum of VmRSS (psutil is not a dependency)."""
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of these processes (dead children are not counted)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time (all cores) the whole machine spent not idle, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


class RedisServer:
    """A private redis-server on a free loopback port, data in a temp dir removed on stop."""

    def __init__(self, appendonly: bool = False) -> None:
        self.port = free_port()
        self.appendonly = appendonly
        self.dir = Path(tempfile.mkdtemp(prefix="af-bench-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=30)

    def start(self, timeout: float = 10.0) -> RedisServer:
        args = redis_server_args(self.dir, port=self.port, appendonly=self.appendonly)
        self.process = subprocess.Popen(args, preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise StartError(f"redis-server exited with {self.process.returncode}")
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        self.stop()
        raise StartError("redis-server did not answer PING in time")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


class IngestServer:
    """`alertfleet ingest` (uvicorn + the dispatcher thread) as a subprocess in its own session."""

    def __init__(self, redis_url: str, workers: int, token: str) -> None:
        self.port = free_port()
        self.workers = workers
        self.log = tempfile.NamedTemporaryFile(prefix="af-bench-ingest-", suffix=".log", delete=False)  # noqa: SIM115
        self.env = {
            **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}},
            "REDIS_URL": redis_url,
            "ALERTFLEET_INGEST_TOKEN": token,
            "ALERTFLEET_LOG_LEVEL": "WARNING",
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> IngestServer:
        cli = Path(sys.executable).with_name("alertfleet")
        command = [str(cli)] if cli.exists() else [sys.executable, "-m", "alertfleet.cli"]
        command += ["ingest", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.output()
                self.stop()
                raise StartError(f"ingest exited with {self.process.returncode}:\n{output}")
            try:
                with urllib.request.urlopen(self.base_url + "/readyz", timeout=1) as response:
                    if response.status == 200 and self._all_workers_up():
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        output = self.output()
        self.stop()
        raise StartError(f"ingest not ready after {timeout:.0f}s:\n{output}")

    def _all_workers_up(self) -> bool:
        # uvicorn answers as soon as one worker listens; each worker starts its dispatcher in its startup.
        return sum(comm(pid) == DISPATCHER_COMM for pid in process_tree(self.pid)) >= self.workers

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (graceful: the dispatcher acknowledges what it sent), SIGKILL after `timeout`."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def pss_mb(pids: list[int]) -> float:
    """Sum of proportional set sizes: shared pages (a forked pool's copy-on-write) are counted once."""
    total_kb = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024
