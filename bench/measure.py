"""What every benchmark row records: load figures, CPU and memory of its processes, durability checks."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import LoadResult, percentile_ms
from bench.procs import cpu_seconds, machine_busy_seconds, rss_mb


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


def event_loop_runner() -> asyncio.Runner:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency; stay runnable without it
        return asyncio.Runner()
    return asyncio.Runner(loop_factory=uvloop.new_event_loop)


class Probe:
    """CPU share and RSS of named groups of processes over the measured window."""

    def __init__(self, groups: dict[str, Callable[[], list[int]]]) -> None:
        self.groups = groups
        self._start: dict[str, float] = {}
        self._t0 = 0.0
        self.cpu: dict[str, float] = {}
        self.rss: dict[str, float] = {}
        self.extra: dict[str, Callable[[], Any]] = {}
        self.extra_values: dict[str, Any] = {}

    def __call__(self, edge: str) -> None:
        trees = {name: pids() for name, pids in self.groups.items()}
        now = time.monotonic()
        if edge == "start":
            self._t0 = now
            self._start = {name: cpu_seconds(pids) for name, pids in trees.items()}
            self._start["machine"] = machine_busy_seconds()
            return
        elapsed = max(now - self._t0, 1e-9)
        for name, pids in trees.items():
            self.cpu[name] = 100 * (cpu_seconds(pids) - self._start.get(name, 0.0)) / elapsed
            self.rss[name] = rss_mb(pids)
        machine = 100 * (machine_busy_seconds() - self._start["machine"]) / elapsed
        # Whatever else ran on the machine meanwhile (a benchmark on a shared box must say so).
        self.cpu["other"] = max(0.0, machine - sum(self.cpu.values()))
        for name, read in self.extra.items():
            self.extra_values[name] = read()


def _fmt(value: float, digits: int = 1) -> str:
    return "-" if value != value else f"{value:,.{digits}f}"  # NaN -> "-"


def print_table(rows: list[Row], connections: int) -> None:
    header = [
        "scenario",
        "requests",
        "accepted/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "ingest CPU µs/req",
        "RSS MB ingest",
        "+dispatcher",
        "redis",
        "CPU% ingest",
        "dispatcher",
        "redis",
        "loadgen",
        "other",
    ]
    nan = float("nan")
    lines = [header]
    for row in rows:
        lat = row.load.latencies_ns
        lines.append(
            [
                row.scenario,
                f"{row.load.requests:,}",
                _fmt(row.rate, 0),
                _fmt(percentile_ms(lat, 50), 2),
                _fmt(percentile_ms(lat, 99), 2),
                f"{row.load.error_count:,}",
                _fmt(1e4 * row.cpu["ingest"] / row.rate if "ingest" in row.cpu and row.rate else nan, 0),
                *(_fmt(row.rss.get(name, nan)) for name in ("ingest", "dispatcher", "redis")),
                *(_fmt(row.cpu.get(name, nan), 0) for name in ("ingest", "dispatcher", "redis", "loadgen", "other")),
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    print()
    print(
        f"{connections} concurrent connections/tasks/threads; {os.cpu_count()} cores shared by everything "
        "(load generator included); CPU% is of one core, 'other' is what the rest of the machine used"
    )
    for i, line in enumerate(lines):
        print(
            "  ".join(
                cell.ljust(w) if j == 0 else cell.rjust(w) for j, (cell, w) in enumerate(zip(line, widths, strict=True))
            )
        )
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
