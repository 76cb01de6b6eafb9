"""PagerDuty webhooks v3: signed incident events in, stored like any other source's events.

The signature (HMAC-SHA256 of the raw body with PAGERDUTY_WEBHOOK_SECRET) is the authentication;
PagerDuty cannot send the ingest bearer token. A replayed event has the same per-trigger dedup key
as the original, so it is a duplicate, never a second investigation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alertfleet.integration import SourceEvent, WebhookOutcome, WebhookSource
from alertfleet.settings import FleetSettings
from integrations.pagerduty.settings import PagerDutySettings
from integrations.pagerduty.source import (
    HANDLED_EVENTS,
    SOURCE,
    WebhookPayload,
    event_from_incident,
    incident_problem_key,
    signature_valid,
    trigger_dedup_key,
)


def _secret(settings: FleetSettings) -> str | None:
    secret = settings.pagerduty_webhook_secret if isinstance(settings, PagerDutySettings) else None
    return secret.get_secret_value() if secret is not None else None


def _verify(secret: str, raw: bytes, headers: Mapping[str, str]) -> bool:
    return signature_valid(secret, raw, headers.get("x-pagerduty-signature"))


def outcome(payload: Any) -> WebhookOutcome:
    """Triggers and acknowledgements (re)open the incident's investigation; a resolution ends only an
    investigation PagerDuty started: an Alertmanager group's (linked by incident_key) resolves when
    Alertmanager says so. Pings, annotations and other resources change nothing."""
    assert isinstance(payload, WebhookPayload)
    event_type = payload.event.event_type
    status = HANDLED_EVENTS.get(event_type)
    incident = payload.event.data
    if status is None or not incident.get("id"):
        return WebhookOutcome(event_type)
    own_only = "no open investigation started by this incident" if status == "resolved" else None
    event = SourceEvent(
        event_from_incident(incident, status),
        trigger_dedup_key(incident, status),
        incident_problem_key(incident),
        own_only,
    )
    return WebhookOutcome(event_type, [event])


WEBHOOK = WebhookSource(
    path="/api/webhooks/pagerduty",
    summary="PagerDuty webhooks v3 (signed)",
    source=SOURCE,
    secret=_secret,
    not_configured="PagerDuty webhooks are off: set PAGERDUTY_WEBHOOK_SECRET",
    verify=_verify,
    bad_signature=(
        "missing or invalid X-PagerDuty-Signature (v1= HMAC-SHA256 of the body with PAGERDUTY_WEBHOOK_SECRET)"
    ),
    payload_model=WebhookPayload,
    outcome=outcome,
)
