"""A lean HTTP/1.1 load generator: N keep-alive connections on asyncio streams, pre-encoded requests.

It parses only the status line, Content-Length and the body it needs, so on a 2-core machine it
leaves the cores to the server. Latency is taken per request, from write to full response.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

ACCEPTED_STATUS = 202
NEW_WORK = b'"duplicate":false'


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)  # every completed request in the window
    accepted: int = 0  # 202 and not a duplicate, in the window
    accepted_total: int = 0  # 202s including warm-up: what Redis must hold
    duplicates: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return len(self.latencies_ns)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values()) + sum(n for s, n in self.statuses.items() if s != ACCEPTED_STATUS)


def _content_length(head: bytes) -> int:
    lower = head.lower()
    at = lower.find(b"\r\ncontent-length:")
    if at < 0:
        raise ValueError("response without Content-Length")
    end = lower.find(b"\r\n", at + 2)
    return int(lower[at + 17 : end])


async def _connection(
    host: str, port: int, make_request: Callable[[], bytes], start_ns: int, stop_ns: int, result: LoadResult
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    perf = time.perf_counter_ns
    while perf() < stop_ns:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            assert reader is not None
            request = make_request()
            sent = perf()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            body = await reader.readexactly(_content_length(head))
            done = perf()
            status = int(head[9:12])
            if status == ACCEPTED_STATUS:
                new = NEW_WORK in body
                result.accepted_total += 1
                if sent < start_ns:
                    continue
                if new:
                    result.accepted += 1
                else:
                    result.duplicates += 1
            elif sent < start_ns:
                continue
            result.statuses[status] += 1
            result.latencies_ns.append(done - sent)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            result.errors[type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def drive(
    host: str,
    port: int,
    make_request: Callable[[], bytes],
    *,
    connections: int,
    seconds: float,
    warmup: float = 1.0,
    grace: float = 5.0,
    on_window: Callable[[str], None] | None = None,
) -> LoadResult:
    """Keep `connections` requests in flight for warmup + seconds; never runs longer than that + grace.

    `on_window("start")` / `on_window("stop")` run at the edges of the measured window (for probes).
    """
    result = LoadResult()
    perf = time.perf_counter_ns
    start_ns = perf() + int(warmup * 1e9)
    stop_ns = start_ns + int(seconds * 1e9)
    tasks = [
        asyncio.create_task(_connection(host, port, make_request, start_ns, stop_ns, result))
        for _ in range(connections)
    ]
    await asyncio.sleep(max(0.0, (start_ns - perf()) / 1e9))
    if on_window is not None:
        on_window("start")
    await asyncio.wait(tasks, timeout=max(0.0, (stop_ns - perf()) / 1e9))
    if on_window is not None:
        on_window("stop")
    _done, pending = await asyncio.wait(tasks, timeout=grace)
    for task in pending:  # a request stuck past the grace period: count it, never hang
        task.cancel()
        result.errors["timeout"] += 1
    if pending:
        await asyncio.wait(pending)
    result.seconds = (perf() - start_ns) / 1e9  # includes the tail of the last requests
    return result


def percentile_ms(latencies_ns: list[int], pct: float) -> float:
    if not latencies_ns:
        return float("nan")
    ordered = sorted(latencies_ns)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index] / 1e6
