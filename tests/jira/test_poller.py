"""The Jira poller against a real Redis (ingest's own intake and cursor) and the Cloud v3 stub."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from alertfleet.keys import poller_cursor_key
from alertfleet.request_gate import RequestGate
from integrations.jira.client import JiraApi
from integrations.jira.poller import JiraPoller
from integrations.jira.source import base_jql
from tests.harness.polling import poll_once
from tests.harness.stream import stream_entries
from tests.jira.helpers import JIRA_EMAIL, JIRA_TOKEN
from tests.stubs.jira import JiraStub

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def _poller(stub: JiraStub, throttle: Any = None, jql: str | None = None) -> JiraPoller:
    api = JiraApi(stub.base_url, JIRA_EMAIL, JIRA_TOKEN, RequestGate("jira", throttle))
    return JiraPoller(api, base_jql("OPS", jql), interval=1, lookback=3600, now=lambda: NOW)


def _events(redis_client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(entry["event"]) for entry in stream_entries(redis_client)]


def test_new_issues_are_stored_page_by_page_once_each(
    jira_stub: JiraStub, redis_url: str, redis_client: redis.Redis
) -> None:
    jira_stub.page_size = 2
    for n in range(1, 6):
        jira_stub.add_issue(f"OPS-{n}", f"Issue {n}", NOW - timedelta(minutes=50 - n), labels=["incident"])
    jira_stub.add_issue("OPS-9", "Done already", NOW - timedelta(minutes=5), done=True)
    jira_stub.add_issue("OPS-0", "Before the lookback", NOW - timedelta(hours=3))
    jira_stub.add_issue("WEB-1", "Other project", NOW - timedelta(minutes=5))
    poller = _poller(jira_stub)

    assert poll_once(redis_url, poller) == 5
    assert poll_once(redis_url, poller) == 0  # re-read from the cursor's minute: duplicates

    events = _events(redis_client)
    assert [e["source_ref"] for e in events] == [f"OPS-{n}" for n in range(1, 6)]
    assert events[0]["labels"] == {
        "project": "OPS",
        "issuetype": "Bug",
        "priority": "High",
        "labels": "incident",
        "status": "To Do",
        "issue": "OPS-1",
    }
    assert events[0]["writeback"] == [{"type": "jira", "target": "OPS-1", "options": {}}]
    searches = jira_stub.requests_to("/rest/api/3/search/jql")
    assert [("nextPageToken" in r.query) for r in searches[:3]] == [False, True, True]
    assert all("startAt" not in r.query for r in searches)
    assert set(searches[0].query_lists["fields"]) >= {"summary", "created", "labels", "components"}
    assert redis_client.get(poller_cursor_key("jira")) == (NOW - timedelta(minutes=45)).isoformat().encode()
    assert jira_stub.queries[-1].startswith(
        '(project = "OPS" AND statusCategory != Done) AND created >= "2026-12-02 11:15"'
    )
    assert jira_stub.violations == []


def test_jql_wins_and_dates_are_in_the_accounts_time_zone(
    jira_stub: JiraStub, redis_url: str, redis_client: redis.Redis
) -> None:
    jira_stub.time_zone = "America/New_York"  # UTC-5 in December
    jira_stub.add_issue("OPS-1", "Fresh", NOW - timedelta(minutes=10))
    poller = _poller(jira_stub, jql="project = OPS AND labels = incident ORDER BY priority DESC")

    poll_once(redis_url, poller)

    assert jira_stub.queries == [
        '(project = OPS AND labels = incident) AND created >= "2026-12-02 06:00" ORDER BY created ASC, key ASC'
    ]


def test_spent_budget_makes_no_request_and_keeps_the_cursor(
    jira_stub: JiraStub, redis_url: str, redis_client: redis.Redis
) -> None:
    jira_stub.add_issue("OPS-1", "Fresh", NOW - timedelta(minutes=10))
    poller = _poller(jira_stub, throttle=lambda: 12.5)

    assert poll_once(redis_url, poller) == 0
    assert jira_stub.requests == [] and redis_client.get(poller_cursor_key("jira")) is None


def test_429_holds_the_poller_until_retry_after(jira_stub: JiraStub, redis_url: str) -> None:
    jira_stub.add_issue("OPS-1", "Fresh", NOW - timedelta(minutes=10))
    poller = _poller(jira_stub)
    jira_stub.fail_next(1, 429, {"Retry-After": "1"})

    assert poll_once(redis_url, poller) == 0  # serverInfo answered 429
    assert poll_once(redis_url, poller) == 0  # held: nothing sent
    assert len(jira_stub.requests) == 1
    poller.api.gate.blocking = True
    assert poll_once(redis_url, poller) == 1
    assert jira_stub.early_retries == []
