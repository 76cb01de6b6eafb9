"""Push sources: the Alertmanager webhook and HolmesGPT's /api/investigate."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from alertfleet.api_models import InvestigateResponse
from alertfleet.models import AlertmanagerWebhook, InvestigateRequest
from ingest import metrics
from ingest.api_auth import check_api_token
from ingest.api_support import COMMON_PROBLEMS, problems
from ingest.body import parse_model, parse_object, read_body, validate_object
from ingest.deps import ingest_state
from ingest.outbox import Stored
from ingest.problems import Problem
from ingest.routes.holmes import holmes_investigate


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

_ACCEPTED_SCHEMA = {
    "type": "object",
    "required": ["status", "investigation_ids", "action", "duplicate", "links"],
    "properties": {
        "status": {"type": "string"},
        "investigation_ids": {"type": "array", "items": {"type": "string"}},
        "action": {"type": "string"},
        "duplicate": {"type": "boolean"},
        "links": {"type": "array", "items": {"type": "string"}},
    },
}


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


@router.post(
    "/api/webhooks/alertmanager",
    status_code=202,
    summary="Alertmanager webhook receiver",
    responses=problems(400, 401, 413, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AlertmanagerWebhook.model_json_schema()}},
        },
        "responses": {"202": {"description": "Stored", "content": {"application/json": {"schema": _ACCEPTED_SCHEMA}}}},
    },
)
async def alertmanager_webhook(request: Request) -> JSONResponse:
    raw = await _authorised_body(request, "alertmanager")
    try:
        body = parse_model(raw, AlertmanagerWebhook)
    except Problem as problem:
        metrics.REJECTED.labels("alertmanager", problem.kind).inc()
        raise
    return _accepted(await ingest_state(request).intake.alertmanager(body))


_INVESTIGATE_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"oneOf": [InvestigateRequest.model_json_schema(), AlertmanagerWebhook.model_json_schema()]},
                "examples": {
                    "holmesgpt": {
                        "value": {
                            "source": "prometheus",
                            "title": "Pod CrashLoopBackOff",
                            "description": "Pod is crashing repeatedly",
                            "subject": {"namespace": "default", "pod": "my-pod"},
                            "context": {},
                            "include_tool_calls": True,
                        }
                    }
                },
            }
        },
    },
    "responses": {
        "200": {
            "description": "A HolmesGPT body: the finished investigation",
            "content": {"application/json": {"schema": InvestigateResponse.model_json_schema()}},
        },
        "202": {
            "description": "An Alertmanager body: stored, investigated by the fleet",
            "content": {"application/json": {"schema": _ACCEPTED_SCHEMA}},
        },
    },
}


@router.post(
    "/api/investigate",
    summary="HolmesGPT investigate (200 with the result), or an Alertmanager body (202)",
    responses=problems(*COMMON_PROBLEMS),
    openapi_extra=_INVESTIGATE_OPENAPI,
)
async def investigate(request: Request) -> Response:
    """A body with `alerts` is an Alertmanager webhook (ALERTFLEET_INGEST_TOKEN); any other is HolmesGPT's
    (ALERTFLEET_API_TOKENS), answered once the fleet has the result."""
    state = ingest_state(request)
    try:
        raw = await read_body(request, state.max_body_bytes)
        try:
            value = parse_object(raw)
        except Problem:
            state.check_token(request.headers.get("authorization"))
            raise
        if "alerts" in value:
            state.check_token(request.headers.get("authorization"))
            webhook = validate_object(value, AlertmanagerWebhook)
            return _accepted(await state.intake.alertmanager(webhook))
        check_api_token(state.settings, state.listen_host, request.headers)
        holmes = validate_object(value, InvestigateRequest)
    except Problem as problem:
        metrics.REJECTED.labels("api", problem.kind).inc()
        raise
    return await holmes_investigate(request, holmes, stream=False)
