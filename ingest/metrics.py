"""Ingest counters exposed on /metrics.

Per process; with `ingest --workers N` prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR,
set by the CLI) adds every uvicorn worker's and dispatcher's values up at scrape time.
"""

from __future__ import annotations

from prometheus_client import Counter

RECEIVED = Counter("alertfleet_notifications_received", "Notifications received by ingest", ["source"])
ACCEPTED = Counter("alertfleet_notifications_accepted", "Notifications durably stored", ["source"])
DEDUPLICATED = Counter(
    "alertfleet_notifications_deduplicated", "Re-sent notifications absorbed without new work", ["source"]
)
REJECTED = Counter("alertfleet_notifications_rejected", "Notifications refused", ["source", "reason"])
DISPATCHED = Counter("alertfleet_events_dispatched", "Stream events turned into tasks", ["action"])

# Series exist from the first scrape, at 0, for the sources ingest serves itself and its 503 reason:
# in multiprocess mode a series nobody incremented would otherwise be missing, and absent is not 0.
for _source in ("alertmanager", "api"):
    for _counter in (RECEIVED, ACCEPTED, DEDUPLICATED):
        _counter.labels(_source)
    REJECTED.labels(_source, "unavailable")
