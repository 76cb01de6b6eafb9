"""GitHub poller: open issues (not pull requests) with GITHUB_LABELS, updated since the cursor.

Runs under ingest's lease and lock. GitHub's `since` is about `updated_at`, so the listing is least
recently updated first and the cursor is the newest `updated_at` stored, saved after each page; the
issue seen at the cursor is listed again next time and its dedup key (issue + created_at) makes it a
duplicate. A pause the budget or GitHub imposes ends the poll early: the cursor keeps its place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from alertfleet.integration import Cursor, EventSink
from alertfleet.models import utcnow
from alertfleet.request_gate import Throttled
from integrations.github.client import PAGE, GitHubApi, GitHubFailure
from integrations.github.source import SOURCE, dedup_key, event_from_issue

log = structlog.get_logger("pollers")


class GitHubPoller:
    name = "github"

    def __init__(
        self,
        api: GitHubApi,
        repository: str,
        labels: list[str],
        *,
        interval: float = 60.0,
        lookback: float = 24 * 3600.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.api = api
        self.repository = repository
        self.labels = list(labels)
        self.interval = interval
        self.lookback = timedelta(seconds=lookback)
        self.now = now

    async def poll_once(self, sink: EventSink, cursor: Cursor) -> int:
        saved = await cursor.get()
        since = datetime.fromisoformat(saved) if saved else self.now() - self.lookback
        stored = 0
        try:
            for page in range(1, 1000):
                items = await asyncio.to_thread(self.api.open_issues, self.repository, self.labels, since, page)
                for issue in (item for item in items if "pull_request" not in item):
                    event = event_from_issue(issue, self.repository)
                    result = await sink.store_event(SOURCE, event, dedup_key(self.repository, issue))
                    stored += result.action != "duplicate"
                if items:
                    newest = max(
                        datetime.fromisoformat(str(item["updated_at"]).replace("Z", "+00:00")) for item in items
                    )
                    await cursor.set(newest.isoformat())  # only after the page is stored
                if len(items) < PAGE:
                    break
        except Throttled as throttled:
            log.info("poll_throttled", poller=self.name, wait=round(throttled.wait, 1), stored=stored)
        except GitHubFailure as failure:
            if not failure.rate_limited:
                raise
            # GitHub said wait: the client holds every process until then; the next interval resumes.
            log.info("poll_rate_limited", poller=self.name, wait=failure.retry_after, stored=stored)
        return stored
