"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import contextlib
from typing import Any, cast

import redis.exceptions
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from alertfleet.keys import DLQ
from ingest import llm_metrics, route_metrics
from ingest import metrics as ingest_metrics
from ingest.deps import ingest_state
from ingest.problems import unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to take work durably (Redis reachable)")
async def readyz(request: Request) -> dict[str, str]:
    try:
        await cast(Any, ingest_state(request).redis).ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        raise unavailable("redis unreachable") from None
    return {"status": "ready"}


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    with contextlib.suppress(redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        ingest_metrics.DEAD_LETTERS.set(await cast(Any, ingest_state(request).redis).hlen(DLQ))
    with contextlib.suppress(redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        await route_metrics.refresh(ingest_state(request).redis)
    with contextlib.suppress(redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        await llm_metrics.refresh(ingest_state(request).redis)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
