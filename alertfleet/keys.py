"""Every key the fleet derives: dedup, problem, idempotency, and the whole Redis key layout (no other
module spells a Redis key)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from alertfleet.models import AlertmanagerWebhook, InvestigateRequest

PREFIX = "af"
EVENTS_STREAM = f"{PREFIX}:events"
DISPATCH_GROUP = "dispatchers"
DLQ = f"{PREFIX}:dlq"
DLQ_INDEX = f"{PREFIX}:dlq:index"  # sorted set: letter id -> failed at (unix seconds), oldest dropped first
DLQ_DROPPED = f"{PREFIX}:metrics:dlq_dropped"  # hash: reason (count | age) -> letters dropped, fleet-wide
ROUTE_METRICS = f"{PREFIX}:metrics:routes"  # hash: investigations per (route, mode), fleet-wide
SESSION_METRICS = f"{PREFIX}:metrics:sessions"  # hash: API sessions per state, fleet-wide
LEASES = f"{PREFIX}:leases"  # hash: running task id -> what to re-drive
LEASE_DEADLINES = f"{PREFIX}:leases:deadline"  # sorted set: task id -> lease deadline (unix seconds)
SWEEP_TURN = f"{PREFIX}:sweep:turn"  # string, expiring: held by the process whose turn it is to sweep for lost work
SWEEP_SUSPECTS = f"{PREFIX}:sweep:suspects"  # hash: "inv:<id>" | "tag:<delivery tag>" -> first seen unaccounted
# kombu's Redis transport (no global_keyprefix): the messages workers reserved and have not acknowledged.
BROKER_UNACKED = "unacked"  # hash: delivery tag -> [message, exchange, routing key] (JSON)
BROKER_UNACKED_INDEX = "unacked_index"  # sorted set: delivery tag -> reserved at (unix seconds)
RATE_LIMIT_PREFIX = f"{PREFIX}:limit"  # the shared limiter's moving windows (limits' own keys below it)
FLEET_METRICS = f"{PREFIX}:metrics:fleet"  # hash: the workers' counters and histograms (alertfleet/fleet_metrics.py)
# hash: minute (unix seconds // 60) -> model tokens spent in it, fleet-wide; the last 60 are the sliding hour
TOKEN_BUDGET = f"{PREFIX}:budget:tokens"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def notification_dedup_key(body: AlertmanagerWebhook) -> str:
    """sha256(groupKey + status + sorted fingerprints): identical for Alertmanager's re-sends."""
    fingerprints = sorted(alert.fingerprint or _canonical(alert.labels) for alert in body.alerts)
    return _sha256(body.groupKey + body.status + ",".join(fingerprints))


def problem_key(group_key: str) -> str:
    """sha256(groupKey): one investigation per problem; also the key incident tools correlate on
    (the dedup key or alias Alertmanager's own receivers send)."""
    return _sha256(group_key)


def request_group_key(body: InvestigateRequest) -> str:
    return "api:" + _canonical([body.source, body.title, body.subject])


def write_key(investigation_id: str, destination: str, target: str) -> str:
    """Idempotency key of one write: (investigation, destination, target)."""
    return f"{PREFIX}:write:{investigation_id}:{destination}:{_sha256(target)[:16]}"


def dedup_redis_key(dedup_key: str) -> str:
    return f"{PREFIX}:dedup:{dedup_key}"


def problem_redis_key(problem: str) -> str:
    return f"{PREFIX}:problem:{problem}"


INVESTIGATION_KEY_PREFIX = f"{PREFIX}:inv:"  # + id; the outbox's Lua script builds it from this too


def investigation_redis_key(investigation_id: str) -> str:
    return INVESTIGATION_KEY_PREFIX + investigation_id


def write_intent_key(write: str) -> str:
    """Set before a first write, so a re-drive after a lost answer looks for the write first."""
    return f"{write}:intent"


def lock_key(name: str) -> str:
    return f"{PREFIX}:lock:{name}"


def investigation_lock_key(investigation_id: str) -> str:
    return lock_key(f"inv:{investigation_id}")


def poller_cursor_key(poller: str) -> str:
    return f"{PREFIX}:cursor:{poller}"


def poller_lease_key(poller: str) -> str:
    """Held for one interval by the replica that polls in it."""
    return f"{PREFIX}:lease:poller:{poller}"


def poller_lock_key(poller: str) -> str:
    """Held while a poll runs, so a poll that outlives its interval never overlaps the next."""
    return lock_key(f"poller:{poller}")


def vendor_pause_key(vendor: str) -> str:
    """Set for a vendor's Retry-After: every process waits until it expires."""
    return f"{PREFIX}:pause:{vendor}"


def content_hash(value: Any) -> str:
    return _sha256(_canonical(value))


# --- fleet-wide model limits (alertfleet/model_limits.py) ----------------------------------------
LLM_WAIT_METRICS = f"{PREFIX}:metrics:llm_wait"  # hash: waits for a model slot, histogram buckets per model


def llm_inflight_key(model: str) -> str:
    """Sorted set of the model calls in flight (member: holder, score: lease expiry in ms)."""
    return f"{PREFIX}:llm:inflight:{model}"


def llm_freed_key(model: str) -> str:
    """List a released slot is announced on, so a waiting call wakes (BLPOP) instead of polling."""
    return f"{PREFIX}:llm:freed:{model}"


def llm_pause_key(model: str) -> str:
    """Set with the provider's Retry-After as its TTL: no call to that model until it expires."""
    return f"{PREFIX}:llm:pause:{model}"


def pace_key(vendor: str, target: str) -> str:
    """Prefix of a paced target's state (a chat channel, a webhook URL): `:busy`, `:next`, `:freed`."""
    return f"{PREFIX}:pace:{vendor}:{_sha256(target)[:16]}"

def session_redis_key(session_id: str) -> str:
    """One HTTP API request (chat, investigate, Kubernaut session): request, state and answer."""
    return f"{PREFIX}:session:{session_id}"


def session_events_key(session_id: str) -> str:
    """The stream of a session's progress events (SSE), in the order the worker published them."""
    return f"{PREFIX}:session:{session_id}:events"


# --- chat-tool follow-ups (an integration's threads under its posts; the vendor names itself) --------


def background_lease_key(name: str) -> str:
    """Held (and renewed) by the one replica running an integration's long-lived task (e.g. a socket)."""
    return f"{PREFIX}:lease:background:{name}"


def delivery_seen_key(vendor: str, delivery_id: str) -> str:
    """Set when a vendor's event delivery was stored, so its retries (same id) are answered as duplicates."""
    return f"{PREFIX}:seen:{vendor}:{_sha256(delivery_id)[:24]}"


def thread_key(vendor: str, channel: str, thread: str) -> str:
    """A thread under one of our posts -> the investigation it belongs to (and where it was written)."""
    return f"{PREFIX}:thread:{vendor}:{channel}:{thread}"


def thread_conversation_key(vendor: str, channel: str, thread: str) -> str:
    """The list of a thread's questions and answers so far (JSON messages, bounded)."""
    return f"{PREFIX}:thread:{vendor}:{channel}:{thread}:conversation"


def followup_done_key(vendor: str, message_id: str) -> str:
    """Set once a follow-up question (one message) has been taken: a message is answered once."""
    return f"{PREFIX}:followup:{vendor}:{_sha256(message_id)[:24]}"


def reply_record_key(vendor: str, reply_id: str) -> str:
    """The record of one reply posted in a thread (the write-once proof of a follow-up answer)."""
    return f"{PREFIX}:reply:{vendor}:{_sha256(reply_id)[:24]}"
