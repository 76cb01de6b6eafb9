"""Jira poller: the JQL's issues created since the cursor -> one event per issue.

Runs under ingest's lease and lock (one poll per interval across replicas). JQL compares dates at the
minute, in the account's time zone: the poll asks from the cursor's minute (in that zone), so issues
of that minute are read again and the per-issue dedup key makes them duplicates. The cursor (the
newest `created` stored) moves only after a whole page is stored, so a crash re-reads, never skips.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import structlog

from alertfleet.integration import Cursor, EventSink
from alertfleet.models import utcnow
from alertfleet.request_gate import Throttled
from integrations.jira.client import JiraApi, JiraFailure
from integrations.jira.source import FIELDS, SOURCE, created_at, dedup_key, event_from_issue, poll_jql

log = structlog.get_logger("pollers")


class JiraPoller:
    name = "jira"

    def __init__(
        self,
        api: JiraApi,
        base_jql: str,
        *,
        interval: float = 60.0,
        lookback: float = 24 * 3600.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = api
        self.base_jql = base_jql
        self.interval = interval
        self.lookback = timedelta(seconds=lookback)
        self.now = now
        self._zone: ZoneInfo | None = None

    async def since(self, cursor: Cursor) -> datetime:
        """The cursor, or the lookback on a first start, in the account's zone (JQL reads dates there)."""
        saved = await cursor.get()
        since = datetime.fromisoformat(saved) if saved else self.now() - self.lookback
        if self._zone is None:
            name = await asyncio.to_thread(self.api.time_zone)
            try:
                self._zone = ZoneInfo(name or "UTC")
            except (ZoneInfoNotFoundError, ValueError):
                self._zone = ZoneInfo("UTC")
        return since.astimezone(self._zone)

    async def poll_once(self, sink: EventSink, cursor: Cursor) -> int:
        try:
            jql = poll_jql(self.base_jql, await self.since(cursor))
            return await self._pages(sink, cursor, jql)
        except Throttled as throttled:
            # Not a failure: the shared budget (or Jira's Retry-After) says wait; the next interval resumes.
            log.info("poll_throttled", poller=self.name, wait=round(throttled.wait, 1))
            return 0
        except JiraFailure as failure:
            if failure.status != 429:
                raise
            log.info("poll_rate_limited", poller=self.name, wait=failure.retry_after)  # held until then
            return 0

    async def _pages(self, sink: EventSink, cursor: Cursor, jql: str) -> int:
        stored, token = 0, None
        while True:
            page = await asyncio.to_thread(self.api.search_page, jql, FIELDS, token)
            issues = page.get("issues", [])
            for issue in issues:
                result = await sink.store_event(SOURCE, event_from_issue(issue, self.api.url), dedup_key(issue))
                stored += result.action != "duplicate"
            if issues:
                # After the page is stored: a poll that dies mid-way re-reads this page, never skips it.
                await cursor.set(max(created_at(issue) for issue in issues).isoformat())
            token = page.get("nextPageToken")
            if not token or page.get("isLast", True):
                return stored
