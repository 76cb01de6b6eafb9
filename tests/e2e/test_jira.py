"""Jira stub issue -> poller -> investigation (stub model) -> one ADF comment, routed by Jira's labels.

Real processes throughout: redis-server, `alertfleet ingest` polling the Jira stub every second, and a
Celery worker writing to Jira and Slack.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import Fleet, fleet_env, running_fleet
from tests.harness.processes import wait_for
from tests.jira.helpers import JIRA_EMAIL, JIRA_TOKEN
from tests.stubs.jira import JiraStub
from tests.stubs.jira_adf import adf_problems, adf_text
from tests.stubs.model import ModelStub
from tests.stubs.slack import SlackStub

ROUTES = """
destinations:
  alerts: {type: slack, channel: "#alerts"}
  oncall: {type: slack, channel: "#oncall"}
route:
  destinations: [alerts]
  routes:
    - name: ops-incidents
      matchers: ['project="OPS"', 'labels=~"(.*,)?incident(,.*)?"', 'priority="Highest"']
      destinations: [oncall]
"""


@contextmanager
def _fleet(
    redis_url: str, slack: SlackStub, model: ModelStub, jira: JiraStub, tmp_path: Path, **env: str
) -> Iterator[Fleet]:
    config = tmp_path / "alertfleet.yaml"
    config.write_text(ROUTES)
    settings = fleet_env(
        redis_url,
        slack,
        model,
        ALERTFLEET_CONFIG=str(config),
        JIRA_URL=jira.base_url,
        JIRA_USERNAME=JIRA_EMAIL,
        JIRA_API_TOKEN=JIRA_TOKEN,
        JIRA_PROJECT="OPS",
        JIRA_POLL_INTERVAL="1",
        **env,
    )
    with running_fleet(settings, tmp_path) as running:
        yield running


@pytest.fixture
def jira_fleet(
    redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, jira_stub: JiraStub, tmp_path: Path
) -> Iterator[Fleet]:
    with _fleet(redis_url, slack_stub, model_stub, jira_stub, tmp_path) as running:
        yield running


def _searches(stub: JiraStub) -> int:
    return len(stub.requests_to("/rest/api/3/search/jql"))


def test_polled_issue_gets_one_comment_and_goes_where_its_labels_route_it(
    jira_fleet: Fleet, jira_stub: JiraStub, slack_stub: SlackStub, model_stub: ModelStub
) -> None:
    now = datetime.now(UTC)
    jira_stub.add_issue(
        "OPS-7", "Checkout API 5xx", now - timedelta(minutes=2), labels=["incident"], priority="Highest"
    )
    jira_stub.add_issue("OPS-8", "Typo on the pricing page", now - timedelta(minutes=1), priority="Low")

    assert wait_for(lambda: len(jira_stub.comments_on("OPS-7")) == 1, 60), jira_fleet.logs()
    assert wait_for(lambda: len(jira_stub.comments_on("OPS-8")) == 1, 30), jira_fleet.logs()
    assert wait_for(lambda: slack_stub.post_count() == 2, 30), jira_fleet.logs()

    [comment] = jira_stub.comments_on("OPS-7")
    assert adf_problems(comment["body"]) == []
    assert adf_text(comment["body"]).startswith("alertfleet investigation: OPS-7: Checkout API 5xx")
    assert "Model: openai/stub-model" in adf_text(comment["body"])
    assert "OPS-7" in slack_stub.messages_in("#oncall")[0]["text"]
    assert "OPS-8" in slack_stub.messages_in("#alerts")[0]["text"]
    assert model_stub.completions
    # Later polls list both issues again: no second investigation, no second comment.
    searches = _searches(jira_stub)
    assert wait_for(lambda: _searches(jira_stub) >= searches + 2, 15), jira_fleet.logs()
    assert [len(jira_stub.comments_on(key)) for key in ("OPS-7", "OPS-8")] == [1, 1]
    assert slack_stub.post_count() == 2
    assert jira_stub.violations == [] and JIRA_TOKEN not in jira_fleet.logs()


def test_read_only_mode_investigates_but_writes_nothing_to_jira(
    redis_url: str, slack_stub: SlackStub, model_stub: ModelStub, jira_stub: JiraStub, tmp_path: Path
) -> None:
    jira_stub.add_issue("OPS-9", "Disk filling up", datetime.now(UTC) - timedelta(minutes=1))
    with _fleet(redis_url, slack_stub, model_stub, jira_stub, tmp_path, JIRA_MODE="read-only") as fleet:
        assert wait_for(lambda: slack_stub.post_count() == 1, 60), fleet.logs()
        searches = _searches(jira_stub)
        assert wait_for(lambda: _searches(jira_stub) >= searches + 2, 15), fleet.logs()
    assert jira_stub.comments_on("OPS-9") == []
    assert [r for r in jira_stub.requests if r.method in ("POST", "PUT")] == []
