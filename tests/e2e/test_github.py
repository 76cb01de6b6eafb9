"""GitHub stub issue -> poller or signed webhook -> investigation (stub model) -> one markdown comment.

Real processes throughout: redis-server, `alertfleet ingest` polling the GitHub stub every second and
serving its webhook, and a Celery worker writing to GitHub and Slack; GitHub's rate limits honoured.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrations.github.webhook import sign
from tests.conftest import Fleet, fleet_env, running_fleet
from tests.github.helpers import GITHUB_TOKEN, REPO
from tests.harness.processes import wait_for
from tests.stubs.github import GitHubStub
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

SECRET = "gh-e2e-webhook-secret"


@pytest.fixture
def gh_fleet(
    redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, github_stub: GitHubStub, tmp_path: Path
) -> Iterator[Fleet]:
    env = fleet_env(
        redis_url,
        slack_stub,
        model_stub,
        GITHUB_TOKEN=GITHUB_TOKEN,
        GITHUB_REPOSITORY=REPO,
        GITHUB_LABELS="bug",
        GITHUB_API_URL=github_stub.base_url,
        GITHUB_WEBHOOK_SECRET=SECRET,
        GITHUB_POLL_INTERVAL="1",
    )
    with running_fleet(env, tmp_path) as running:
        yield running


def _issue_body(number: int) -> dict[str, Any]:
    issue = {
        "id": 9000 + number,
        "number": number,
        "title": "Payments webhook timeouts",
        "body": "Timeouts since 06:00",
        "state": "open",
        "labels": [{"name": "bug"}],
        "user": {"login": "bob"},
        "created_at": "2026-11-20T06:00:00Z",  # before the poller's lookback: only the webhook brings it in
        "updated_at": "2026-11-20T06:00:00Z",
        "html_url": f"https://github.com/{REPO}/issues/{number}",
        "repository_url": f"https://api.github.com/repos/{REPO}",
    }
    return {"action": "opened", "issue": issue, "repository": {"full_name": REPO}}


def _deliver(fleet: Fleet, body: dict[str, Any]) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": "0b1e4a52-cc78-11e3-81ab-4c9367dc0958",
        "X-Hub-Signature-256": sign(SECRET, raw),
    }
    return httpx.post(f"{fleet.ingest_url}/api/webhooks/github", content=raw, headers=headers, timeout=10)


def _polls(stub: GitHubStub) -> int:
    return len(stub.requests_to(f"/repos/{REPO}/issues"))


def test_polled_issue_gets_one_comment_however_often_it_is_listed(
    gh_fleet: Fleet, github_stub: GitHubStub, slack_stub: SlackStub
) -> None:
    github_stub.add_issue(REPO, 7, "Checkout 5xx", datetime.now(UTC) - timedelta(minutes=5), labels=["bug"])
    github_stub.add_issue(REPO, 8, "Docs typo", datetime.now(UTC) - timedelta(minutes=5), labels=["docs"])

    assert wait_for(lambda: len(github_stub.comments_on(REPO, 7)) == 1, 60), gh_fleet.logs()
    assert wait_for(lambda: slack_stub.post_count() == 1, 30), gh_fleet.logs()
    [comment] = github_stub.comments_on(REPO, 7)
    assert comment["body"].startswith(f"### :mag: alertfleet investigation: {REPO}#7: Checkout 5xx")
    assert "<!-- alertfleet:" in comment["body"] and "Model: `openai/stub-model`" in comment["body"]
    polls = _polls(github_stub)
    assert wait_for(lambda: _polls(github_stub) >= polls + 2, 15), gh_fleet.logs()
    assert len(github_stub.comments_on(REPO, 7)) == 1 and github_stub.comments_on(REPO, 8) == []
    assert slack_stub.post_count() == 1
    assert github_stub.violations == [] and GITHUB_TOKEN not in gh_fleet.logs()


def test_webhook_issue_is_commented_once_however_often_it_is_redelivered(
    gh_fleet: Fleet, github_stub: GitHubStub
) -> None:
    github_stub.add_issue(REPO, 9, "Payments webhook timeouts", datetime(2026, 11, 20, 6, tzinfo=UTC), labels=["bug"])
    body = _issue_body(9)

    first = _deliver(gh_fleet, body)
    assert first.status_code == 202 and first.json()["action"] == "investigate"
    assert wait_for(lambda: len(github_stub.comments_on(REPO, 9)) == 1, 60), gh_fleet.logs()
    replays = [_deliver(gh_fleet, body) for _ in range(2)]
    assert {r.json()["action"] for r in replays} == {"duplicate"}
    polls = _polls(github_stub)
    assert wait_for(lambda: _polls(github_stub) >= polls + 2, 15), gh_fleet.logs()
    assert len(github_stub.comments_on(REPO, 9)) == 1


def test_exhausted_budget_holds_poller_and_writer_until_the_reset(
    gh_fleet: Fleet, github_stub: GitHubStub, slack_stub: SlackStub
) -> None:
    assert wait_for(lambda: _polls(github_stub) >= 1, 30), gh_fleet.logs()
    github_stub.add_issue(REPO, 11, "Ledger drift", datetime.now(UTC) - timedelta(minutes=1), labels=["bug"])
    github_stub.exhaust(reset_in=4, remaining=1)  # the next poll is the last request before the reset

    assert wait_for(lambda: len(github_stub.comments_on(REPO, 11)) == 1, 60), gh_fleet.logs()
    assert github_stub.early_requests == [], "a request reached GitHub before x-ratelimit-reset"
    assert github_stub.early_retries == []
