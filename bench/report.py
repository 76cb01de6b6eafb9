"""Every benchmark's output: a table on stdout and `bench/results/<name>.json` for bench/README.md."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> dict[str, Any]:
    """What the figures were taken on; a loaded machine understates them."""
    return {
        "cpus": os.cpu_count(),
        "loadavg_1m": round(os.getloadavg()[0], 2),
        "at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def table(title: str, rows: list[dict[str, Any]]) -> str:
    if not rows:
        return f"{title}\n(no rows)"
    headers = list(dict.fromkeys(key for row in rows for key in row))
    cells = [[cell(row.get(h, "")) for h in headers] for row in rows]
    widths = [max(len(h), *(len(line[i]) for line in cells)) for i, h in enumerate(headers)]
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


def save(name: str, title: str, rows: list[dict[str, Any]], **extra: Any) -> Path:
    """Print the table and write the JSON next to the other results."""
    print("\n" + table(title, rows), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"name": name, "title": title, "machine": machine(), "rows": rows, **extra}, indent=2))
    print(f"wrote {path}", flush=True)
    return path
