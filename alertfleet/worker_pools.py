"""`alertfleet worker`: investigations and writes get their own capacity.

An investigation waits seconds on the model; a write is ready to go. Sharing one pool, posts waited
behind investigations until a slot freed. So one `alertfleet worker` runs two Celery workers: this
process consumes the investigation queues with many threads (waiting on the model costs no CPU, and
the fleet-wide model limits, not the thread count, bound the calls), and a child process consumes the
`write.*` queues with a pool of its own. The child is restarted if it dies and stopped with its parent.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

WRITE_QUEUE_PREFIX = "write."
RESTART_DELAY_SECONDS = 1.0


@dataclass(frozen=True)
class PoolPlan:
    """What this process consumes, and what (if anything) the write child consumes."""

    queues: list[str]
    concurrency: int
    write_queues: list[str]
    write_concurrency: int


def plan_pools(queues: Sequence[str], concurrency: int | None, investigations: int, writes: int) -> PoolPlan:
    """Split the queues; `--concurrency` sizes the pool of the queues this process keeps."""
    write_queues = [queue for queue in queues if queue.startswith(WRITE_QUEUE_PREFIX)]
    other = [queue for queue in queues if not queue.startswith(WRITE_QUEUE_PREFIX)]
    if not other:  # a writes-only worker: one pool, sized for writes
        return PoolPlan(write_queues, concurrency or writes, [], 0)
    return PoolPlan(other, concurrency or investigations, write_queues, writes)


def writes_node_name(name: str) -> str:
    """`alertfleet@%h` -> `alertfleet-writes@%h`: a distinct Celery node name for the child."""
    node, at, host = name.partition("@")
    return f"{node}-writes{at}{host}"


class WriteWorker:
    """The child `alertfleet worker --queues write.*`, kept running while its parent runs."""

    def __init__(self, queues: list[str], concurrency: int, name: str) -> None:
        self.args = [
            sys.executable, "-m", "alertfleet.cli", "worker",
            "--queues", ",".join(queues), "--concurrency", str(concurrency),
            "--pool", "threads", "--name", writes_node_name(name),
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="af-write-worker", daemon=True)

    def start(self) -> WriteWorker:
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        from alertfleet.embedded import die_with_parent

        self.process = subprocess.Popen(self.args, preexec_fn=die_with_parent)

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            process = self.process
            if process is not None and process.poll() is not None and not self._stopping.wait(RESTART_DELAY_SECONDS):
                print(f"alertfleet: write worker exited ({process.returncode}); restarting", file=sys.stderr)
                self._spawn()
            self._stopping.wait(0.5)

    def stop(self, timeout: float = 20.0) -> None:
        """Warm shutdown (SIGTERM: running writes finish), SIGKILL after `timeout`."""
        self._stopping.set()
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
