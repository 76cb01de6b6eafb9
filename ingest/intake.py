"""Turns validated bodies into stored events; the one place ingest talks to the outbox."""

from __future__ import annotations

from dataclasses import dataclass

import redis.exceptions
import structlog

from alertfleet.config_watch import ConfigHolder
from alertfleet.keys import notification_dedup_key, problem_key
from alertfleet.models import AlertmanagerWebhook, Event
from alertfleet.routing import group_key
from ingest import metrics
from ingest.outbox import Outbox, Stored
from ingest.problems import unavailable
from integrations.alertmanager.source import event_from_webhook

log = structlog.get_logger("ingest")


@dataclass
class Intake:
    outbox: Outbox
    routing: ConfigHolder | None = None  # for a route's `group_by`; None keeps each source's group key

    async def alertmanager(self, body: AlertmanagerWebhook) -> Stored:
        event = event_from_webhook(body)
        return await self.store_event("alertmanager", event, notification_dedup_key(body))

    async def store_event(self, source: str, event: Event, dedup_key: str, problem: str | None = None) -> Stored:
        """Store durably or raise a 503 Problem. `problem` overrides sha256(group_key), e.g. a PD
        incident_key that equals an Alertmanager group's key, so both land on one investigation."""
        metrics.RECEIVED.labels(source).inc()
        try:
            stored = await self.outbox.store(event, dedup_key, problem or self.problem_for(event))
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            metrics.REJECTED.labels(source, "unavailable").inc()
            log.warning("store_failed", source=source, error=type(exc).__name__)
            raise unavailable("the queue cannot take work durably right now; retry later") from None
        if stored.action == "duplicate":
            metrics.DEDUPLICATED.labels(source).inc()
        else:
            metrics.ACCEPTED.labels(source).inc()
        return stored

    def problem_for(self, event: Event) -> str:
        """sha256 of the group key: the source's (Alertmanager's groupKey), or the matched route's `group_by`."""
        routed = group_key(self.routing.current(), event) if self.routing is not None else None
        return problem_key(routed or event.group_key)
