"""Push sources: the Alertmanager webhook and HolmesGPT's /api/investigate."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from alertfleet.models import AlertmanagerWebhook, InvestigateRequest
from ingest import metrics
from ingest.body import parse_model, parse_object, read_body, validate_object
from ingest.deps import ingest_state
from ingest.outbox import Stored
from ingest.problems import Problem


class RequestOnlyRoute(APIRoute):
    """A route whose endpoint takes the Request and returns a Response: nothing for FastAPI to solve.

    FastAPI's per-request handler (dependency solving, body sniffing, response serialisation) costs
    ~30 µs on the hot path and does nothing here, so the endpoint is called directly. The route is still
    an APIRoute: same path, methods, OpenAPI entry, middleware and exception handlers.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint: Callable[[Request], Coroutine[Any, Any, Response]] = self.endpoint
        return endpoint


router = APIRouter(tags=["webhooks"], route_class=RequestOnlyRoute)


def _accepted(stored: Stored) -> JSONResponse:
    body: dict[str, Any] = {
        "status": "accepted",
        "investigation_ids": [stored.investigation_id],
        "action": stored.action,
        "duplicate": stored.action == "duplicate",
        "links": [f"/api/v1/investigations/{stored.investigation_id}"],
    }
    return JSONResponse(body, status_code=202)


async def _authorised_body(request: Request, source: str) -> bytes:
    state = ingest_state(request)
    try:
        state.check_token(request.headers.get("authorization"))
        return await read_body(request, state.max_body_bytes)
    except Problem as problem:
        metrics.REJECTED.labels(source, problem.kind).inc()
        raise


@router.post("/api/webhooks/alertmanager", status_code=202, summary="Alertmanager webhook receiver")
async def alertmanager_webhook(request: Request) -> JSONResponse:
    raw = await _authorised_body(request, "alertmanager")
    try:
        body = parse_model(raw, AlertmanagerWebhook)
    except Problem as problem:
        metrics.REJECTED.labels("alertmanager", problem.kind).inc()
        raise
    return _accepted(await ingest_state(request).intake.alertmanager(body))


@router.post("/api/investigate", status_code=202, summary="HolmesGPT investigate (or an Alertmanager body)")
async def investigate(request: Request) -> JSONResponse:
    raw = await _authorised_body(request, "api")
    try:
        value = parse_object(raw)
        if "alerts" in value:
            webhook = validate_object(value, AlertmanagerWebhook)
            return _accepted(await ingest_state(request).intake.alertmanager(webhook))
        holmes = validate_object(value, InvestigateRequest)
    except Problem as problem:
        metrics.REJECTED.labels("api", problem.kind).inc()
        raise
    return _accepted(await ingest_state(request).intake.investigate_request(holmes))
