"""`alertfleet investigate github`: a repository's open issues (with the labels) investigated once,
as `holmes investigate github`; `--update` comments the findings on each issue."""

from __future__ import annotations

import math
from typing import Any

import typer

from alertfleet.cli_investigate import (
    CONCURRENCY,
    DESTINATION,
    SLACK_CHANNEL,
    SLACK_TOKEN,
    WEBHOOK_URL,
    OneShot,
    key_or_exit,
    run_one_shot,
)
from alertfleet.writing import Writer


def github(
    github_token: str | None = typer.Option(None, "--github-token", help="Default GITHUB_TOKEN."),
    github_repo: str | None = typer.Option(None, "--github-repo", help="owner/repo (default GITHUB_REPOSITORY)."),
    github_labels: str | None = typer.Option(
        None, "--github-labels", help='Only issues with all of these, e.g. "bug,priority:high" (default GITHUB_LABELS).'
    ),
    update: bool = typer.Option(False, "--update", help="Comment the findings on each issue."),
    destination: str | None = DESTINATION,
    slack_channel: str | None = SLACK_CHANNEL,
    slack_token: str | None = SLACK_TOKEN,
    webhook_url: str | None = WEBHOOK_URL,
    concurrency: int = CONCURRENCY,
) -> None:
    """Investigate open GitHub issues once, as `holmes investigate github`."""
    from pydantic import SecretStr

    from alertfleet.cli import settings_or_exit
    from alertfleet.limits import local_throttle
    from alertfleet.settings import comma_list
    from integrations.github import integration
    from integrations.github.client import GitHubFailure
    from integrations.github.settings import REPOSITORY
    from integrations.github.source import event_from_issue
    from integrations.github.writer import GitHubWriter

    fleet = settings_or_exit()
    own = integration.own(fleet)
    token = key_or_exit(github_token, own.github_token, "--github-token", "GITHUB_TOKEN")
    repository = (github_repo or own.github_repository or "").strip().strip("/")
    if not REPOSITORY.match(repository):
        typer.echo("alertfleet: give --github-repo owner/repo (or set GITHUB_REPOSITORY)", err=True)
        raise typer.Exit(2)
    labels: list[str] = comma_list(github_labels) if github_labels is not None else own.github_labels
    settings = fleet.model_copy(update={"github_token": SecretStr(token)})
    throttle = local_throttle(integration.name, math.ceil(own.github_rate_limit / 60), blocking=True)
    api = integration.api(settings, throttle, blocking=True)

    def writer() -> Writer:
        # --update asks for comments whatever GITHUB_MODE says.
        return GitHubWriter(api, fleet.public_url)

    def issue_event(issue: Any) -> Any:
        return event_from_issue(issue, repository)

    shot = OneShot(
        fetch=lambda: api.all_open_issues(repository, labels),
        to_event=issue_event,
        unreadable=f"cannot list issues of {repository}",
        errors=(GitHubFailure,),
        reason=str,
        nothing="no open issues",
        write_back=writer if update else None,
        noted="GitHub issue {target} (comment {id})",
    )
    run_one_shot(shot, destination, slack_channel, slack_token, webhook_url, concurrency)
