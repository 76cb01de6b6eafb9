"""bench/README.md from the latest bench/results/*.json, and the plot of investigations over time.

    python -m bench.summary
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.report import RESULTS, cell

BENCH = Path(__file__).parent
PLOT = BENCH / "vs_holmesgpt.png"
ORDER = ("vs_holmesgpt", "overhead", "memory", "ingest", "ratelimit")
COMMANDS = {
    "vs_holmesgpt": "python -m bench.vs_holmesgpt [--alerts 30]",
    "overhead": "python -m bench.overhead [--alerts 1000] [--burst 64]",
    "memory": "python -m bench.memory [--levels 8,32,64] [--pools threads,gevent,prefork]",
    "ingest": "python -m bench.ingest [--seconds 10]",
    "ratelimit": "python -m bench.ratelimit [--seconds 60]",
}
INTRO = """# Benchmarks

`make bench` runs every benchmark below (about 15-20 minutes on 2 cores), each printing its table and
writing `bench/results/<name>.json`; then `python -m bench.summary` rewrites this page and the plot.
Figures, not assertions: the tests never time anything. Each table says the machine's 1-minute load
average when it was taken: on a shared machine the figures understate what alertfleet does.

All tables come from one `make bench` run, one benchmark after another with nothing else running
beside them; a figure taken on a busier machine says so by its load average. The one-shot CLIs'
wall times include their start (importing litellm is most of it); the fleet is started beforehand,
as it runs in production.
"""


def markdown_table(rows: list[dict[str, Any]]) -> str:
    headers = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(h, "")) for h in headers) + " |")
    return "\n".join(lines)


def plot(curves: dict[str, list[float]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=110)
    for label, times in curves.items():
        xs = [0.0, *times]
        axes.step(xs, list(range(len(xs))), where="post", label=label)
    axes.set_xlabel("seconds since the run started")
    axes.set_ylabel("investigations completed")
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(PLOT)
    plt.close(figure)


def main() -> None:
    parts = [INTRO]
    for name in ORDER:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            parts.append(f"## {name}\n\nNot run yet: `{COMMANDS[name]}`.\n")
            continue
        result = json.loads(path.read_text())
        machine = result.get("machine", {})
        parts.append(
            f"## {name}\n\n{result['title']}\n\n{markdown_table(result['rows'])}\n\n"
            f"Taken {machine.get('at', '?')} on {machine.get('cpus', '?')} CPUs, load average "
            f"{machine.get('loadavg_1m', '?')}. Run: `{COMMANDS[name]}`.\n"
        )
        if name == "vs_holmesgpt" and result.get("curves"):
            plot(result["curves"], result["title"])
            parts.append(f"![investigations completed over time]({PLOT.name})\n")
    (BENCH / "README.md").write_text("\n".join(parts))
    print(f"wrote {BENCH / 'README.md'} and {PLOT}")


if __name__ == "__main__":
    main()
