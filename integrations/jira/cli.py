"""`alertfleet investigate jira`: a project's open issues (or a JQL query's) investigated once,
as `holmes investigate jira`; `--update` comments the findings on each issue."""

from __future__ import annotations

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


def _given_or_exit(given: str | None, configured: str | None, option: str, variable: str) -> str:
    value = (given or configured or "").strip()
    if not value:
        typer.echo(f"alertfleet: give {option} or set {variable}", err=True)
        raise typer.Exit(2)
    return value


def jira(
    jira_url: str | None = typer.Option(
        None, "--jira-url", help="Default JIRA_URL, e.g. https://company.atlassian.net."
    ),
    jira_username: str | None = typer.Option(
        None, "--jira-username", help="Default JIRA_USERNAME (the account's email)."
    ),
    jira_api_token: str | None = typer.Option(None, "--jira-api-token", help="Default JIRA_API_TOKEN."),
    jira_project: str | None = typer.Option(None, "--jira-project", help="Default JIRA_PROJECT: its issues not done."),
    jira_jql: str | None = typer.Option(None, "--jira-jql", help="Default JIRA_JQL; wins over the project."),
    update: bool = typer.Option(False, "--update", help="Comment the findings on each issue."),
    destination: str | None = DESTINATION,
    slack_channel: str | None = SLACK_CHANNEL,
    slack_token: str | None = SLACK_TOKEN,
    webhook_url: str | None = WEBHOOK_URL,
    concurrency: int = CONCURRENCY,
) -> None:
    """Investigate Jira issues once, as `holmes investigate jira`."""
    from pydantic import SecretStr

    from alertfleet.cli import settings_or_exit
    from alertfleet.limits import local_throttle
    from integrations.jira import integration
    from integrations.jira.client import JiraFailure
    from integrations.jira.source import FIELDS, base_jql, event_from_issue
    from integrations.jira.writer import JiraWriter

    fleet = settings_or_exit()
    own = integration.own(fleet)
    url = _given_or_exit(jira_url, own.jira_url, "--jira-url", "JIRA_URL").rstrip("/")
    if not url.startswith(("http://", "https://")):
        typer.echo(f"alertfleet: --jira-url must be an http(s):// URL (got {url!r})", err=True)
        raise typer.Exit(2)
    username = _given_or_exit(jira_username, own.jira_username, "--jira-username", "JIRA_USERNAME")
    token = key_or_exit(jira_api_token, own.jira_api_token, "--jira-api-token", "JIRA_API_TOKEN")
    # The command line's choice first (JQL over project), then the environment's (the same way round).
    project = None if jira_jql else jira_project
    jql = jira_jql or (None if jira_project else own.jira_jql)
    if not jql and not (project or own.jira_project):
        typer.echo("alertfleet: give --jira-project or --jira-jql (or set JIRA_PROJECT or JIRA_JQL)", err=True)
        raise typer.Exit(2)
    query = base_jql(project or own.jira_project, jql)
    settings = fleet.model_copy(update={"jira_url": url, "jira_username": username, "jira_api_token": SecretStr(token)})
    throttle = local_throttle(integration.name, own.jira_rate_limit, blocking=True)
    api = integration.api(settings, throttle, blocking=True)

    def writer() -> Writer:
        # --update asks for comments whatever JIRA_MODE says.
        return JiraWriter(api, fleet.public_url)

    def issue_event(issue: Any) -> Any:
        return event_from_issue(issue, url)

    shot = OneShot(
        fetch=lambda: api.search(query, FIELDS),
        to_event=issue_event,
        unreadable="cannot search Jira issues",
        errors=(JiraFailure,),
        reason=str,
        nothing="no matching issues",
        write_back=writer if update else None,
        noted="Jira issue {target} (comment {id})",
    )
    run_one_shot(shot, destination, slack_channel, slack_token, webhook_url, concurrency)
