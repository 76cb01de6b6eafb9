"""The GitHub writer through githubkit against the REST stub: markdown comments with a hidden marker,
edits, lost answers, and GitHub's rate limits honoured fleet-wide."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis

from alertfleet.keys import vendor_pause_key, write_intent_key, write_key
from alertfleet.limits import FleetRateLimiter
from alertfleet.request_gate import RequestGate, fleet_pause
from alertfleet.writing import RateLimited, WriteError
from integrations.github.client import GitHubApi
from integrations.github.writer import GitHubWriter
from tests.github.helpers import GITHUB_TOKEN, REPO, investigation
from tests.stubs.github import GitHubStub
from workers.writes import perform_write

TARGET = f"{REPO}#7"


def _writer(stub: GitHubStub, gate: RequestGate | None = None, token: str = GITHUB_TOKEN) -> GitHubWriter:
    return GitHubWriter(GitHubApi(token, stub.base_url, gate or RequestGate("github", None)), "https://af.example")


def _fleet_gate(redis_url: str) -> RequestGate:
    """A gate like a worker's: the fleet limiter's pause (in Redis) decides, as in every other process."""
    limiter = FleetRateLimiter(redis.Redis.from_url(redis_url), redis_url, {})
    return RequestGate("github", limiter.throttle("github"), fleet_pause(redis_url, "github"))


def _posts(stub: GitHubStub) -> list[object]:
    return [r for r in stub.requests_to(f"/repos/{REPO}/issues/7/comments") if r.method == "POST"]


def test_comment_is_markdown_with_a_hidden_marker_sent_as_github_documents(github_stub: GitHubStub) -> None:
    github_stub.add_issue(REPO, 7, "Checkout errors", datetime.now(UTC))
    result = _writer(github_stub).write(investigation(), TARGET, None)

    [comment] = github_stub.comments_on(REPO, 7)
    assert result.action == "created" and result.external_id == str(comment["id"])
    assert comment["body"].startswith(f"### :mag: alertfleet investigation: {REPO}#7: Checkout errors")
    assert "#### Key Findings\n\n- Pod restarted 5 times" in comment["body"]
    assert "[Full investigation](https://af.example/api/v1/investigations/fedcba9876543210)" in comment["body"]
    assert comment["body"].endswith(f"<!-- alertfleet:fedcba9876543210:{result.content_hash} -->")
    [post] = _posts(github_stub)
    assert post.headers["accept"] == "application/vnd.github+json"  # type: ignore[attr-defined]
    assert post.headers["x-github-api-version"]  # type: ignore[attr-defined]
    assert post.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"  # type: ignore[attr-defined]
    assert github_stub.violations == []


def test_redelivery_comments_once_and_changed_findings_edit_it(
    github_stub: GitHubStub, redis_client: redis.Redis
) -> None:
    github_stub.add_issue(REPO, 7, "Checkout errors", datetime.now(UTC))
    writer = _writer(github_stub)
    current = investigation()

    actions = [perform_write(redis_client, writer, current.id, TARGET, lambda _id: current) for _ in range(2)]
    current = investigation(findings="\n- Heap grows 40 MB/h")
    actions.append(perform_write(redis_client, writer, current.id, TARGET, lambda _id: current))

    assert [a.action for a in actions if a is not None] == ["created", "unchanged", "updated"]
    assert len(_posts(github_stub)) == 1
    [comment] = github_stub.comments_on(REPO, 7)
    assert "Heap grows 40 MB/h" in comment["body"]
    assert any(r.method == "PATCH" for r in github_stub.requests)


def test_lost_answer_is_found_by_the_hidden_marker(github_stub: GitHubStub, redis_client: redis.Redis) -> None:
    github_stub.add_issue(REPO, 7, "Checkout errors", datetime.now(UTC))
    writer = _writer(github_stub)
    current = investigation()
    redis_client.set(write_intent_key(write_key(current.id, "github", TARGET)), f"{datetime.now(UTC).timestamp():.6f}")
    writer.write(current, TARGET, None)  # reached GitHub; the worker died before recording it

    result = perform_write(redis_client, writer, current.id, TARGET, lambda _id: current)

    assert result is not None and result.action == "unchanged"
    assert len(_posts(github_stub)) == 1
    listed = [r for r in github_stub.requests_to(f"/repos/{REPO}/issues/7/comments") if r.method == "GET"]
    assert listed and listed[0].query["since"].endswith("Z")


def test_exhausted_budget_pauses_github_fleet_wide_until_the_reset(github_stub: GitHubStub, redis_url: str) -> None:
    github_stub.add_issue(REPO, 7, "Checkout errors", datetime.now(UTC))
    github_stub.add_issue(REPO, 8, "Payments slow", datetime.now(UTC))
    github_stub.exhaust(reset_in=2, remaining=1)

    first = _writer(github_stub, _fleet_gate(redis_url)).write(investigation(), TARGET, None)  # leaves 0
    assert first.action == "created"
    assert redis.Redis.from_url(redis_url).pttl(vendor_pause_key("github")) > 0
    elsewhere = _writer(github_stub, _fleet_gate(redis_url))  # another process: only Redis tells it
    sent = len(github_stub.requests)
    with pytest.raises(RateLimited) as limited:
        elsewhere.write(investigation(8), f"{REPO}#8", None)
    assert len(github_stub.requests) == sent and limited.value.retry_after is not None

    elsewhere.api.gate.blocking = True
    assert elsewhere.write(investigation(8), f"{REPO}#8", None).action == "created"
    assert github_stub.early_requests == []


def test_secondary_limit_403_retry_after_is_honoured(github_stub: GitHubStub, redis_url: str) -> None:
    github_stub.add_issue(REPO, 7, "Checkout errors", datetime.now(UTC))
    writer = _writer(github_stub, _fleet_gate(redis_url))
    github_stub.secondary_limit(retry_after=1)

    with pytest.raises(RateLimited) as limited:
        writer.write(investigation(), TARGET, None)
    assert limited.value.retry_after == pytest.approx(1, abs=0.01)
    assert "secondary rate limit" in limited.value.reason
    writer.api.gate.blocking = True
    assert writer.write(investigation(), TARGET, None).action == "created"
    assert github_stub.early_retries == [] and len(github_stub.comments_on(REPO, 7)) == 1


def test_bad_token_and_missing_issue_are_dead_lettered_with_hints(github_stub: GitHubStub) -> None:
    github_stub.add_issue(REPO, 7, "Checkout errors", datetime.now(UTC))
    with pytest.raises(WriteError) as bad:
        _writer(github_stub, token="ghp-wrong-0123456789").write(investigation(), TARGET, None)
    with pytest.raises(WriteError) as missing:
        _writer(github_stub).write(investigation(99), f"{REPO}#99", None)
    assert not bad.value.recoverable and "HTTP 401" in bad.value.reason and "check GITHUB_TOKEN" in bad.value.reason
    assert "ghp-wrong" not in bad.value.reason
    assert not missing.value.recoverable and "no such issue" in missing.value.reason
