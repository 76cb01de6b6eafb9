"""API sessions in Redis: one hash per request (what was asked, its state, the answer), kept
ALERTFLEET_SESSION_TTL, so a session outlives restarts of ingest and workers.

Ingest writes the request (async client), the chat worker the state and the answer (sync client);
both read and write the hash through these functions only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, cast

import redis
from pydantic import BaseModel, Field

from alertfleet.keys import SESSION_METRICS, session_redis_key
from alertfleet.models import utcnow

SessionKind = Literal[
    "chat", "issue_chat", "workload_health_chat", "investigate", "workload_health_check", "incident", "robusta"
]
SessionState = Literal["pending", "investigating", "completed", "failed"]
TERMINAL_EVENTS = frozenset({"ai_answer_end", "error", "approval_required"})


class Session(BaseModel):
    id: str
    kind: SessionKind
    request: dict[str, Any]
    model: str | None = None  # the litellm model id the request's model name resolved to
    model_name: str | None = None
    status: SessionState = "pending"
    progress: str = "Queued for the fleet"
    result: dict[str, Any] | None = None  # the route's answer, exactly as the client receives it
    error: dict[str, Any] | None = None  # the `error` event's payload
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def session_fields(session: Session) -> dict[str, str]:
    dumped = session.model_dump(mode="json")
    return {name: json.dumps(value) for name, value in dumped.items()}


def parse_session(raw: Mapping[Any, Any]) -> Session | None:
    fields = {
        (k.decode() if isinstance(k, bytes) else str(k)): (v.decode() if isinstance(v, bytes) else str(v))
        for k, v in raw.items()
    }
    if "id" not in fields or "kind" not in fields:
        return None
    return Session.model_validate({name: json.loads(value) for name, value in fields.items()})


def state_fields(status: SessionState, progress: str, **values: Any) -> dict[str, str]:
    return {
        "status": json.dumps(status),
        "progress": json.dumps(progress),
        "updated_at": json.dumps(utcnow().isoformat()),
        **{name: json.dumps(value) for name, value in values.items()},
    }


class SessionStore:
    """The worker's (synchronous) side."""

    def __init__(self, client: redis.Redis, ttl: int) -> None:
        self.client = cast(Any, client)
        self.ttl = ttl

    def load(self, session_id: str) -> Session | None:
        return parse_session(self.client.hgetall(session_redis_key(session_id)))

    def transition(self, session: Session, status: SessionState, progress: str, **values: Any) -> None:
        """Store the new state and move the fleet-wide per-state count along with it."""
        key = session_redis_key(session.id)
        pipe = self.client.pipeline()
        pipe.hset(key, mapping=state_fields(status, progress, **values))
        pipe.expire(key, self.ttl)
        if status != session.status:
            pipe.hincrby(SESSION_METRICS, session.status, -1)
            pipe.hincrby(SESSION_METRICS, status, 1)
        pipe.execute()
        session.status = status
