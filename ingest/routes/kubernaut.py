"""Kubernaut's session API (seed 003; its OpenAPI in tests/contract/specs/kubernaut/): submit, poll, result.

Sessions are Redis records (ALERTFLEET_SESSION_TTL), so unlike Kubernaut's in-memory ones they
survive restarts of ingest and workers. `/health` and `/ready` are aliases of `/healthz`, `/readyz`.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from alertfleet.kubernaut_models import IncidentAccepted, IncidentRequest, IncidentResponse, IncidentSession
from alertfleet.sessions import Session
from ingest.api_support import gateway, problems, require_api_token, submit
from ingest.problems import Problem
from ingest.routes.health import healthz, readyz

router = APIRouter(tags=["kubernaut"], dependencies=[Depends(require_api_token)])
health_router = APIRouter(tags=["health"])


@router.post(
    "/api/v1/incident/analyze",
    status_code=202,
    response_model=IncidentAccepted,
    responses=problems(400, 401, 413, 422, 503),
    summary="Start an incident investigation (Kubernaut)",
)
async def analyze(body: IncidentRequest, request: Request) -> JSONResponse:
    session = await submit(request, "incident", body, required=False, requested=None)
    return JSONResponse({"session_id": session.id}, status_code=202)


async def _session(request: Request, session_id: str, *, incident: bool) -> Session:
    """Any session's state can be polled (a chat past ALERTFLEET_API_WAIT too); only an incident has an
    IncidentResponse."""
    session = await gateway(request).load(session_id)
    if session is None:
        raise Problem(404, "Not Found", f"session {session_id!r} does not exist (or has expired)", "not-found")
    if incident and session.kind != "incident":
        detail = (
            f"session {session_id!r} is a {session.kind} request: replay /api/v1/investigations/{session_id}/events"
        )
        raise Problem(404, "Not Found", detail, "not-found")
    return session


@router.get(
    "/api/v1/incident/session/{session_id}",
    response_model=IncidentSession,
    responses=problems(401, 404, 503),
    summary="Poll a session (Kubernaut)",
)
async def session_status(session_id: str, request: Request) -> IncidentSession:
    session = await _session(request, session_id, incident=False)
    return IncidentSession(status=session.status, progress=session.progress)


@router.get(
    "/api/v1/incident/session/{session_id}/result",
    response_model=IncidentResponse,
    responses=problems(401, 404, 409, 503),
    summary="A completed session's IncidentResponse (Kubernaut)",
)
async def session_result(session_id: str, request: Request) -> JSONResponse:
    session = await _session(request, session_id, incident=True)
    if session.status == "failed":
        detail = str((session.error or {}).get("msg") or "the investigation failed")
        raise Problem(409, "Conflict", f"Session failed: {detail}", "conflict")
    if session.status != "completed" or session.result is None:
        raise Problem(409, "Conflict", f"Session is still {session.status}, result not yet available", "conflict")
    return JSONResponse(session.result)


health_router.add_api_route("/health", healthz, methods=["GET"], summary="Liveness (alias of /healthz)")
health_router.add_api_route(
    "/ready", readyz, methods=["GET"], summary="Readiness (alias of /readyz)", responses=problems(503)
)
