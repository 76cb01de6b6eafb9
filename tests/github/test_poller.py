"""The GitHub poller against a real Redis (ingest's own intake and cursor) and the REST stub."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from alertfleet.keys import poller_cursor_key
from alertfleet.request_gate import RequestGate
from integrations.github.client import GitHubApi
from integrations.github.poller import GitHubPoller
from tests.github.helpers import GITHUB_TOKEN, REPO
from tests.harness.polling import poll_once
from tests.harness.stream import stream_entries
from tests.stubs.github import GitHubStub

NOW = datetime.now(UTC).replace(microsecond=0)


def _poller(stub: GitHubStub, labels: list[str], throttle: Any = None) -> GitHubPoller:
    api = GitHubApi(GITHUB_TOKEN, stub.base_url, RequestGate("github", throttle))
    return GitHubPoller(api, REPO, labels, interval=1, lookback=3600, now=lambda: NOW)


def _events(redis_client: redis.Redis) -> list[dict[str, Any]]:
    return [json.loads(entry["event"]) for entry in stream_entries(redis_client)]


def test_open_labeled_issues_are_stored_once_and_pull_requests_skipped(
    github_stub: GitHubStub, redis_url: str, redis_client: redis.Redis
) -> None:
    ago = NOW - timedelta(minutes=30)
    github_stub.add_issue(REPO, 1, "Checkout 5xx", ago, labels=["bug", "priority:high"], author="alice")
    github_stub.add_issue(REPO, 2, "Only a bug", ago, labels=["bug"])
    github_stub.add_issue(REPO, 3, "A pull request", ago, labels=["bug", "priority:high"], pull_request=True)
    github_stub.add_issue(REPO, 4, "Closed", ago, labels=["bug", "priority:high"], state="closed")
    github_stub.add_issue(REPO, 5, "Stale", NOW - timedelta(days=3), labels=["bug", "priority:high"])
    poller = _poller(github_stub, ["bug", "priority:high"])

    assert poll_once(redis_url, poller) == 1
    assert poll_once(redis_url, poller) == 0  # the issue at the cursor is listed again: a duplicate

    [event] = _events(redis_client)
    assert event["source_ref"] == f"{REPO}#1" and event["source"] == "github"
    assert event["labels"] == {"repository": REPO, "labels": "bug,priority:high", "author": "alice"}
    assert event["writeback"] == [{"type": "github", "target": f"{REPO}#1", "options": {}}]
    first, second = github_stub.requests_to(f"/repos/{REPO}/issues")
    assert first.query["labels"] == "bug,priority:high" and first.query["state"] == "open"
    assert first.query["since"] == (NOW - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert second.query["since"] == ago.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert redis_client.get(poller_cursor_key("github")) == ago.isoformat().encode()
    assert github_stub.violations == []


def test_pages_are_followed_and_the_cursor_moves_after_each(
    github_stub: GitHubStub, redis_url: str, redis_client: redis.Redis
) -> None:
    for n in range(1, 106):
        github_stub.add_issue(
            REPO, n, f"Issue {n}", NOW - timedelta(minutes=50), updated=NOW - timedelta(seconds=200 - n)
        )
    assert poll_once(redis_url, _poller(github_stub, [])) == 105
    assert [r.query["page"] for r in github_stub.requests_to(f"/repos/{REPO}/issues")] == ["1", "2"]
    assert redis_client.get(poller_cursor_key("github")) == (NOW - timedelta(seconds=95)).isoformat().encode()


def test_spent_budget_sends_nothing(github_stub: GitHubStub, redis_url: str, redis_client: redis.Redis) -> None:
    github_stub.add_issue(REPO, 1, "Checkout 5xx", NOW - timedelta(minutes=5))
    assert poll_once(redis_url, _poller(github_stub, [], throttle=lambda: 30.0)) == 0
    assert github_stub.requests == [] and redis_client.get(poller_cursor_key("github")) is None


def test_secondary_limit_holds_the_poller_until_retry_after(github_stub: GitHubStub, redis_url: str) -> None:
    github_stub.add_issue(REPO, 1, "Checkout 5xx", NOW - timedelta(minutes=5))
    poller = _poller(github_stub, [])
    github_stub.secondary_limit(retry_after=1)

    assert poll_once(redis_url, poller) == 0  # answered 403 + retry-after
    assert poll_once(redis_url, poller) == 0  # held: nothing sent
    assert len(github_stub.requests) == 1
    poller.api.gate.blocking = True
    assert poll_once(redis_url, poller) == 1
    assert github_stub.early_retries == []
