"""PagerDuty poller: open incidents created since the cursor -> one event per incident trigger.

Runs under ingest's lease and lock (one poll per interval across ingest replicas). The cursor is
the end of the last window polled; each poll re-reads a short overlap before it, because PagerDuty
lists a new incident with a lag, and the per-trigger dedup key turns the re-read into duplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from alertfleet.integration import Cursor, EventSink
from alertfleet.models import utcnow
from alertfleet.writing import Throttle
from integrations.pagerduty.client import PagerDutyApi, PagerDutyError
from integrations.pagerduty.settings import PagerDutySettings
from integrations.pagerduty.source import SOURCE, event_from_incident, incident_problem_key, trigger_dedup_key

log = structlog.get_logger("pollers")

OVERLAP = timedelta(minutes=5)
MAX_RANGE = timedelta(days=180)  # PagerDuty refuses a since..until range over six months


class PagerDutyPoller:
    name = "pagerduty"

    def __init__(
        self,
        api: PagerDutyApi,
        *,
        interval: float = 60.0,
        lookback: float = 24 * 3600.0,
        service_ids: list[str] | None = None,
        urgencies: list[str] | None = None,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = api
        self.interval = interval
        self.lookback = timedelta(seconds=lookback)
        self.service_ids = list(service_ids or [])
        self.urgencies = list(urgencies or [])
        self.now = now

    @classmethod
    def from_settings(cls, settings: PagerDutySettings, throttle: Throttle | None = None) -> PagerDutyPoller:
        """`throttle`: the fleet's shared PagerDuty budget, charged for every request of a poll."""
        key = settings.pagerduty_api_key.get_secret_value() if settings.pagerduty_api_key else ""
        api = PagerDutyApi(key, settings.pagerduty_api_url, settings.pagerduty_user_email, throttle=throttle)
        return cls(
            api,
            interval=settings.pagerduty_poll_interval,
            lookback=settings.pagerduty_lookback,
            service_ids=settings.pagerduty_service_ids,
            urgencies=settings.pagerduty_urgencies,
        )

    async def window(self, cursor: Cursor) -> tuple[datetime, datetime]:
        """since..until of this poll: from the cursor (less the overlap), or the lookback on a first start."""
        until = self.now()
        saved = await cursor.get()
        since = datetime.fromisoformat(saved) - OVERLAP if saved else until - self.lookback
        return max(since, until - MAX_RANGE), until

    async def poll_once(self, sink: EventSink, cursor: Cursor) -> int:
        since, until = await self.window(cursor)
        incidents = await asyncio.to_thread(
            self.api.list_incidents,
            since=since,
            until=until,
            service_ids=self.service_ids,
            urgencies=self.urgencies,
        )
        stored = 0
        for incident in incidents:
            alert_key = None if incident.get("incident_key") else await asyncio.to_thread(self._alert_key, incident)
            result = await sink.store_event(
                SOURCE,
                event_from_incident(incident, "firing"),
                trigger_dedup_key(incident, "firing"),
                incident_problem_key(incident, alert_key),
            )
            stored += result.action != "duplicate"
        # Only after every incident is stored: a failed poll re-reads the same window next time.
        await cursor.set(until.isoformat())
        return stored

    def _alert_key(self, incident: dict[str, object]) -> str | None:
        try:
            return self.api.first_alert_key(str(incident["id"]))
        except PagerDutyError as err:
            log.warning("pagerduty_alert_key_unavailable", incident=incident.get("id"), error=err.message)
            return None
