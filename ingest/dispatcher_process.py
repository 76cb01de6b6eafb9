"""The outbox dispatcher in a child process of each ingest worker, not a thread beside the event loop.

Celery's producer is synchronous and costs ~1 ms of CPU a message. As a thread of the ingest process
it holds the GIL while the event loop waits for it (up to the 5 ms switch interval after every poll):
on 2 cores one worker then answered ~1,800 notifications/s and dispatched ~100-250/s. In a process of
its own it uses the other core: ~2,900/s answered and ~500-800/s dispatched (bench/ingest.py). It runs
at a lower CPU priority so answering Alertmanager comes first (the stream absorbs the lag), dies with
its parent (PDEATHSIG), stops gracefully with it, is restarted if it dies, and its dispatched counts
are relayed to the parent's /metrics — unless prometheus-client's multiprocess mode is on (as under
`alertfleet ingest`): then the child's own file in PROMETHEUS_MULTIPROC_DIR already counts.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import time
from contextlib import suppress
from multiprocessing.context import SpawnProcess
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from types import FrameType

import structlog

from alertfleet.metrics_dir import MULTIPROC_ENV
from alertfleet.settings import Settings
from ingest import metrics

log = structlog.get_logger("dispatcher")

PR_SET_NAME = 15
ACTIONS = ("investigate", "attach", "resolve")
NICENESS = 10  # CFS weight ~1/9 of the event loop's when both want the same core
RELAY_SECONDS = 1.0
RESTART_SECONDS = 10.0  # a child that keeps dying is restarted, but not in a tight loop
_ctx = multiprocessing.get_context("spawn")  # never fork a process that runs an event loop and threads


def _dispatched() -> dict[str, float]:
    counts = dict.fromkeys(ACTIONS, 0.0)
    for family in metrics.DISPATCHED.collect():
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels.get("action") in counts:
                counts[sample.labels["action"]] = sample.value
    return counts


def _name_process(name: bytes) -> None:
    """Set /proc/PID/comm (what ps and top show), so the dispatcher is told apart from ingest workers."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_NAME, ctypes.c_char_p(name[:15]), 0, 0, 0)


def _run(settings: Settings, stop: EventType, counts: dict[str, Synchronized[float]]) -> None:
    """Child process body: run the Dispatcher until the parent sets `stop` (or dies)."""
    from alertfleet.embedded import die_with_parent
    from alertfleet.log import configure_logging
    from ingest.dispatcher import Dispatcher

    die_with_parent()  # SIGTERM when the parent dies, however it dies
    _name_process(b"af-dispatcher")
    terminated = False

    def _terminate(_signum: int, _frame: FrameType | None) -> None:
        # Only a flag: setting `stop` here would deadlock with the wait below, in this same thread.
        nonlocal terminated
        terminated = True

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent decides
    os.nice(NICENESS)
    configure_logging(settings)
    dispatcher = Dispatcher(settings)
    dispatcher.start()
    try:
        while not terminated and not stop.wait(RELAY_SECONDS):
            for action, value in _dispatched().items():
                counts[action].value = value
    finally:
        dispatcher.stop()
        for action, value in _dispatched().items():
            counts[action].value = value


class DispatcherProcess:
    """Starts, watches (restart + metrics relay) and stops one dispatcher child process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stop = _ctx.Event()
        self._counts: dict[str, Synchronized[float]] = {a: _ctx.Value("d", 0.0) for a in ACTIONS}
        self._relayed = dict.fromkeys(ACTIONS, 0.0)
        self._process: SpawnProcess | None = None
        self._started_at = 0.0
        self._start()

    def _start(self) -> None:
        for action in ACTIONS:  # a new child counts from zero
            self._relayed[action] = 0.0
            self._counts[action].value = 0.0
        self._started_at = time.monotonic()
        self._process = _ctx.Process(
            target=_run, args=(self.settings, self._stop, self._counts), name="alertfleet-dispatcher", daemon=True
        )
        self._process.start()

    def relay(self) -> None:
        """Add what the child dispatched since the last relay to this process's counters."""
        if os.environ.get(MULTIPROC_ENV):
            return  # the child's counters are scraped from its own file: relaying would count twice
        for action in ACTIONS:
            value = self._counts[action].value
            if value > self._relayed[action]:
                metrics.DISPATCHED.labels(action).inc(value - self._relayed[action])
                self._relayed[action] = value

    async def watch(self) -> None:
        """Relay counts every second; restart a dead child (at most once per RESTART_SECONDS)."""
        while True:
            await asyncio.sleep(RELAY_SECONDS)
            self.relay()
            process = self._process
            if process is None or process.is_alive() or self._stop.is_set():
                continue
            if time.monotonic() - self._started_at >= RESTART_SECONDS:
                log.warning("dispatcher_restarted", exitcode=process.exitcode)
                self._start()

    def stop(self, timeout: float = 10.0) -> None:
        """Blocking: ask the child to finish what it holds and exit; kill it after `timeout`."""
        self._stop.set()
        if self._process is None:
            return
        self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self.relay()
