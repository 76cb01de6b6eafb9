"""Investigation records in Redis: one hash per investigation, readable by ingest and workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import redis

from alertfleet.keys import investigation_redis_key
from alertfleet.models import Event, Investigation, InvestigationResult, InvestigationStatus, RouteDecision, utcnow
from alertfleet.redaction import redact_error


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def parse_investigation(raw: Mapping[Any, Any]) -> Investigation | None:
    """Build an Investigation from its Redis hash (bytes or str keys)."""
    fields = {_text(k): _text(v) for k, v in raw.items()}
    if "id" not in fields or "event" not in fields:
        return None
    result = fields.get("result")
    return Investigation(
        id=fields["id"],
        problem_key=fields.get("problem_key", ""),
        status=fields.get("status", "queued"),  # type: ignore[arg-type]
        event=Event.model_validate_json(fields["event"]),
        result=InvestigationResult.model_validate_json(result) if result else None,
        resolved=fields.get("resolved") == "1",
        notifications=int(fields.get("notifications", "1")),
        error=fields.get("error") or None,
        route=RouteDecision.model_validate_json(fields["route"]) if fields.get("route") else None,
        created_at=fields.get("created_at") or utcnow(),  # type: ignore[arg-type]
        updated_at=fields.get("updated_at") or utcnow(),  # type: ignore[arg-type]
    )


def public_view(investigation: Investigation) -> dict[str, Any]:
    """The `/api/v1/investigations/{id}` shape: {id, status, result}."""
    result: dict[str, Any] | None = None
    if investigation.result is not None:
        res = investigation.result
        result = {
            "analysis": res.analysis,
            "sections": res.sections.as_holmes(),
            "model": res.model,
            "mode": res.mode,
            "token_count": res.token_count,
            "tool_calls": [call.model_dump() for call in res.tool_calls],
            "degraded_reason": res.degraded_reason,
            "confidence": res.confidence,
            "investigation_outcome": res.investigation_outcome,
            "actionable": res.actionable,
            "root_cause": res.root_cause,
        }
    return {
        "id": investigation.id,
        "status": investigation.status,
        "result": result,
        "resolved": investigation.resolved,
        "error": investigation.error,
        "title": investigation.event.title,
        "source": investigation.event.source,
        "route": _route_view(investigation.route),
        "created_at": investigation.created_at.isoformat(),
        "updated_at": investigation.updated_at.isoformat(),
    }


def _route_view(route: RouteDecision | None) -> dict[str, Any] | None:
    """Which routes matched and what they decided (destination names, never their options)."""
    if route is None:
        return None
    view: dict[str, Any] = route.model_dump(include={"routes", "investigate", "model", "destinations"})
    view["skipped"] = f"skipped by route {route.routes[0]}" if route.investigate == "skip" else None
    return view


class InvestigationStore:
    """Synchronous access for workers and the CLI."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def load(self, investigation_id: str) -> Investigation | None:
        raw = cast(Any, self.client).hgetall(investigation_redis_key(investigation_id))
        return parse_investigation(raw)

    def set_status(self, investigation_id: str, status: InvestigationStatus, **fields: str) -> None:
        mapping = {"status": status, "updated_at": utcnow().isoformat(), **fields}
        cast(Any, self.client).hset(investigation_redis_key(investigation_id), mapping=mapping)

    def complete(self, investigation_id: str, result: InvestigationResult) -> None:
        self.set_status(investigation_id, "completed", result=result.model_dump_json(), error="")

    def set_route_once(self, investigation_id: str, decision: RouteDecision) -> tuple[RouteDecision, bool]:
        """Record the routing decision unless one is there; (the decision in force, whether it is new)."""
        key = investigation_redis_key(investigation_id)
        if cast(Any, self.client).hsetnx(key, "route", decision.model_dump_json()):
            return decision, True
        return RouteDecision.model_validate_json(_text(cast(Any, self.client).hget(key, "route"))), False

    def exists(self, investigation_id: str) -> bool:
        return bool(cast(Any, self.client).hexists(investigation_redis_key(investigation_id), "id"))

    def fail(self, investigation_id: str, reason: str) -> None:
        """Mark it failed with the reason the API shows; a record already gone stays gone (no stub hash)."""
        if self.exists(investigation_id):
            self.set_status(investigation_id, "failed", error=redact_error(reason))

    def note_error(self, investigation_id: str, reason: str) -> None:
        """Keep the status (a failed write does not undo the findings) but show why something did not happen."""
        cast(Any, self.client).hset(
            investigation_redis_key(investigation_id),
            mapping={"error": redact_error(reason), "updated_at": utcnow().isoformat()},
        )

    def save_event(self, investigation_id: str, event: Event, notifications: int) -> None:
        cast(Any, self.client).hset(
            investigation_redis_key(investigation_id),
            mapping={"event": event.model_dump_json(), "notifications": str(notifications)},
        )

    def mark_resolved(self, investigation_id: str, event: Event) -> None:
        cast(Any, self.client).hset(
            investigation_redis_key(investigation_id),
            mapping={"resolved": "1", "event": event.model_dump_json(), "updated_at": utcnow().isoformat()},
        )

    def create(self, investigation: Investigation, ttl: int) -> None:
        """Used by one-shot CLI runs and pollers; webhook ingest creates records in its Lua step."""
        key = investigation_redis_key(investigation.id)
        pipe = cast(Any, self.client).pipeline()
        pipe.hset(key, mapping=record_fields(investigation))
        pipe.expire(key, ttl)
        pipe.execute()


def new_record(investigation_id: str, problem: str, event_json: str, now: str) -> dict[str, str]:
    """The record of a new investigation: the one definition of its fields (the outbox's Lua step
    writes exactly these, `record_fields` starts from them, `parse_investigation` reads them)."""
    return {
        "id": investigation_id,
        "problem_key": problem,
        "status": "queued",
        "event": event_json,
        "resolved": "0",
        "notifications": "1",
        "created_at": now,
        "updated_at": now,
    }


def new_record_args(investigation_id: str, problem: str, event_json: str, now: str) -> list[str]:
    """`new_record` as the flat field, value, ... list HSET takes (the outbox passes it to its script)."""
    return [part for pair in new_record(investigation_id, problem, event_json, now).items() for part in pair]


def record_fields(investigation: Investigation) -> dict[str, str]:
    fields = new_record(
        investigation.id, investigation.problem_key, investigation.event.model_dump_json(), ""
    )
    fields.update(
        status=investigation.status,
        resolved="1" if investigation.resolved else "0",
        notifications=str(investigation.notifications),
        created_at=investigation.created_at.isoformat(),
        updated_at=investigation.updated_at.isoformat(),
    )
    if investigation.route is not None:
        fields["route"] = investigation.route.model_dump_json()
    return fields
