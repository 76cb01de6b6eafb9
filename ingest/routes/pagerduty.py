"""PagerDuty webhooks v3: signed incident events in, stored like any other source's events.

The signature (HMAC-SHA256 of the raw body with PAGERDUTY_WEBHOOK_SECRET) is the authentication;
PagerDuty cannot send the ingest bearer token. A replayed event has the same per-trigger dedup key
as the original, so it is a duplicate, never a second investigation.
"""

from __future__ import annotations

from typing import Any, cast

import redis.exceptions
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from alertfleet.keys import investigation_redis_key, problem_redis_key
from alertfleet.models import Event
from ingest import metrics
from ingest.api_support import problems
from ingest.body import parse_model, read_body
from ingest.deps import IngestState, ingest_state
from ingest.problems import Problem, unavailable
from integrations.pagerduty.source import (
    HANDLED_EVENTS,
    SOURCE,
    WebhookPayload,
    event_from_incident,
    incident_problem_key,
    signature_valid,
    trigger_dedup_key,
)

router = APIRouter(tags=["webhooks"])


def _answer(status: str, event_type: str, **fields: Any) -> JSONResponse:
    return JSONResponse({"status": status, "event_type": event_type, **fields}, status_code=202)


async def _verified_payload(request: Request, state: IngestState) -> WebhookPayload:
    secret = state.settings.pagerduty_webhook_secret
    if secret is None:
        raise Problem(404, "Not Found", "PagerDuty webhooks are off: set PAGERDUTY_WEBHOOK_SECRET", "not-configured")
    raw = await read_body(request, state.max_body_bytes)
    if not signature_valid(secret.get_secret_value(), raw, request.headers.get("x-pagerduty-signature")):
        raise Problem(
            401,
            "Unauthorized",
            "missing or invalid X-PagerDuty-Signature (v1= HMAC-SHA256 of the body with PAGERDUTY_WEBHOOK_SECRET)",
            "bad-signature",
        )
    return parse_model(raw, WebhookPayload)


async def _resolves_pagerduty_investigation(state: IngestState, problem: str) -> bool:
    """A PagerDuty resolution ends only investigations PagerDuty started; an Alertmanager group's
    investigation (linked by incident_key) resolves when Alertmanager says so."""
    client = cast(Any, state.redis)
    try:
        investigation_id = await client.get(problem_redis_key(problem))
        if not investigation_id:
            return False
        raw = await client.hget(investigation_redis_key(investigation_id.decode()), "event")
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        raise unavailable("the queue cannot take work durably right now; retry later") from None
    return bool(raw) and Event.model_validate_json(raw).source == SOURCE


@router.post(
    "/api/webhooks/pagerduty",
    status_code=202,
    summary="PagerDuty webhooks v3 (signed)",
    responses=problems(400, 401, 404, 413, 422, 503),
)
async def pagerduty_webhook(request: Request) -> JSONResponse:
    state = ingest_state(request)
    try:
        payload = await _verified_payload(request, state)
    except Problem as refusal:
        metrics.REJECTED.labels(SOURCE, refusal.kind).inc()
        raise
    event_type = payload.event.event_type
    status = HANDLED_EVENTS.get(event_type)
    incident = payload.event.data
    if status is None or not incident.get("id"):
        return _answer("ignored", event_type)  # pings, annotations, other resources: nothing to do
    problem = incident_problem_key(incident)
    if status == "resolved" and not await _resolves_pagerduty_investigation(state, problem):
        return _answer("ignored", event_type, detail="no open investigation started by this incident")
    stored = await state.intake.store_event(
        SOURCE, event_from_incident(incident, status), trigger_dedup_key(incident, status), problem
    )
    return _answer(
        "accepted",
        event_type,
        investigation_ids=[stored.investigation_id],
        action=stored.action,
        duplicate=stored.action == "duplicate",
        links=[f"/api/v1/investigations/{stored.investigation_id}"],
    )
