"""A range query's matrix, summarised per series so the model sees its shape, never thousands of points."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

MAX_SERIES = 40


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _labels(metric: dict[str, str]) -> str:
    name = metric.get("__name__", "")
    rest = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{name}{{{rest}}}"


def summarise_series(metric: dict[str, str], values: list[list[Any]]) -> str:
    """min/max/avg/last, when they happened, and the biggest jump: the points that matter."""
    points = [(float(ts), v) for ts, raw in values if (v := _number(raw)) is not None]
    if not points:
        return f"{_labels(metric)}: no numeric samples"
    numbers = [value for _ts, value in points]
    low = min(points, key=lambda p: p[1])
    high = max(points, key=lambda p: p[1])
    first, last = points[0], points[-1]
    parts = [
        f"{_labels(metric)}: {len(points)} points {_when(first[0])} .. {_when(last[0])}",
        f"  first={first[1]:g} last={last[1]:g} min={low[1]:g} at {_when(low[0])} "
        f"max={high[1]:g} at {_when(high[0])} avg={sum(numbers) / len(numbers):g}",
    ]
    if len(points) > 1:
        jumps = [(points[i][0], points[i][1] - points[i - 1][1]) for i in range(1, len(points))]
        when, change = max(jumps, key=lambda jump: abs(jump[1]))
        if change:
            parts.append(f"  largest change {change:+g} at {_when(when)}")
    return "\n".join(parts)


def summarise_matrix(data: dict[str, Any]) -> str:
    series = data.get("result") or []
    if data.get("resultType") != "matrix":
        return f"unexpected result type {data.get('resultType')!r}"
    if not series:
        return "no series matched"
    lines = [f"{len(series)} series (summarised per series)"]
    lines += [summarise_series(item.get("metric", {}), item.get("values", [])) for item in series[:MAX_SERIES]]
    if len(series) > MAX_SERIES:
        lines.append(f"... and {len(series) - MAX_SERIES} more series (narrow the query to see them)")
    return "\n".join(lines)
