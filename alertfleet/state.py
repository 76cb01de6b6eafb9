"""Investigation records in Redis: one hash per investigation, readable by ingest and workers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import redis

from alertfleet.keys import investigation_lock_key, investigation_redis_key
from alertfleet.models import (
    Event,
    Feedback,
    Investigation,
    InvestigationResult,
    InvestigationStatus,
    RouteDecision,
    utcnow,
)
from alertfleet.redaction import redact_error
from alertfleet.usage import Usage

RESOLVED_BEFORE: InvestigationStatus = "resolved-before-investigation"

# KEYS: the record. ARGV: worker, now. A queued record whose resolution already arrived is never started.
_START = """
if redis.call('HGET', KEYS[1], 'status') == 'queued' and redis.call('HGET', KEYS[1], 'resolved') == '1' then
  redis.call('HSET', KEYS[1], 'status', 'resolved-before-investigation', 'updated_at', ARGV[2])
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'running', 'worker', ARGV[1], 'updated_at', ARGV[2])
return 1
"""


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
        feedback=[Feedback.model_validate(item) for item in json.loads(fields.get("feedback") or "[]")],
        runs=int(fields.get("runs") or "1"),
    )


def public_view(investigation: Investigation) -> dict[str, Any]:
    """The `/api/v1/investigations/{id}` shape: {id, status, result, usage, partial, partial_reason, ...}."""
    result: dict[str, Any] | None = None
    res = investigation.result
    if res is not None:
        result = {
            "analysis": res.analysis,
            "sections": res.sections.as_holmes(),
            "model": res.model,
            "mode": res.mode,
            "token_count": res.token_count,
            "duration_seconds": res.duration_seconds,
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
        # What it cost (zeros before, or without, any model call) and whether a limit cut it short.
        "usage": (res.usage if res is not None else Usage()).model_dump(),
        "partial": res.partial if res is not None else False,
        "partial_reason": res.partial_reason if res is not None else None,
        "resolved": investigation.resolved,
        "error": investigation.error,
        "title": investigation.event.title,
        "source": investigation.event.source,
        "route": _route_view(investigation.route),
        "created_at": investigation.created_at.isoformat(),
        "updated_at": investigation.updated_at.isoformat(),
        "feedback": [item.model_dump(mode="json") for item in investigation.feedback],
        "runs": investigation.runs,
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

    def start(self, investigation_id: str, worker: str) -> bool:
        """Mark it running, atomically unless its resolution arrived first (then it is recorded as
        resolved-before-investigation and False says: do not investigate)."""
        key = investigation_redis_key(investigation_id)
        started = cast(Any, self.client).eval(_START, 1, key, worker, utcnow().isoformat())
        return bool(int(started))

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

    def add_feedback(self, investigation_id: str, feedback: Feedback) -> bool:
        """Record one person's rating (replacing their earlier one); False when the record is gone."""
        key = investigation_redis_key(investigation_id)
        with self.client.lock(investigation_lock_key(investigation_id), timeout=30, blocking_timeout=30):
            raw = cast(Any, self.client).hget(key, "feedback")
            if not self.exists(investigation_id):
                return False
            items = [Feedback.model_validate(item) for item in json.loads(_text(raw) if raw else "[]")]
            items = [*[item for item in items if item.user != feedback.user][-99:], feedback]
            cast(Any, self.client).hset(key, "feedback", json.dumps([item.model_dump(mode="json") for item in items]))
        return True

    def restart(self, investigation_id: str) -> bool:
        """Queue a finished investigation again (a re-investigation of the same problem with its current
        alerts); False when it is gone or still running. Its route decision and writes stay, so the
        new findings update the messages already written."""
        key = investigation_redis_key(investigation_id)
        with self.client.lock(investigation_lock_key(investigation_id), timeout=30, blocking_timeout=30):
            investigation = self.load(investigation_id)
            if investigation is None or investigation.status not in ("completed", "failed", RESOLVED_BEFORE):
                return False
            pipe = cast(Any, self.client).pipeline()
            pipe.hset(key, mapping={"status": "queued", "updated_at": utcnow().isoformat(), "error": ""})
            pipe.hdel(key, "resolved")  # asked for by a person: investigated even if its alerts resolved
            pipe.hincrby(key, "runs", 1 if cast(Any, self.client).hexists(key, "runs") else 2)
            pipe.execute()
        return True

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
