"""Slack's callbacks into ingest: the Events API (`/api/webhooks/slack/events`) and interactivity
(`/api/webhooks/slack/interactions`, the buttons). Both are signed with SLACK_SIGNING_SECRET (404 while
it is unset, 401 when the signature, or its timestamp, does not hold) and answered within Slack's 3 s:
ingest stores the delivery as a task and returns; the fleet does the answering.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from celery import Celery
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from alertfleet.queue import make_celery
from ingest.api_support import problems
from ingest.body import read_body
from ingest.deps import IngestState, ingest_state
from ingest.problems import Problem, unavailable
from integrations.slack.app_intake import SlackIntake, StoreUnavailable
from integrations.slack.app_settings import SlackAppSettings
from integrations.slack.app_verify import signature_problem

router = APIRouter(tags=["slack"])
_OK: dict[int | str, dict[str, Any]] = {200: {"description": "Taken (stored, ignored or a duplicate)"}}


def _intake(request: Request, state: IngestState) -> SlackIntake:
    intake: SlackIntake | None = getattr(request.app.state, "slack_intake", None)
    if intake is None or intake.client is not state.redis:
        celery: Celery = state.sessions.celery if state.sessions is not None else make_celery(state.settings)
        intake = SlackIntake(state.redis, celery)
        request.app.state.slack_intake = intake
    return intake


async def _verified(request: Request) -> tuple[IngestState, bytes]:
    state = ingest_state(request)
    settings = state.settings
    secret = settings.slack_signing_secret if isinstance(settings, SlackAppSettings) else None
    if secret is None:
        raise Problem(404, "Not Found", "the Slack app is off: set SLACK_SIGNING_SECRET", "not-configured")
    raw = await read_body(request, state.max_body_bytes)
    problem = signature_problem(secret.get_secret_value(), raw, request.headers)
    if problem is not None:
        raise Problem(401, "Unauthorized", problem, "bad-signature")
    return state, raw


def _json(raw: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw)
    except ValueError as exc:
        raise Problem(400, "Bad Request", f"body is not JSON: {exc}", "malformed-json") from None
    if not isinstance(payload, dict):
        raise Problem(400, "Bad Request", "body is not a JSON object", "malformed-json")
    return payload


@router.post(
    "/api/webhooks/slack/events",
    summary="Slack Events API (follow-up questions in an investigation's thread)",
    responses={**_OK, **problems(400, 401, 404, 413, 503)},
)
async def slack_events(request: Request) -> Response:
    state, raw = await _verified(request)
    payload = _json(raw)
    if payload.get("type") == "url_verification":
        return JSONResponse({"challenge": str(payload.get("challenge", ""))})
    if payload.get("type") != "event_callback":
        return JSONResponse({"ok": True, "ignored": f"type {payload.get('type')!r}"})
    try:
        stored, ignored = await _intake(request, state).event(payload)
    except StoreUnavailable as exc:
        raise unavailable(str(exc)) from None
    return JSONResponse({"ok": True, "stored": stored, **({"ignored": ignored} if ignored else {})})


@router.post(
    "/api/webhooks/slack/interactions",
    summary="Slack interactivity (the Re-investigate, Helpful and Not helpful buttons)",
    responses={**_OK, **problems(400, 401, 404, 413, 503)},
)
async def slack_interactions(request: Request) -> Response:
    state, raw = await _verified(request)
    form = parse_qs(raw.decode("utf-8", "replace"))
    if "payload" not in form:
        raise Problem(400, "Bad Request", "expected a form body with payload=<JSON>", "malformed-payload")
    payload = _json(form["payload"][0].encode())
    try:
        stored = await _intake(request, state).actions(payload)
    except StoreUnavailable as exc:
        raise unavailable(str(exc)) from None
    return JSONResponse({"ok": True, "stored": stored})
