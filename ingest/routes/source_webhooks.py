"""Signed push sources declared by integrations (`Integration.webhooks()`), served one route each.

The vendor's signature is the authentication (a vendor cannot send the ingest bearer token): 404
while the integration's secret is unset, 401 on a bad signature, 422 on a body that does not fit,
202 with what was stored, or `ignored` for deliveries that change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, cast

import redis.exceptions
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from alertfleet.integration import SourceEvent, WebhookSource
from alertfleet.keys import investigation_redis_key, problem_redis_key
from alertfleet.models import Event
from ingest import metrics
from ingest.api_support import problems
from ingest.body import parse_model, read_body
from ingest.deps import IngestState, ingest_state
from ingest.problems import Problem, unavailable


def _answer(status: str, event_type: str, status_code: int = 202, **fields: Any) -> JSONResponse:
    return JSONResponse({"status": status, "event_type": event_type, **fields}, status_code=status_code)


async def _verified_payload(request: Request, state: IngestState, source: WebhookSource) -> Any:
    secret = source.secret(state.settings)
    if secret is None:
        raise Problem(404, "Not Found", source.not_configured, "not-configured")
    raw = await read_body(request, state.max_body_bytes)
    if not source.verify(secret, raw, request.headers):
        raise Problem(401, "Unauthorized", source.bad_signature, "bad-signature")
    return parse_model(raw, source.payload_model)


async def _started_by(state: IngestState, problem: str, source: str) -> bool:
    """Whether the problem's open investigation was started by an event of `source`."""
    client = cast(Any, state.redis)
    try:
        investigation_id = await client.get(problem_redis_key(problem))
        if not investigation_id:
            return False
        raw = await client.hget(investigation_redis_key(investigation_id.decode()), "event")
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError):
        raise unavailable("the queue cannot take work durably right now; retry later") from None
    return bool(raw) and Event.model_validate_json(raw).source == source


async def _applicable(state: IngestState, item: SourceEvent) -> bool:
    if item.only_resolves_own is None or item.event.status != "resolved":
        return True
    problem = item.problem or state.intake.problem_for(item.event)
    return await _started_by(state, problem, item.event.source)


def _endpoint(source: WebhookSource) -> Callable[[Request], Coroutine[Any, Any, JSONResponse]]:
    async def receive(request: Request) -> JSONResponse:
        state = ingest_state(request)
        try:
            payload = await _verified_payload(request, state, source)
        except Problem as refusal:
            metrics.REJECTED.labels(source.source, refusal.kind).inc()
            raise
        outcome = source.outcome(payload)
        if not outcome.events:
            return _answer("ignored", outcome.event_type, outcome.status_code)
        applicable = [item for item in outcome.events if await _applicable(state, item)]
        if not applicable:
            return _answer("ignored", outcome.event_type, detail=outcome.events[0].only_resolves_own)
        stored = [
            await state.intake.store_event(source.source, item.event, item.dedup_key, item.problem)
            for item in applicable
        ]
        ids = [entry.investigation_id for entry in stored]
        return _answer(
            "accepted",
            outcome.event_type,
            investigation_ids=ids,
            action=stored[0].action,
            duplicate=all(entry.action == "duplicate" for entry in stored),
            links=[f"/api/v1/investigations/{investigation_id}" for investigation_id in ids],
        )

    return receive


def router_for(sources: Iterable[WebhookSource]) -> APIRouter:
    """One POST route per declared webhook source."""
    router = APIRouter(tags=["webhooks"])
    for source in sources:
        router.add_api_route(
            source.path,
            _endpoint(source),
            methods=["POST"],
            status_code=202,
            summary=source.summary,
            name=f"{source.source}_webhook",
            responses=problems(400, 401, 404, 413, 422, 503),
        )
    return router
