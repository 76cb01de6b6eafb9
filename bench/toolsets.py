"""What the toolsets save and cost: a range answer summarised, a huge result capped (figures, no assertions).

`python -m bench.toolsets` prints: raw matrix size vs the summary the model gets, and the time to cap a
1 MB tool result to the stub model's budget.
"""

from __future__ import annotations

import json
import os
import time

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from workers.investigator.result_cap import cap_result, count_tokens, result_token_cap
from workers.investigator.toolsets.promql_summary import summarise_matrix

MODEL = "openai/stub-model"


def matrix(series: int, points: int) -> dict[str, object]:
    start = 1_700_000_000
    return {
        "resultType": "matrix",
        "result": [
            {"metric": {"__name__": "demo_queue_depth", "queue": f"q{n:03d}"},
             "values": [[start + 15 * i, str(n * 1000 + i % 97)] for i in range(points)]}
            for n in range(series)
        ],
    }


def main() -> None:
    for series, points in ((1, 5760), (20, 1440), (150, 720)):
        data = matrix(series, points)
        raw = json.dumps(data)
        started = time.perf_counter()
        summary = summarise_matrix(data)
        took = time.perf_counter() - started
        print(f"range {series} series x {points} points: raw {len(raw):,} chars ({count_tokens(MODEL, raw[:400_000]):,}+ tokens)"
              f" -> summary {len(summary):,} chars, {count_tokens(MODEL, summary):,} tokens, {took * 1000:.1f} ms")
    huge = "\n".join(f"row {i}: " + "x" * 60 for i in range(16_000))
    cap = result_token_cap(MODEL)
    started = time.perf_counter()
    capped = cap_result(huge, MODEL, cap)
    print(f"cap {len(huge):,}-char result to {cap} tokens: {len(capped):,} chars kept, "
          f"{(time.perf_counter() - started) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
