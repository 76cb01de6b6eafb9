"""Read API: investigation state and results."""

from __future__ import annotations

from typing import Any, cast

import redis.exceptions
from fastapi import APIRouter, Request

from alertfleet.keys import investigation_redis_key
from alertfleet.state import parse_investigation, public_view
from ingest.api_support import problems
from ingest.deps import ingest_state
from ingest.problems import Problem, unavailable

router = APIRouter(tags=["api"])


@router.get(
    "/api/v1/investigations/{investigation_id}",
    summary="Investigation state and result",
    responses=problems(401, 404, 503),
)
async def get_investigation(investigation_id: str, request: Request) -> dict[str, Any]:
    state = ingest_state(request)
    state.check_token(request.headers.get("authorization"))
    try:
        raw = await cast(Any, state.redis).hgetall(investigation_redis_key(investigation_id))
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        raise unavailable("investigation store unreachable") from None
    investigation = parse_investigation(raw) if raw else None
    if investigation is None:
        raise Problem(404, "Not Found", f"no investigation {investigation_id!r}", "not-found")
    return public_view(investigation)
