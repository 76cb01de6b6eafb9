"""HolmesGPT's HTTP API (seeds 001, 002): chat, investigate, workload health, models, and SSE replay.

Each request becomes a session the fleet runs on queue `chat`; ingest answers once the session is
done, or relays its events as SSE. `POST /api/investigate` lives in webhooks.py (it also takes
Alertmanager bodies) and answers a HolmesGPT body through `holmes_investigate` here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from alertfleet.api_models import (
    ChatRequest,
    ChatResponse,
    InvestigateResponse,
    IssueChatRequest,
    ModelList,
    WorkloadHealthChatRequest,
    WorkloadHealthChatResponse,
    WorkloadHealthRequest,
)
from alertfleet.models import InvestigateRequest
from ingest.api_support import (
    COMMON_PROBLEMS,
    SSE_CONTENT,
    answer,
    gateway,
    problems,
    require_api_token,
    sse,
    submit,
)
from ingest.deps import ingest_state
from ingest.problems import Problem

router = APIRouter(tags=["holmesgpt"], dependencies=[Depends(require_api_token)])

_JSON_OR_SSE: dict[int | str, dict[str, Any]] = {
    200: {"content": SSE_CONTENT, "description": "The answer, or SSE events with `stream: true`"}
}


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={**_JSON_OR_SSE, **problems(*COMMON_PROBLEMS)},
    summary="Chat (HolmesGPT)",
)
async def chat(body: ChatRequest, request: Request) -> Response:
    session = await submit(request, "chat", body, required=True, requested=body.model)
    return await answer(request, session, body.stream)


async def holmes_investigate(request: Request, body: InvestigateRequest, *, stream: bool) -> Response:
    """A HolmesGPT investigate body: answered with {analysis, sections, tool_calls, instructions}."""
    session = await submit(request, "investigate", body, required=False, requested=body.model)
    return await answer(request, session, stream)


@router.post(
    "/api/stream/investigate",
    responses={
        200: {"content": SSE_CONTENT, "description": "SSE events ending with ai_answer_end"},
        **problems(*COMMON_PROBLEMS),
    },
    summary="Investigate, streamed (HolmesGPT)",
)
async def stream_investigate(body: InvestigateRequest, request: Request) -> Response:
    return await holmes_investigate(request, body, stream=True)


@router.post(
    "/api/issue_chat",
    response_model=ChatResponse,
    responses={**_JSON_OR_SSE, **problems(*COMMON_PROBLEMS)},
    summary="Chat about an investigation (HolmesGPT)",
)
async def issue_chat(body: IssueChatRequest, request: Request) -> Response:
    session = await submit(request, "issue_chat", body, required=True, requested=body.model)
    return await answer(request, session, body.stream)


@router.post(
    "/api/workload_health_check",
    response_model=InvestigateResponse,
    responses=problems(*COMMON_PROBLEMS),
    summary="Workload health check (HolmesGPT)",
)
async def workload_health_check(body: WorkloadHealthRequest, request: Request) -> Response:
    session = await submit(request, "workload_health_check", body, required=False, requested=body.model)
    return await answer(request, session, False)


@router.post(
    "/api/workload_health_chat",
    response_model=WorkloadHealthChatResponse,
    responses={**_JSON_OR_SSE, **problems(*COMMON_PROBLEMS)},
    summary="Chat about a workload's health (HolmesGPT)",
)
async def workload_health_chat(body: WorkloadHealthChatRequest, request: Request) -> Response:
    session = await submit(request, "workload_health_chat", body, required=True, requested=body.model)
    return await answer(request, session, body.stream)


@router.get("/api/model", response_model=ModelList, responses=problems(401), summary="Model names a request may use")
async def model_names(request: Request) -> ModelList:
    routing = ingest_state(request).intake.routing
    return ModelList(model_name=sorted(routing.current().models) if routing is not None else [])


@router.get(
    "/api/v1/investigations/{session_id}/events",
    responses={
        200: {"content": SSE_CONTENT, "description": "The session's events, from the start or Last-Event-ID"},
        **problems(401, 404, 503),
    },
    summary="Replay a session's SSE events (Last-Event-ID resumes)",
)
async def replay_events(
    session_id: str, request: Request, last_event_id: str | None = Header(default=None, alias="Last-Event-ID")
) -> Response:
    if await gateway(request).load(session_id) is None:
        raise Problem(404, "Not Found", f"no session {session_id!r}", "not-found")
    after = last_event_id if last_event_id and _stream_id(last_event_id) else "0-0"
    return sse(gateway(request), session_id, after)


def _stream_id(text: str) -> bool:
    left, _, right = text.partition("-")
    return left.isdigit() and (right == "" or right.isdigit())
