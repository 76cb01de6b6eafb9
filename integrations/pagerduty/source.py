"""PagerDuty incidents (REST API v2 and webhooks v3) -> Event, with the keys that keep them idempotent."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alertfleet.keys import problem_key
from alertfleet.models import Event, EventStatus, WriteTarget

SOURCE = "pagerduty"
# Webhook v3 event types that change what alertfleet knows; everything else is acknowledged and ignored.
HANDLED_EVENTS: dict[str, EventStatus] = {
    "incident.triggered": "firing",
    "incident.acknowledged": "firing",
    "incident.resolved": "resolved",
}
# Alertmanager's PagerDuty receiver sends dedup_key = sha256(groupKey): the fleet's problem key.
_ALERTMANAGER_KEY = re.compile(r"^[0-9a-f]{64}$")
_CONTEXT_FIELDS = (
    "id",
    "incident_number",
    "number",
    "title",
    "status",
    "urgency",
    "html_url",
    "created_at",
    "incident_key",
    "alert_counts",
)


class WebhookEvent(BaseModel):
    """The `event` of a webhook v3 body; `data` is the incident as the webhook shapes it."""

    model_config = ConfigDict(extra="allow")

    id: str = ""
    event_type: str
    resource_type: str = ""
    occurred_at: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class WebhookPayload(BaseModel):
    model_config = ConfigDict(extra="allow")

    event: WebhookEvent


def sign(secret: str, body: bytes) -> str:
    """The `X-PagerDuty-Signature` value PagerDuty sends for `body`."""
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True when any comma-separated `v1=` signature matches (several appear while a secret rotates)."""
    expected = sign(secret, body).removeprefix("v1=")
    for part in (header or "").split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == "v1" and hmac.compare_digest(value.strip().encode(), expected.encode()):
            return True
    return False


def incident_group_key(incident_id: str) -> str:
    return f"{SOURCE}:{incident_id}"


def _instant(text: str) -> str:
    """created_at in one spelling, whether the REST API or a webhook wrote it."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).isoformat()
    except ValueError:
        return text


def trigger_dedup_key(incident: dict[str, Any], status: EventStatus) -> str:
    """One key per incident trigger: re-polls, webhook replays and acknowledgements are duplicates."""
    base = f"{SOURCE}:{incident.get('id', '')}:{_instant(str(incident.get('created_at') or ''))}"
    return hashlib.sha256((base + (":resolved" if status == "resolved" else "")).encode()).hexdigest()


def incident_problem_key(incident: dict[str, Any], alert_key: str | None = None) -> str:
    """The Alertmanager group's problem key when the incident came from one, else one per incident.

    Only keys shaped like sha256(groupKey) link: an arbitrary incident_key is reused by PagerDuty for
    the next incident of the same check, which must be investigated afresh, not attached.
    """
    key = str(incident.get("incident_key") or alert_key or "")
    if _ALERTMANAGER_KEY.match(key):
        return key
    return problem_key(incident_group_key(str(incident.get("id", ""))))


def _summary(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("summary") or value.get("name") or value.get("id") or "")
    return str(value) if isinstance(value, str | int) else ""


def incident_labels(incident: dict[str, Any]) -> dict[str, str]:
    """What responders filter on: service, urgency, priority, escalation policy, team."""
    service = incident.get("service") or {}
    teams = incident.get("teams") or []
    labels = {
        "service": _summary(service),
        "service_id": str(service.get("id", "")) if isinstance(service, dict) else "",
        "urgency": str(incident.get("urgency") or ""),
        "priority": _summary(incident.get("priority")),
        "escalation_policy": _summary(incident.get("escalation_policy")),
        "team": _summary(teams[0]) if teams else "",
        "incident_number": str(incident.get("incident_number") or incident.get("number") or ""),
        "pagerduty_status": str(incident.get("status") or ""),
    }
    return {name: value for name, value in labels.items() if value}


def _context(incident: dict[str, Any]) -> dict[str, Any]:
    kept = {name: incident[name] for name in _CONTEXT_FIELDS if incident.get(name) is not None}
    people = incident.get("assignments") or incident.get("assignees") or []
    assignees = [_summary(item.get("assignee") if "assignee" in item else item) for item in people]
    if assignees:
        kept["assignees"] = [name for name in assignees if name]
    return {"incident": kept}


def event_from_incident(incident: dict[str, Any], status: EventStatus | None = None) -> Event:
    """A REST incident or a webhook's `data` -> Event, written back to that incident."""
    incident_id = str(incident["id"])
    title = str(incident.get("title") or incident.get("summary") or f"PagerDuty incident {incident_id}")
    description = str(incident.get("description") or "")
    body = incident.get("body")
    if isinstance(body, dict) and body.get("details"):
        description = f"{description}\n{body['details']}".strip()
    if status is None:
        status = "resolved" if incident.get("status") == "resolved" else "firing"
    return Event(
        source=SOURCE,
        status=status,
        title=title,
        description="" if description == title else description,
        group_key=incident_group_key(incident_id),
        labels=incident_labels(incident),
        context=_context(incident),
        external_url=str(incident.get("html_url") or ""),
        source_ref=incident_id,
        writeback=[WriteTarget(type=SOURCE, target=incident_id)],
    )
