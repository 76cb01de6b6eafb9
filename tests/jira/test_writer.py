"""The Jira writer through the `jira` library against the Cloud v3 stub: ADF comments, edits, lost answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import redis

from alertfleet.keys import write_intent_key, write_key
from alertfleet.request_gate import RequestGate
from alertfleet.writing import RateLimited, WriteError
from integrations.jira.client import JiraApi
from integrations.jira.writer import JiraWriter
from tests.jira.helpers import JIRA_EMAIL, JIRA_TOKEN, investigation
from tests.stubs.jira import JiraStub
from tests.stubs.jira_adf import adf_problems, adf_text
from workers.writes import perform_write

PUBLIC_URL = "https://alertfleet.example"


def _writer(stub: JiraStub, token: str = JIRA_TOKEN, gate: RequestGate | None = None) -> JiraWriter:
    api = JiraApi(stub.base_url, JIRA_EMAIL, token, gate or RequestGate("jira", None))
    return JiraWriter(api, PUBLIC_URL)


def _posts(stub: JiraStub, key: str) -> int:
    return sum(1 for r in stub.requests_to(f"/rest/api/3/issue/{key}/comment") if r.method == "POST")


def test_comment_is_adf_with_headings_lists_link_and_marker(jira_stub: JiraStub) -> None:
    jira_stub.add_issue("OPS-1", "Checkout errors", datetime.now(UTC))
    result = _writer(jira_stub).write(investigation(), "OPS-1", None)

    assert result.action == "created"
    [comment] = jira_stub.comments_on("OPS-1")
    body = comment["body"]
    assert adf_problems(body) == [] and jira_stub.violations == []
    kinds = [node["type"] for node in body["content"]]
    assert kinds[0] == "heading" and "bulletList" in kinds and "orderedList" in kinds
    headings = [adf_text(node) for node in body["content"] if node["type"] == "heading"]
    assert headings[1:] == ["Alert Explanation", "Key Findings", "Conclusions and Possible Root Causes", "Next Steps"]
    bullets = next(node for node in body["content"] if node["type"] == "bulletList")
    assert [adf_text(item) for item in bullets["content"]] == ["Pod restarted 5 times", "OOMKilled events detected"]
    links = [
        mark["attrs"]["href"]
        for node in body["content"]
        for child in node.get("content", [])
        for mark in child.get("marks", [])
    ]
    assert links == [f"{PUBLIC_URL}/api/v1/investigations/0123456789abcdef"]
    assert f"[alertfleet:0123456789abcdef:{result.content_hash}]" in adf_text(body["content"][-1])
    post = next(r for r in jira_stub.requests if r.method == "POST")
    assert post.headers["authorization"].startswith("Basic ") and post.path.startswith("/rest/api/3/")


def test_redelivered_write_comments_once_and_changed_findings_edit_the_comment(
    jira_stub: JiraStub, redis_client: redis.Redis
) -> None:
    jira_stub.add_issue("OPS-1", "Checkout errors", datetime.now(UTC))
    writer = _writer(jira_stub)
    current = investigation()

    first = perform_write(redis_client, writer, current.id, "OPS-1", lambda _id: current)
    again = perform_write(redis_client, writer, current.id, "OPS-1", lambda _id: current)
    current = investigation(findings="\n- Heap grows 40 MB/h")
    changed = perform_write(redis_client, writer, current.id, "OPS-1", lambda _id: current)

    assert first is not None and again is not None and changed is not None
    assert (first.action, again.action, changed.action) == ("created", "unchanged", "updated")
    assert _posts(jira_stub, "OPS-1") == 1
    [comment] = jira_stub.comments_on("OPS-1")
    assert "Heap grows 40 MB/h" in adf_text(comment["body"]) and changed.external_id == comment["id"]
    assert any(r.method == "PUT" for r in jira_stub.requests) and jira_stub.violations == []


def test_comment_whose_answer_was_lost_is_found_by_its_marker(jira_stub: JiraStub, redis_client: redis.Redis) -> None:
    jira_stub.add_issue("OPS-1", "Checkout errors", datetime.now(UTC))
    writer = _writer(jira_stub)
    current = investigation()
    # An earlier attempt: the comment reached Jira, then the worker died before recording it.
    key = write_key(current.id, "jira", "OPS-1")
    redis_client.set(write_intent_key(key), f"{datetime.now(UTC).timestamp() - 5:.6f}")
    writer.write(current, "OPS-1", None)

    result = perform_write(redis_client, writer, current.id, "OPS-1", lambda _id: current)

    assert result is not None and result.action == "unchanged"
    assert _posts(jira_stub, "OPS-1") == 1
    listed = [r for r in jira_stub.requests_to("/rest/api/3/issue/OPS-1/comment") if r.method == "GET"]
    assert listed and listed[0].query["orderBy"] == "-created" and "startAt" in listed[0].query


def test_429_retry_after_is_rate_limited_and_no_request_goes_before_the_time(jira_stub: JiraStub) -> None:
    jira_stub.add_issue("OPS-1", "Checkout errors", datetime.now(UTC))
    writer = _writer(jira_stub)
    writer.api.client  # noqa: B018 - connect first: the 429 should meet the comment itself
    jira_stub.fail_next(1, 429, {"Retry-After": "1"})

    with pytest.raises(RateLimited) as limited:
        writer.write(investigation(), "OPS-1", None)
    assert limited.value.retry_after == pytest.approx(1, abs=0.01)
    with pytest.raises(RateLimited):  # held here until the time: Jira sees nothing
        writer.write(investigation(), "OPS-1", None)
    writer.api.gate.blocking = True
    result = writer.write(investigation(), "OPS-1", None)

    assert result.action == "created" and len(jira_stub.comments_on("OPS-1")) == 1
    assert jira_stub.early_retries == []


def test_bad_token_is_dead_lettered_with_a_hint_and_no_secret(jira_stub: JiraStub) -> None:
    jira_stub.add_issue("OPS-1", "Checkout errors", datetime.now(UTC))
    with pytest.raises(WriteError) as failed:
        _writer(jira_stub, token="wrong-token-0123456789").write(investigation(), "OPS-1", None)
    assert failed.value.recoverable is False
    assert "HTTP 401" in failed.value.reason and "check JIRA_USERNAME and JIRA_API_TOKEN" in failed.value.reason
    assert "wrong-token" not in failed.value.reason and "Basic" not in failed.value.reason


def test_5xx_is_recoverable_and_missing_issue_is_not(jira_stub: JiraStub) -> None:
    jira_stub.add_issue("OPS-1", "Checkout errors", datetime.now(UTC))
    writer = _writer(jira_stub)
    writer.api.client  # noqa: B018
    jira_stub.fail_next(1, 503)
    with pytest.raises(WriteError) as flaky:
        writer.write(investigation(), "OPS-1", None)
    with pytest.raises(WriteError) as missing:
        writer.write(investigation(key="OPS-404"), "OPS-404", None)
    assert flaky.value.recoverable is True
    assert missing.value.recoverable is False and "no such issue" in missing.value.reason
