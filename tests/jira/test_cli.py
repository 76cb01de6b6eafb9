"""`alertfleet investigate jira --jira-url URL --jira-username U --jira-api-token T [--jira-project P |
--jira-jql "..."] [--update]`, as HolmesGPT's, against the Cloud v3 stub; and the settings refused."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from alertfleet.settings import SettingsError, load_settings
from tests.harness.processes import base_env
from tests.jira.helpers import JIRA_EMAIL, JIRA_TOKEN
from tests.stubs.jira import JiraStub


def _cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "investigate", "jira", *args],
        env=base_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _seed(stub: JiraStub) -> None:
    now = datetime.now(UTC)
    stub.add_issue("OPS-1", "Checkout errors", now - timedelta(days=3), labels=["incident"])
    stub.add_issue("OPS-2", "Slow search", now - timedelta(days=2))
    stub.add_issue("OPS-3", "Fixed already", now - timedelta(days=1), done=True)
    stub.add_issue("WEB-1", "Other project", now)


def test_project_issues_not_done_are_investigated_and_printed(jira_stub: JiraStub) -> None:
    _seed(jira_stub)
    done = _cli(
        "--jira-url",
        jira_stub.base_url,
        "--jira-username",
        JIRA_EMAIL,
        "--jira-api-token",
        JIRA_TOKEN,
        "--jira-project",
        "OPS",
    )
    assert done.returncode == 0, done.stderr
    assert "## OPS-1: Checkout errors" in done.stdout and "## OPS-2: Slow search" in done.stdout
    assert "Fixed already" not in done.stdout and "WEB-1" not in done.stdout
    assert jira_stub.queries == ['project = "OPS" AND statusCategory != Done']
    assert [r for r in jira_stub.requests if r.method != "GET"] == []  # without --update nothing is written
    assert JIRA_TOKEN not in done.stdout + done.stderr


def test_jql_from_the_environment_and_update_comments_each_issue(jira_stub: JiraStub) -> None:
    _seed(jira_stub)
    jql = "project = OPS AND status = Open AND labels = incident"
    done = _cli(
        "--update", JIRA_URL=jira_stub.base_url, JIRA_USERNAME=JIRA_EMAIL, JIRA_API_TOKEN=JIRA_TOKEN, JIRA_JQL=jql
    )
    assert done.returncode == 0, done.stderr
    assert jira_stub.queries == [jql]
    # The stub reads project and dates only: every OPS issue matched; each got its comment.
    for key in ("OPS-1", "OPS-2", "OPS-3"):
        [text] = jira_stub.comment_texts(key)
        assert text.startswith(f"alertfleet investigation: {key}:")
        assert f"noted on Jira issue {key} (comment " in done.stderr
    assert jira_stub.violations == []


def test_missing_credentials_or_query_are_one_line_each(jira_stub: JiraStub) -> None:
    no_token = _cli("--jira-url", jira_stub.base_url, "--jira-username", JIRA_EMAIL, "--jira-project", "OPS")
    no_query = _cli("--jira-url", jira_stub.base_url, "--jira-username", JIRA_EMAIL, "--jira-api-token", JIRA_TOKEN)
    wrong = _cli(
        "--jira-url",
        jira_stub.base_url,
        "--jira-username",
        JIRA_EMAIL,
        "--jira-api-token",
        "nope-0123",
        "--jira-project",
        "OPS",
    )
    assert (no_token.returncode, no_query.returncode, wrong.returncode) == (2, 2, 1)
    assert "give --jira-api-token or set JIRA_API_TOKEN" in no_token.stderr
    assert "give --jira-project or --jira-jql" in no_query.stderr
    assert "alertfleet: cannot search Jira issues: HTTP 401" in wrong.stderr and "Traceback" not in wrong.stderr


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"JIRA_URL": "http://jira.local"}, "invalid setting JIRA_USERNAME: required with JIRA_URL"),
        (
            {"JIRA_URL": "http://jira.local", "JIRA_USERNAME": "a@b.c"},
            "invalid setting JIRA_API_TOKEN: required with JIRA_URL",
        ),
        (
            {"JIRA_URL": "http://jira.local", "JIRA_USERNAME": "a@b.c", "JIRA_API_TOKEN": "t"},
            "invalid setting JIRA_JQL: JIRA_URL is set: set JIRA_PROJECT or JIRA_JQL",
        ),
        ({"JIRA_URL": "jira.local"}, "invalid setting JIRA_URL: must be an http:// or https:// URL"),
        ({"JIRA_MODE": "notes"}, "invalid setting JIRA_MODE: Input should be 'read-only' or 'comment'"),
    ],
)
def test_incomplete_jira_settings_stop_start_up(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert any(problem.startswith(line) for problem in refused.value.problems), refused.value.problems
