"""What every API route does: authorise, resolve the model name, submit a session, answer or stream it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel

from alertfleet.sessions import Session, SessionKind
from ingest.api_auth import check_api_token
from ingest.api_metrics import CHAT_IN_FLIGHT
from ingest.deps import ingest_state
from ingest.problems import Problem
from ingest.sessions import SessionGateway, SessionTimeout

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "session_id": {"type": "string"},
        "allowed": {"type": "array", "items": {"type": "string"}},
    },
}
_DESCRIPTIONS = {
    400: "Bad request: e.g. a model name that is not configured (`allowed` lists the names)",
    401: "Missing or invalid API key (ALERTFLEET_API_TOKENS)",
    403: "The key is not an API key",
    404: "Not found",
    409: "Not finished yet",
    413: "Body larger than ALERTFLEET_MAX_BODY_BYTES",
    422: "Invalid body",
    429: "The model provider rate-limited the request",
    502: "The model failed",
    503: "Redis or the queue cannot take the request now (Retry-After)",
    504: "Not finished within ALERTFLEET_API_WAIT; `session_id` names the session to poll",
}
SSE_EVENT_NAMES = [
    "start_tool_calling",
    "tool_calling_result",
    "ai_message",
    "token_count",
    "approval_required",
    "ai_answer_end",
    "error",
]
SSE_CONTENT = {
    "text/event-stream": {
        "itemSchema": {
            "type": "object",
            "description": "One SSE event: `event` names it (HolmesGPT's names), `data` is its JSON payload",
            "required": ["event", "data"],
            "properties": {
                "event": {"type": "string", "enum": SSE_EVENT_NAMES},
                "data": {"type": "string", "contentMediaType": "application/json"},
                "id": {"type": "string"},
            },
        },
    }
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem+json answers."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


COMMON_PROBLEMS = (400, 401, 413, 422, 429, 502, 503, 504)


def gateway(request: Request) -> SessionGateway:
    state = ingest_state(request)
    assert state.sessions is not None, "the lifespan opens the session gateway"
    return state.sessions


async def require_api_token(request: Request) -> None:
    """A route dependency: runs before the body is validated, so a stranger learns nothing about it."""
    state = ingest_state(request)
    check_api_token(state.settings, state.listen_host, request.headers)


def resolve_model(request: Request, requested: str | None, *, required: bool) -> tuple[str | None, str | None]:
    """(name, litellm id) for a request's `model`; 400 naming the allowed names for any other."""
    config = ingest_state(request).intake.routing
    models = dict(config.current().models) if config is not None else {}
    allowed = sorted(models)
    if requested is not None:
        if requested not in models:
            detail = f"unknown model {requested!r}; allowed: {', '.join(allowed) or '(none configured)'}"
            raise Problem(400, "Bad Request", detail, "unknown-model", extra={"allowed": allowed})
        return requested, models[requested]
    default = config.current().route.model if config is not None else None
    if default is None and required:
        raise Problem(
            400,
            "Bad Request",
            "no model configured: set MODEL or models: in ALERTFLEET_CONFIG",
            "no-model",
            extra={"allowed": allowed},
        )
    name = next((n for n, model_id in models.items() if model_id == default), default)
    return name, default


async def submit(
    request: Request, kind: SessionKind, body: BaseModel, *, required: bool, requested: str | None
) -> Session:
    name, model = resolve_model(request, requested, required=required)
    return await gateway(request).submit(kind, body.model_dump(mode="json"), model, name)


async def answer(request: Request, session: Session, stream: bool) -> Response:
    """The finished session's answer, or its events as SSE while it runs."""
    if stream:
        return sse(gateway(request), session.id)
    with CHAT_IN_FLIGHT.track_inprogress():
        try:
            finished = await gateway(request).wait(session.id)
        except SessionTimeout:
            raise timeout_problem(session.id) from None
    return finished_response(finished)


def timeout_problem(session_id: str) -> Problem:
    detail = (
        f"not finished within ALERTFLEET_API_WAIT; the session goes on: poll /api/v1/incident/session/{session_id}, "
        f"and replay /api/v1/investigations/{session_id}/events for the answer (its ai_answer_end)"
    )
    return Problem(504, "Gateway Timeout", detail, "timeout", extra={"session_id": session_id})


def finished_response(session: Session) -> Response:
    if session.status == "completed" and session.result is not None:
        return JSONResponse(session.result)
    error = session.error or {}
    message = str(error.get("msg") or "the session failed")
    if error.get("error_code") == 5204:
        raise Problem(
            429,
            "Too Many Requests",
            message,
            "rate-limited",
            headers={"Retry-After": "30"},
            extra={"session_id": session.id},
        )
    raise Problem(502, "Bad Gateway", message, "model-failed", extra={"session_id": session.id})


def sse(gateway: SessionGateway, session_id: str, after: str = "0-0") -> EventSourceResponse:
    return EventSourceResponse(
        _relay(gateway, session_id, after), headers={"X-Session-Id": session_id, "Cache-Control": "no-cache"}
    )


async def _relay(gateway: SessionGateway, session_id: str, after: str) -> AsyncIterator[bytes]:
    with CHAT_IN_FLIGHT.track_inprogress():
        try:
            async for event in gateway.follow(session_id, after):
                yield format_sse_event(data_str=json.dumps(event.data), event=event.name, id=event.id)
        except SessionTimeout:
            message = timeout_problem(session_id).detail
            yield _error_event(message)
        except Problem as problem:
            yield _error_event(problem.detail)


def _error_event(message: str) -> bytes:
    data = {"description": message, "error_code": 1, "msg": message, "success": False}
    return format_sse_event(data_str=json.dumps(data), event="error")
