"""Ingest counters exposed on /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RECEIVED = Counter("alertfleet_notifications_received", "Notifications received by ingest", ["source"])
ACCEPTED = Counter("alertfleet_notifications_accepted", "Notifications durably stored", ["source"])
DEDUPLICATED = Counter(
    "alertfleet_notifications_deduplicated", "Re-sent notifications absorbed without new work", ["source"]
)
REJECTED = Counter("alertfleet_notifications_rejected", "Notifications refused", ["source", "reason"])
DISPATCHED = Counter("alertfleet_events_dispatched", "Stream events turned into tasks", ["action"])
DEAD_LETTERS = Gauge("alertfleet_dead_letters", "Failed tasks waiting in the dead letters (alertfleet dlq list)")
