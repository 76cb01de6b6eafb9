"""The worker's side of the Slack app (tasks on the `chat` queue, replies on `write.slack`).

- `alertfleet.slack.event`: a message in a thread under one of our posts -> the chat engine's answer,
  remembered in the thread's conversation and posted in the thread by `alertfleet.slack.reply`.
- `alertfleet.slack.action`: a button -> feedback recorded (and counted), or a re-investigation whose
  findings update the message (the old findings are posted in its thread first).
- `alertfleet.slack.reply`: one post in a thread, through the fleet's rate limiter (Slack's per-channel
  limit, shared with every other write) and written once (a record per reply id).
"""

from __future__ import annotations

from typing import Any, cast

import structlog
from celery import Task

from alertfleet import fleet_metrics
from alertfleet.integration import NotConfigured
from alertfleet.keys import reply_record_key
from alertfleet.limits import NoTurn
from alertfleet.models import Feedback
from alertfleet.queue import QUEUE_INVESTIGATE, TASK_INVESTIGATE, write_queue
from alertfleet.settings import get_settings
from alertfleet.state import InvestigationStore
from alertfleet.writing import WriteError
from integrations.slack import app_threads
from integrations.slack.app_answer import answer_question, question_text
from integrations.slack.app_blocks import FEEDBACK_VALUES, REINVESTIGATE
from integrations.slack.app_intake import TASK_ACTION, TASK_EVENT, TASK_REPLY
from integrations.slack.app_settings import SlackAppSettings
from integrations.slack.render import render_text, to_mrkdwn
from workers.app import app, rate_limiter, redis_client
from workers.policy import backoff
from workers.route_config import routing
from workers.toolbox import current_toolbox

log = structlog.get_logger("slack_app")
VENDOR = "slack"


def _settings() -> SlackAppSettings:
    settings = get_settings()
    assert isinstance(settings, SlackAppSettings)
    return settings


def channel_allowed(settings: SlackAppSettings, thread: app_threads.ThreadLink) -> bool:
    """SLACK_FOLLOWUP_ALLOWED_CHANNELS (ids or names), else the channels we post to: a thread we know of
    is under one of our posts, so it is in one of them."""
    allowed = settings.slack_followup_allowed_channels
    if not allowed:
        return True
    names = {thread.channel, thread.target, thread.target.removeprefix("#")}
    return any(entry in names or entry.removeprefix("#") in names for entry in allowed)


def _reply(reply_id: str, thread: app_threads.ThreadLink, text: str) -> None:
    reply.apply_async(args=[reply_id, thread.channel, thread.thread_ts, thread.target, text], queue=write_queue(VENDOR))


@app.task(name=TASK_EVENT, bind=True)
def followup(self: Task, delivery: dict[str, Any]) -> str:
    event = delivery["event"]
    settings = _settings()
    if event.get("type") == "message" and settings.slack_followups == "mention":
        return "ignored-not-a-mention"  # the app_mention event of the same message is the one answered
    client = redis_client()
    channel, thread_ts, ts = str(event["channel"]), str(event["thread_ts"]), str(event["ts"])
    thread = app_threads.lookup(client, channel, thread_ts)
    if thread is None:
        return "ignored-not-our-thread"
    if not channel_allowed(settings, thread):
        return "ignored-channel-not-allowed"
    investigation = InvestigationStore(client).load(thread.investigation_id)
    if investigation is None:
        return "ignored-investigation-gone"
    question = question_text(str(event.get("text") or ""))
    if not question:
        return "ignored-empty"
    if not app_threads.claim(client, channel, ts):
        return "already-answered"
    try:
        history = app_threads.conversation(client, thread)
        answer = answer_question(
            investigation, history, question, get_settings(), routing().current(), current_toolbox()
        )
        app_threads.remember(client, thread, question, answer)
        _reply(f"answer:{channel}:{ts}", thread, to_mrkdwn(answer))
    except BaseException:
        app_threads.unclaim(client, channel, ts)  # nothing was posted: a redelivery may answer it
        raise
    log.info("followup_answered", investigation_id=thread.investigation_id, channel=channel)
    return "answered"


@app.task(name=TASK_ACTION, bind=True)
def action(self: Task, click: dict[str, str]) -> str:
    client = redis_client()
    store = InvestigationStore(client)
    investigation_id = click["investigation_id"]
    investigation = store.load(investigation_id)
    thread = app_threads.lookup(client, click["channel"], click["message_ts"])
    if investigation is None or thread is None or thread.investigation_id != investigation_id:
        return "ignored-unknown-message"
    if not channel_allowed(_settings(), thread):
        return "ignored-channel-not-allowed"
    if click["action_id"] == REINVESTIGATE:
        if not store.restart(investigation_id):
            return "ignored-still-running"
        before = render_text(investigation)
        _reply(
            f"previous:{click['message_ts']}:{click['action_ts']}",
            thread,
            f"Re-investigation requested by <@{click['user']}>. The findings before it:\n\n{before}",
        )
        app.send_task(TASK_INVESTIGATE, args=[investigation_id], queue=QUEUE_INVESTIGATE)
        log.info("reinvestigation_started", investigation_id=investigation_id)
        return "reinvestigating"
    value = FEEDBACK_VALUES[click["action_id"]]
    if not store.add_feedback(
        investigation_id, Feedback(value=value, user=click["user_name"] or click["user"], source=VENDOR)
    ):
        return "ignored-investigation-gone"
    route = investigation.route.routes[0] if investigation.route and investigation.route.routes else ""
    fleet_metrics.record(client, fleet_metrics.FEEDBACK, {"route": route, "value": value})
    log.info("feedback_recorded", investigation_id=investigation_id, value=value)
    return f"feedback-{value}"


@app.task(name=TASK_REPLY, bind=True, max_retries=None)
def reply(self: Task, reply_id: str, channel: str, thread_ts: str, target: str, text: str, failures: int = 0) -> str:
    """Post once: the record is checked first and set after Slack accepted the post."""
    from integrations.slack import integration

    client = redis_client()
    record = reply_record_key(VENDOR, reply_id)
    if cast(Any, client).exists(record):
        return "already-posted"
    limiter = rate_limiter()
    try:
        with limiter.turn(VENDOR, target):
            writer = integration.writer(get_settings(), lambda: 0.0)
            ts = writer.reply(channel, thread_ts, text)  # type: ignore[attr-defined]
    except NoTurn as throttled:
        raise self.retry(countdown=throttled.retry_after, kwargs={"failures": failures}, max_retries=None) from None
    except NotConfigured as exc:
        log.error("reply_not_configured", reason=str(exc))
        return "not-configured"
    except WriteError as err:
        if err.retry_after:
            limiter.pause(VENDOR, err.retry_after)
        if err.recoverable and failures < get_settings().write_max_retries:
            countdown = backoff(failures, err.retry_after)
            raise self.retry(countdown=countdown, kwargs={"failures": failures + 1}, max_retries=None) from None
        log.error("reply_failed", reason=err.reason)
        return "failed"
    cast(Any, client).set(record, ts, ex=app_threads.DEFAULT_TTL)
    return "posted"
