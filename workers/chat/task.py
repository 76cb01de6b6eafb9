"""The `alertfleet.chat` task (queue `chat`): run one API session and publish its progress and answer.

Every session ends with a stored state and a terminal event — the answer, or `error` — whatever
happened, so a waiting client never waits for nothing. A redelivered task of a finished session
does nothing.
"""

from __future__ import annotations

import structlog
from celery import Task

from alertfleet.queue import TASK_CHAT
from alertfleet.redaction import error_text
from alertfleet.sessions import Session, SessionStore
from alertfleet.settings import get_settings
from workers.app import app, redis_client
from workers.chat.engine import ChatFailed
from workers.chat.events import EventPublisher, error_event
from workers.chat.kinds import answer_session
from workers.route_config import routing

log = structlog.get_logger("chat")


@app.task(name=TASK_CHAT, bind=True)
def chat(self: Task, session_id: str) -> str:
    settings = get_settings()
    store = SessionStore(redis_client(), settings.session_ttl)
    session = store.load(session_id)
    if session is None:
        log.warning("session_missing", session_id=session_id)
        return "missing"
    if session.status in ("completed", "failed"):
        return f"already-{session.status}"
    emit = EventPublisher(redis_client(), session_id, settings.session_ttl)
    store.transition(session, "investigating", "Investigating")
    try:
        answer = answer_session(session, settings, routing().current(), emit)
    except ChatFailed as failure:
        return _fail(store, session, emit, failure.event)
    except Exception as exc:  # never leave a client waiting: an unexpected failure is reported, not lost
        log.error("session_error", session_id=session_id, kind=session.kind, error=error_text(exc, 300))
        return _fail(store, session, emit, error_event(f"internal error: {type(exc).__name__}"))
    store.transition(session, "completed", "Analysis complete", result=answer.body)
    emit(answer.event, answer.data)
    log.info("session_completed", session_id=session_id, kind=session.kind, event=answer.event)
    return "completed"


def _fail(store: SessionStore, session: Session, emit: EventPublisher, event: dict[str, object]) -> str:
    store.transition(session, "failed", str(event["msg"]), error=event)
    emit("error", event)
    log.warning("session_failed", session_id=session.id, kind=session.kind, reason=event["msg"])
    return "failed"
