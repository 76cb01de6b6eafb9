"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Any, cast

import redis.exceptions
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from ingest import api_metrics, scrape
from ingest.api_support import problems
from ingest.deps import ingest_state
from ingest.problems import unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to take work durably (Redis reachable)", responses=problems(503))
async def readyz(request: Request) -> dict[str, str]:
    try:
        await cast(Any, ingest_state(request).redis).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        raise unavailable("redis unreachable") from None
    return {"status": "ready"}


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}
    },
)
async def metrics(request: Request) -> Response:
    await scrape.refresh(ingest_state(request).redis)
    await api_metrics.refresh(ingest_state(request).redis)
    return Response(scrape.exposition(), media_type=CONTENT_TYPE_LATEST)
