"""Progress events of one API session, appended to its Redis stream in order (ingest relays them as SSE).

Payloads are HolmesGPT's (seed 002) with Robusta's field names added where they differ (seed 004), so
one stream serves both kinds of client.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, cast

import redis

from alertfleet.keys import session_events_key

STREAM_MAXLEN = 10_000  # a runaway session cannot grow its stream without bound


@dataclass
class EventPublisher:
    client: redis.Redis
    session_id: str
    ttl: int

    def __call__(self, name: str, data: dict[str, Any]) -> None:
        key = session_events_key(self.session_id)
        pipe = cast(Any, self.client).pipeline(transaction=False)
        pipe.xadd(key, {"event": name, "data": json.dumps(data, default=str)}, maxlen=STREAM_MAXLEN, approximate=True)
        pipe.expire(key, self.ttl)
        pipe.execute()


def token_count_event(metadata: dict[str, Any]) -> dict[str, Any]:
    usage = metadata["usage"]
    return {
        "metadata": metadata,
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
    }


def error_event(message: str, *, rate_limited: bool = False) -> dict[str, Any]:
    """HolmesGPT's error payload: 5204 for a rate limit, 1 for anything else."""
    return {"description": message, "error_code": 5204 if rate_limited else 1, "msg": message, "success": False}
