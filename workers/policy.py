"""The fleet's retry policy, in one place: exponential backoff with jitter, bounded by a horizon."""

from __future__ import annotations

import random

BASE_DELAY = 2.0
MAX_DELAY = 300.0
MAX_MODEL_RETRIES = 3


def backoff(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before the next try; a vendor's Retry-After is a floor, never shortened."""
    delay = min(MAX_DELAY, BASE_DELAY * (2**attempt)) * random.uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return float(round(delay, 3))
