"""Polls OpsGenie for open alerts and stores each one once (ingest holds the lease and lock).

The cursor is the newest `createdAt` stored (epoch ms) plus the ids stored at exactly that moment,
so the next poll asks only for newer alerts and skips those ids. The first poll (no cursor) looks
back OPSGENIE_LOOKBACK. Each alert's dedup key makes a re-listed alert a duplicate, never a new
investigation; its alias, when it is an Alertmanager group's key, joins that group's investigation.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from alertfleet.integration import Cursor, EventSink
from alertfleet.writing import RateLimited, Throttle, WriteError
from integrations.opsgenie.client import PAGE_LIMIT, OpsGenieClient
from integrations.opsgenie.settings import OpsGenieSettings
from integrations.opsgenie.source import (
    SOURCE,
    alert_dedup_key,
    alert_problem_key,
    build_query,
    created_at_ms,
    event_from_alert,
)

log = structlog.get_logger("pollers")
MAX_PAGES_PER_POLL = 20  # the cursor keeps the place; a backlog drains over several polls


class OpsGeniePoller:
    name = "opsgenie"

    def __init__(
        self,
        client: OpsGenieClient,
        *,
        interval: float = 60.0,
        lookback: float = 24 * 3600.0,
        priorities: Sequence[str] = (),
        tags: Sequence[str] = (),
        teams: Sequence[str] = (),
        page_size: int = PAGE_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.interval = interval
        self.lookback = lookback
        self.priorities = [p.upper() for p in priorities]
        self.tags = list(tags)
        self.teams = list(teams)
        self.page_size = page_size
        self.clock = clock

    @classmethod
    def from_settings(cls, settings: OpsGenieSettings, throttle: Throttle | None = None) -> OpsGeniePoller:
        """`throttle`: the fleet's shared OpsGenie budget (the writers' too), charged for every request."""
        if settings.opsgenie_api_key is None:
            raise ValueError("OPSGENIE_API_KEY is not set")
        client = OpsGenieClient(
            settings.opsgenie_api_key.get_secret_value(), settings.opsgenie_api_url, throttle=throttle
        )
        return cls(
            client,
            interval=settings.opsgenie_poll_interval,
            lookback=settings.opsgenie_lookback,
            priorities=settings.opsgenie_priorities,
            tags=settings.opsgenie_tags,
            teams=settings.opsgenie_teams,
        )

    async def poll_once(self, sink: EventSink, cursor: Cursor) -> int:
        since_ms, seen = _read_cursor(await cursor.get(), default=int((self.clock() - self.lookback) * 1000))
        query = build_query(self.priorities, self.tags, self.teams, created_after_ms=since_ms)
        newest, newest_ids, stored = since_ms, set(seen), 0
        try:
            for page_number in range(MAX_PAGES_PER_POLL):
                offset = page_number * self.page_size
                page = await asyncio.to_thread(self.client.list_alerts, query, offset, self.page_size)
                for alert in page:
                    alert_id = str(alert.get("id") or "")
                    created = created_at_ms(alert)
                    if not alert_id or created is None or (created == since_ms and alert_id in seen):
                        continue
                    if self.priorities and str(alert.get("priority") or "").upper() not in self.priorities:
                        continue  # OpsGenie's query already filters; this guards a query it read differently
                    stored += await self._store(sink, alert)
                    if created > newest:
                        newest, newest_ids = created, {alert_id}
                    elif created == newest:
                        newest_ids.add(alert_id)
                if len(page) < self.page_size:
                    break
        finally:
            # Oldest first, so what was stored before a failure (rate limit, outage) is never asked for again.
            if (newest, newest_ids) != (since_ms, seen):
                await cursor.set(json.dumps({"created_after_ms": newest, "ids": sorted(newest_ids)}))
        return stored

    async def _store(self, sink: EventSink, alert: dict[str, Any]) -> int:
        full = await asyncio.to_thread(self._details, alert)
        event = event_from_alert(full)
        result = await sink.store_event(SOURCE, event, alert_dedup_key(str(alert["id"])), alert_problem_key(full))
        log.info("opsgenie_alert", alert_id=alert["id"], action=result.action, investigation_id=result.investigation_id)
        return 0 if result.action == "duplicate" else 1

    def _details(self, alert: dict[str, Any]) -> dict[str, Any]:
        """The full alert (description, details); the listed fields when OpsGenie will not say more."""
        try:
            return {**alert, **self.client.get_alert(str(alert["id"]))}
        except RateLimited:
            raise  # stop this poll (the cursor keeps the place) rather than store alerts without details
        except WriteError as err:
            log.warning("opsgenie_get_alert_failed", alert_id=alert["id"], reason=err.reason)
            return alert


def _read_cursor(raw: str | None, default: int) -> tuple[int, set[str]]:
    if not raw:
        return default, set()
    try:
        data = json.loads(raw)
        return int(data["created_after_ms"]), {str(i) for i in data.get("ids", [])}
    except (ValueError, KeyError, TypeError):
        log.warning("opsgenie_cursor_unreadable", cursor=raw[:100])
        return default, set()
