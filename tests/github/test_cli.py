"""`alertfleet investigate github --github-token T --github-repo owner/repo [--github-labels "bug,priority:high"]
[--update]`, as HolmesGPT's, against the REST stub; and the settings refused."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alertfleet.settings import SettingsError, load_settings
from tests.github.helpers import GITHUB_TOKEN, REPO
from tests.harness.processes import base_env
from tests.stubs.github import GitHubStub


def _cli(stub: GitHubStub, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alertfleet.cli", "investigate", "github", *args],
        env=base_env(GITHUB_API_URL=stub.base_url, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _seed(stub: GitHubStub) -> None:
    old = datetime.now(UTC) - timedelta(days=30)
    stub.add_issue(REPO, 1, "Checkout 5xx", old, labels=["bug", "priority:high"])
    stub.add_issue(REPO, 2, "Minor bug", old, labels=["bug"])
    stub.add_issue(REPO, 3, "A pull request", old, labels=["bug", "priority:high"], pull_request=True)


def test_open_issues_with_the_labels_are_investigated_and_printed(github_stub: GitHubStub) -> None:
    _seed(github_stub)
    done = _cli(
        github_stub, "--github-token", GITHUB_TOKEN, "--github-repo", REPO, "--github-labels", "bug,priority:high"
    )

    assert done.returncode == 0, done.stderr
    assert f"## {REPO}#1: Checkout 5xx" in done.stdout
    assert "Minor bug" not in done.stdout and "pull request" not in done.stdout
    [listing] = github_stub.requests_to(f"/repos/{REPO}/issues")
    assert (listing.query["labels"], listing.query["state"]) == ("bug,priority:high", "open")
    assert [r for r in github_stub.requests if r.method != "GET"] == []
    assert github_stub.violations == []


def test_update_comments_on_each_issue(github_stub: GitHubStub) -> None:
    _seed(github_stub)
    done = _cli(github_stub, "--github-repo", REPO, "--update", GITHUB_TOKEN=GITHUB_TOKEN)

    assert done.returncode == 0, done.stderr
    for number in (1, 2):
        [comment] = github_stub.comments_on(REPO, number)
        assert "<!-- alertfleet:" in comment["body"]
        assert f"noted on GitHub issue {REPO}#{number} (comment {comment['id']})" in done.stderr
    assert github_stub.comments_on(REPO, 3) == []


def test_missing_token_or_repository_and_refused_token_are_one_line(github_stub: GitHubStub) -> None:
    no_token = _cli(github_stub, "--github-repo", REPO)
    no_repo = _cli(github_stub, "--github-token", GITHUB_TOKEN)
    refused = _cli(github_stub, "--github-token", "ghp-nope-0123", "--github-repo", REPO)
    assert (no_token.returncode, no_repo.returncode, refused.returncode) == (2, 2, 1)
    assert "give --github-token or set GITHUB_TOKEN" in no_token.stderr
    assert "give --github-repo owner/repo" in no_repo.stderr
    assert f"alertfleet: cannot list issues of {REPO}: HTTP 401: Bad credentials" in refused.stderr


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"GITHUB_REPOSITORY": REPO}, "invalid setting GITHUB_REPOSITORY: polling a repository needs GITHUB_TOKEN"),
        (
            {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "not-a-repo"},
            "invalid setting GITHUB_REPOSITORY: must be owner/repo",
        ),
        ({"GITHUB_API_URL": "api.github.com"}, "invalid setting GITHUB_API_URL: must be an http:// or https:// URL"),
        ({"GITHUB_MODE": "update"}, "invalid setting GITHUB_MODE: Input should be 'read-only' or 'comment'"),
    ],
)
def test_bad_github_settings_stop_start_up(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert any(problem.startswith(line) for problem in refused.value.problems), refused.value.problems


def test_every_vendors_durations_parse_in_the_composed_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Validators of two mixins with one name would shadow each other: each vendor's still runs."""
    for name, value in {
        "OPSGENIE_POLL_INTERVAL": "30s",
        "JIRA_POLL_INTERVAL": "2m",
        "GITHUB_POLL_INTERVAL": "90s",
    }.items():
        monkeypatch.setenv(name, value)
    settings: Any = load_settings()
    assert (settings.opsgenie_poll_interval, settings.jira_poll_interval, settings.github_poll_interval) == (
        30,
        120,
        90,
    )


def test_one_budget_of_5000_an_hour_for_poller_and_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    """ingest's pollers and the workers' writers both build their limiter from these (alertfleet.limits)."""
    from alertfleet import registry
    from alertfleet.limits import vendor_limits

    limits = vendor_limits(load_settings(), registry.integrations())
    assert (limits["github"].item.amount, limits["github"].item.GRANULARITY.name) == (5000, "hour")
    assert (limits["jira"].item.amount, limits["jira"].item.GRANULARITY.name) == (100, "minute")
    monkeypatch.setenv("ALERTFLEET_RATE_LIMITS", "github=1000/hour")
    assert vendor_limits(load_settings(), registry.integrations())["github"].item.amount == 1000
